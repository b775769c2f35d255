"""The plant simulator: its output parses (dead letters only where the manifest says), is
reproducible by seed, and carries the plant files and the noise it documents."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from ironwatch.cli.main import main
from ironwatch.cli.parse_command import parse_records
from ironwatch.config import Settings
from ironwatch.intake.files import FileReader, iter_files
from ironwatch.simulate.clock import parse_duration, parse_start
from ironwatch.simulate.engine import Simulation, SimulationConfig
from ironwatch.simulate.output import write_files
from ironwatch.simulate.plant import ASSET_COLUMNS, TIME_ZONE


def simulate(out: Path, seed: int = 7, duration: str = "3h", rate: float = 4.0,
             start: str = "2026-11-25T09:00:00") -> dict[str, Any]:
    cfg = SimulationConfig(seed=seed, start_us=parse_start(start, TIME_ZONE), duration_us=parse_duration(duration),
                           rate=rate)
    return write_files(Simulation(cfg), out)


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("sim") / "out"
    # Wednesday 09:00-12:00: inside the PLC maintenance window, so every source has events
    manifest = simulate(out)
    return out, manifest


def plant_settings() -> Settings:
    """Settings as a plant would have them: zone-less timestamps are the plant's local time."""
    s = Settings()
    s.time.default_zone = TIME_ZONE
    return s


def parsed(path: Path) -> list[dict[str, Any]]:
    reader = FileReader(path)
    groups = [g for gs, _ in reader for g in gs if g.records]
    return [obj for _, obj in parse_records(plant_settings(), groups, str(path))]


def test_every_line_parses_except_the_deliberate_dead_letters(run: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = run
    expected = {(d["file"], d["line"]) for d in manifest["deliberate_dead_letters"]}
    assert len(expected) == 3
    found: set[tuple[str, int]] = set()
    files = 0
    for path in iter_files([str(out)]):
        rel = str(path.relative_to(out))
        if rel.startswith("plant/") or rel == "manifest.json":
            continue
        files += 1
        lines = path.read_bytes().split(b"\n")
        events = parsed(path)
        dead = [e for e in events if "dead_letter" in e]
        assert len(events) - len(dead) == manifest["events"][rel], rel
        for d in dead:
            # the manifest's line holds exactly the dead-lettered record
            numbers = [n for f, n in expected if f == rel]
            assert numbers, f"{rel}: unexpected dead letter {d['dead_letter']}: {d['raw'][:200]}"
            assert d["raw"].encode() == lines[numbers[0] - 1], rel
            found.add((rel, numbers[0]))
    assert found == expected
    assert files == len(manifest["events"]) >= 40


def test_every_source_has_events_and_the_total_is_near_the_rate(run: tuple[Path, dict[str, Any]]) -> None:
    _, manifest = run
    assert all(n > 0 for n in manifest["events"].values()), manifest["events"]
    # a weekday morning is busier than the weekly mean (rate x 3 h = 43,200)
    assert 43_200 < manifest["events_total"] < 43_200 * 2.5


def test_plant_files(run: tuple[Path, dict[str, Any]]) -> None:
    out, _ = run
    rows = list(csv.reader((out / "plant" / "assets.csv").open(encoding="utf-8")))
    assert tuple(rows[0]) == ASSET_COLUMNS
    assets = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert 55 <= len(assets) <= 65
    assert {a["purdue_level"] for a in assets} == {"0", "1", "2", "3", "3.5", "4", "5"}
    assert len({a["ip"] for a in assets}) == len({a["mac"] for a in assets}) == len(assets)
    roles = {a["role"] for a in assets}
    assert {"domain_controller", "historian", "scada_server", "hmi", "plc", "rtu", "safety_controller",
            "engineering_workstation", "firewall", "switch", "mes_server", "batch_server"} <= roles
    zones = yaml.safe_load((out / "plant" / "zones.yaml").read_text(encoding="utf-8"))
    assert zones["time_zone"] == TIME_ZONE
    names = {z["name"] for z in zones["zones"]}
    assert {a["zone"] for a in assets} <= names
    assert all(c["from"] in names and c["to"] in names and c["port"] > 0 for c in zones["conduits"])
    assert {s["name"] for s in zones["shifts"]} == {"early", "late", "night", "weekend"}
    assert zones["maintenance_windows"]


def test_noise_is_recorded_and_present(run: tuple[Path, dict[str, Any]]) -> None:
    out, manifest = run
    noise = manifest["noise"]
    assert set(noise) == {"clock_skew", "silence", "non_utf8_hostname"}
    raw = (out / noise["non_utf8_hostname"]["file"]).read_bytes()
    assert b"W\xc4RME-HMI05" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    events = parsed(out / noise["non_utf8_hostname"]["file"])
    assert events and all("dead_letter" not in e and e["host.name"].endswith("RME-HMI05") for e in events)
    # the silent hour: no event of that source inside it
    silent = [e["@timestamp"] for e in parsed(out / noise["silence"]["file"])]
    assert silent and not [t for t in silent if noise["silence"]["from"] <= t < noise["silence"]["to"]]
    # the skewed host's times run 443 s ahead of the run's window
    skewed = sorted(e["@timestamp"] for e in parsed(out / noise["clock_skew"]["file"]))
    assert skewed[-1] > "2026-11-25T11:00:00" and skewed[0] >= "2026-11-25T08:07:23"
    assert [e for e in parsed(out / "linux/relay01.syslog") if e["@timestamp"] < "2026-11-25T08:07:23"]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate(a, seed=11, duration="20m", rate=20)
    simulate(b, seed=11, duration="20m", rate=20)
    simulate(c, seed=12, duration="20m", rate=20)
    assert tree_hash(a) == tree_hash(b)
    assert tree_hash(a) != tree_hash(c)
    assert (a / "plant" / "assets.csv").read_bytes() == (c / "plant" / "assets.csv").read_bytes()


def test_cli_writes_files_and_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert main(["simulate", "--duration", "2m", "--rate", "50", "--seed", "3", "--out", str(out),
                 "--data-dir", str(tmp_path / "data")]) == 0
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    assert manifest["seed"] == 3 and manifest["duration_seconds"] == 120 and manifest["events_total"] > 1000
    assert manifest["start"] == "2026-11-22T23:00:00.000000Z"
    assert main(["simulate", "--duration", "ten", "--out", str(out), "--data-dir", str(tmp_path / "data")]) == 2
    assert "duration" in capsys.readouterr().err
    assert main(["simulate", "--to", "ftp://x:1", "--data-dir", str(tmp_path / "data")]) == 2
