"""Sigma in the stream: the worker's detection stage, the spool's detections, the store's
exactly-once commit of detections, rule state and the migration that holds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.config import Settings
from ironwatch.core.access import AccessService
from ironwatch.core.rules import RuleService
from ironwatch.errors import RuleError
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.detect_stage import (
    STATE_FILE,
    RuleState,
    StreamDetector,
    detection_id,
    detections_to_arrow,
    write_state,
)
from ironwatch.pipeline.normalize import Normalizer
from ironwatch.pipeline.spool import (
    read_detections,
    read_manifest,
    read_set,
    remove_set,
    write_set,
)
from ironwatch.store.hot import EventStore
from ironwatch.store.schema import DETECTION_SCHEMA

T0 = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z

SSHD_RULE = """
title: Test sshd failed password for an invalid user
id: 3d0c3f57-0b7e-4d55-9b0e-111111111111
status: experimental
level: medium
tags: [attack.credential-access, attack.t1110.001]
logsource: {product: linux, service: sshd}
detection:
  keywords: ['Failed password for invalid user']
  condition: keywords
"""
PLC_RULE = """
title: Test PLC mode change over plain syslog
id: 3d0c3f57-0b7e-4d55-9b0e-222222222222
status: test
level: high
tags: [attack.t0858, attack.inhibit-response-function]
logsource: {product: linux, service: syslog}
detection:
  keywords: ['mode change to PROGRAM']
  condition: keywords
"""

LINES = [
    b"<38>Nov 27 10:00:01 hist01 sshd[42]: Failed password for invalid user admin from 10.9.9.9 port 2222 ssh2",
    b"<38>Nov 27 10:00:02 hist01 sshd[42]: Failed password for root from 10.9.9.9 port 2222 ssh2",
    b"<134>Nov 27 10:00:03 plc-gw-01 plcgw[7]: PLC 3 mode change to PROGRAM by 10.1.1.5",
    b"<134>Nov 27 10:00:04 plc-gw-01 plcgw[7]: PLC 3 mode change to RUN by 10.1.1.5",
]


def records(lines: list[bytes], start: int) -> tuple[RecordColumns, tuple[int, int]]:
    recs = [WalRecord(start + i, (start * 1000 + i + 1).to_bytes(16, "big"), T0 + i, bytes(32), "syslog-tcp", "",
                      "10.0.0.1:514", ln) for i, ln in enumerate(lines)]
    return RecordColumns.from_records(recs), (start, start + 100 + len(lines))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "sshd.yml").write_text(SSHD_RULE)
    (rules / "plc.yml").write_text(PLC_RULE)
    s = Settings()
    s.data_dir = str(tmp_path)
    return s


def run_batch(det: StreamDetector, norm: Normalizer, lines: list[bytes], start: int) -> tuple[object, object, list[dict[str, object]], tuple[int, int]]:
    rc, rng = records(lines, start)
    found: list[dict[str, object]] = []
    events, dead = norm.process_batch(rc, lambda fast, dicts, identity: found.extend(det.match(fast, dicts, identity)))
    return events, dead, found, rng


def test_slow_and_fast_path_rows_are_matched(settings: Settings) -> None:
    det, norm = StreamDetector(settings), Normalizer(settings)
    _, _, found, _ = run_batch(det, norm, LINES, 0)
    assert sorted(str(d["rule_id"])[-4:] for d in found) == ["1111", "2222"]
    by_rule = {str(d["rule_id"])[-4:]: d for d in found}
    ssh, plc = by_rule["1111"], by_rule["2222"]
    assert ssh["host_name"] == "hist01" and ssh["wal_offset"] == 0 and ssh["level"] == "medium"
    assert ssh["attack_techniques"] == ["T1110.001"] and ssh["attack_tactics"] == ["credential-access"]
    assert plc["ics_techniques"] == ["T0858"] and plc["ics_tactics"] == ["inhibit-response-function"]
    assert plc["wal_offset"] == 2 and plc["event_id"] == (3).to_bytes(16, "big")
    assert plc["detection_id"] == detection_id((3).to_bytes(16, "big"), str(plc["rule_id"]))
    stats = det.stats_delta()
    assert stats[str(ssh["rule_id"])][1] == 1 and det.stats_delta() == {}
    table = detections_to_arrow(found)
    assert table.schema == DETECTION_SCHEMA and table.num_rows == 2


def test_fast_path_rows_are_not_turned_into_dicts_without_a_routed_rule(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "rules" / "plc.yml").unlink()
    det, norm = StreamDetector(settings), Normalizer(settings)
    assert det.engine is not None
    seen: list[int] = []
    original = det.engine.match_batch

    def spy(events: list[dict[str, object]]) -> list[object]:
        seen.append(len(events))
        return original(events)  # type: ignore[return-value]

    det.engine.match_batch = spy  # type: ignore[method-assign,assignment]
    _, _, found, _ = run_batch(det, norm, LINES, 0)
    assert seen == [2]  # only the two sshd lines (reference parser); the plcgw rows were left as Arrow
    assert len(found) == 1


def test_rule_state_disables_and_overrides_level_after_reload(settings: Settings, tmp_path: Path) -> None:
    det, norm = StreamDetector(settings), Normalizer(settings)
    assert not det.maybe_reload()
    (tmp_path / "run").mkdir(exist_ok=True)
    write_state(tmp_path / "run", 7, ["3d0c3f57-0b7e-4d55-9b0e-111111111111"], {"3d0c3f57-0b7e-4d55-9b0e-222222222222": "critical"})
    assert RuleState.read(tmp_path / "run" / STATE_FILE).version == 7
    assert det.maybe_reload() and det.version == 7
    _, _, found, _ = run_batch(det, norm, LINES, 0)
    assert [(str(d["rule_id"])[-4:], d["level"]) for d in found] == [("2222", "critical")]


def test_spool_and_store_keep_detections_exactly_once(settings: Settings, tmp_path: Path) -> None:
    det, norm = StreamDetector(settings), Normalizer(settings)
    events, dead, found, rng = run_batch(det, norm, LINES, 0)
    spool = tmp_path / "spool"
    write_set(spool, "s1", events, dead, [list(rng)], detections_to_arrow(found), det.stats_delta())  # type: ignore[arg-type]
    assert read_manifest(spool, "s1")["detections"] == 2
    assert read_detections(spool, "s1").num_rows == 2
    store = EventStore(tmp_path, settings.store)
    e, d, batches = read_set(spool, "s1")
    r = store.commit(e, d, batches, read_detections(spool, "s1"))
    assert (r.events, r.detections) == (4, 2)
    # the batch redone after a crash: same detection ids, skipped by the WAL check
    events2, dead2, found2, _ = run_batch(det, norm, LINES, 0)
    assert store.commit(events2, dead2, [rng], detections_to_arrow(found2)).skipped_batches == 1  # type: ignore[arg-type]
    # even past the WAL check the primary key keeps one row per (event, rule)
    store.con.register("_again", detections_to_arrow(found2))
    store.con.execute("INSERT INTO detections BY NAME SELECT * FROM _again ON CONFLICT DO NOTHING")
    assert store.totals()["detections"] == 2
    remove_set(spool, "s1")
    assert list(spool.iterdir()) == []
    store.close()


def test_rule_service_state_audit_and_listing(settings: Settings, tmp_path: Path) -> None:
    store = EventStore(tmp_path, settings.store)
    rules = RuleService(settings, store, AccessService(store.con, tmp_path, settings))
    listed = {r["rule_id"][-4:]: r for r in rules.listing()}
    assert set(listed) == {"1111", "2222"} and listed["1111"]["enabled"] is True
    rule = rules.lookup("3d0c3f57-0b7e-4d55-9b0e-111111111111")
    out = rules.set_state("local:tester", "cli", rule, enabled=False)
    assert out["enabled"] is False
    assert RuleState.read(tmp_path / "run" / STATE_FILE).disabled == {rule["id"]}
    rules.set_state("local:tester", "cli", rule, level="low")
    row = {r["rule_id"]: r for r in rules.listing()}[rule["id"]]
    assert (row["enabled"], row["level"], row["changed_by"]) == (False, "low", "local:tester")
    with pytest.raises(RuleError):
        rules.set_state("local:tester", "cli", rule, level="urgent")
    with pytest.raises(RuleError):
        rules.lookup("no-such-rule")
    rules.reload("local:tester", "cli")
    actions = [r[0] for r in store.con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions[-3:] == ["rule.disable", "rule.level", "rules.reload"]
    rules.add_stats({rule["id"]: [3, 1, 0.5]})
    rules.add_stats({rule["id"]: [2, 0, 0.25]})
    assert rules.summary()["top_rules"][0] == {"rule_id": rule["id"], "evaluations": 5, "matches": 1, "time_ms": 0.75}
    store.close()


def test_migration_creates_detection_and_rule_state_tables(tmp_path: Path) -> None:
    store = EventStore(tmp_path, Settings().store)
    tables = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"detections", "rule_state"} <= tables
    cols = [r[0] for r in store.con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'detections' ORDER BY ordinal_position").fetchall()]
    assert cols[:-1] == DETECTION_SCHEMA.names and cols[-1] == "stored"
    store.close()
