"""What Windows hosts of each role log in normal operation, and how often relative to each other.

Domain controllers authenticate the whole plant (Kerberos, NTLM); HMIs see operators of the
shift on duty log on and off at the console; engineering workstations run the PLC
programming tools; servers run scheduled tasks under service accounts and, in their
patch window, install updates and restart. Sysmon records processes, connections, files
and DNS queries on the hosts that run it.
"""

# ruff: noqa: UP031 - lines are filled from precomputed %-templates, the fastest formatting per event
from __future__ import annotations

import numpy as np

from . import people
from .clock import I64
from .plant import DOMAIN, MAINTENANCE_WINDOWS, Asset
from .source import ShiftPools, ints, objects, pick, picks, shift_index
from .windows import SCM, SECURITY, SYSMON, WUA, Column, DataFn, WinContext, WinSpec

S_4624 = WinSpec(SECURITY, 4624, 12544, "0x8020000000000000", 2, 0, "Logon")
S_4625 = WinSpec(SECURITY, 4625, 12544, "0x8010000000000000", 0, 0, "Logon")
S_4634 = WinSpec(SECURITY, 4634, 12545, "0x8020000000000000", 0, 0, "Logoff")
S_4672 = WinSpec(SECURITY, 4672, 12548, "0x8020000000000000", 0, 0, "Special Logon")
S_4688 = WinSpec(SECURITY, 4688, 13312, "0x8020000000000000", 2, 0, "Process Creation")
S_4768 = WinSpec(SECURITY, 4768, 14339, "0x8020000000000000", 0, 0, "Kerberos Authentication Service")
S_4769 = WinSpec(SECURITY, 4769, 14337, "0x8020000000000000", 0, 0, "Kerberos Service Ticket Operations")
S_4776 = WinSpec(SECURITY, 4776, 14336, "0x8020000000000000", 0, 0, "Credential Validation")
Y_1 = WinSpec(SYSMON, 1, 1, "0x8000000000000000", 5, 4, "Process Create (rule: ProcessCreate)")
Y_3 = WinSpec(SYSMON, 3, 3, "0x8000000000000000", 5, 4, "Network connection detected (rule: NetworkConnect)")
Y_11 = WinSpec(SYSMON, 11, 11, "0x8000000000000000", 2, 4, "File created (rule: FileCreate)")
Y_22 = WinSpec(SYSMON, 22, 22, "0x8000000000000000", 5, 4, "Dns query (rule: DnsQuery)")
SVC_7036 = WinSpec(SCM, 7036, 0, "0x8080000000000000", 0, 4, "None")
WU_19 = WinSpec(WUA, 19, 1, "0x8000000000000000", 1, 4, "Windows Update Agent")

LOGON_GUID = "{00000000-0000-0000-0000-000000000000}"
SYSTEM_SID = "S-1-5-18"
DOMAIN_USERS = people.DOMAIN_SHIFTS
OPERATORS = people.OPERATOR_SHIFTS
ENGINEERS = ShiftPools([people.ENGINEERS, people.ENGINEERS[:1], people.ENGINEERS[:1], people.ENGINEERS[:1]])
SERVICES = ShiftPools([people.SERVICES] * 4)
ADMINS = ShiftPools([people.ADMINS] * 4)

TASKS = (r"C:\Windows\System32\taskhostw.exe", r"C:\Windows\System32\wbem\WmiPrvSE.exe",
         r"C:\Program Files\Veeam\Endpoint Backup\Veeam.EndPoint.Tray.exe", r"C:\Windows\System32\cleanmgr.exe",
         r"C:\Windows\System32\defrag.exe", r"C:\Windows\System32\sc.exe", r"C:\Windows\System32\w32tm.exe")
ENG_TOOLS = (r"C:\Program Files\Siemens\Automation\Portal V18\Bin\Siemens.Automation.Portal.exe",
             r"C:\Program Files (x86)\Rockwell Software\Studio 5000\Logix Designer\ENU\Bin\LogixDesigner.exe",
             r"C:\Program Files (x86)\Schneider Electric\Control Expert 15.3\ControlExpert.exe",
             r"C:\Program Files (x86)\Rockwell Software\RSLinx\RSLINX.EXE", r"C:\Windows\System32\notepad.exe",
             r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE")
HMI_TOOLS = (r"C:\Program Files (x86)\Siemens\Automation\WinCC RT Advanced\HmiRTm.exe",
             r"C:\Program Files (x86)\Rockwell Software\RSView Enterprise\DisplayClient.exe",
             r"C:\Windows\explorer.exe", r"C:\Windows\System32\osk.exe")
SERVER_PROCS = (r"C:\Program Files\AVEVA\Historian\aahStorage.exe", r"C:\Program Files\AVEVA\Historian\aahIOSvrSvc.exe",
                r"C:\Windows\System32\svchost.exe", r"C:\Program Files\Microsoft SQL Server\MSSQL15.MSSQLSERVER\MSSQL\Binn\sqlservr.exe",
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", r"C:\Windows\System32\conhost.exe")
PARENTS = (r"C:\Windows\System32\svchost.exe", r"C:\Windows\explorer.exe", r"C:\Windows\System32\services.exe")
COMMANDS = ("-k netsvcs -p -s Schedule", "/d /c \"C:\\Scripts\\export-batch-report.cmd\"", "-NoProfile -File C:\\Scripts\\rotate-logs.ps1",
            "/sagerun:1", "C: /O", "query state= all", "/resync")
FILES = (r"C:\ProgramData\AVEVA\Historian\Data\Circular\{0}.dat", r"C:\Users\Public\Documents\Batch\report-{0}.pdf",
         r"C:\Windows\Temp\MpCmdRun-{0}.log", r"D:\Projects\Line-A\Backups\LineA_{0}.zap18",
         r"C:\ProgramData\Siemens\Automation\Logfiles\Portal\{0}.log")
DNS_NAMES = ("hist01.plant.local", "dc-ot01.plant.local", "wsus01.plant.local", "scada01.plant.local",
             "time.plant.local", "mes01.plant.local", "ctldl.windowsupdate.com", "_ldap._tcp.dc._msdcs.plant.local")
SERVICES_7036 = ("Windows Update", "Background Intelligent Transfer Service", "WinHTTP Web Proxy Auto-Discovery Service",
                 "Windows Modules Installer", "Volume Shadow Copy", "Microsoft Software Shadow Copy Provider",
                 "AVEVA Historian IO Server", "Device Setup Manager")
UPDATES = ("2026-11 Cumulative Update for Windows Server 2022 for x64-based Systems (KB5048654)",
           "Security Intelligence Update for Microsoft Defender Antivirus - KB2267602 (Version 1.421.1187.0)",
           "2026-11 Cumulative Update for .NET Framework 3.5 and 4.8 for Windows Server 2019 (KB5048890)",
           "Windows Malicious Software Removal Tool x64 - v5.131 (KB890830)")


SERVICE_HOSTS = ("HIST01$", "MES01$", "FS01$", "SCADA01$", "BATCH01$", "QUAL01$", "DC-OT01$")


def system_kinds(ctx: WinContext, rng: np.random.Generator, t: I64) -> np.ndarray:
    """Service state changes all the time; updates only inside the host's patch window."""
    updating = in_patch_window(ctx, t) & (rng.random(len(t)) < 0.4)
    return updating.astype(np.int64)


def _users(pools: ShiftPools) -> UserPick:
    return UserPick(pools)


class UserPick:
    def __init__(self, pools: ShiftPools) -> None:
        self.pools = pools

    def __call__(self, ctx: WinContext, rng: np.random.Generator, t: I64) -> list[str]:
        return self.pools.pick(rng, shift_index(ctx.clock, t))


def _sids(users: list[str]) -> list[str]:
    return [people.SID.get(u, "S-1-5-18") for u in users]


def _hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    return ["0x%x" % v for v in rng.integers(0x100000, 0x4FFFFFF, n).tolist()]


def logon(pools: ShiftPools, types: tuple[int, ...], local: bool) -> DataFn:
    who = _users(pools)

    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        users = who(ctx, rng, t)
        ltype = [str(x) for x in pick(rng, types, n)]
        ips = ["127.0.0.1"] * n if local else picks(rng, ctx.clients + ctx.servers, n)
        return {"SubjectUserSid": SYSTEM_SID, "SubjectUserName": f"{ctx.host.hostname}$",
                "SubjectDomainName": DOMAIN, "SubjectLogonId": "0x3e7", "TargetUserSid": _sids(users),
                "TargetUserName": users, "TargetDomainName": DOMAIN, "TargetLogonId": _hex_ids(rng, n),
                "LogonType": ltype, "LogonProcessName": "User32 " if local else "Kerberos",
                "AuthenticationPackageName": "Negotiate" if local else "Kerberos",
                "WorkstationName": ctx.host.hostname if local else "-", "LogonGuid": LOGON_GUID,
                "ProcessName": r"C:\Windows\System32\svchost.exe" if local else "-",
                "IpAddress": ips, "IpPort": "0" if local else [str(x) for x in ints(rng, 49152, 65535, n)],
                "ImpersonationLevel": "%%1833", "ElevatedToken": "%%1842"}
    return fn


def logoff(pools: ShiftPools, ltype: int) -> DataFn:
    who = _users(pools)

    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        users = who(ctx, rng, t)
        return {"TargetUserSid": _sids(users), "TargetUserName": users, "TargetDomainName": DOMAIN,
                "TargetLogonId": _hex_ids(rng, len(t)), "LogonType": str(ltype)}
    return fn


def failed_logon(pools: ShiftPools, ltype: int) -> DataFn:
    who = _users(pools)

    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        return {"SubjectUserSid": SYSTEM_SID, "SubjectUserName": f"{ctx.host.hostname}$", "SubjectDomainName": DOMAIN,
                "TargetUserSid": "S-1-0-0", "TargetUserName": who(ctx, rng, t), "TargetDomainName": DOMAIN,
                "Status": "0xc000006d", "FailureReason": "%%2313", "SubStatus": "0xc000006a", "LogonType": str(ltype),
                "WorkstationName": ctx.host.hostname, "IpAddress": picks(rng, ctx.clients, n), "IpPort": "0"}
    return fn


def special_privileges(pools: ShiftPools) -> DataFn:
    who = _users(pools)

    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        users = who(ctx, rng, t)
        return {"SubjectUserSid": _sids(users), "SubjectUserName": users, "SubjectDomainName": DOMAIN,
                "SubjectLogonId": _hex_ids(rng, len(t)),
                "PrivilegeList": "SeSecurityPrivilege\t\t\tSeBackupPrivilege\t\t\tSeRestorePrivilege"}
    return fn


def kerberos(event: int) -> DataFn:
    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        users = DOMAIN_USERS.pick(rng, shift_index(ctx.clock, t))
        ips = ["::ffff:" + ip for ip in picks(rng, ctx.clients + ctx.servers, n)]
        if event == 4768:
            return {"TargetUserName": users, "TargetDomainName": DOMAIN, "TargetSid": _sids(users),
                    "ServiceName": "krbtgt", "ServiceSid": f"{people.DOMAIN_SID}-502", "TicketOptions": "0x40810010",
                    "Status": "0x0", "TicketEncryptionType": "0x12", "PreAuthType": "2", "IpAddress": ips,
                    "IpPort": [str(x) for x in ints(rng, 49152, 65535, n)]}
        services = picks(rng, SERVICE_HOSTS, n)
        return {"TargetUserName": [u + "@PLANT.LOCAL" for u in users], "TargetDomainName": "PLANT.LOCAL",
                "ServiceName": services, "ServiceSid": f"{people.DOMAIN_SID}-1000", "TicketOptions": "0x40810000",
                "TicketEncryptionType": "0x12", "IpAddress": ips, "IpPort": [str(x) for x in ints(rng, 49152, 65535, n)],
                "Status": "0x0", "LogonGuid": LOGON_GUID, "TransmittedServices": "-"}
    return fn


def ntlm(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
    return {"PackageName": "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0", "TargetUserName": SERVICES.pick(rng, shift_index(ctx.clock, t)),
            "Workstation": picks(rng, ["HMI01", "HMI02", "HMI03", "HMI04", "HIST01", "SCADA01"], len(t)),
            "Status": "0x0"}


def process(pools: ShiftPools, images: tuple[str, ...]) -> DataFn:
    who = _users(pools)

    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        users = who(ctx, rng, t)
        return {"SubjectUserSid": _sids(users), "SubjectUserName": users, "SubjectDomainName": DOMAIN,
                "SubjectLogonId": _hex_ids(rng, n), "NewProcessId": _hex_ids(rng, n),
                "NewProcessName": picks(rng, ctx.pool(images), n), "TokenElevationType": "%%1936",
                "ProcessId": _hex_ids(rng, n), "CommandLine": picks(rng, ctx.pool(COMMANDS), n),
                "ParentProcessName": picks(rng, ctx.pool(PARENTS), n), "MandatoryLabel": "S-1-16-12288"}
    return fn


def _guids(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, 1 << 31, n).tolist()
    return ["{5D2A0B1C-%04X-%04X-0000-00%010X}" % (x & 0xFFFF, (x >> 16) & 0x7FFF, x) for x in a]


def sysmon_process(images: tuple[str, ...]) -> DataFn:
    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        imgs = picks(rng, ctx.pool(images), n)
        return {"RuleName": "-", "UtcTime": _utc_sysmon(ctx, t), "ProcessGuid": _guids(rng, n),
                "ProcessId": [str(x) for x in ints(rng, 1000, 30000, n)], "Image": imgs,
                "CommandLine": imgs, "CurrentDirectory": ctx.pool(("C:\\Windows\\system32\\",))[0],
                "User": ctx.pool(("NT AUTHORITY\\SYSTEM",))[0], "IntegrityLevel": "System",
                "Hashes": ["SHA256=%064X" % x for x in rng.integers(1, 1 << 62, n).tolist()],
                "ParentImage": picks(rng, ctx.pool(PARENTS), n)}
    return fn


def sysmon_network(ports: tuple[int, ...]) -> DataFn:
    def fn(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
        n = len(t)
        return {"RuleName": "-", "UtcTime": _utc_sysmon(ctx, t), "ProcessGuid": _guids(rng, n),
                "ProcessId": [str(x) for x in ints(rng, 1000, 30000, n)],
                "Image": picks(rng, ctx.pool(SERVER_PROCS[:3]), n), "User": ctx.pool(("NT AUTHORITY\\SYSTEM",))[0],
                "Protocol": "tcp", "Initiated": "true", "SourceIsIpv6": "false", "SourceIp": ctx.host.ip,
                "SourceHostname": ctx.host.fqdn, "SourcePort": [str(x) for x in ints(rng, 49152, 65535, n)],
                "DestinationIsIpv6": "false", "DestinationIp": picks(rng, ctx.servers, n), "DestinationHostname": "-",
                "DestinationPort": [str(x) for x in pick(rng, ports, n)]}
    return fn


def sysmon_file(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
    n = len(t)
    names = [f.format(x) for f, x in zip(picks(rng, ctx.pool(FILES), n), ints(rng, 10000, 99999, n))]
    return {"RuleName": "-", "UtcTime": _utc_sysmon(ctx, t), "ProcessGuid": _guids(rng, n),
            "ProcessId": [str(x) for x in ints(rng, 1000, 30000, n)],
            "Image": picks(rng, ctx.pool(SERVER_PROCS[:2]), n), "TargetFilename": names,
            "CreationUtcTime": _utc_sysmon(ctx, t), "User": ctx.pool(("NT AUTHORITY\\SYSTEM",))[0]}


def sysmon_dns(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
    n = len(t)
    return {"RuleName": "-", "UtcTime": _utc_sysmon(ctx, t), "ProcessGuid": _guids(rng, n),
            "ProcessId": [str(x) for x in ints(rng, 1000, 30000, n)], "QueryName": picks(rng, DNS_NAMES, n),
            "QueryStatus": "0", "QueryResults": "type:  5 ;::ffff:10.30.1.20;",
            "Image": picks(rng, ctx.pool(SERVER_PROCS[:3]), n), "User": ctx.pool(("NT AUTHORITY\\SYSTEM",))[0]}


def _utc_sysmon(ctx: WinContext, t: I64) -> list[str]:
    return [s[:23].replace("T", " ") for s in ctx.clock.iso_utc(t, 3)]


def service_state(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
    n = len(t)
    return {"param1": picks(rng, SERVICES_7036, n), "param2": [("running", "stopped")[x] for x in ints(rng, 0, 2, n)]}


def update_installed(ctx: WinContext, rng: np.random.Generator, t: I64) -> dict[str, Column]:
    n = len(t)
    return {"updateTitle": picks(rng, UPDATES, n), "updateGuid": _guids(rng, n), "updateRevisionNumber": "1"}


def in_patch_window(ctx: WinContext, t: I64) -> np.ndarray:
    """Which times fall in the host zone's patch window (docs/plant.md)."""
    hour, weekday = ctx.clock.local_hour_weekday(t)
    mask = np.zeros(len(t), dtype=bool)
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    for name, day, start, end, zones in MAINTENANCE_WINDOWS:
        if name.startswith("patch") and ctx.host.zone in zones:
            h0, h1 = int(start[:2]), int(end[:2])
            mask |= (weekday == days.index(day)) & (hour >= h0) & (hour < h1)
    return mask


def parts_for(host: Asset, channel: str) -> list[tuple[float, WinSpec, DataFn]]:
    """The event mix of one host's channel (weights are relative within the channel)."""
    role = host.role
    if channel == "sysmon":
        ports = (502, 102, 44818, 1433, 443) if role in ("historian", "scada_server") else (445, 443, 135, 389, 88)
        return [(25, Y_1, sysmon_process(SERVER_PROCS + TASKS if role != "engineering_workstation" else ENG_TOOLS)),
                (45, Y_3, sysmon_network(ports)), (20, Y_11, sysmon_file), (10, Y_22, sysmon_dns)]
    if channel == "system":
        return [(1, SVC_7036, service_state), (0, WU_19, update_installed)]
    if role == "domain_controller":
        return [(30, S_4624, logon(DOMAIN_USERS, (3,), False)), (25, S_4634, logoff(DOMAIN_USERS, 3)),
                (15, S_4768, kerberos(4768)), (20, S_4769, kerberos(4769)), (5, S_4776, ntlm),
                (3, S_4672, special_privileges(ADMINS)), (2, S_4625, failed_logon(DOMAIN_USERS, 3))]
    if role == "hmi":
        return [(30, S_4624, logon(OPERATORS, (2, 7), True)), (28, S_4634, logoff(OPERATORS, 2)),
                (35, S_4688, process(OPERATORS, HMI_TOOLS)), (7, S_4625, failed_logon(OPERATORS, 2))]
    if role == "engineering_workstation":
        return [(20, S_4624, logon(ENGINEERS, (2, 10), True)), (18, S_4634, logoff(ENGINEERS, 2)),
                (55, S_4688, process(ENGINEERS, ENG_TOOLS)), (5, S_4672, special_privileges(ENGINEERS)),
                (2, S_4625, failed_logon(ENGINEERS, 2))]
    return [(30, S_4624, logon(SERVICES, (3, 5), False)), (28, S_4634, logoff(SERVICES, 5)),
            (10, S_4672, special_privileges(SERVICES)), (30, S_4688, process(SERVICES, TASKS)),
            (2, S_4625, failed_logon(ADMINS, 3))]


__all__ = ["in_patch_window", "objects", "parts_for", "system_kinds"]
