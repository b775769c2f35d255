"""Every source of the plant, with its share of the total rate and its activity profile.

The shares are the plant's realistic relative rates: the OT network sensor sees most
events (polling never sleeps), firewalls and domain controllers follow, and hosts where
people work log less and follow the shifts. ``SHARES`` is what docs/simulator.md tabulates
(the distribution tests read the table there and hold the output to it).
"""

from __future__ import annotations

from .clock import PlantClock
from .firewalls import firewall_sources
from .hosts import LegacyHmiSource, LinuxSource, SwitchSource
from .network import (
    Flows,
    SuricataSource,
    ZeekSource,
    cip_rows,
    conn_rows,
    dnp3_rows,
    dns_rows,
    modbus_detailed_rows,
    modbus_rows,
    s7comm_rows,
    upload_download_rows,
)
from .plant import Plant
from .source import Source
from .windows import WindowsSource
from .winevents import parts_for, system_kinds

#: relative weights per source path (normalised to shares of --rate), and profiles
WEIGHTS: dict[str, tuple[float, str]] = {
    "zeek/conn.log": (20, "flat"), "zeek/modbus.log": (6, "flat"), "zeek/modbus_detailed.log": (6, "flat"),
    "zeek/s7comm.log": (8, "flat"), "zeek/cip.log": (7, "flat"), "zeek/dnp3.log": (3, "flat"),
    "zeek/dns.log": (4, "mixed"), "suricata/eve.json": (8, "mixed"),
    "firewall/fw-cell.asa.log": (6, "mixed"), "firewall/fw-dmz-ot.panos.log": (3, "mixed"),
    "firewall/fw-it-ot.cef.log": (4, "office"), "firewall/fw-edge.fortigate.log": (5, "office"),
    "windows/DC01.security.xml": (5, "office"), "windows/DC02.security.jsonl": (4, "office"),
    "windows/DC01.system.jsonl": (0.2, "flat"),
    "windows/DC-OT01.security.jsonl": (2, "shift"), "windows/FS01.security.jsonl": (1, "office"),
    "windows/MES01.security.jsonl": (1, "mixed"), "windows/QUAL01.security.jsonl": (0.5, "office"),
    "windows/HIST01.security.jsonl": (1, "flat"), "windows/HIST01.sysmon.jsonl": (2, "flat"),
    "windows/HIST01.system.jsonl": (0.3, "flat"), "windows/SCADA01.sysmon.jsonl": (1.5, "flat"),
    "windows/BATCH01.security.jsonl": (0.5, "mixed"), "windows/HIST-DMZ01.security.jsonl": (0.5, "flat"),
    "windows/ENG-WS01.security.xml": (0.5, "shift"), "windows/ENG-WS01.sysmon.xml": (1, "shift"),
    "windows/ENG-WS02.security.jsonl": (0.5, "shift"),
    "windows/HMI01.security.jsonl": (0.6, "shift"), "windows/HMI02.security.jsonl": (0.6, "shift"),
    "windows/HMI03.security.jsonl": (0.6, "shift"), "windows/HMI04.security.jsonl": (0.6, "shift"),
    "linux/jump01.syslog": (0.6, "mixed"), "linux/mes-app01.syslog": (0.6, "mixed"),
    "linux/nsm01.syslog": (0.3, "mixed"), "linux/relay01.syslog": (0.4, "mixed"),
    "linux/hist-col01.syslog": (0.5, "mixed"), "linux/opc01.syslog": (0.5, "mixed"),
    "network/switches.syslog": (0.5, "flat"), "hmi/waerme-hmi05.syslog": (0.4, "shift"),
    "zeek/s7comm_upload_download.log": (0.05, "maintenance"),
}
_TOTAL = sum(w for w, _ in WEIGHTS.values())
SHARES = {path: w / _TOTAL for path, (w, _) in WEIGHTS.items()}
PROFILE_OF = {path: p for path, (_, p) in WEIGHTS.items()}

_LINUX_APPS = {
    "jump01": ("guacd", "User \"eng.kwagner\" joined connection to ENG-WS01 (rdp)", "Connection closed normally"),
    "mes-app01": ("mes-server", "order %(p)d released to line B", "batch report exported for order %(p)d"),
    "nsm01": ("zeek", "worker-1 processed 1043977 packets, 0 dropped", "log rotation of conn.log done"),
    "relay01": ("apt-cacher-ng", "served 14 packages to 10.30.1.20", "cache expiration done, 3 files removed"),
    "hist-col01": ("historian-collector", "poll cycle of 412 tags done in 184 ms", "buffered 0 values"),
    "opc01": ("opcua-bridge", "session activated for svc-opc from 10.30.1.20", "subscription 12 published 96 values"),
}


def build_sources(clock: PlantClock, plant: Plant, json_mode: bool = False) -> list[Source]:
    flows = Flows(plant)
    out: list[Source] = []
    zeek = {"conn": conn_rows, "modbus": modbus_rows, "modbus_detailed": modbus_detailed_rows, "s7comm": s7comm_rows,
            "cip": cip_rows, "dnp3": dnp3_rows, "dns": dns_rows}
    for log, fn in zeek.items():
        path = f"zeek/{log}.log"
        out.append(ZeekSource(clock, log, SHARES[path], PROFILE_OF[path], fn(flows)))
    path = "zeek/s7comm_upload_download.log"
    out.append(ZeekSource(clock, "s7comm_upload_download", SHARES[path], PROFILE_OF[path],
                          upload_download_rows(flows)))
    out.append(SuricataSource(clock, flows, SHARES["suricata/eve.json"]))
    out.extend(firewall_sources(clock, plant, {fw: SHARES[p] for p in SHARES if p.startswith("firewall/")
                                               for fw in [p.split("/")[1].split(".")[0]]}))
    for path, share in SHARES.items():
        if not path.startswith("windows/"):
            continue
        host, channel, ext = path.split("/")[1].rsplit(".", 2)
        asset = plant.host(host)
        out.append(WindowsSource(clock, plant, asset, channel, ext == "xml", share, PROFILE_OF[path],
                                 parts_for(asset, channel), system_kinds if channel == "system" else None))
    for a in plant.assets:
        if a.logs in ("linux5424", "linux3164"):
            out.append(LinuxSource(clock, a.hostname, a.logs[-4:], SHARES[f"linux/{a.hostname}.syslog"],
                                   _LINUX_APPS[a.hostname]))
    out.append(SwitchSource(clock, [a.hostname for a in plant.role("switch")], SHARES["network/switches.syslog"]))
    legacy = plant.logging("legacy_hmi")[0]
    out.append(LegacyHmiSource(clock, legacy.hostname, SHARES["hmi/waerme-hmi05.syslog"]))
    for s in out:
        s.json_mode = json_mode
        s.profile = PROFILE_OF[s.path]
    assert {s.path for s in out} == set(SHARES), "every source has a share and every share a source"
    return sorted(out, key=lambda s: s.path)
