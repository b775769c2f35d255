"""The simulated plant: its assets, zones, conduits, shifts and maintenance windows.

The plant is fixed (the seed varies its traffic, not its inventory), so that an asset list
imported once stays true for every run. It is written as ``plant/assets.csv`` and
``plant/zones.yaml`` (docs/plant.md describes both); the activity models read it to decide
who talks to whom.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

TIME_ZONE = "Europe/Berlin"
DOMAIN = "PLANT"
DNS_SUFFIX = "plant.local"

#: IEEE OUI prefixes of the vendors in the plant (the first three bytes of their MACs)
VENDOR_OUI = {
    "Siemens": "00:1B:1B",
    "Siemens IPC": "28:63:36",
    "Rockwell Automation": "00:1D:9C",
    "Schneider Electric": "00:00:54",
    "Hitachi Energy": "00:02:A3",
    "Hirschmann": "00:80:63",
    "Cisco": "00:1B:54",
    "Dell": "D0:94:66",
    "HP": "00:21:5A",
    "VMware": "00:50:56",
    "Moxa": "00:90:E8",
    "Phoenix Contact": "00:A0:45",
    "Palo Alto Networks": "00:1B:17",
    "Fortinet": "00:09:0F",
    "WAGO": "00:30:DE",
}
ASSET_COLUMNS = ("ip", "mac", "hostname", "vendor", "model", "firmware", "serial", "role", "purdue_level",
                 "zone", "criticality", "owner")


@dataclass(frozen=True)
class Asset:
    ip: str
    hostname: str
    vendor: str
    model: str
    firmware: str
    role: str
    purdue_level: str
    zone: str
    criticality: str
    owner: str
    #: how the asset logs: windows, linux5424, linux3164, none (the sensors see it)
    logs: str = "none"

    @property
    def mac(self) -> str:
        oui = VENDOR_OUI[self.vendor]
        tail = hashlib.sha256(self.hostname.encode()).digest()[:3]
        return oui + ":" + ":".join(f"{b:02X}" for b in tail)

    @property
    def serial(self) -> str:
        digest = hashlib.sha256(b"serial:" + self.hostname.encode()).hexdigest().upper()
        prefix = "".join(c for c in self.vendor.upper() if c.isalpha())[:3]
        return f"{prefix}{digest[:10]}"

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{DNS_SUFFIX}"

    @property
    def vendor_name(self) -> str:
        return "Siemens" if self.vendor == "Siemens IPC" else self.vendor

    def row(self) -> tuple[str, ...]:
        return (self.ip, self.mac, self.hostname, self.vendor_name, self.model, self.firmware, self.serial,
                self.role, self.purdue_level, self.zone, self.criticality, self.owner)


def _a(ip: str, host: str, vendor: str, model: str, fw: str, role: str, level: str, zone: str, crit: str,
       owner: str, logs: str = "none") -> Asset:
    return Asset(ip, host, vendor, model, fw, role, level, zone, crit, owner, logs)


WIN22 = "Windows Server 2022 21H2"
WIN19 = "Windows Server 2019 1809"
W10 = "Windows 10 LTSC 2021"

ASSETS: tuple[Asset, ...] = (
    # Level 5 - enterprise
    _a("10.10.1.10", "DC01", "Dell", "PowerEdge R650", WIN22, "domain_controller", "5", "enterprise", "high", "IT", "windows"),
    _a("10.10.1.11", "DC02", "Dell", "PowerEdge R650", WIN22, "domain_controller", "5", "enterprise", "high", "IT", "windows"),
    _a("10.10.1.20", "FS01", "VMware", "Virtual Machine", WIN22, "file_server", "5", "enterprise", "medium", "IT", "windows"),
    _a("10.10.1.30", "WSUS01", "VMware", "Virtual Machine", WIN19, "patch_server", "5", "enterprise", "medium", "IT"),
    _a("10.10.5.21", "IT-WS01", "Dell", "OptiPlex 7010", "Windows 11 23H2", "office_workstation", "5", "enterprise", "low", "IT"),
    _a("10.10.5.22", "IT-WS02", "Dell", "OptiPlex 7010", "Windows 11 23H2", "office_workstation", "5", "enterprise", "low", "IT"),
    _a("10.10.5.23", "IT-WS03", "HP", "EliteDesk 800 G9", "Windows 11 23H2", "office_workstation", "5", "enterprise", "low", "IT"),
    _a("10.10.5.24", "IT-WS04", "HP", "EliteDesk 800 G9", "Windows 11 23H2", "office_workstation", "5", "enterprise", "low", "IT"),
    _a("10.10.0.1", "fw-edge", "Fortinet", "FortiGate 200F", "FortiOS 7.2.8", "firewall", "5", "enterprise", "high", "IT"),
    _a("10.10.0.2", "sw-it-core", "Cisco", "Catalyst 9300-48P", "IOS-XE 17.9.4", "switch", "5", "enterprise", "medium", "IT"),
    # Level 4 - site business planning and logistics
    _a("10.10.4.10", "MES01", "HP", "ProLiant DL380 Gen10", WIN22, "mes_server", "4", "site-business", "high", "Production IT", "windows"),
    _a("10.10.4.11", "mes-app01", "VMware", "Virtual Machine", "Red Hat Enterprise Linux 9.4", "mes_server", "4", "site-business", "high", "Production IT", "linux5424"),
    _a("10.10.4.20", "QUAL01", "VMware", "Virtual Machine", WIN19, "quality_server", "4", "site-business", "medium", "Quality", "windows"),
    _a("10.10.4.1", "fw-it-ot", "Fortinet", "FortiGate 100F", "FortiOS 7.2.8", "firewall", "4", "site-business", "high", "OT Security"),
    # Level 3.5 - industrial DMZ
    _a("10.40.2.10", "jump01", "VMware", "Virtual Machine", "Debian 12.7", "jump_server", "3.5", "dmz", "high", "OT Security", "linux5424"),
    _a("10.40.2.20", "HIST-DMZ01", "Dell", "PowerEdge R450", WIN19, "historian", "3.5", "dmz", "medium", "Production IT", "windows"),
    _a("10.40.2.30", "relay01", "VMware", "Virtual Machine", "Ubuntu 22.04.5 LTS", "patch_relay", "3.5", "dmz", "medium", "OT Security", "linux3164"),
    _a("10.40.2.1", "fw-dmz-ot", "Palo Alto Networks", "PA-3220", "PAN-OS 10.2.10", "firewall", "3.5", "dmz", "high", "OT Security"),
    _a("10.40.2.2", "sw-dmz", "Cisco", "IE-4000-8GT4G", "IOS 15.2(8)E5", "switch", "3.5", "dmz", "medium", "OT Security"),
    # Level 3 - site operations
    _a("10.30.1.10", "DC-OT01", "Dell", "PowerEdge R450", WIN22, "domain_controller", "3", "operations", "high", "OT Security", "windows"),
    _a("10.30.1.20", "HIST01", "Dell", "PowerEdge R650", WIN19, "historian", "3", "operations", "high", "Production IT", "windows"),
    _a("10.30.1.21", "hist-col01", "VMware", "Virtual Machine", "Debian 11.11", "historian", "3", "operations", "medium", "Production IT", "linux3164"),
    _a("10.30.1.30", "SCADA01", "Siemens IPC", "SIMATIC IPC847E", WIN19, "scada_server", "3", "operations", "high", "Automation", "windows"),
    _a("10.30.1.40", "BATCH01", "HP", "ProLiant DL360 Gen10", WIN19, "batch_server", "3", "operations", "high", "Automation", "windows"),
    _a("10.30.1.50", "ENG-WS01", "Dell", "Precision 3660", W10, "engineering_workstation", "3", "operations", "high", "Automation", "windows"),
    _a("10.30.1.51", "ENG-WS02", "Dell", "Precision 3660", W10, "engineering_workstation", "3", "operations", "high", "Automation", "windows"),
    _a("10.30.1.60", "opc01", "Siemens IPC", "SIMATIC IPC427E", "Debian 12.7", "opc_gateway", "3", "operations", "high", "Automation", "linux3164"),
    _a("10.30.1.70", "nsm01", "Dell", "PowerEdge R450", "Ubuntu 22.04.5 LTS", "network_sensor", "3", "operations", "medium", "OT Security", "linux5424"),
    _a("10.30.1.53", "dns-ot01", "VMware", "Virtual Machine", "Debian 12.7", "dns_server", "3", "operations", "medium", "OT Security"),
    _a("10.30.0.1", "fw-cell", "Cisco", "ASA 5508-X", "ASA 9.16(4)", "firewall", "3", "operations", "high", "OT Security"),
    _a("10.30.0.2", "sw-ops", "Hirschmann", "DRAGON MACH4000", "HiOS 09.0.06", "switch", "3", "operations", "medium", "OT Security"),
    # Level 2 - area supervisory control
    _a("10.20.1.31", "HMI01", "Siemens IPC", "SIMATIC IPC677E", W10, "hmi", "2", "cell-a", "high", "Automation", "windows"),
    _a("10.20.1.32", "HMI02", "Siemens IPC", "SIMATIC IPC677E", W10, "hmi", "2", "cell-a", "high", "Automation", "windows"),
    _a("10.20.2.31", "HMI03", "Rockwell Automation", "VersaView 6300P", W10, "hmi", "2", "cell-b", "high", "Automation", "windows"),
    _a("10.20.2.32", "HMI04", "Rockwell Automation", "VersaView 6300P", W10, "hmi", "2", "cell-b", "high", "Automation", "windows"),
    _a("10.20.3.31", "W\u00c4RME-HMI05", "Schneider Electric", "Magelis iPC", "Windows XP Embedded SP3", "hmi", "2", "cell-c", "high", "Utilities", "legacy_hmi"),
    _a("10.20.1.2", "sw-cell-a", "Hirschmann", "RSP35", "HiOS 08.7.04", "switch", "2", "cell-a", "medium", "Automation"),
    _a("10.20.2.2", "sw-cell-b", "Hirschmann", "RSP35", "HiOS 08.7.04", "switch", "2", "cell-b", "medium", "Automation"),
    _a("10.20.3.2", "sw-cell-c", "Cisco", "IE-3300-8T2S", "IOS-XE 17.9.4", "switch", "2", "cell-c", "medium", "Utilities"),
    # Level 1 - basic control
    _a("10.20.1.11", "PLC-A1", "Siemens", "S7-1516-3 PN/DP", "V2.9.7", "plc", "1", "cell-a", "high", "Automation"),
    _a("10.20.1.12", "PLC-A2", "Siemens", "S7-1516-3 PN/DP", "V2.9.7", "plc", "1", "cell-a", "high", "Automation"),
    _a("10.20.1.13", "PLC-A3", "Siemens", "S7-1515-2 PN", "V2.9.4", "plc", "1", "cell-a", "high", "Automation"),
    _a("10.20.1.14", "PLC-A4", "Siemens", "S7-315-2 PN/DP", "V3.2.17", "plc", "1", "cell-a", "high", "Automation"),
    _a("10.20.2.11", "PLC-B1", "Rockwell Automation", "1756-L83E ControlLogix", "33.011", "plc", "1", "cell-b", "high", "Automation"),
    _a("10.20.2.12", "PLC-B2", "Rockwell Automation", "1756-L83E ControlLogix", "33.011", "plc", "1", "cell-b", "high", "Automation"),
    _a("10.20.2.13", "PLC-B3", "Rockwell Automation", "5069-L320ER CompactLogix", "32.012", "plc", "1", "cell-b", "high", "Automation"),
    _a("10.20.3.11", "PLC-C1", "Schneider Electric", "Modicon M580 BMEP582040", "SV3.20", "plc", "1", "cell-c", "high", "Utilities"),
    _a("10.20.3.12", "PLC-C2", "Schneider Electric", "Modicon M580 BMEP582040", "SV3.20", "plc", "1", "cell-c", "high", "Utilities"),
    _a("10.20.3.13", "PLC-C3", "Schneider Electric", "Modicon M340 BMXP342020", "SV3.30", "plc", "1", "cell-c", "high", "Utilities"),
    _a("10.20.3.21", "RTU01", "Hitachi Energy", "RTU560 560CMU05", "13.5.1", "rtu", "1", "cell-c", "high", "Utilities"),
    _a("10.20.3.22", "RTU02", "Hitachi Energy", "RTU560 560CMU05", "13.5.1", "rtu", "1", "cell-c", "high", "Utilities"),
    _a("10.20.3.40", "mgate01", "Moxa", "MGate MB3170", "4.3", "protocol_gateway", "1", "cell-c", "medium", "Utilities"),
    _a("10.20.9.10", "SIS01", "Schneider Electric", "Triconex Tricon CX 3009X", "11.6.1", "safety_controller", "1", "safety", "critical", "Process Safety"),
    # Level 0 - process
    _a("10.20.1.101", "ET200-A1", "Siemens", "ET 200SP IM155-6PN HF", "V4.2.3", "remote_io", "0", "cell-a", "medium", "Automation"),
    _a("10.20.1.102", "DRIVE-A1", "Siemens", "SINAMICS G120 CU250S-2 PN", "V4.7.14", "drive", "0", "cell-a", "medium", "Automation"),
    _a("10.20.2.101", "FLEX-B1", "Rockwell Automation", "1794-AENTR FLEX I/O", "5.001", "remote_io", "0", "cell-b", "medium", "Automation"),
    _a("10.20.3.101", "WAGO-C1", "WAGO", "750-362 Fieldbus Coupler", "FW 04", "remote_io", "0", "cell-c", "medium", "Utilities"),
    _a("10.20.3.102", "PN-C1", "Phoenix Contact", "AXC F 2152", "2024.0.4", "remote_io", "0", "cell-c", "medium", "Utilities"),
    _a("10.20.9.101", "SIS-IO1", "Schneider Electric", "Tricon 3700A AI", "11.6.1", "safety_io", "0", "safety", "critical", "Process Safety"),
)


@dataclass(frozen=True)
class Zone:
    name: str
    level: str
    cidr: str
    description: str


ZONES: tuple[Zone, ...] = (
    Zone("enterprise", "5", "10.10.0.0/20", "corporate IT: directory, file and patch servers, office clients"),
    Zone("site-business", "4", "10.10.4.0/24", "MES, quality (LIMS) and site business systems"),
    Zone("dmz", "3.5", "10.40.2.0/24", "industrial DMZ: jump host, historian replica, patch relay"),
    Zone("operations", "3", "10.30.0.0/16", "site operations: historian, SCADA, batch, engineering, OT directory"),
    Zone("cell-a", "1-2", "10.20.1.0/24", "packaging line A: Siemens S7-1500 PLCs and HMIs"),
    Zone("cell-b", "1-2", "10.20.2.0/24", "filling line B: Rockwell ControlLogix PLCs and HMIs"),
    Zone("cell-c", "1-2", "10.20.3.0/24", "utilities: Schneider Modicon PLCs, substation RTUs (DNP3), legacy HMI"),
    Zone("safety", "1", "10.20.9.0/24", "safety instrumented system (SIS), isolated"),
)


@dataclass(frozen=True)
class Conduit:
    source: str
    destination: str
    protocol: str
    port: int
    transport: str = "tcp"


CONDUITS: tuple[Conduit, ...] = (
    Conduit("enterprise", "dmz", "https", 443),
    Conduit("enterprise", "dmz", "ssh", 22),
    Conduit("site-business", "dmz", "https", 443),
    Conduit("site-business", "dmz", "mssql", 1433),
    Conduit("dmz", "operations", "rdp", 3389),
    Conduit("dmz", "operations", "https", 443),
    Conduit("dmz", "operations", "opc-ua", 4840),
    Conduit("operations", "dmz", "pi-replication", 5450),
    Conduit("operations", "dmz", "syslog", 514, "udp"),
    Conduit("operations", "cell-a", "s7comm", 102),
    Conduit("operations", "cell-b", "enip", 44818),
    Conduit("operations", "cell-c", "modbus", 502),
    Conduit("operations", "cell-c", "dnp3", 20000),
    Conduit("cell-a", "operations", "opc-ua", 4840),
    Conduit("cell-b", "operations", "opc-ua", 4840),
    Conduit("cell-c", "operations", "syslog", 514, "udp"),
)

#: shifts in the plant's local time; weekend = Saturday and Sunday (a skeleton crew)
SHIFTS = (("early", "06:00", "14:00"), ("late", "14:00", "22:00"), ("night", "22:00", "06:00"))
#: maintenance windows, local time: engineering sessions to PLCs happen inside them
MAINTENANCE_WINDOWS = (
    ("weekly-plc-maintenance", "Wednesday", "10:00", "14:00", ["cell-a", "cell-b", "cell-c"]),
    ("patch-tuesday-it", "Tuesday", "19:00", "23:00", ["enterprise", "site-business"]),
    ("patch-ot-servers", "Saturday", "08:00", "16:00", ["dmz", "operations"]),
)


class Plant:
    """The inventory and its lookups, as the activity models use them."""

    def __init__(self) -> None:
        self.assets = ASSETS
        self.by_host = {a.hostname: a for a in ASSETS}

    def role(self, *roles: str) -> list[Asset]:
        return [a for a in self.assets if a.role in roles]

    def logging(self, kind: str) -> list[Asset]:
        return [a for a in self.assets if a.logs == kind]

    def host(self, name: str) -> Asset:
        return self.by_host[name]

    def ips(self, *roles: str) -> list[str]:
        return [a.ip for a in self.role(*roles)]


def assets_csv() -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ASSET_COLUMNS)
    for a in ASSETS:
        w.writerow(a.row())
    return buf.getvalue()


def zones_yaml() -> str:
    doc = {
        "time_zone": TIME_ZONE,
        "zones": [{"name": z.name, "purdue_level": z.level, "cidr": z.cidr, "description": z.description}
                  for z in ZONES],
        "conduits": [{"from": c.source, "to": c.destination, "protocol": c.protocol, "port": c.port,
                      "transport": c.transport} for c in CONDUITS],
        "shifts": [{"name": n, "start": s, "end": e, "days": "Monday-Friday"} for n, s, e in SHIFTS]
        + [{"name": "weekend", "start": "00:00", "end": "24:00", "days": "Saturday-Sunday"}],
        "maintenance_windows": [{"name": n, "day": d, "start": s, "end": e, "zones": z}
                                for n, d, s, e, z in MAINTENANCE_WINDOWS],
    }
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def write_plant(out: Path) -> None:
    d = out / "plant"
    d.mkdir(parents=True, exist_ok=True)
    (d / "assets.csv").write_text(assets_csv(), encoding="utf-8")
    (d / "zones.yaml").write_text(zones_yaml(), encoding="utf-8")
