"""Parser and pipeline throughput on one core, and EVTX import end to end.

Three parts, one JSON object on stdout (it asserts nothing):

* ``parsers``: generated plant messages per format (varied hosts, programs, times, text),
  the fastest of ``--repeat`` passes, calling the format's parser directly and through
  ``registry.parse`` (auto-detection, or the pinned format where a format is not detected);
* ``pipeline``: ``Normalizer.process_batch`` over one WAL-shaped batch per format, which is
  what a pipeline worker runs (columnar fast path, reference parsers, Arrow columns);
* ``evtx_import``: ``ironwatch import`` without a server (read EVTX, WAL, normalize, store)
  over the corpus' EVTX samples, repeated to a few hundred thousand records (needs the
  corpus: ``IRONWATCH_CORPUS``, default ``../shared/corpus``; skipped without it).

``machine_speed_s`` is the time of a fixed pure-Python workload taken first: the speed of
this virtual machine drifts, and a figure is read against the speed it was taken at.

    .venv/bin/python bench/parse.py [--count 200000] [--repeat 3] [--evtx-records 300000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ironwatch.config import Settings
from ironwatch.event import Uuid7Generator
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import PARSERS, parse
from ironwatch.pipeline.normalize import Normalizer

RECEIVED_US = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
HOSTS = ["plcgw-03", "hist01", "jump01", "scada-hmi-07", "fw-edge-01", "mes01", "eng-ws-02"]
PROGRAMS = ["sshd", "modbus-gw", "historian", "cron", "opcua-bridge", "kernel", "su"]
TEXTS = [
    "Failed password for invalid user plcadmin from 10.20.9.{n} port 51522 ssh2",
    "unit 17 write fc=16 reg=4{n:04d} count=4 from 10.20.3.17",
    "Accepted publickey for engops from 10.20.9.4 port {n} ssh2: ED25519 SHA256:x",
    "session opened for user root by (uid=0)",
    "backfill of {n} tags done in 12.5 s",
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rfc5424(rng: random.Random, i: int) -> bytes:
    sd = '-' if i % 2 else f'[ot@32473 unit="{i % 250}" fc="16"][origin ip="10.20.3.{i % 250}"]'
    return (f"<{rng.randrange(192)}>1 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            f"T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
            f"{rng.randrange(1000):03d}+01:00 {rng.choice(HOSTS)} {rng.choice(PROGRAMS)}"
            f" {rng.randrange(1, 65536)} ID{i % 50} {sd} "
            f"{rng.choice(TEXTS).format(n=i % 10000)}").encode()


def rfc3164(rng: random.Random, i: int) -> bytes:
    return (f"<{rng.randrange(192)}>{rng.choice(MONTHS[:11])} {rng.randint(1, 28):2d}"
            f" {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
            f" {rng.choice(HOSTS)} {rng.choice(PROGRAMS)}[{rng.randrange(1, 65536)}]: "
            f"{rng.choice(TEXTS).format(n=i % 10000)}").encode()


def jsonl(rng: random.Random, i: int) -> bytes:
    return json.dumps({
        "@timestamp": f"2026-11-{rng.randint(1, 26):02d}T{rng.randrange(24):02d}:"
                      f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{i % 1000:03d}Z",
        "host": {"name": rng.choice(HOSTS), "ip": [f"10.20.1.{i % 250}"]},
        "process": {"name": rng.choice(PROGRAMS), "pid": rng.randrange(1, 65536)},
        "event": {"action": "tag-write", "outcome": "success"},
        "message": rng.choice(TEXTS).format(n=i % 10000),
    }, separators=(",", ":")).encode()


def cef(rng: random.Random, i: int) -> bytes:
    return (f"<134>1 2026-11-27T09:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z fw-ot-0{i % 5} CEF - - - "
            f"CEF:0|Fortinet|FortiGate-OT|7.2.5|04190{i % 100:02d}|ICS Modbus write blocked|{i % 10}|"
            f"rt={1795773243512 + i} src=10.20.3.{i % 250} spt={50000 + i % 1000} dst=10.20.1.{i % 9 + 1} "
            f"dpt=502 proto=6 act=deny app=Modbus dvchost=fw-ot-cell{i % 4} cs1Label=Policy cs1=OT_IN Cell {i % 9} "
            f"cs2Label=Zone cs2=Packaging Line {i % 3} suser=op{i % 30} msg=write to holding register {i % 4000}").encode()


def suricata(rng: random.Random, i: int) -> bytes:
    return json.dumps({
        "timestamp": f"2026-11-27T10:{rng.randrange(60):02d}:{rng.randrange(60):02d}.{i % 1000000:06d}+0000",
        "flow_id": 1_000_000 + i, "in_iface": "eth1", "event_type": "alert", "src_ip": f"10.20.9.{i % 250}",
        "src_port": 40000 + i % 20000, "dest_ip": "10.20.3.17", "dest_port": 502, "proto": "TCP",
        "alert": {"action": "allowed", "gid": 1, "signature_id": 9000000 + i % 50, "rev": 2,
                  "signature": "OT Modbus write to PLC from IT", "category": "Potentially Bad Traffic",
                  "severity": 2},
        "app_proto": "modbus", "flow": {"pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 280,
                                        "bytes_toclient": 210, "start": "2026-11-27T10:00:00.000000+0000"},
    }, separators=(",", ":")).encode()


ZEEK_MODBUS = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tmodbus\n"
               "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttid\tunit\tfunc\tnetwork_direction\texception\n"
               "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tcount\tstring\tstring\tstring")


def zeek_modbus(rng: random.Random, i: int) -> bytes:
    func = rng.choice(["READ_HOLDING_REGISTERS", "READ_INPUT_REGISTERS", "WRITE_SINGLE_REGISTER", "READ_COILS"])
    return (f"{1795773600 + i / 1000:.6f}\tC{i:09d}\t10.20.1.5\t{50000 + i % 1000}\t10.20.3.{i % 40}\t502"
            f"\t{i % 65536}\t{i % 250}\t{func}\trequest\t-").encode()


def auditd(rng: random.Random, i: int) -> bytes:
    ts = f"{1795773600 + i // 10}.{i % 1000:03d}:{100000 + i}"
    return (f"type=SYSCALL msg=audit({ts}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0 a1=55d1 a2=55d2 "
            f"a3=0 items=2 ppid={1000 + i % 300} pid={2000 + i % 3000} auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 "
            f"egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"systemctl\" exe=\"/usr/bin/systemctl\" key=\"exec\"\n"
            f"type=EXECVE msg=audit({ts}): argc=3 a0=\"systemctl\" a1=\"restart\" a2=\"historian\"\n"
            f"type=PROCTITLE msg=audit({ts}): proctitle=73797374656D63746C00726573746172740068697374\n"
            f"type=EOE msg=audit({ts}): ").encode()


GENERATORS: dict[str, Callable[[random.Random, int], bytes]] = {
    "rfc5424": rfc5424, "rfc3164": rfc3164, "json": jsonl, "cef": cef, "suricata": suricata,
    "zeek": zeek_modbus, "auditd": auditd,
}
#: formats whose records are not read alone, or not detected per message: pinned
PINNED = {"zeek": "zeek\n" + ZEEK_MODBUS, "auditd": "auditd"}


def rate(messages: list[bytes], run: Callable[[bytes], object], repeat: int) -> float:
    """Messages per second of the fastest of ``repeat`` passes (others on the box add noise)."""
    for raw in messages[:10_000]:
        run(raw)  # warm caches and the specialising interpreter
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for raw in messages:
            run(raw)
        best = min(best, time.perf_counter() - start)
    return len(messages) / best


def corpus_evtx() -> list[Path]:
    root = Path(os.environ.get("IRONWATCH_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
    return sorted((root / "hayabusa-sample-evtx").rglob("*.evtx"))


def parser_rates(count: int, repeat: int) -> dict[str, object]:
    ctx = ParseContext(received_us=RECEIVED_US)
    out: dict[str, object] = {}
    for fmt, generate in GENERATORS.items():
        rng = random.Random(fmt)
        messages = [generate(rng, i) for i in range(count)]
        pinned = PINNED.get(fmt, "auto")
        parser = PARSERS[fmt]
        pctx = ParseContext(received_us=RECEIVED_US, options=pinned.partition("\n")[2])
        out[fmt] = {
            "msgs_per_s": round(rate(messages, partial(parser.parse, ctx=pctx), repeat)),
            ("auto_msgs_per_s" if pinned == "auto" else "registry_msgs_per_s"):
                round(rate(messages, partial(parse, ctx=ctx, fmt=pinned), repeat)),
            "mean_bytes": round(sum(map(len, messages)) / count),
        }
    return out


def pipeline_rates(count: int, repeat: int) -> dict[str, object]:
    """Events per second of ``Normalizer.process_batch``, the pipeline worker's whole job."""
    norm = Normalizer(Settings())
    ids = Uuid7Generator().take(count)
    out: dict[str, object] = {}
    for fmt in ("rfc5424", "rfc3164", "cef", "json", "suricata", "zeek"):
        rng = random.Random(fmt)
        pinned = PINNED.get(fmt, "")
        recs = [WalRecord(i, ids[16 * i:16 * i + 16], RECEIVED_US, bytes(32), "syslog-tcp", pinned, "10.20.0.1:514",
                          GENERATORS[fmt](rng, i)) for i in range(count)]
        batch = RecordColumns.from_records(recs)
        norm.process_batch(RecordColumns.from_records(recs[:5000]))
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            events, dead = norm.process_batch(batch)
            best = min(best, time.perf_counter() - start)
        out[fmt] = {"events_per_s": round(count / best), "events": events.num_rows, "dead_letters": dead.num_rows}
    return out


def evtx_import(records: int) -> dict[str, object]:
    """``ironwatch import`` without a server over the corpus EVTX samples, repeated."""
    from ironwatch.cli.importer import run_import

    files = corpus_evtx()
    if not files:
        return {"skipped": "no EVTX corpus (set IRONWATCH_CORPUS)"}
    with tempfile.TemporaryDirectory(prefix="iw-bench-evtx-") as tmp:
        settings = Settings()
        settings.data_dir = tmp
        once = run_import(settings, [str(f) for f in files], "auto", show_progress=False)
        per_pass = int(once["records"])
        passes = max(1, records // max(per_pass, 1))
        start = time.perf_counter()
        result = run_import(settings, [str(f) for f in files] * passes, "auto", show_progress=False)
        seconds = time.perf_counter() - start
    return {"files": len(files), "passes": passes, "records": result["records"], "stored": result.get("stored"),
            "corrupt_records": result.get("corrupt_records", 0), "seconds": round(seconds, 2),
            "records_per_s": round(int(result["records"]) / seconds)}


def machine_speed() -> float:
    """Seconds of a fixed pure-Python workload (regular expressions, dicts, strings), best of
    three. This virtual machine's speed drifts by 15-40 % within a day: 0.48-0.55 s in its
    usual state on 2026-11-27, 0.60-0.80 s in its slow spells. It is a rough guide only,
    since the speed of the disk and the memory drift as well."""
    text = '    <Data Name="TargetUserName">operator</Data>\n' * 12
    pattern = re.compile(r'    <Data Name="([^"]*+)">([^<]*+)</Data>\n')
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(150_000):
            fields = dict(pattern.findall(text))
            fields["n"] = str(i)
            str(fields)
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--count", type=int, default=200_000, help="messages per format")
    args.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts")
    args.add_argument("--evtx-records", type=int, default=300_000, help="records for the EVTX import (0 skips)")
    args.add_argument("--only", choices=("parsers", "pipeline", "evtx_import"), help="run one part")
    options = args.parse_args()
    # as the worker and ``ironwatch import`` do (proc.tune_gc)
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    result: dict[str, object] = {"count": options.count, "repeat": options.repeat,
                                 "python": platform.python_version(), "machine": platform.machine(),
                                 "machine_speed_s": machine_speed()}
    if options.only in (None, "parsers"):
        result["parsers"] = parser_rates(options.count, options.repeat)
    if options.only in (None, "pipeline"):
        result["pipeline"] = pipeline_rates(min(options.count, 100_000), options.repeat)
    if options.only in (None, "evtx_import") and options.evtx_records:
        result["evtx_import"] = evtx_import(options.evtx_records)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
