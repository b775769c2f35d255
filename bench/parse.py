"""Parser throughput on one core: messages per second for each registered format.

Generates typical plant messages (varied hosts, programs, pids, times and text), warms up,
then times whole passes with ``time.perf_counter`` and reports the fastest, once calling
the format's parser directly and once through ``registry.parse`` with auto-detection.
Prints one JSON object; it asserts nothing.

    .venv/bin/python bench/parse.py [--count 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections.abc import Callable
from functools import partial

from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import PARSERS, parse

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


GENERATORS: dict[str, Callable[[random.Random, int], bytes]] = {
    "rfc5424": rfc5424, "rfc3164": rfc3164, "json": jsonl,
}


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


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--count", type=int, default=200_000, help="messages per format")
    args.add_argument("--repeat", type=int, default=3, help="timed passes; the best counts")
    options = args.parse_args()
    count, repeat = options.count, options.repeat
    ctx = ParseContext(received_us=RECEIVED_US)
    result: dict[str, object] = {"count": count, "repeat": repeat, "python": platform.python_version(),
                                 "machine": platform.machine()}
    for fmt, generate in GENERATORS.items():
        rng = random.Random(fmt)
        messages = [generate(rng, i) for i in range(count)]
        parser = PARSERS[fmt]
        result[fmt] = {
            "msgs_per_s": round(rate(messages, partial(parser.parse, ctx=ctx), repeat)),
            "auto_msgs_per_s": round(rate(messages, partial(parse, ctx=ctx), repeat)),
            "mean_bytes": round(sum(map(len, messages)) / count),
        }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
