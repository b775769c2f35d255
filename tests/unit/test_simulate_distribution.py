"""Distribution tests: a simulated week holds to the per-source shares and shift profiles
that docs/simulator.md documents (the ranges are read from that page, not repeated here)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from ironwatch.simulate.catalogue import SHARES
from ironwatch.simulate.clock import parse_duration, parse_start
from ironwatch.simulate.engine import Simulation, SimulationConfig
from ironwatch.simulate.output import write_files
from ironwatch.simulate.plant import TIME_ZONE

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"
ROW = re.compile(r"^\| `([^`]+)` \| (\w+) \| ([\d.]+) \| ([\d.]+)–([\d.]+) \|", re.MULTILINE)


def documented() -> dict[str, tuple[float, float]]:
    return {m.group(1): (float(m.group(4)), float(m.group(5))) for m in ROW.finditer(DOC.read_text())}


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("week")
    cfg = SimulationConfig(seed=5, start_us=parse_start("2026-11-23T00:00:00", TIME_ZONE),
                           duration_us=parse_duration("7d"), rate=1.0)
    return out, write_files(Simulation(cfg), out)


def test_the_documented_table_covers_every_source() -> None:
    assert set(documented()) == set(SHARES)


def test_per_source_shares_are_within_documented_ranges(week: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = week
    total = manifest["events_total"]
    assert 0.9 * 7 * 86400 < total < 1.1 * 7 * 86400  # --rate is the weekly mean
    outside = {}
    for path, (lo, hi) in documented().items():
        share = 100 * manifest["events"][path] / total
        if not lo <= share <= hi:
            outside[path] = (round(share, 3), lo, hi)
    assert not outside


def _local_hours(path: Path) -> Counter[tuple[int, int]]:
    """(weekday, local hour) of each Winlogbeat record's @timestamp."""
    zone = ZoneInfo(TIME_ZONE)
    hours: Counter[tuple[int, int]] = Counter()
    for line in path.read_bytes().splitlines():
        ts = datetime.fromisoformat(orjson.loads(line)["@timestamp"]).astimezone(zone)
        hours[(ts.weekday(), ts.hour)] += 1
    return hours


def test_shift_sources_follow_the_documented_shift_pattern(week: tuple[Path, dict[str, Any]]) -> None:
    out, _ = week
    hours: Counter[tuple[int, int]] = Counter()
    for host in ("HMI01", "HMI02", "HMI03", "HMI04", "ENG-WS02"):
        hours += _local_hours(out / "windows" / f"{host}.security.jsonl")
    weekdays = range(5)
    early = sum(hours[(d, h)] for d in weekdays for h in range(6, 14)) / 40
    night = sum(hours[(d, h)] for d in weekdays for h in [*range(6), 22, 23]) / 40
    weekend = sum(hours[(d, h)] for d in (5, 6) for h in range(24)) / 48
    assert 2.0 <= early / night <= 3.0
    assert 0.18 <= weekend / early <= 0.32


def test_engineering_sessions_only_in_the_maintenance_window(week: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = week
    zone = ZoneInfo(TIME_ZONE)
    lines = [ln for ln in (out / "zeek" / "s7comm_upload_download.log").read_text().splitlines()
             if not ln.startswith("#")]
    assert len(lines) == manifest["events"]["zeek/s7comm_upload_download.log"] > 50
    for ln in lines:
        t = datetime.fromtimestamp(float(ln.split("\t", 1)[0]), zone)
        assert t.weekday() == 2 and 10 <= t.hour < 14, t
