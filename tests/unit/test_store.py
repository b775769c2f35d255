"""The hot store: exactly-once commits, day segments, search, dead letters, migrations."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ironwatch.config import Settings
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.normalize import Normalizer
from ironwatch.query.simple import QueryError, parse_query
from ironwatch.store.hot import EventStore, list_dead_letters, search_events
from ironwatch.store.migrate import LATEST, current_version

DAY = 86_400_000_000
T0 = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z


def batch(lines: list[bytes], start: int, received: int = T0) -> tuple[RecordColumns, tuple[int, int]]:
    recs = [WalRecord(start + i, (start * 1000 + i).to_bytes(16, "big"), received + i, bytes(32), "syslog-tcp", "",
                      "10.0.0.1:514", ln) for i, ln in enumerate(lines)]
    return RecordColumns.from_records(recs), (start, start + 100 + len(lines))


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(tmp_path, Settings().store)


def commit(store: EventStore, lines: list[bytes], start: int, received: int = T0) -> tuple[int, int, int]:
    rc, rng = batch(lines, start, received)
    events, dead = Normalizer(Settings()).process_batch(rc)
    r = store.commit(events, dead, [rng])
    return r.events, r.dead, r.skipped_batches


LINES = [b"<134>1 2026-11-27T10:00:00Z plc-gw-01 modbusd 7 POLL - read 10 holding registers",
         b"<38>Nov 27 10:00:01 hist01 sshd[42]: Failed password for root from 10.9.9.9 port 2222 ssh2",
         b'{"message": "operator login", "host": {"name": "hmi-03"}, "user": {"name": "op1"}}',
         b"\x00\xff not syslog"]


def test_commit_is_exactly_once_and_watermark_advances(store: EventStore) -> None:
    assert commit(store, LINES, 0) == (3, 1, 0)
    assert store.watermark == 104
    assert commit(store, LINES, 0) == (0, 0, 1)  # the same batch redone: skipped
    assert commit(store, LINES, 300) == (3, 1, 0)  # out of order: held in wal_done
    assert store.watermark == 104 and 300 in store.done
    assert commit(store, LINES, 104)[0] == 3
    assert store.totals()["events"] == 9


def test_partially_stored_sets_keep_only_new_batches(store: EventStore) -> None:
    rc1, r1 = batch(LINES[:2], 0)
    rc2, r2 = batch(LINES[2:3], r1[1])
    norm = Normalizer(Settings())
    e1, d1 = norm.process_batch(rc1)
    store.commit(e1, d1, [r1])
    both = RecordColumns.concat([rc1, rc2])
    e, d = norm.process_batch(both)
    result = store.commit(e, d, [r1, r2])
    assert (result.events, result.skipped_batches) == (1, 1)
    assert store.totals()["events"] == 3


def test_rows_go_to_their_receipt_day_segment(store: EventStore) -> None:
    commit(store, LINES[:1], 0, received=T0)
    commit(store, LINES[:1], 200, received=T0 + DAY)
    assert store.segments() == ["ev_20261128", "ev_20261127"]
    dropped = store.drop_segments_before(__import__("datetime").date(2026, 11, 28))
    assert dropped == ["ev_20261127"] and store.totals()["events"] == 1


def test_search_fields_text_negation_and_time(store: EventStore) -> None:
    commit(store, LINES, 0)
    assert [e["host.name"] for e in search_events(store, "host.name:PLC-GW-01", None, None, 10)] == ["plc-gw-01"]
    assert len(search_events(store, "sshd", None, None, 10)) == 1
    assert len(search_events(store, '"failed password"', None, None, 10)) == 1
    assert len(search_events(store, "user.name:op1", None, None, 10)) == 1  # a JSON field
    assert len(search_events(store, "host.name:plc* -process.pid:7", None, None, 10)) == 0
    assert len(search_events(store, "log.syslog.severity.code:6", None, None, 10)) == 2
    assert len(search_events(store, "log.syslog.facility.name:auth", None, None, 10)) == 1
    assert search_events(store, "", T0 + 10 * DAY, None, 10) == []
    ev = search_events(store, "host.name:plc-gw-01", None, None, 1)[0]
    assert ev["event.original"] == LINES[0].decode() and ev["log.syslog.facility.name"] == "local0"


def test_hostile_queries_are_data_not_sql(store: EventStore) -> None:
    commit(store, [b"<13>1 2026-11-27T10:00:00Z h a - - - x'; DROP TABLE segments; --"], 0)
    for q in ["message:\"x'; DROP TABLE segments; --\"", "'; DROP TABLE segments; --", 'a.b\\":1',
              "message:%", "message:_", "host.name:*"]:
        try:
            search_events(store, q, None, None, 10)
        except QueryError:
            pass
    assert store.totals()["events"] == 1
    assert len(search_events(store, "DROP", None, None, 10)) == 1
    assert search_events(store, "message:%", None, None, 10) == []  # % is literal, not a LIKE wildcard
    assert [t.field for t in parse_query('bad"field:1 host.name:"a b" -x')] == [None, "host.name", None]


def test_dead_letters_keep_bytes_and_reason(store: EventStore) -> None:
    commit(store, LINES, 0)
    [dl] = list_dead_letters(store)
    assert dl["reason"].startswith("rfc3164") and dl["original_bytes"] == len(LINES[3])
    raw = store.con.execute("SELECT original FROM dead_letters").fetchone()
    assert raw is not None and bytes(raw[0]) == LINES[3]


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    s = EventStore(tmp_path, Settings().store)
    assert current_version(s.con) == LATEST
    s.close()
    s2 = EventStore(tmp_path, Settings().store)
    assert s2.applied_migrations == []
    s2.close()


def test_segment_migration_turns_json_fields_into_varchar(tmp_path: Path) -> None:
    s = EventStore(tmp_path, Settings().store)
    commit(s, LINES, 0)
    [seg] = s.segments()
    # the store as version 3 left it: `fields` typed JSON
    s.con.execute(f"ALTER TABLE {seg} ALTER fields TYPE JSON")
    s.con.execute("DELETE FROM schema_version WHERE version >= 4")
    s.close()
    s2 = EventStore(tmp_path, Settings().store)
    assert s2.applied_migrations[:2] == ["0004_fields_varchar.sql", "0005_detections.sql"]
    types = dict(s2.con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                f"WHERE table_name = '{seg}'").fetchall())
    assert types["fields"] == "VARCHAR"
    assert [e["host.name"] for e in search_events(s2, "system.auth.ssh.method:password", None, None, 10)] == ["hist01"]
    assert (tmp_path / "ironwatch.duckdb.v3.bak").exists()
    s2.close()


def test_no_extension_is_ever_fetched(store: EventStore) -> None:
    row = store.con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchone()
    assert row is not None and row[0] is False
    assert isinstance(store.con, duckdb.DuckDBPyConnection)


def test_bulky_columns_are_zstd_compressed(store: EventStore) -> None:
    xml = b"<Event>" + b"<Data Name='CommandLine'>powershell -enc " + b"QUJD" * 400 + b"</Data></Event>"
    commit(store, [b"<134>1 2026-11-27T10:00:00Z ws01 app 1 - - " + xml] * 3000, 0)
    store.con.execute("CHECKPOINT")
    [seg] = store.segments()
    methods = dict(store.con.execute(
        "SELECT column_name, list(DISTINCT compression) FROM pragma_storage_info(?) "
        "WHERE column_name IN ('message', 'original', 'fields') AND compression <> 'Constant' GROUP BY ALL",
        [seg]).fetchall())
    assert methods == {"message": ["ZSTD"], "original": ["ZSTD"], "fields": ["ZSTD"]}
    [tags] = store.con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    assert tags[0]["storage_version"].startswith("v1.5")


def test_a_store_in_the_older_storage_format_still_opens_and_stores(tmp_path: Path) -> None:
    # a store created before this release: DuckDB's default storage format, no zstd
    duckdb.connect(str(tmp_path / "ironwatch.duckdb")).close()
    s = EventStore(tmp_path, Settings().store)
    assert commit(s, LINES, 0) == (3, 1, 0)
    s.con.execute("CHECKPOINT")
    assert [e["host.name"] for e in search_events(s, "sshd", None, None, 10)] == ["hist01"]
    s.close()
