"""What every simulated source is: a file (path and format), a rate share, a profile and a renderer.

A source turns a sorted array of event times into lines, each ending in a newline, using
its own random generator. The helpers here are the vectorised building blocks the
renderers share: picking from pools, choosing event kinds by weight, and people by shift.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from .clock import I64, PlantClock

ObjArray = npt.NDArray[np.object_]


class Source:
    """One log file of the plant (``path`` relative to ``--out``)."""

    #: relative path of the file, e.g. ``zeek/conn.log``
    path: str = ""
    #: the asset whose log this is (for the manifest and the noise)
    host: str = ""
    #: share of ``--rate`` (docs/simulator.md documents these)
    share: float = 0.0
    profile: str = "flat"
    #: how ``--to`` sends it: ``syslog`` (TCP lines) or ``json`` (the ingest API)
    carrier: str = "syslog"
    #: render JSON for the ingest API instead of the file format (Windows XML, Zeek TSV)
    json_mode: bool = False
    #: lines of header before the first record (Zeek TSV), for the manifest's line numbers
    header_lines: int = 0

    def __init__(self, clock: PlantClock) -> None:
        self.clock = clock

    def header(self, t0: int) -> str:
        return ""

    def footer(self) -> str:
        return ""

    def render(self, t: I64, rng: np.random.Generator) -> list[str]:
        raise NotImplementedError


def objects(values: Sequence[object]) -> ObjArray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)
    return arr


def pick(rng: np.random.Generator, pool: Sequence[object] | ObjArray, n: int) -> list[object]:
    arr = pool if isinstance(pool, np.ndarray) else objects(pool)
    return list(arr[rng.integers(0, len(arr), n)].tolist())


def picks(rng: np.random.Generator, pool: Sequence[str], n: int) -> list[str]:
    return [str(x) for x in pick(rng, pool, n)]


def ints(rng: np.random.Generator, lo: int, hi: int, n: int) -> list[int]:
    """``n`` integers in ``[lo, hi)`` as a Python list."""
    return list(rng.integers(lo, hi, n).tolist())


def kinds(rng: np.random.Generator, weights: Sequence[float], n: int) -> npt.NDArray[np.int64]:
    w = np.asarray(weights, dtype=np.float64)
    cum = np.cumsum(w / w.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, rng.random(n), side="right").astype(np.int64)


KindRenderer = Callable[[npt.NDArray[np.int64]], list[str]]


def mix(rng: np.random.Generator, n: int, parts: Sequence[tuple[float, KindRenderer]]) -> list[str]:
    """Lines of ``n`` events whose kinds are drawn by weight; each renderer gets the
    positions of its events (into the time-ordered batch) and returns their lines."""
    which = kinds(rng, [w for w, _ in parts], n)
    out = np.empty(n, dtype=object)
    for k, (_, fn) in enumerate(parts):
        idx = np.flatnonzero(which == k)
        if len(idx):
            out[idx] = objects(fn(idx))
    return list(out.tolist())


def take(values: list[str], idx: npt.NDArray[np.int64]) -> list[str]:
    return [values[i] for i in idx.tolist()]


SHIFT_NAMES = ("early", "late", "night", "weekend")


def shift_index(clock: PlantClock, t: I64) -> npt.NDArray[np.int64]:
    """0 early (06-14), 1 late (14-22), 2 night, 3 weekend, in the plant's local time."""
    hour, weekday = clock.local_hour_weekday(t)
    s = np.where(hour < 6, 2, np.where(hour < 14, 0, np.where(hour < 22, 1, 2)))
    return np.where(weekday >= 5, 3, s).astype(np.int64)


class ShiftPools:
    """People on duty per shift; ``pick`` chooses, for each event, someone on duty then."""

    def __init__(self, pools: Sequence[Sequence[str]]) -> None:
        flat = [p for pool in pools for p in pool]
        self.flat = objects(flat)
        self.sizes = np.array([len(p) for p in pools], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)

    def pick(self, rng: np.random.Generator, shifts: npt.NDArray[np.int64]) -> list[str]:
        r = rng.integers(0, 1 << 30, len(shifts))
        sel = self.offsets[shifts] + r % self.sizes[shifts]
        return [str(x) for x in self.flat[sel].tolist()]
