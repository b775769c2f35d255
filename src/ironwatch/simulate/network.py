"""The OT network sensor (nsm01): Zeek logs, including the CISA ICSNPP ones, and Suricata EVE.

What the sensor sees is the plant's machine traffic: the historian polling PLCs over Modbus,
S7comm and CIP, SCADA polling the substation RTUs over DNP3, HMIs reading and writing
their PLCs, DNS, and the flows crossing the conduits. Zeek logs are TSV files with their
header; for the ingest API the same records are JSON objects with ``_path``.
"""

# ruff: noqa: UP031 - lines are filled from precomputed %-templates, the fastest formatting per event
from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np

from .clock import I64, PlantClock
from .plant import Plant
from .source import Source, ints, kinds, pick, picks

Columns = list[list[str]]
RowFn = Callable[[np.random.Generator, int], Columns]

# (fields, types) of each log, as Zeek and the ICSNPP plugins write them
LOGS: dict[str, tuple[str, str]] = {
    "conn": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes "
             "conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes "
             "tunnel_parents"),
             ("time string addr port addr port enum string interval count count string bool bool count string count "
             "count count count set[string]")),
    "dns": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype "
            "qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"),
            ("time string addr port addr port enum count interval string count string count string count string "
            "bool bool bool bool count vector[string] vector[interval] bool")),
    "modbus": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p func exception"),
               ("time string addr port addr port string string")),
    "modbus_detailed": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p tid unit func address quantity "
                        "request_values response_values modbus_detailed_link_id matched request_subfunction_code "
                        "response_subfunction_code request_data response_data exception_code mei_type"),
                        ("time string addr port addr port count count string count count vector[count] vector[count] "
                        "string bool string string string string string string")),
    "s7comm": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p is_orig source_h source_p destination_h destination_p "
               "rosctr_code rosctr_name pdu_reference function_code function_name subfunction_code subfunction_name "
               "error_class error_code"),
               ("time string addr port addr port bool addr port addr port count string count string string string "
               "string string string")),
    "cip": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p is_orig source_h source_p destination_h destination_p "
            "cip_sequence_count direction cip_service_code cip_service cip_status_code cip_status "
            "cip_extended_status_code cip_extended_status class_id class_name instance_id attribute_id"),
            ("time string addr port addr port bool addr port addr port count string string string string string "
            "string string string string string string")),
    "s7comm_upload_download": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p is_orig source_h source_p "
                               "destination_h destination_p rosctr pdu_reference function_name function_status "
                               "session_id blocklength filename block_type block_number destination_filesystem"),
                               ("time string addr port addr port bool addr port addr port string count string string "
                               "count count string string string string")),
    "dnp3": (("ts uid id.orig_h id.orig_p id.resp_h id.resp_p fc_request fc_reply iin"),
             ("time string addr port addr port string string count")),
}
_UID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def uids(rng: np.random.Generator, n: int) -> list[str]:
    """Zeek-like connection uids (``C`` + 17 characters)."""
    a = rng.integers(0, len(_UID), (n, 17))
    table = np.frombuffer(_UID.encode(), dtype=np.uint8)
    return ["C" + s for s in table[a].view(f"S{17}").ravel().astype(str).tolist()]


def ports(rng: np.random.Generator, n: int) -> list[str]:
    return [str(x) for x in ints(rng, 49152, 65535, n)]


class ZeekSource(Source):
    carrier = "json"
    header_lines = 8

    def __init__(self, clock: PlantClock, path: str, share: float, profile: str, rows: RowFn) -> None:
        super().__init__(clock)
        self.log = path
        self.path = f"zeek/{path}.log"
        self.host = "nsm01"
        self.share = share
        self.profile = profile
        self.rows = rows
        fields, types = LOGS[path]
        self.fields = fields.split()
        self.types = types.split()

    def header(self, t0: int) -> str:
        if self.json_mode:
            return ""
        opened = self.clock.iso_utc(np.array([t0], dtype=np.int64))[0][:19].replace("T", "-").replace(":", "-")
        return ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
                f"#path\t{self.log}\n#open\t{opened}\n#fields\t" + "\t".join(self.fields) + "\n#types\t"
                + "\t".join(self.types) + "\n")

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        cols = [self.clock.epoch(t), uids(rng, len(t)), *self.rows(rng, len(t))]
        if not self.json_mode:
            return ["\t".join(r) + "\n" for r in zip(*cols)]
        return [self._json(r) for r in zip(*cols)]

    def _json(self, row: tuple[str, ...]) -> str:
        parts = [f'"_path":"{self.log}"']
        for name, ztype, v in zip(self.fields, self.types, row):
            if v == "-":
                continue
            if ztype in ("count", "port", "interval", "double", "time", "int"):
                parts.append(f'"{name}":{v}')
            elif ztype == "bool":
                parts.append(f'"{name}":{"true" if v == "T" else "false"}')
            elif ztype.startswith(("set", "vector")):
                items = [] if v == "(empty)" else v.split(",")
                quoted = ",".join(x if ztype.endswith(("[count]", "[interval]]")) else f'"{x}"' for x in items)
                parts.append(f'"{name}":[{quoted}]')
            else:
                parts.append(f'"{name}":"{v}"')
        return "{" + ",".join(parts) + "}\n"


class Flows:
    """Who talks to whom on the OT network (client, server, port, service)."""

    def __init__(self, plant: Plant) -> None:
        hist = plant.host("HIST01").ip
        scada = plant.host("SCADA01").ip
        s7 = [a.ip for a in plant.role("plc") if a.vendor == "Siemens"]
        ab = [a.ip for a in plant.role("plc") if a.vendor == "Rockwell Automation"]
        mb = [a.ip for a in plant.role("plc") if a.vendor == "Schneider Electric"] + [plant.host("mgate01").ip]
        rtus = plant.ips("rtu")
        hmis = {a.zone: a.ip for a in plant.role("hmi")}
        self.modbus = [(hist, ip) for ip in mb] + [(scada, ip) for ip in mb] + [(hmis["cell-c"], ip) for ip in mb]
        self.s7 = [(hist, ip) for ip in s7] + [(plant.host("HMI01").ip, ip) for ip in s7[:2]] \
            + [(plant.host("HMI02").ip, ip) for ip in s7[2:]]
        self.cip = [(hist, ip) for ip in ab] + [(plant.host("HMI03").ip, ip) for ip in ab[:2]] \
            + [(plant.host("HMI04").ip, ip) for ip in ab[2:]]
        self.dnp3 = [(scada, ip) for ip in rtus]
        dns = plant.host("dns-ot01").ip
        clients = plant.ips("hmi", "historian", "scada_server", "engineering_workstation", "batch_server")
        self.dns_clients = clients
        self.engineering = plant.ips("engineering_workstation")
        self.dns_server = dns
        it = [(c, dns, 53, "dns", "udp") for c in clients]
        self.conn = ([(c, s, 502, "modbus", "tcp") for c, s in self.modbus] * 3
                     + [(c, s, 102, "s7comm", "tcp") for c, s in self.s7] * 3
                     + [(c, s, 44818, "enip", "tcp") for c, s in self.cip] * 3
                     + [(c, s, 20000, "dnp3", "tcp") for c, s in self.dnp3] * 2 + it
                     + [(plant.host("jump01").ip, e, 3389, "-", "tcp") for e in plant.ips("engineering_workstation")]
                     + [(c, plant.host("HIST01").ip, 4840, "-", "tcp") for c in plant.ips("hmi")]
                     + [(c, plant.host("DC-OT01").ip, 88, "krb_tcp", "tcp") for c in clients]
                     + [(c, plant.host("DC-OT01").ip, 123, "ntp", "udp") for c in clients])
        self.names = [f"{a.hostname.lower()}.plant.local" for a in plant.assets if a.logs != "none"]
        self.name_ip = {f"{a.hostname.lower()}.plant.local": a.ip for a in plant.assets}


def _pairs(rng: np.random.Generator, pairs: list[tuple[str, str]], n: int) -> tuple[list[str], list[str]]:
    chosen = pick(rng, pairs, n)
    return [str(c[0]) for c in chosen], [str(c[1]) for c in chosen]  # type: ignore[index]


def conn_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        chosen = pick(rng, flows.conn, n)
        o = [c[0] for c in chosen]  # type: ignore[index]
        r = [c[1] for c in chosen]  # type: ignore[index]
        p = [str(c[2]) for c in chosen]  # type: ignore[index]
        svc = [c[3] for c in chosen]  # type: ignore[index]
        proto = [c[4] for c in chosen]  # type: ignore[index]
        ob = rng.integers(12, 4000, n)
        rb = rng.integers(12, 9000, n)
        op = ob // 60 + 2
        rp = rb // 80 + 2
        dur = ["%.6f" % x for x in rng.exponential(0.4, n).tolist()]
        udp = [x == "udp" for x in proto]
        state = ["SF"] * n
        hist = ["Dd" if u else "ShADadFf" for u in udp]
        return [o, ports(rng, n), r, p, proto, svc, dur, [str(x) for x in ob.tolist()], [str(x) for x in rb.tolist()],
                state, ["T"] * n, ["T"] * n, ["0"] * n, hist, [str(x) for x in op.tolist()],
                [str(x) for x in (ob + op * 40).tolist()], [str(x) for x in rp.tolist()],
                [str(x) for x in (rb + rp * 40).tolist()], ["(empty)"] * n]
    return rows


def dns_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        q = picks(rng, flows.names, n)
        ans = [f"{flows.name_ip.get(x, '10.30.1.20')}" for x in q]
        return [picks(rng, flows.dns_clients, n), ports(rng, n), [flows.dns_server] * n, ["53"] * n, ["udp"] * n,
                [str(x) for x in ints(rng, 1, 65535, n)], ["%.6f" % x for x in rng.exponential(0.0008, n).tolist()],
                q, ["1"] * n, ["C_INTERNET"] * n, ["1"] * n, ["A"] * n, ["0"] * n, ["NOERROR"] * n, ["T"] * n,
                ["F"] * n, ["T"] * n, ["T"] * n, ["0"] * n, ans, ["300.000000"] * n, ["F"] * n]
    return rows


MODBUS_FUNCS = ("READ_HOLDING_REGISTERS", "READ_INPUT_REGISTERS", "READ_COILS", "READ_DISCRETE_INPUTS",
                "WRITE_SINGLE_REGISTER", "WRITE_MULTIPLE_REGISTERS", "WRITE_SINGLE_COIL")
MODBUS_WEIGHTS = (55, 20, 10, 6, 5, 3, 1)


def modbus_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o, r = _pairs(rng, flows.modbus, n)
        f = kinds(rng, MODBUS_WEIGHTS, n).tolist()
        exc = ["ILLEGAL_DATA_ADDRESS" if x < 0.002 else "-" for x in rng.random(n).tolist()]
        return [o, ports(rng, n), r, ["502"] * n, [MODBUS_FUNCS[k] for k in f], exc]
    return rows


def modbus_detailed_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o, r = _pairs(rng, flows.modbus, n)
        f = kinds(rng, MODBUS_WEIGHTS, n).tolist()
        func = [MODBUS_FUNCS[k] for k in f]
        addr = [str(40001 + x) for x in ints(rng, 0, 400, n)]
        qty = ints(rng, 1, 16, n)
        vals = [",".join(str(v) for v in rng.integers(0, 65535, min(q, 4)).tolist()) for q in qty]
        write = [k >= 4 for k in f]
        req = [v if w else "-" for v, w in zip(vals, write)]
        resp = ["-" if w else v for v, w in zip(vals, write)]
        tid = ints(rng, 1, 65535, n)
        uid = uids(rng, n)
        link = [f"{u}-{x}" for u, x in zip(uid, tid)]
        return [o, ports(rng, n), r, ["502"] * n, [str(x) for x in tid], [str(x) for x in ints(rng, 1, 5, n)], func, addr,
                [str(q if not w else min(q, 4)) for q, w in zip(qty, write)], req, resp, link, ["T"] * n,
                *[["-"] * n for _ in range(6)]]
    return rows


S7_FUNCS = (("0x04", "Read Var"), ("0x05", "Write Var"), ("0xf0", "Setup communication"))


def s7comm_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o, r = _pairs(rng, flows.s7, n)
        f = kinds(rng, (85, 10, 5), n).tolist()
        sp = ports(rng, n)
        req = [x < 0.5 for x in rng.random(n).tolist()]
        return [o, sp, r, ["102"] * n, ["T" if q else "F" for q in req],
                [a if q else b for a, b, q in zip(o, r, req)], [p if q else "102" for p, q in zip(sp, req)],
                [b if q else a for a, b, q in zip(o, r, req)], ["102" if q else p for p, q in zip(sp, req)],
                ["1" if q else "3" for q in req], ["Job-Request" if q else "Ack-Data" for q in req],
                [str(x) for x in ints(rng, 256, 65535, n)], [S7_FUNCS[k][0] for k in f], [S7_FUNCS[k][1] for k in f],
                ["-"] * n, ["-"] * n, ["-" if q else "No error" for q in req], ["-" if q else "0x00" for q in req]]
    return rows


CIP_SERVICES = (("0x4c", "Read Tag", "0x6b", "Symbol"), ("0x4c", "Read Tag", "0x6b", "Symbol"),
                ("0x0e", "Get Attribute Single", "0x01", "Identity"), ("0x4d", "Write Tag", "0x6b", "Symbol"),
                ("0x52", "Unconnected Send", "0x06", "Connection Manager"))


def cip_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o, r = _pairs(rng, flows.cip, n)
        f = kinds(rng, (60, 20, 5, 8, 7), n).tolist()
        sp = ports(rng, n)
        return [o, sp, r, ["44818"] * n, ["T"] * n, o, sp, r, ["44818"] * n, [str(x) for x in ints(rng, 1, 65535, n)],
                ["request"] * n, [CIP_SERVICES[k][0] for k in f], [CIP_SERVICES[k][1] for k in f], ["-"] * n, ["-"] * n,
                ["-"] * n, ["-"] * n, [CIP_SERVICES[k][2] for k in f], [CIP_SERVICES[k][3] for k in f],
                ["0x%02x" % x for x in ints(rng, 1, 40, n)], ["-"] * n]
    return rows


def dnp3_rows(flows: Flows) -> RowFn:
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o, r = _pairs(rng, flows.dnp3, n)
        f = kinds(rng, (80, 15, 5), n).tolist()
        req = [("READ", "RESPONSE"), ("-", "UNSOLICITED_RESPONSE"), ("CONFIRM", "-")]
        return [o, ["20000"] * n, r, ["20000"] * n, [req[k][0] for k in f], [req[k][1] for k in f],
                [str(x) for x in pick(rng, (0, 0, 0, 2, 16), n)]]
    return rows


UPLOAD_DOWNLOAD = ("Start upload", "Upload", "End upload", "Request download", "Download block", "Download ended")


def upload_download_rows(flows: Flows) -> RowFn:
    """Engineering sessions: program blocks read from and written to the S7 PLCs."""
    def rows(rng: np.random.Generator, n: int) -> Columns:
        o = picks(rng, flows.engineering, n)
        r = [flows.s7[x][1] for x in rng.integers(0, len(flows.s7), n).tolist()]
        sp = ports(rng, n)
        fn = picks(rng, UPLOAD_DOWNLOAD, n)
        blk = ["%05d" % x for x in ints(rng, 1, 200, n)]
        return [o, sp, r, ["102"] * n, ["T"] * n, o, sp, r, ["102"] * n, ["Job-Request"] * n,
                [str(x) for x in ints(rng, 256, 65535, n)], fn, ["0x00"] * n, [str(x) for x in ints(rng, 1, 30, n)],
                ["-"] * n, [f"_08{b}P" for b in blk], ["Function Block"] * n, blk, ["Passive"] * n]
    return rows


class SuricataSource(Source):
    """Suricata's EVE JSON on the sensor: flows, DNS, TLS, and the odd policy alert."""

    carrier = "json"

    def __init__(self, clock: PlantClock, flows: Flows, share: float) -> None:
        super().__init__(clock)
        self.path = "suricata/eve.json"
        self.host = "nsm01"
        self.share = share
        self.profile = "mixed"
        self.flows = flows
        self.flow_id = 1_000_000_000_000

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        n = len(t)
        ts = self.clock.iso_local(t, colon=False)
        chosen = pick(rng, self.flows.conn, n)
        k = kinds(rng, (80, 12, 6, 2), n).tolist()
        fid = rng.integers(self.flow_id, self.flow_id * 2, n).tolist()
        sp = ints(rng, 49152, 65535, n)
        pk = ints(rng, 2, 40, n)
        by = ints(rng, 120, 9000, n)
        out = []
        for i in range(n):
            src, dst, port, svc, proto = cast(tuple[str, str, int, str, str], chosen[i])
            head = ('{"timestamp":"%s","flow_id":%d,"in_iface":"ens1f1","event_type":"%s","src_ip":"%s","src_port":%d,'
                    '"dest_ip":"%s","dest_port":%d,"proto":"%s"' % (ts[i], fid[i], ("flow", "dns", "tls", "alert")[k[i]],
                                                                   src, sp[i], dst, port, proto.upper()))
            kind = k[i]
            if kind == 0:
                out.append(head + ',"app_proto":"%s","host":"nsm01","flow":{"pkts_toserver":%d,"pkts_toclient":%d,'
                           '"bytes_toserver":%d,"bytes_toclient":%d,"start":"%s","end":"%s","age":0,"state":"closed",'
                           '"reason":"timeout","alerted":false}}\n' % (svc if svc != "-" else "failed", pk[i], pk[i] - 1,
                                                                      by[i], by[i] * 2, ts[i], ts[i]))
            elif kind == 1:
                q = self.flows.names[fid[i] % len(self.flows.names)]
                out.append(head.replace('"proto":"TCP"', '"proto":"UDP"') + ',"host":"nsm01","dns":{"version":2,'
                           '"type":"query","id":%d,"rrname":"%s","rrtype":"A","tx_id":0}}\n' % (sp[i] % 65535, q))
            elif kind == 2:
                out.append(head + ',"app_proto":"tls","host":"nsm01","tls":{"subject":"CN=%s","issuerdn":'
                           '"CN=PLANT Issuing CA 01, DC=plant, DC=local","version":"TLS 1.2","sni":"%s"}}\n'
                           % ("hist01.plant.local", "hist01.plant.local"))
            else:
                out.append(head + ',"host":"nsm01","alert":{"action":"allowed","gid":1,"signature_id":2210054,'
                           '"rev":1,"signature":"SURICATA STREAM excessive retransmissions","category":"Generic '
                           'Protocol Command Decode","severity":3}}\n')
        return out
