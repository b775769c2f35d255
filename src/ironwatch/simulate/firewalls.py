"""The firewalls between the zones, each in its vendor's syslog format.

Traffic follows the conduits of ``plant/zones.yaml``: what a conduit allows is logged as
allowed, and a small share of each firewall's log is stray traffic it denies (office
clients reaching for OT, a historian replica probing PLCs, scans from the internet).

================  =====================  ========================  ====================
firewall          between                format                    file
================  =====================  ========================  ====================
fw-edge           internet / enterprise  FortiGate key=value       fw-edge.fortigate.log
fw-it-ot          IT / industrial DMZ    CEF (FortiGate)           fw-it-ot.cef.log
fw-dmz-ot         DMZ / operations       PAN-OS CSV                fw-dmz-ot.panos.log
fw-cell           operations / cells     Cisco ASA                 fw-cell.asa.log
================  =====================  ========================  ====================
"""

# ruff: noqa: UP031 - lines are filled from precomputed %-templates, the fastest formatting per event
from __future__ import annotations

import numpy as np

from .clock import I64, PlantClock
from .plant import Plant
from .source import Source, ints, kinds, pick

# (source ips, destination ips, port, application, from zone, to zone, rule)
Rule = tuple[list[str], list[str], int, str, str, str, str]


class FirewallSource(Source):
    carrier = "syslog"
    deny_share = 0.06

    def __init__(self, clock: PlantClock, host: str, fmt: str, share: float, allow: list[Rule],
                 deny: list[Rule]) -> None:
        super().__init__(clock)
        self.host = host
        self.fmt = fmt
        self.path = f"firewall/{host}.{fmt}.log"
        self.share = share
        self.profile = "mixed"
        self.allow = allow
        self.deny = deny
        self.session = 100_000 + sum(host.encode()) * 1000

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        denied = (rng.random(n) < self.deny_share).tolist()
        rules_a = pick(rng, self.allow, n)
        rules_d = pick(rng, self.deny, n)
        src_i = rng.integers(0, 1 << 30, n).tolist()
        dst_i = rng.integers(0, 1 << 30, n).tolist()
        rows = []
        for i in range(n):
            rule: Rule = rules_d[i] if denied[i] else rules_a[i]  # type: ignore[assignment]
            rows.append((rule[0][src_i[i] % len(rule[0])], rule[1][dst_i[i] % len(rule[1])], rule[2], rule[3],
                         rule[4], rule[5], rule[6], "deny" if denied[i] else "accept"))
        sp = ints(rng, 49152, 65535, n)
        by = ints(rng, 60, 40000, n)
        sess = list(range(self.session, self.session + n))
        self.session += n
        lines: list[str] = getattr(self, "_" + self.fmt)(t, rows, sp, by, sess)
        return lines

    def _cef(self, t: I64, rows: list[tuple[str, str, int, str, str, str, str, str]], sp: list[int],
             by: list[int], sess: list[int]) -> list[str]:
        d, hms = self.clock.local_parts(t, "bsd")
        ms = (t // 1000).tolist()
        tpl = ("<%d>%s %s fw-it-ot CEF:0|Fortinet|FortiGate|7.2.8|%s|traffic:forward %s|%d|rt=%d src=%s spt=%d "
               "dst=%s dpt=%d proto=6 act=%s app=%s dvchost=fw-it-ot externalId=%d out=%d "
               "cs1Label=Policy cs1=%s cs2Label=SourceZone cs2=%s cs3Label=DestinationZone cs3=%s\n")
        return [tpl % (189 if r[7] == "accept" else 188, d[i], hms[i], "0000000013" if r[7] == "accept" else "0000000011",
                       "close" if r[7] == "accept" else "deny", 3 if r[7] == "accept" else 5, ms[i], r[0], sp[i], r[1],
                       r[2], r[7], r[3], sess[i], by[i] if r[7] == "accept" else 0, r[6], r[4], r[5])
                for i, r in enumerate(rows)]

    def _fortigate(self, t: I64, rows: list[tuple[str, str, int, str, str, str, str, str]], sp: list[int],
                   by: list[int], sess: list[int]) -> list[str]:
        d, hms = self.clock.local_parts(t, "iso")
        bd, _ = self.clock.local_parts(t, "bsd")
        tz = self.clock.offsets_text(t, colon=False)
        tpl = ('<189>%s %s fw-edge date=%s time=%s devname="fw-edge" devid="FG200FTK22004817" tz="%s" '
               'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" srcip=%s srcport=%d '
               'srcintf="%s" dstip=%s dstport=%d dstintf="%s" sessionid=%d proto=6 action="%s" policyid=%d '
               'policyname="%s" service="%s" duration=%d sentbyte=%d rcvdbyte=%d\n')
        return [tpl % (bd[i], hms[i], d[i], hms[i], tz[i], r[0], sp[i], r[4], r[1], r[2], r[5], sess[i],
                       "close" if r[7] == "accept" else "deny", 3 if r[7] == "accept" else 0, r[6], r[3].upper(),
                       by[i] % 300 if r[7] == "accept" else 0, by[i] if r[7] == "accept" else 0,
                       by[i] * 3 if r[7] == "accept" else 0) for i, r in enumerate(rows)]

    def _panos(self, t: I64, rows: list[tuple[str, str, int, str, str, str, str, str]], sp: list[int],
               by: list[int], sess: list[int]) -> list[str]:
        bd, hms = self.clock.local_parts(t, "bsd")
        sd, _ = self.clock.local_parts(t, "slash")
        tpl = ("<14>%s %s fw-dmz-ot 1,%s %s,013201004711,TRAFFIC,%s,2562,%s %s,%s,%s,0.0.0.0,0.0.0.0,%s,,,%s,vsys1,"
               "%s,%s,ethernet1/3,ethernet1/4,Forward-to-SIEM,%s %s,%d,1,%d,%d,0,0,0x1c,tcp,%s,%d,%d,%d,%d,%s %s,%d,"
               "%s,,%d,0x0,10.0.0.0-10.255.255.255,10.0.0.0-10.255.255.255,,%d,%d,%s\n")
        out = []
        for i, r in enumerate(rows):
            ok = r[7] == "accept"
            b = by[i] if ok else 74
            pk = b // 120 + 1
            out.append(tpl % (bd[i], hms[i], sd[i], hms[i], "end" if ok else "drop", sd[i], hms[i], r[0], r[1], r[6],
                              r[3], r[4], r[5], sd[i], hms[i], sess[i], sp[i], r[2], "allow" if ok else "deny",
                              b, b // 3, b - b // 3, pk, sd[i], hms[i], by[i] % 120 if ok else 0,
                              "industrial-control" if ok else "any", 7301000000 + sess[i], pk // 2 + 1, pk // 2,
                              "tcp-fin" if ok else "policy-deny"))
        return out

    def _asa(self, t: I64, rows: list[tuple[str, str, int, str, str, str, str, str]], sp: list[int],
             by: list[int], sess: list[int]) -> list[str]:
        d, hms = self.clock.local_parts(t, "asa")
        out = []
        for i, r in enumerate(rows):
            if r[7] != "accept":
                out.append('<164>%s %s fw-cell : %%ASA-4-106023: Deny tcp src %s:%s/%d dst %s:%s/%d by access-group '
                           '"%s" [0x8ed66b60, 0x0]\n' % (d[i], hms[i], r[4], r[0], sp[i], r[5], r[1], r[2], r[6]))
            elif sess[i] % 2:
                out.append("<166>%s %s fw-cell : %%ASA-6-302013: Built inbound TCP connection %d for %s:%s/%d (%s/%d) "
                           "to %s:%s/%d (%s/%d)\n" % (d[i], hms[i], sess[i], r[4], r[0], sp[i], r[0], sp[i], r[5], r[1],
                                                     r[2], r[1], r[2]))
            else:
                out.append("<166>%s %s fw-cell : %%ASA-6-302014: Teardown TCP connection %d for %s:%s/%d to %s:%s/%d "
                           "duration 0:00:%02d bytes %d TCP FINs\n" % (d[i], hms[i], sess[i] - 1, r[4], r[0], sp[i],
                                                                      r[5], r[1], r[2], by[i] % 60, by[i]))
        return out


def firewall_sources(clock: PlantClock, plant: Plant, shares: dict[str, float]) -> list[FirewallSource]:
    ips = plant.ips
    office = ips("office_workstation")
    internet = ["203.0.113.%d" % i for i in (10, 25, 77, 140)] + ["198.51.100.%d" % i for i in (3, 9, 200)]
    hist, hist_dmz = ips("historian")[1:], [plant.host("HIST-DMZ01").ip]
    jump, relay = [plant.host("jump01").ip], [plant.host("relay01").ip]
    eng = ips("engineering_workstation")
    plc_s7 = [a.ip for a in plant.role("plc") if a.vendor == "Siemens"]
    plc_ab = [a.ip for a in plant.role("plc") if a.vendor == "Rockwell Automation"]
    plc_mb = [a.ip for a in plant.role("plc") if a.vendor == "Schneider Electric"]
    ops = ips("historian", "scada_server", "engineering_workstation", "batch_server")
    hist01, scada = [plant.host("HIST01").ip], [plant.host("SCADA01").ip]
    edge = FirewallSource(clock, "fw-edge", "fortigate", shares["fw-edge"], [
        (office, internet, 443, "https", "internal", "wan1", "Office-to-Internet"),
        (ips("patch_server"), internet, 443, "https", "internal", "wan1", "WSUS-to-Microsoft"),
        (office, internet, 80, "http", "internal", "wan1", "Office-to-Internet")], [
        (internet, [plant.host("fw-edge").ip], 3389, "rdp", "wan1", "internal", "Implicit-Deny"),
        (internet, [plant.host("fw-edge").ip], 23, "telnet", "wan1", "internal", "Implicit-Deny")])
    it_ot = FirewallSource(clock, "fw-it-ot", "cef", shares["fw-it-ot"], [
        (office + ips("domain_controller"), hist_dmz, 443, "HTTPS", "enterprise", "dmz", "IT_to_DMZ_Historian"),
        (ips("office_workstation")[:2], jump, 22, "SSH", "enterprise", "dmz", "IT_Admin_to_Jump"),
        (ips("mes_server", "quality_server"), hist_dmz, 1433, "MS-SQL", "site-business", "dmz", "MES_to_Historian_SQL")], [
        (office, ips("historian")[1:2], 3389, "RDP", "enterprise", "operations", "Deny_IT_to_OT"),
        (office, plc_mb, 502, "Modbus", "enterprise", "cell-c", "Deny_IT_to_OT")])
    dmz_ot = FirewallSource(clock, "fw-dmz-ot", "panos", shares["fw-dmz-ot"], [
        (jump, eng, 3389, "ms-rdp", "dmz", "operations", "Jump-to-EngWS-RDP"),
        (hist01, hist_dmz, 5450, "pi-replication", "operations", "dmz", "Historian-Replication"),
        (relay, ops, 443, "ssl", "dmz", "operations", "Patch-Relay"),
        (jump, hist01, 443, "ssl", "dmz", "operations", "Jump-to-Historian-Web")], [
        (hist_dmz, plc_mb, 502, "modbus", "dmz", "operations", "Block-DMZ-to-Control"),
        (relay, eng, 445, "ms-ds-smb", "dmz", "operations", "Block-DMZ-to-Control")])
    cell = FirewallSource(clock, "fw-cell", "asa", shares["fw-cell"], [
        (hist01 + scada, plc_s7, 102, "s7comm", "operations", "cell-a", "OPS_TO_CELL"),
        (hist01 + scada, plc_ab, 44818, "enip", "operations", "cell-b", "OPS_TO_CELL"),
        (hist01 + scada, plc_mb, 502, "modbus", "operations", "cell-c", "OPS_TO_CELL"),
        (scada, ips("rtu"), 20000, "dnp3", "operations", "cell-c", "OPS_TO_CELL")], [
        (eng, [plant.host("SIS01").ip], 1502, "tristation", "operations", "safety", "SAFETY_IN"),
        (hist, plc_s7, 80, "http", "operations", "cell-a", "OPS_TO_CELL")])
    cell.deny_share = 0.01
    return [edge, it_ot, dmz_ot, cell]


__all__ = ["FirewallSource", "firewall_sources", "kinds"]
