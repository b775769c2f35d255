"""Which events a Sigma rule applies to, and where its field names live in an Ironwatch event.

This module is data: one table per source family, read by ``resolve`` into ``Target`` s. A
rule's ``logsource`` (product / category / service) resolves to zero or more targets; each
target says which events it applies to (a ``Route``: a Windows channel and optional event
ids, an ``event.dataset``, an ``event.module`` or a syslog program) and how Sigma field names
map to Ironwatch's flat ECS keys (a ``FieldMap``). No target means the rule cannot run on
anything Ironwatch receives and is reported as such. ``docs/detection.md`` documents the
same table for people; ``FIELDMAP_VERSION`` changes whenever it changes, which invalidates
compiled rule-set caches.

Routing Security 4688 to ``process_creation`` (with ``NewProcessName`` read as ``Image`` and
so on) is not the Sigma specification but a common engine choice: it is off unless
``RoutingOptions.security_4688_as_process_creation`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: bump whenever a table below changes: compiled caches keyed on it are then rebuilt
FIELDMAP_VERSION = 1

SYSMON = "Microsoft-Windows-Sysmon/Operational"
POWERSHELL = ("Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational")

#: Sysmon categories (product windows) → Sysmon event ids on the Sysmon channel
SYSMON_CATEGORIES: dict[str, tuple[int, ...]] = {
    "process_creation": (1,), "file_change": (2,), "network_connection": (3,),
    "sysmon_status": (4, 16), "process_termination": (5,), "driver_load": (6,),
    "image_load": (7,), "create_remote_thread": (8,), "raw_access_thread": (9,),
    "process_access": (10,), "file_event": (11,), "registry_add": (12,),
    "registry_delete": (12,), "registry_event": (12, 13, 14), "registry_set": (13,),
    "registry_rename": (14,), "create_stream_hash": (15,), "pipe_created": (17, 18),
    "wmi_event": (19, 20, 21), "dns_query": (22,), "file_delete": (23, 26),
    "clipboard_capture": (24,), "process_tampering": (25,), "file_delete_detected": (26,),
    "file_block_executable": (27,), "file_block_shredding": (28,),
    "file_executable_detected": (29,), "sysmon_error": (255,),
}

#: PowerShell categories (product windows) → (channels, event ids)
POWERSHELL_CATEGORIES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "ps_module": (POWERSHELL, (4103,)),
    "ps_script": (POWERSHELL, (4104,)),
    "ps_classic_start": (("Windows PowerShell",), (400,)),
    "ps_classic_provider_start": (("Windows PowerShell",), (600,)),
    "ps_classic_script": (("Windows PowerShell",), (800,)),
}

#: Windows ``service:`` → event log channels (any event id)
WINDOWS_SERVICES: dict[str, tuple[str, ...]] = {
    "security": ("Security",), "application": ("Application",), "system": ("System",),
    "sysmon": (SYSMON,), "powershell": POWERSHELL, "powershell-classic": ("Windows PowerShell",),
    "taskscheduler": ("Microsoft-Windows-TaskScheduler/Operational",),
    "wmi": ("Microsoft-Windows-WMI-Activity/Operational",),
    "dns-server": ("DNS Server",), "dns-server-audit": ("Microsoft-Windows-DNS-Server/Audit",),
    "dns-server-analytic": ("Microsoft-Windows-DNS-Server/Analytical",),
    "driver-framework": ("Microsoft-Windows-DriverFrameworks-UserMode/Operational",),
    "ntlm": ("Microsoft-Windows-NTLM/Operational",),
    "dhcp": ("Microsoft-Windows-DHCP-Server/Operational",),
    "msexchange-management": ("MSExchange Management",),
    "applocker": ("Microsoft-Windows-AppLocker/MSI and Script", "Microsoft-Windows-AppLocker/EXE and DLL",
                  "Microsoft-Windows-AppLocker/Packaged app-Deployment",
                  "Microsoft-Windows-AppLocker/Packaged app-Execution"),
    "printservice-admin": ("Microsoft-Windows-PrintService/Admin",),
    "printservice-operational": ("Microsoft-Windows-PrintService/Operational",),
    "codeintegrity-operational": ("Microsoft-Windows-CodeIntegrity/Operational",),
    "smbclient-security": ("Microsoft-Windows-SmbClient/Security",),
    "smbclient-connectivity": ("Microsoft-Windows-SmbClient/Connectivity",),
    "smbserver-connectivity": ("Microsoft-Windows-SMBServer/Connectivity",),
    "firewall-as": ("Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",),
    "bits-client": ("Microsoft-Windows-Bits-Client/Operational",),
    "windefend": ("Microsoft-Windows-Windows Defender/Operational",),
    "terminalservices-localsessionmanager": (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",),
    "microsoft-servicebus-client": ("Microsoft-ServiceBus-Client/Operational",
                                    "Microsoft-ServiceBus-Client/Admin"),
    "servicebus-client": ("Microsoft-ServiceBus-Client/Operational", "Microsoft-ServiceBus-Client/Admin"),
    "ldap": ("Microsoft-Windows-LDAP-Client/Debug",), "ldap_debug": ("Microsoft-Windows-LDAP-Client/Debug",),
    "security-mitigations": ("Microsoft-Windows-Security-Mitigations/Kernel Mode",
                             "Microsoft-Windows-Security-Mitigations/User Mode"),
    "diagnosis-scripted": ("Microsoft-Windows-Diagnosis-Scripted/Operational",),
    "shell-core": ("Microsoft-Windows-Shell-Core/Operational",),
    "openssh": ("OpenSSH/Operational",),
    "bitlocker": ("Microsoft-Windows-BitLocker/BitLocker Management",),
    "vhdmp": ("Microsoft-Windows-VHDMP/Operational",),
    "appxdeployment-server": ("Microsoft-Windows-AppXDeploymentServer/Operational",),
    "lsa-server": ("Microsoft-Windows-LSA/Operational",),
    "appxpackaging-om": ("Microsoft-Windows-AppxPackaging/Operational",),
    "dns-client": ("Microsoft-Windows-DNS Client Events/Operational",),
    "appmodel-runtime": ("Microsoft-Windows-AppModel-Runtime/Admin",),
    "capi2": ("Microsoft-Windows-CAPI2/Operational",),
    "certificateservicesclient-lifecycle-system": (
        "Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational",),
    "iis-configuration": ("Microsoft-IIS-Configuration/Operational",),
    "kernel-shimengine": ("Microsoft-Windows-Kernel-ShimEngine/Operational",
                          "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"),
    "ntfs": ("Microsoft-Windows-Ntfs/Operational",),
    "sense": ("Microsoft-Windows-SENSE/Operational",),
}

#: Sigma names of the ``System`` part of a Windows event (the rest is event or user data)
WINDOWS_SYSTEM_FIELDS: dict[str, str] = {
    "EventID": "winlog.event_id", "Channel": "winlog.channel", "Provider_Name": "winlog.provider_name",
    "Provider_Guid": "winlog.provider_guid", "Computer": "winlog.computer_name",
    "EventRecordID": "winlog.record_id", "Version": "winlog.version", "Task": "winlog.task",
    "Opcode": "winlog.opcode", "Level": "winlog.level", "ProcessID": "winlog.process.pid",
    "ThreadID": "winlog.process.thread.id", "UserID": "winlog.user.identifier",
    "Security_UserID": "winlog.user.identifier", "ActivityID": "winlog.activity_id",
}

#: Security 4688 read as ``process_creation`` (opt-in): Sysmon names → 4688 event data names
SECURITY_4688_FIELDS: dict[str, str] = {
    "Image": "NewProcessName", "ParentImage": "ParentProcessName", "ProcessId": "NewProcessId",
    "ParentProcessId": "ProcessId", "User": "SubjectUserName", "LogonId": "SubjectLogonId",
    "IntegrityLevel": "MandatoryLabel",
}

#: Linux: Sigma names used by process_creation / file_event rules → the auditd parser's fields
LINUX_PROCESS_FIELDS: dict[str, str] = {
    "Image": "process.executable", "CommandLine": "process.command_line",
    "CurrentDirectory": "process.working_directory", "User": "user.name", "LogonId": "user.audit.id",
    "ProcessId": "process.pid", "ParentProcessId": "process.ppid", "TargetFilename": "file.path",
}

#: Linux ``service: auditd`` rules name raw auditd keys: record type and record fields
AUDITD_FIELDS: dict[str, str] = {
    "type": "auditd.records", "exe": "process.executable", "comm": "process.name",
    "cwd": "process.working_directory", "name": "file.path", "key": "tags",
    "SYSCALL": "auditd.data.syscall", "syscall": "auditd.data.syscall",
}

#: Linux syslog services → the programs (``process.name``) whose messages they are
LINUX_SYSLOG_PROGRAMS: dict[str, tuple[str, ...]] = {
    "sshd": ("sshd", "sshd-session", "sshd-auth"), "sudo": ("sudo",), "su": ("su",),
    "cron": ("cron", "CRON", "crond"), "vsftpd": ("vsftpd",), "clamav": ("clamd", "freshclam"),
    "guacamole": ("guacd",), "auth": ("sshd", "sshd-session", "sshd-auth", "sudo", "su", "login",
                                      "passwd", "useradd", "usermod", "userdel", "groupadd",
                                      "systemd-logind", "polkitd"),
}

#: Sigma's web proxy / webserver (W3C) names → Zeek http's ECS fields
HTTP_FIELDS: dict[str, str] = {
    "c-uri": "url.original", "cs-uri": "url.original", "c-uri-query": "url.query",
    "cs-uri-query": "url.query", "cs-uri-stem": "url.path", "c-uri-stem": "url.path",
    "c-useragent": "user_agent.original", "cs-user-agent": "user_agent.original",
    "cs-host": "url.domain", "r-dns": "url.domain", "cs-method": "http.request.method",
    "cs-referrer": "http.request.referrer", "cs-cookie": "zeek.http.cookie",
    "sc-status": "http.response.status_code", "src_ip": "source.ip", "dst_ip": "destination.ip",
    "c-ip": "source.ip", "cs-version": "http.version",
}

#: Sigma's generic network / firewall names → ECS
FIREWALL_FIELDS: dict[str, str] = {
    "src_ip": "source.ip", "dst_ip": "destination.ip", "src_port": "source.port",
    "dst_port": "destination.port", "action": "event.action", "protocol": "network.transport",
}
FIREWALL_DATASETS = ("asa", "fortigate", "panos")


@dataclass(frozen=True)
class Route:
    """Events a target applies to: one ``kind`` of key and its value(s).

    ``channel`` keys are ``(channel lower-cased, event id text or "")``, ``""`` meaning any
    event id; ``dataset``, ``module`` and ``program`` keys are the field's text.
    """

    kind: str
    keys: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FieldMap:
    """Sigma field name → candidate Ironwatch keys (the first present one is read)."""

    explicit: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: prefixes tried in order for names not in ``explicit`` ("" = the name itself)
    prefixes: tuple[str, ...] = ("",)

    def keys(self, name: str) -> tuple[str, ...]:
        found = self.explicit.get(name)
        if found is not None:
            return found
        return tuple(prefix + name for prefix in self.prefixes)


@dataclass(frozen=True)
class Target:
    """One place a rule runs: the events it sees and how it reads their fields."""

    route: Route
    fields: FieldMap
    name: str


@dataclass(frozen=True)
class RoutingOptions:
    """Engine choices outside the Sigma specification (part of the cache key)."""

    #: also run ``process_creation`` rules on Security 4688 (NewProcessName read as Image…)
    security_4688_as_process_creation: bool = False

    def key(self) -> str:
        return f"4688={int(self.security_4688_as_process_creation)}"


DEFAULT_OPTIONS = RoutingOptions()


def _explicit(table: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {name: (key,) for name, key in table.items()}


WINDOWS_FIELDS = FieldMap(_explicit(WINDOWS_SYSTEM_FIELDS),
                          ("winlog.event_data.", "winlog.user_data."))
SECURITY_4688_MAP = FieldMap(
    {**_explicit(WINDOWS_SYSTEM_FIELDS),
     **{name: ("winlog.event_data." + data,) for name, data in SECURITY_4688_FIELDS.items()}},
    ("winlog.event_data.",))


def _channels(channels: tuple[str, ...], ids: tuple[int, ...] = ()) -> Route:
    id_texts = tuple(str(i) for i in ids) or ("",)
    return Route("channel", tuple((ch.lower(), i) for ch in channels for i in id_texts))


def _windows(category: str | None, service: str | None, options: RoutingOptions) -> list[Target]:
    if service and category:
        return []  # no SigmaHQ rule does this; refuse rather than guess which one wins
    if service:
        channels = WINDOWS_SERVICES.get(service)
        return [] if channels is None else [Target(_channels(channels), WINDOWS_FIELDS, f"windows/{service}")]
    if category in SYSMON_CATEGORIES:
        targets = [Target(_channels((SYSMON,), SYSMON_CATEGORIES[category]), WINDOWS_FIELDS,
                          f"sysmon/{category}")]
        if category == "process_creation" and options.security_4688_as_process_creation:
            targets.append(Target(_channels(("Security",), (4688,)), SECURITY_4688_MAP, "security/4688"))
        return targets
    if category in POWERSHELL_CATEGORIES:
        channels, ids = POWERSHELL_CATEGORIES[category]
        return [Target(_channels(channels, ids), WINDOWS_FIELDS, f"powershell/{category}")]
    if category is None:
        return [Target(Route("product", (("windows", ""),)), WINDOWS_FIELDS, "windows")]
    return []


def _linux(category: str | None, service: str | None) -> list[Target]:
    auditd_process = FieldMap(_explicit(LINUX_PROCESS_FIELDS), ("auditd.data.",))
    if service == "auditd" and not category:
        return [Target(Route("module", (("auditd", ""),)),
                       FieldMap(_explicit(AUDITD_FIELDS), ("auditd.data.",)), "linux/auditd")]
    if service in LINUX_SYSLOG_PROGRAMS and not category:
        programs = LINUX_SYSLOG_PROGRAMS[service]
        return [Target(Route("program", tuple((p, "") for p in programs)), FieldMap(), f"linux/{service}")]
    if service == "syslog" and not category:
        # plain RFC 3164/5424 messages carry ``event.dataset`` ``syslog`` (pipeline.normalize)
        return [Target(Route("dataset", (("syslog", ""), ("rfc3164", ""), ("rfc5424", ""), ("system.auth", ""))),
                       FieldMap(), "linux/syslog")]
    if service is None and category in ("process_creation", "file_event", "network_connection"):
        return [Target(Route("module", (("auditd", ""),)), auditd_process, f"linux/{category}")]
    if service is None and category is None:
        return [Target(Route("module", (("auditd", ""), ("system", ""))), FieldMap(), "linux")]
    return []


def _zeek(service: str | None) -> list[Target]:
    if not service:
        return []
    return [Target(Route("dataset", ((f"zeek.{service}", ""),)),
                   FieldMap(prefixes=(f"zeek.{service}.",)), f"zeek/{service}")]


def _generic(category: str | None) -> list[Target]:
    if category in ("proxy", "webserver"):
        return [Target(Route("dataset", (("zeek.http", ""),)),
                       FieldMap(_explicit(HTTP_FIELDS), ("zeek.http.",)), f"{category}/zeek.http")]
    if category == "dns":
        return [Target(Route("dataset", (("zeek.dns", ""),)),
                       FieldMap({"query": ("zeek.dns.query",), "answer": ("zeek.dns.answers",),
                                 "record_type": ("zeek.dns.qtype_name",)}, ("zeek.dns.",)), "dns/zeek.dns")]
    if category == "firewall":
        return [Target(Route("dataset", tuple((d, "") for d in FIREWALL_DATASETS)),
                       FieldMap(_explicit(FIREWALL_FIELDS)), "firewall")]
    return []


def resolve(product: str | None, category: str | None, service: str | None,
            options: RoutingOptions = DEFAULT_OPTIONS) -> list[Target]:
    """The targets of a rule's logsource; ``[]`` when Ironwatch receives no such events."""
    product, category, service = (v.lower() if v else None for v in (product, category, service))
    if product == "windows":
        return _windows(category, service, options)
    if product == "linux":
        return _linux(category, service)
    if product == "zeek":
        return _zeek(service)
    if product is None:
        return _generic(category)
    return []


__all__ = ["DEFAULT_OPTIONS", "FIELDMAP_VERSION", "FieldMap", "Route", "RoutingOptions", "Target", "resolve"]
