"""What a Windows event's values mean: ``System`` values as names, and ECS.

``static_fields`` turns the ``System`` values that repeat from record to record into fields
(level, opcode and keyword names from ``winmeta.xml`` when the input has no rendered ones)
plus ``common_fields``: ``host.name``, ``event.provider``/``module``/``dataset``,
``log.level`` and the outcome audit keywords give. ``map_event`` adds, for the event ids in
``MAPPINGS`` (keyed by provider and event id: ids repeat across providers), the
``event.category``/``type``/``action``/``outcome`` and the ``user.*``, ``process.*``,
``source.*``, ``file.*``, ``registry.*``, ``dns.*``, ``group.*``, ``service.*`` and
``powershell.*`` fields, then ``related.*``. A mapping is mostly copies (ECS field, source
field, conversion) run by one loop. Values Windows writes for "none" (empty, ``-``) are not
copied, nor values a conversion rejects. docs/windows.md has the table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from ..errors import ParseError
from ..event import Event
from .evtx_file import System

SECURITY = "Microsoft-Windows-Security-Auditing"
SYSMON = "Microsoft-Windows-Sysmon"
POWERSHELL = "Microsoft-Windows-PowerShell"
EVENTLOG = "Microsoft-Windows-Eventlog"
SCM = "Service Control Manager"

_DATASETS = {"security": "windows.security", "system": "windows.system",
             "application": "windows.application",
             "microsoft-windows-sysmon/operational": "windows.sysmon_operational",
             "microsoft-windows-powershell/operational": "windows.powershell_operational",
             "windows powershell": "windows.powershell", "forwardedevents": "windows.forwarded"}
LOGON_TYPES = {"0": "System", "2": "Interactive", "3": "Network", "4": "Batch", "5": "Service",
               "7": "Unlock", "8": "NetworkCleartext", "9": "NewCredentials",
               "10": "RemoteInteractive", "11": "CachedInteractive",
               "12": "CachedRemoteInteractive", "13": "CachedUnlock"}
#: NTSTATUS codes of failed logons (4625 SubStatus, else Status) as ``event.reason``
LOGON_FAILURES = {
    "0xc0000064": "user name does not exist", "0xc000006a": "wrong password",
    "0xc000006d": "bad user name or password", "0xc000006e": "account restriction",
    "0xc000006f": "outside authorized hours", "0xc0000070": "workstation restriction",
    "0xc0000071": "password expired", "0xc0000072": "account disabled",
    "0xc0000133": "clock out of sync with the domain controller",
    "0xc000015b": "logon type not granted", "0xc0000193": "account expired",
    "0xc0000224": "password must change at next logon", "0xc0000234": "account locked out",
    "0xc0000413": "authentication firewall",
}
_HIVES = {"HKLM": "HKLM", "HKEY_LOCAL_MACHINE": "HKLM", "HKU": "HKU", "HKEY_USERS": "HKU",
          "HKCU": "HKCU", "HKEY_CURRENT_USER": "HKCU", "HKCR": "HKCR",
          "HKEY_CLASSES_ROOT": "HKCR", "HKCC": "HKCC", "HKEY_CURRENT_CONFIG": "HKCC"}
_HASHES = {"MD5": "process.hash.md5", "SHA1": "process.hash.sha1",
           "SHA256": "process.hash.sha256", "IMPHASH": "process.pe.imphash"}
_RELATED = (("related.user", ("user.name", "user.target.name")),
            ("related.ip", ("source.ip", "destination.ip")))


def finish(event: Event) -> None:
    """The ECS fields every Windows event gets, then those of its provider and event id."""
    common_fields(event)
    map_event(event)


def common_fields(event: Event) -> None:
    """``host.name``, ``event.provider``/``module``/``dataset``, ``log.level`` and the
    outcome that audit keywords give: what the repeating ``System`` values decide."""
    computer = event.get("winlog.computer_name")
    if computer:
        event["host.name"] = computer
    provider = event.get("winlog.provider_name")
    if provider:
        event["event.provider"] = provider
    event["event.module"], event["event.dataset"] = channel_dataset(
        event.get("winlog.channel") or "")
    level = event.get("winlog.level")
    if level:
        event["log.level"] = level
    keywords = event.get("winlog.keywords")
    if keywords:
        if "Audit Failure" in keywords:
            event["event.outcome"] = "failure"
        elif "Audit Success" in keywords:
            event["event.outcome"] = "success"


Convert = Callable[[str], Any]


class Mapping(NamedTuple):
    """What one event id means in ECS: its classification, copies and extra work."""

    category: str
    types: tuple[str, ...]
    action: str
    outcome: str
    copies: tuple[tuple[str, str, Convert | None], ...]
    extra: Callable[[Event], None] | None = None


def map_event(event: Event) -> None:
    """The ECS fields of the event ids in ``MAPPINGS``."""
    apply_mapping(event, mapping_of(event))


def mapping_of(event: Event) -> Mapping | None:
    """The ``MAPPINGS`` entry of an event's provider and event id, if any."""
    return MAPPINGS.get((event.get("winlog.provider_name"), event["winlog.event_id"]))


def apply_mapping(event: Event, mapping: Mapping | None) -> None:
    """The ECS fields ``mapping`` (the event's entry in ``MAPPINGS``) gives the event."""
    if mapping is None:
        return
    event["event.category"] = [mapping.category]
    event["event.type"] = list(mapping.types)
    event["event.action"] = mapping.action
    if mapping.outcome:
        event.setdefault("event.outcome", mapping.outcome)
    get = event.get
    for field, source, convert in mapping.copies:
        value = get(source)
        if value and value != "-" and isinstance(value, str):
            if convert is not None:
                value = convert(value)
                if value is None:
                    continue
            event[field] = value
    if mapping.extra is not None:
        mapping.extra(event)
    for field, sources in _RELATED:
        found = [value for value in map(get, sources) if value]
        if found:
            event[field] = found if len(found) == 1 or found[0] != found[1] else found[:1]


@lru_cache(maxsize=512)
def channel_dataset(channel: str) -> tuple[str, str]:
    """``(event.module, event.dataset)`` of a channel: ``windows``, ``sysmon`` or
    ``powershell``, and ``windows.<channel>`` in lower case with ``_`` between words."""
    lower = channel.lower()
    dataset = _DATASETS.get(lower)
    if dataset is None:
        words = "".join(c if c.isascii() and c.isalnum() else " " for c in lower).split()
        dataset = "windows." + ("_".join(words) or "unknown")
    if "sysmon" in dataset:
        return "sysmon", dataset
    if "powershell" in dataset:
        return "powershell", dataset
    return "windows", dataset


# --- System values: their names, the fields they decide -------------------------------------

_LEVELS = {"0": "information", "1": "critical", "2": "error", "3": "warning",
           "4": "information", "5": "verbose"}
_OPCODES = {"0": "Info", "1": "Start", "2": "Stop", "3": "DCStart", "4": "DCStop",
            "5": "Extension", "6": "Reply", "7": "Resume", "8": "Suspend", "9": "Send"}
#: the standard keyword bits of winmeta.xml, in bit order
_KEYWORDS = ((0x1000000000000, "Response Time"), (0x4000000000000, "WDI Diag"),
             (0x8000000000000, "SQM"), (0x10000000000000, "Audit Failure"),
             (0x20000000000000, "Audit Success"), (0x40000000000000, "Correlation Hint"),
             (0x80000000000000, "Classic"))


def static_fields(system: System, rendering: dict[str, Any], parser: str) -> Event:
    """The fields of the repeating ``System`` values, with the ECS fields they give."""
    event_id = system.event_id
    if not event_id or not (event_id.isascii() and event_id.isdigit()):
        raise ParseError(f"System/EventID is not a number: {str(event_id)[:20]!r}",
                         parser=parser)
    event: Event = {"event.kind": "event", "event.code": event_id, "winlog.event_id": event_id}
    for value, field in ((system.provider or system.source_name, "winlog.provider_name"),
                         (system.channel, "winlog.channel"),
                         (system.computer, "winlog.computer_name"),
                         (system.sid, "winlog.user.identifier")):
        if value:
            event[field] = value
    version = system.version
    if version and version.isascii() and version.isdigit():
        event["winlog.version"] = int(version)
    guid = system.guid
    if guid:
        event["winlog.provider_guid"] = guid if guid[:1] == "{" else "{" + guid + "}"
    task = rendering.get("task") or system.task
    if task:
        event["winlog.task"] = task
    opcode = rendering.get("opcode") or system.opcode
    if opcode:
        event["winlog.opcode"] = _OPCODES.get(opcode, opcode)
    level = rendering.get("level") or system.level
    if level:
        event["winlog.level"] = _LEVELS.get(level) or level.lower()
    keywords = rendering.get("keywords") or (
        keyword_names(system.keywords) if system.keywords else ())
    if keywords:
        event["winlog.keywords"] = list(keywords)
    common_fields(event)
    return event


@lru_cache(maxsize=256)
def keyword_names(mask_text: str) -> tuple[str, ...]:
    """Standard keyword names of a mask (``0x8020000000000000``, or a signed decimal)."""
    text = mask_text.strip()
    try:
        mask = int(text, 16) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        return ()
    mask &= 0xFFFFFFFFFFFFFFFF
    return tuple(name for bit, name in _KEYWORDS if mask & bit)


# --- conversions ----------------------------------------------------------------------------

def number(text: str | None) -> int | None:
    """A decimal or ``0x`` hexadecimal number, ``None`` when it is not one."""
    if text is None:
        return None
    try:
        return int(text, 16) if text[:2] in ("0x", "0X") else int(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def address(text: str) -> str | None:
    """An IP address in its usual spelling (IPv4-mapped IPv6 as IPv4), else ``None``."""
    try:
        ip = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def process_id(text: str) -> int | None:
    """A process id (decimal or hex); 0, which Windows writes for "no process", is none."""
    value = number(text)
    return value or None


def known_sid(text: str) -> str | None:
    """A SID, but not the null SID ``S-1-0-0`` that failed logons carry."""
    return None if text == "S-1-0-0" else text


def port(text: str) -> int | None:
    value = number(text)
    return value if value is not None and 0 < value <= 65535 else None


def last_part(path: str) -> str:
    """The file of a path, the value of a registry path, the user of ``DOMAIN\\user``."""
    return path.rpartition("\\")[2]


def first_part(path: str) -> str | None:
    """The directory of a path, the domain of ``DOMAIN\\user``."""
    return path.rpartition("\\")[0] or None


def extension(path: str) -> str | None:
    name = last_part(path).lstrip(".")
    return name.rpartition(".")[2].lower() if "." in name else None


def logon_type(text: str) -> str:
    return LOGON_TYPES.get(text, text)


def member_name(text: str) -> str:
    """The common name of a distinguished name (``CN=Operator 1,OU=…``), else the text."""
    if text[:3].upper() != "CN=":
        return text
    name = text[3:].replace("\\,", "\0").split(",", 1)[0]
    return name.replace("\0", ",")


def registry_hive(path: str) -> str | None:
    return _HIVES.get(path.partition("\\")[0].upper())


def registry_key(path: str) -> str | None:
    hive, _, rest = path.partition("\\")
    return rest.rpartition("\\")[0] if hive.upper() in _HIVES else None


def resolved_ips(text: str) -> list[str] | None:
    """The addresses in Sysmon's ``QueryResults`` (``type: 5 name;::ffff:10.1.2.3;``)."""
    ips = [ip for ip in map(address, text.split(";")) if ip]
    return ips or None


# --- what copies cannot say ---------------------------------------------------------------

def _logon_failure_reason(event: Event) -> None:
    status = event.get("winlog.event_data.SubStatus")
    if not isinstance(status, str) or status.lower() in ("0x0", "0x00000000", ""):
        status = event.get("winlog.event_data.Status")
    reason = LOGON_FAILURES.get(status.lower()) if isinstance(status, str) else None
    if reason is not None:
        event["event.reason"] = reason


def _service_account(event: Event) -> None:
    if "user.id" not in event and "winlog.user.identifier" in event:
        event["user.id"] = event["winlog.user.identifier"]  # 7045: the installing account


def _sysmon_hashes(event: Event) -> None:
    hashes = event.get("winlog.event_data.Hashes")
    if isinstance(hashes, str):
        for part in hashes.split(","):
            kind, _, value = part.partition("=")
            target = _HASHES.get(kind.strip().upper())
            if target is not None and value.strip():
                event[target] = value.strip().lower()


_CONTEXT_FIELDS = {
    "Host Application": "process.command_line", "Command Name": "powershell.command.name",
    "Command Type": "powershell.command.type", "Script Name": "file.path",
    "Shell ID": "powershell.id", "Host Version": "powershell.process.executable_version",
    "Engine Version": "powershell.engine.version", "Runspace ID": "powershell.runspace_id",
    "Pipeline ID": "powershell.pipeline_id",
}


def _powershell_context(event: Event) -> None:
    """Module logging's ``ContextInfo``: ``Name = value`` lines (English names)."""
    context = event.get("winlog.event_data.ContextInfo")
    for line in context.split("\n") if isinstance(context, str) else ():
        key, sep, value = line.partition(" = ")
        key, value = key.strip(), value.strip()
        if not (sep and value):
            continue
        if key in _CONTEXT_FIELDS:
            event[_CONTEXT_FIELDS[key]] = value
        elif key == "User":
            event["user.name"] = last_part(value)
            domain = first_part(value)
            if domain:
                event["user.domain"] = domain


# --- the table ----------------------------------------------------------------------------

Copy = tuple[Any, ...]  # (ECS field, source name) or (ECS field, source name, conversion)


def _data(*copies: Copy) -> tuple[tuple[str, str, Convert | None], ...]:
    """Copies from ``winlog.event_data.<name>``; a name with a dot is a whole field name."""
    return tuple((field, name if "." in name else "winlog.event_data." + name,
                  convert[0] if convert else None) for field, name, *convert in copies)


def _user(prefix: str, name: str, domain: str, sid: str) -> tuple[Copy, ...]:
    return ((prefix + ".name", name), (prefix + ".domain", domain),
            (prefix + ".id", sid, known_sid))


def _image(prefix: str, path: str, pid: str, guid: str | None = None) -> tuple[Copy, ...]:
    copies: tuple[Copy, ...] = ((prefix + ".executable", path), (prefix + ".name", path, last_part),
                                (prefix + ".pid", pid, process_id))
    return copies + ((prefix + ".entity_id", guid),) if guid is not None else copies


_SUBJECT = _user("user", "SubjectUserName", "SubjectDomainName", "SubjectUserSid")
_TARGET = _user("user", "TargetUserName", "TargetDomainName", "TargetUserSid")
_LOGON = _data(*_TARGET, ("winlog.logon.type", "LogonType", logon_type),
               ("winlog.logon.id", "TargetLogonId"), ("source.ip", "IpAddress", address),
               ("source.port", "IpPort", port), ("source.domain", "WorkstationName"),
               *_image("process", "ProcessName", "ProcessId"))
_LOGOFF = _data(*_TARGET, ("winlog.logon.type", "LogonType", logon_type),
                ("winlog.logon.id", "TargetLogonId"))
_ACCOUNT = _data(*_SUBJECT, *_user("user.target", "TargetUserName", "TargetDomainName",
                                   "TargetSid"))
_GROUP = _data(*_SUBJECT, ("group.name", "TargetUserName"), ("group.domain", "TargetDomainName"),
               ("group.id", "TargetSid"), ("user.target.id", "MemberSid"),
               ("user.target.name", "MemberName", member_name))
_SERVICE = _data(*_SUBJECT, ("service.name", "ServiceName"))
_SYSMON_PROCESS = (*_image("process", "Image", "ProcessId", "ProcessGuid"),
                   ("user.name", "User", last_part), ("user.domain", "User", first_part))
_IAM, _AUTH, _PROCESS, _CONFIG = "iam", "authentication", "process", "configuration"
_NETWORK = "network"

MAPPINGS: dict[tuple[str | None, str], Mapping] = {
    (SECURITY, "4624"): Mapping(_AUTH, ("start",), "logged-in", "success", _LOGON),
    (SECURITY, "4625"): Mapping(_AUTH, ("start",), "logon-failed", "failure", _LOGON,
                                _logon_failure_reason),
    (SECURITY, "4634"): Mapping(_AUTH, ("end",), "logged-out", "success", _LOGOFF),
    (SECURITY, "4647"): Mapping(_AUTH, ("end",), "logged-out", "success", _LOGOFF),
    (SECURITY, "4648"): Mapping(_AUTH, ("start",), "logged-in-explicit", "success", _data(
        *_SUBJECT, *_user("user.target", "TargetUserName", "TargetDomainName", "TargetUserSid"),
        ("destination.domain", "TargetServerName"), ("source.ip", "IpAddress", address),
        ("source.port", "IpPort", port), *_image("process", "ProcessName", "ProcessId"))),
    (SECURITY, "4672"): Mapping(_IAM, ("admin",), "logged-in-special", "success", _data(
        *_SUBJECT, ("winlog.logon.id", "SubjectLogonId"))),
    (SECURITY, "4720"): Mapping(_IAM, ("user", "creation"), "added-user-account", "success",
                                _ACCOUNT),
    (SECURITY, "4722"): Mapping(_IAM, ("user", "change"), "enabled-user-account", "success",
                                _ACCOUNT),
    (SECURITY, "4724"): Mapping(_IAM, ("user", "change"), "reset-password", "success", _ACCOUNT),
    (SECURITY, "4728"): Mapping(_IAM, ("group", "change"), "added-member-to-group", "success",
                                _GROUP),
    (SECURITY, "4732"): Mapping(_IAM, ("group", "change"), "added-member-to-group", "success",
                                _GROUP),
    (SECURITY, "4740"): Mapping(_IAM, ("user", "change"), "locked-out-user-account", "success",
                                _ACCOUNT),
    (SECURITY, "4688"): Mapping(_PROCESS, ("start",), "created-process", "success", _data(
        *_SUBJECT, *_image("process", "NewProcessName", "NewProcessId"),
        ("process.command_line", "CommandLine"),
        *_image("process.parent", "ParentProcessName", "ProcessId"))),
    (SECURITY, "4697"): Mapping(_CONFIG, ("creation",), "service-installed", "success", _SERVICE),
    (SCM, "7045"): Mapping(_CONFIG, ("creation",), "service-installed", "success", _SERVICE,
                           _service_account),
    (EVENTLOG, "1102"): Mapping(_IAM, ("admin", "change"), "audit-log-cleared", "success", _data(
        *_user("user", "winlog.user_data.SubjectUserName", "winlog.user_data.SubjectDomainName",
               "winlog.user_data.SubjectUserSid"))),
    (EVENTLOG, "104"): Mapping(_IAM, ("admin", "change"), "log-cleared", "success", _data(
        *_user("user", "winlog.user_data.SubjectUserName", "winlog.user_data.SubjectDomainName",
               "winlog.user_data.SubjectUserSid"))),
    (SYSMON, "1"): Mapping(_PROCESS, ("start",), "process-created", "", _data(
        *_SYSMON_PROCESS, ("process.command_line", "CommandLine"),
        ("process.working_directory", "CurrentDirectory"),
        *_image("process.parent", "ParentImage", "ParentProcessId", "ParentProcessGuid"),
        ("process.parent.command_line", "ParentCommandLine"),
        ("process.pe.original_file_name", "OriginalFileName"), ("process.pe.company", "Company"),
        ("process.pe.description", "Description"), ("process.pe.product", "Product"),
        ("process.pe.file_version", "FileVersion")), _sysmon_hashes),
    (SYSMON, "3"): Mapping(_NETWORK, ("connection", "start"), "network-connection", "", _data(
        *_SYSMON_PROCESS, ("source.ip", "SourceIp", address), ("source.port", "SourcePort", port),
        ("source.domain", "SourceHostname"), ("destination.ip", "DestinationIp", address),
        ("destination.port", "DestinationPort", port),
        ("destination.domain", "DestinationHostname"),
        ("network.transport", "Protocol", str.lower),
        ("network.type", "SourceIsIpv6", lambda v: "ipv6" if v.lower() == "true" else "ipv4"),
        ("network.direction", "Initiated",
         lambda v: "egress" if v.lower() == "true" else "ingress"))),
    (SYSMON, "11"): Mapping("file", ("creation",), "file-created", "", _data(
        *_SYSMON_PROCESS, ("file.path", "TargetFilename"),
        ("file.name", "TargetFilename", last_part),
        ("file.directory", "TargetFilename", first_part),
        ("file.extension", "TargetFilename", extension))),
    (SYSMON, "13"): Mapping("registry", ("change",), "registry-value-set", "", _data(
        *_SYSMON_PROCESS, ("registry.path", "TargetObject"),
        ("registry.hive", "TargetObject", registry_hive),
        ("registry.key", "TargetObject", registry_key),
        ("registry.value", "TargetObject", last_part),
        ("registry.data.strings", "Details", lambda v: [v]))),
    (SYSMON, "22"): Mapping(_NETWORK, ("connection", "protocol", "info"), "dns-query", "", _data(
        *_SYSMON_PROCESS, ("dns.question.name", "QueryName"),
        ("dns.resolved_ip", "QueryResults", resolved_ips),
        ("network.protocol", "QueryName", lambda v: "dns"),
        ("event.outcome", "QueryStatus", lambda v: "success" if v == "0" else "failure"))),
    (POWERSHELL, "4103"): Mapping(_PROCESS, ("info",), "pipeline-executed", "", (),
                                  _powershell_context),
    (POWERSHELL, "4104"): Mapping(_PROCESS, ("info",), "script-block-logged", "", _data(
        ("powershell.file.script_block_text", "ScriptBlockText"),
        ("powershell.file.script_block_id", "ScriptBlockId"),
        ("powershell.sequence", "MessageNumber", number),
        ("powershell.total", "MessageTotal", number), ("file.path", "Path"))),
}

__all__ = ["LOGON_FAILURES", "LOGON_TYPES", "MAPPINGS", "Mapping", "address", "channel_dataset",
           "apply_mapping", "common_fields", "finish", "keyword_names", "map_event", "mapping_of", "number",
           "static_fields"]
