"""Plant-flavoured syslog traffic for the benchmarks: a seeded pool of realistic messages.

PLC gateways (Modbus, S7, OPC UA, CIP), historians, HMIs, firewalls, domain controllers and
engineering workstations; RFC 5424 (a third with structured data) or RFC 3164, one unique
``seq=NNNNNNNNN`` per line so loss and duplicates can be counted. ``generate`` writes a file
and returns where its chunks lie, so senders can loop over their share of it.
"""

from __future__ import annotations

import bisect
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CHUNK_BYTES = 256 << 10

# -- traffic ---------------------------------------------------------------------------

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
AREAS = ["BOIL1", "TURB2", "CW3", "FEED4", "WTP5", "SUB6", "KILN7", "PKG8"]
TAGS = ["FT101", "PT204", "TT305", "LT410", "XV512", "PIC620", "FIC701", "M803"]
USERS = ["engops", "jdoe", "asmith", "svc-historian", "svc-opc", "mkowalski", "operator1", "plcadmin"]
ALARMS = ["HI", "HIHI", "LO", "LOLO", "DEV", "ROC", "COMMFAIL"]


def _ip(r: random.Random, net: str = "10.20") -> str:
    return f"{net}.{r.randrange(1, 40)}.{r.randrange(2, 254)}"


def _pick(r: random.Random, variants: list[Any]) -> str:
    """Format only the chosen variant (each is a function of the random source)."""
    return str(variants[r.randrange(len(variants))](r))


_PLC = [
    lambda r: f"unit {r.randrange(1, 248)} write fc=16 reg=4{r.randrange(10000):04d} count={r.randrange(1, 64)} "
              f"from {_ip(r)}: accepted, latency {r.randrange(1, 90)} ms",
    lambda r: f"unit {r.randrange(1, 248)} read fc=3 reg=4{r.randrange(10000):04d} count={r.randrange(1, 64)} "
              f"from {_ip(r)}: exception 0x02 illegal data address",
    lambda r: f"S7 job PUT DB{r.randrange(1, 900)}.DBW{r.randrange(0, 4096, 2)} len={r.randrange(1, 64)} "
              f"from {_ip(r)} rejected: protection level 3",
    lambda r: f"OPC UA session {r.getrandbits(32):08x} activated for user opc-{r.choice(USERS)} from {_ip(r)}:"
              f"{r.randrange(1024, 65535)} policy Basic256Sha256",
    lambda r: f"CIP forward_open from {_ip(r)} to slot {r.randrange(0, 17)} conn 0x{r.getrandbits(32):08x} RPI "
              f"{r.choice([10, 20, 50, 100])} ms",
]
_HISTORIAN = [
    lambda r: f"backfill of {r.randrange(10, 20000)} tags for area {r.choice(AREAS)} done in "
              f"{r.randrange(5, 60000)} ms, {r.randrange(1000, 10**7)} values written",
    lambda r: f"tag {r.choice(AREAS)}.{r.choice(TAGS)}.PV out of range value={r.uniform(-50, 900):.2f} "
              f"limits=[0.00,{r.randrange(100, 800)}.00] quality=BAD",
    lambda r: f"archive {r.choice(AREAS).lower()}-{r.randrange(1, 9999):04d} rolled over, size "
              f"{r.randrange(64, 4096)} MB, {r.randrange(10**5, 10**8)} events",
    lambda r: f"interface opc-{r.randrange(1, 9)} reconnected to {_ip(r)} after {r.randrange(1, 300)} s, "
              f"{r.randrange(0, 50000)} values buffered",
]
_HMI = [
    lambda r: f"operator {r.choice(USERS)} acknowledged alarm {r.choice(ALARMS)} on {r.choice(AREAS)}."
              f"{r.choice(TAGS)} priority {r.randrange(1, 1000)}",
    lambda r: f"operator {r.choice(USERS)} changed setpoint {r.choice(AREAS)}.{r.choice(TAGS)}.SP from "
              f"{r.uniform(0, 500):.1f} to {r.uniform(0, 500):.1f}",
    lambda r: f"user {r.choice(USERS)} logged on at console {r.randrange(1, 12)} role "
              f"{r.choice(['Operator', 'Engineer', 'Viewer'])}",
    lambda r: f"screen {r.choice(AREAS)}_overview opened by {r.choice(USERS)}, {r.randrange(20, 900)} tags subscribed",
]
_FIREWALL = [
    lambda r: f"{r.choice(['DROP', 'ACCEPT', 'DROP', 'REJECT'])} IN=eth{r.randrange(3)} OUT=eth{r.randrange(3)} "
              f"SRC={_ip(r)} DST={_ip(r, '10.30')} LEN={r.randrange(40, 1500)} TTL={r.choice([63, 64, 127, 128])} "
              f"PROTO={r.choice(['TCP SYN', 'UDP'])} SPT={r.randrange(1024, 65535)} "
              f"DPT={r.choice([502, 102, 44818, 20000, 4840, 445, 3389, 22, 161, 2404])}",
]
_DC = [
    lambda r: f"EventID=4625 An account failed to log on. Account={r.choice(USERS)} Domain=PLANT Source={_ip(r)} "
              f"LogonType=3 Status=0xC000006A",
    lambda r: f"EventID=4624 An account was successfully logged on. Account={r.choice(USERS)} Domain=PLANT "
              f"Source={_ip(r)} LogonType={r.choice([2, 3, 10])}",
    lambda r: f"EventID=4740 A user account was locked out. Account={r.choice(USERS)} Domain=PLANT "
              f"Caller=WS{r.randrange(100, 999)}",
    lambda r: f"EventID=4768 A Kerberos TGT was requested. Account={r.choice(USERS)} Source={_ip(r)} Result=0x0",
]
_SSHD = [
    lambda r: f"Failed password for invalid user {r.choice(USERS)} from {_ip(r)} port {r.randrange(1024, 65535)} ssh2",
    lambda r: f"Accepted publickey for engops from {_ip(r)} port {r.randrange(1024, 65535)} ssh2: ED25519 "
              f"SHA256:{r.getrandbits(64):016x}",
]
_SUDO = [
    lambda r: f"pam_unix(sudo:session): session opened for user root(uid=0) by {r.choice(USERS)}"
              f"(uid={r.randrange(1000, 1100)})",
    lambda r: f"{r.choice(USERS)} : TTY=pts/{r.randrange(9)} ; PWD=/home/engops ; USER=root ; "
              f"COMMAND=/usr/bin/systemctl restart opcua-bridge",
]


# (host names, {program: message variants}, facility)
CLASSES = [
    ([f"plcgw-{i:02d}" for i in range(1, 17)],
     {"modbus-gw": _PLC[:2], "s7-proxy": _PLC[2:3], "opcua-bridge": _PLC[3:4], "enip-gw": _PLC[4:]}, 16),
    ([f"hist{i:02d}" for i in range(1, 5)], {"historian": _HISTORIAN, "pi-archive": _HISTORIAN[2:3]}, 16),
    ([f"scada-hmi-{i:02d}" for i in range(1, 25)], {"wincc": _HMI, "hmi-runtime": _HMI, "ignition-gw": _HMI}, 17),
    (["fw-edge-01", "fw-edge-02"] + [f"fw-cell-{i:02d}" for i in range(1, 9)],
     {"filterlog": _FIREWALL, "kernel": _FIREWALL}, 0),
    (["dc01", "dc02"], {"MSWinEventLog": _DC, "nxlog": _DC}, 4),
    (["jump01", "jump02"] + [f"eng-ws-{i:02d}" for i in range(1, 7)], {"sshd": _SSHD, "sudo": _SUDO}, 10),
]
WEIGHTS = [30, 10, 20, 25, 8, 7]


class Traffic:
    """A pre-generated file and its chunk table: (offset, length, lines, first_seq) per chunk."""

    def __init__(self, path: Path, chunks: list[tuple[int, int, int, int]], lines: int, size: int) -> None:
        self.path = path
        self.chunks = chunks
        self.lines = lines
        self.size = size
        self.first_seqs = [c[3] for c in chunks]

    def chunk_of(self, seq: int) -> int:
        return bisect.bisect_right(self.first_seqs, seq) - 1

    def line(self, seq: int) -> bytes:
        ci = self.chunk_of(seq)
        off, ln, _, first = self.chunks[ci]
        with open(self.path, "rb") as f:
            f.seek(off)
            return f.read(ln).split(b"\n")[seq - first]


def generate(path: Path, fmt: str, lines: int, seed: int = 5424) -> Traffic:
    """Write ``lines`` syslog lines; bodies come from a random pool, each line gets its own time and seq."""
    r = random.Random(seed)
    pool: list[tuple[int, str]] = []  # (pri, text after the timestamp up to "seq=")
    classes = r.choices(range(len(CLASSES)), WEIGHTS, k=min(lines, 100_000))
    for k in classes:
        hosts, progs, fac = CLASSES[k]
        host, prog, pid = r.choice(hosts), r.choice(list(progs)), r.randrange(100, 65536)
        pri = fac * 8 + r.choice([3, 4, 5, 6, 6, 6])
        text = _pick(r, progs[prog])
        if fmt == "rfc5424":
            sd = "-" if r.random() < 0.6 else \
                f'[ot@32473 area="{r.choice(AREAS)}" unit="{r.randrange(1, 248)}"][origin ip="{_ip(r)}"]'
            pool.append((pri, f" {host} {prog} {pid} ID{r.randrange(1, 60)} {sd} {text} seq="))
        else:
            pool.append((pri, f" {host} {prog}[{pid}]: {text} seq="))
    picks = r.choices(range(len(pool)), k=lines)
    # times spread over the hour before now, increasing with seq
    end_ms = int(time.time() * 1000)
    start_ms = end_ms - 3_600_000
    step = 3_600_000 / max(1, lines)
    s0 = start_ms // 1000
    heads = []
    for sec in range(s0, end_ms // 1000 + 2):
        dt = datetime.fromtimestamp(sec, UTC)
        heads.append(f"{dt:%Y-%m-%dT%H:%M:%S}" if fmt == "rfc5424" else f"{MONTHS[dt.month - 1]} {dt.day:2d} {dt:%H:%M:%S}")

    chunks: list[tuple[int, int, int, int]] = []
    c_off = c_len = c_lines = 0
    offset = 0
    batch = 100_000
    with open(path, "wb") as f:
        for b0 in range(0, lines, batch):
            idx = range(b0, min(lines, b0 + batch))
            if fmt == "rfc5424":
                out = [f"<{pri}>1 {heads[ms // 1000 - s0]}.{ms % 1000:03d}Z{body}{i:09d}\n"
                       for i in idx for pri, body in (pool[picks[i]],) for ms in (start_ms + int(i * step),)]
            else:
                out = [f"<{pri}>{heads[(start_ms + int(i * step)) // 1000 - s0]}{body}{i:09d}\n"
                       for i in idx for pri, body in (pool[picks[i]],)]
            for i, s in enumerate(out, b0):
                n = len(s)  # ASCII only
                if c_len and c_len + n > CHUNK_BYTES:
                    chunks.append((c_off, c_len, c_lines, i - c_lines))
                    c_off, c_len, c_lines = offset, 0, 0
                c_len += n
                c_lines += 1
                offset += n
            f.write("".join(out).encode("ascii"))
    if c_len:
        chunks.append((c_off, c_len, c_lines, lines - c_lines))
    return Traffic(path, chunks, lines, offset)
