"""Sigma detection throughput on one core, and rule-set load time cold and cached.

One JSON object on stdout (it asserts nothing):

* ``load``: the SigmaHQ rule set (all folders) parsed and compiled with pySigma into an
  empty cache directory (``cold_s``), then again from that cache (``cached_s``), and the
  engine build time from compiled rules (``engine_build_s``);
* ``full``: ``SigmaEngine.match_batch`` with every Windows rule (``rules``,
  ``rules-emerging-threats``, ``rules-threat-hunting``, ``rules-placeholder`` that
  can run) over the hayabusa sample EVTX events, pre-parsed with Ironwatch's Windows parser:
  detection only, the fastest of ``--repeat`` passes, in events per second;
* ``sample``: the same with at most 100 Windows rules per logsource, drawn with a fixed seed;
* ``ratio_full_to_sample``: the first throughput over the second;
* ``reference``: pySigma's SQLite backend (``pysigma-backend-sqlite``) on the same events and
  the same full rule set, as in ``tests/corpus/test_sigma_differential.py`` (one in-memory
  SQLite table, columns filled through Ironwatch's field map, queries restricted by its
  routing): conversion of every rule file with no cache (``convert_s``), building the table
  (``table_build_s``) and running every query (``query_s``, and events per second from it),
  with the rules it cannot convert and how many rules' matches differ from Ironwatch's.

Run it pinned to one core, as the targets are stated for one core::

    taskset -c 0 .venv/bin/python bench/detect.py [--repeat 3] [--seed 6]

Needs the corpus (``IRONWATCH_CORPUS``, default ``../shared/corpus``).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ironwatch.detect import SigmaEngine, load_rules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.corpus.test_sigma_differential import (
    Reference,
    WindowsEvents,
    read_windows_events,
)

FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance")


def corpus() -> Path:
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("IRONWATCH_CORPUS", root.parent / "shared" / "corpus"))


def hayabusa_events(root: Path) -> WindowsEvents:
    found = read_windows_events(root / "hayabusa-sample-evtx")
    for name in found.skipped_files:
        print(f"skipped {name}: the EVTX reader refused it", file=sys.stderr)
    return found


def reference(rules: list[dict[str, Any]], engine: SigmaEngine, found: WindowsEvents) -> dict[str, Any]:
    """pySigma-SQLite's times on the same events and rules, and its agreement with ``engine``."""
    ref = Reference(rules, found, cache_dir=None)
    ref.convert()
    theirs = ref.run()
    ours: dict[tuple[str, str], set[tuple[str, int]]] = defaultdict(set)
    for d in engine.match_batch(found.events):
        ours[(d.rule.path, d.rule.id)].add(found.identity[d.index])
    return {"backend": f"pysigma-backend-sqlite {importlib.metadata.version('pysigma-backend-sqlite')}",
            "rules_converted": len(ref.queries), "not_convertible": ref.problem_counts(),
            "convert_s": round(ref.convert_s, 2), "table_build_s": round(ref.load_s, 2),
            "query_s": round(ref.query_s, 2), "events_per_s": round(len(found.events) / ref.query_s),
            "matches": sum(len(v) for v in theirs.values()),
            "rules_differing_from_ironwatch": sum(1 for k, v in theirs.items() if ours.get(k, set()) != v)}


def throughput(engine: SigmaEngine, events: list[dict[str, Any]], repeat: int) -> dict[str, Any]:
    engine.match_batch(events)  # warm the route buckets
    best = float("inf")
    matches = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        matches = len(engine.match_batch(events))
        best = min(best, time.perf_counter() - start)
    evaluations = sum(s.evaluations for s in engine.stats) // (repeat + 1)
    return {"events": len(events), "events_per_s": round(len(events) / best), "seconds": round(best, 3),
            "matches": matches, "rule_evaluations_per_event": round(evaluations / max(1, len(events)), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=6)
    args = ap.parse_args()
    root = corpus()
    folders = [root / "sigmahq" / f for f in FOLDERS]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        load_rules(folders, cache_dir=cache)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        ruleset = load_rules(folders, cache_dir=cache)
        cached = time.perf_counter() - start
    windows = [r for r in ruleset.rules if (r["logsource"].get("product") or "") == "windows"]
    start = time.perf_counter()
    full = SigmaEngine(windows)
    build = time.perf_counter() - start
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule in windows:
        ls = rule["logsource"]
        by_source[f"{ls.get('category')}/{ls.get('service')}"].append(rule)
    rng = random.Random(args.seed)
    sample = [r for key in sorted(by_source) for r in rng.sample(by_source[key], min(100, len(by_source[key])))]
    print("reading hayabusa events…", file=sys.stderr)
    found = hayabusa_events(root)
    events = found.events
    full_result = throughput(full, events, args.repeat)
    sample_result = throughput(SigmaEngine(sample), events, args.repeat)
    print("pySigma-SQLite reference…", file=sys.stderr)
    reference_result = reference(windows, full, found)
    print(json.dumps({
        "python": platform.python_version(), "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "load": {"rule_files": ruleset.files, "runnable_rules": len(ruleset.rules), "cold_s": round(cold, 2),
                 "cached_s": round(cached, 2), "engine_build_s": round(build, 2)},
        "full": {"rules": len(windows), **full_result},
        "sample": {"rules": len(sample), "seed": args.seed, **sample_result},
        "ratio_full_to_sample": round(full_result["events_per_s"] / sample_result["events_per_s"], 2),
        "reference": {"rules": len(windows), **reference_result},
    }, indent=2))


if __name__ == "__main__":
    main()
