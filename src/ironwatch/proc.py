"""Entry point of the supervised processes: ``python -m ironwatch.proc core|intake|worker``.

``ironwatch serve`` writes the effective settings to ``run/settings.json`` and starts each
process with it, so every process sees exactly the same configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson

from .config import Settings, _build, validate


def save_settings(settings: Settings, path: Path) -> None:
    path.write_bytes(orjson.dumps(dataclasses.asdict(settings), option=orjson.OPT_INDENT_2))


def load_saved(path: Path) -> Settings:
    s: Settings = _build(Settings, orjson.loads(path.read_bytes()), str(path))
    validate(s)
    return s


def tune_gc() -> None:
    """Fewer cyclic garbage collections in batch-processing processes.

    The hot loops allocate a dict per event, which makes CPython's default (a young
    collection every 700 allocations) cost 10-20 % of parse time; events form no cycles.
    Objects alive after start-up are frozen out of collection altogether.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection during one batch's work (``BatchWork.run``).

    A batch's event dicts and strings form no cycles and are freed by reference counting
    when the batch is done; a young collection in the middle of it only walks them (about
    5 % of the time of a batch of Windows events). Collection resumes after the batch.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="ironwatch.proc")
    ap.add_argument("role", choices=("core", "intake", "worker"))
    ap.add_argument("--settings", required=True)
    ap.add_argument("--slot", type=int, default=0)
    args = ap.parse_args(argv)
    # Ctrl-C reaches the whole process group; the supervisor alone answers it and stops the
    # processes in order (intake, workers, core) with SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings = load_saved(Path(args.settings))
    tune_gc()
    if args.role == "core":
        from .core.server import run as run_core
        asyncio.run(run_core(settings))
    elif args.role == "intake":
        from .intake.server import run as run_intake
        asyncio.run(run_intake(settings))
    else:
        from .pipeline.worker import run as run_worker
        run_worker(settings, args.slot)


if __name__ == "__main__":
    main()
