"""Generation rate of ``ironwatch simulate --out``: events per second written to files.

Runs the simulator in-process into a temporary directory (removed afterwards) and prints
one JSON object: events, seconds, events_per_s, bytes, and the events per source.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ironwatch.simulate.clock import parse_duration, parse_start
from ironwatch.simulate.engine import DEFAULT_START, Simulation, SimulationConfig
from ironwatch.simulate.output import write_files
from ironwatch.simulate.plant import TIME_ZONE


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", default="1h", help="simulated time (default 1h)")
    ap.add_argument("--rate", type=float, default=1000.0, help="events/s of simulated traffic (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", default="2026-11-24T08:00:00", help="simulated start (default a Tuesday morning shift)")
    ap.add_argument("--keep", metavar="DIR", help="write into DIR and keep it")
    args = ap.parse_args()
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="ironwatch-sim-bench-"))
    try:
        cfg = SimulationConfig(seed=args.seed, start_us=parse_start(args.start or DEFAULT_START, TIME_ZONE),
                               duration_us=parse_duration(args.duration), rate=args.rate)
        t0 = time.perf_counter()
        manifest = write_files(Simulation(cfg), out)
        seconds = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        events = manifest["events_total"]
        print(json.dumps({"benchmark": "simulate", "duration": args.duration, "rate": args.rate, "events": events,
                          "seconds": round(seconds, 3), "events_per_s": round(events / seconds),
                          "bytes": size, "mb_per_s": round(size / seconds / 1e6, 1), "target_events_per_s": 200_000,
                          "meets_target": events / seconds >= 200_000, "per_source": manifest["events"]}, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
