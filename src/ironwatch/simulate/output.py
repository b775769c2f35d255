"""``--out DIR``: the plant's logs as files, one per source and format, plus the plant and a manifest.

Files are opened once, written in large chunks (a window's lines joined), and closed with
their footer (the ``</Events>`` of an XML export). ``manifest.json`` records the run's
arguments, the events per file, the deliberate dead letters (file, line, why) and the noise.
A ``.ironwatchignore`` keeps ``ironwatch import DIR`` to the logs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..intake.files import IGNORE_FILE
from .engine import Simulation
from .plant import write_plant

BUFFER = 1 << 20


def write_files(sim: Simulation, out: Path) -> dict[str, Any]:
    """Run the simulation into ``out``; returns the manifest (also written as manifest.json)."""
    out.mkdir(parents=True, exist_ok=True)
    write_plant(out)
    files: dict[str, BinaryIO] = {}
    started = time.perf_counter()
    try:
        for src in sim.sources:
            path = out / src.path
            path.parent.mkdir(parents=True, exist_ok=True)
            f = files[src.path] = open(path, "wb", buffering=BUFFER)  # noqa: SIM115 - closed below
            f.write(src.header(sim.config.start_us).encode("utf-8"))
        for batch in sim.run():
            files[batch.source.path].write("".join(batch.lines).encode(getattr(batch.source, "encoding", "utf-8")))
        for src in sim.sources:
            files[src.path].write(src.footer().encode("utf-8"))
    finally:
        for f in files.values():
            f.close()
    manifest = manifest_dict(sim)
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    # `ironwatch import DIR` reads the logs, not the plant description or this manifest
    (out / IGNORE_FILE).write_text("# not logs: read by people and by the OT context import\nplant/\nmanifest.json\n")
    manifest["_seconds"] = time.perf_counter() - started
    return manifest


def manifest_dict(sim: Simulation) -> dict[str, Any]:
    cfg = sim.config
    m = sim.manifest
    return {
        "generator": "ironwatch simulate",
        "seed": cfg.seed,
        "start": sim.clock.iso_utc(__import__("numpy").array([cfg.start_us]))[0],
        "duration_seconds": cfg.duration_us // 1_000_000,
        "rate": cfg.rate,
        "time_zone": str(sim.clock.zone),
        "events_total": sum(m.events.values()),
        "events": dict(sorted(m.events.items())),
        "deliberate_dead_letters": m.dead_letters,
        "noise": m.noise,
    }
