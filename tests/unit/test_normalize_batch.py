"""``Normalizer.process_batch`` must give exactly what ``parse_one`` gives, record by record.

The batch path adds each event's identity (``event.id``, ``event.created``,
``event.original``, source address, listener, WAL offset, parser) as whole columns instead of
per event dict; ``parse_one`` (what ``ironwatch deadletter replay`` runs) and
``events_to_arrow`` of its dicts are the reference. Inputs: every golden fixture of every
format, in one mixed batch with several listeners, receipt times and sources, plus
documents that name identity fields themselves.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa

from ironwatch.config import Settings
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.detect_stage import _rows
from ironwatch.pipeline.normalize import Normalizer, dead_to_arrow, events_to_arrow
from ironwatch.detect import Detection

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
LISTENERS = ["syslog-tcp", "import:/data/plant/hist01.log", "hec?host=hec-sender&index=ot", "http", "es-bulk?es_index=plant"]


def golden_records() -> list[WalRecord]:
    recs: list[WalRecord] = []
    for i, path in enumerate(sorted(GOLDEN.glob("*/*.input"))):
        options = path.with_suffix(".options")
        fmt = path.parent.name + ("\n" + options.read_text().rstrip("\n") if options.exists() else "")
        pinned = fmt if i % 3 else ("" if path.parent.name in ("rfc5424", "rfc3164", "json") else fmt)
        recs.append(WalRecord(4096 + 211 * i, (i + 1).to_bytes(16, "big"), RECEIVED + (i // 7) * 1000,
                              bytes([i % 256]) * 32, LISTENERS[i % len(LISTENERS)], pinned,
                              "" if i % 4 == 0 else f"10.20.{i % 5}.{i % 11}", path.read_bytes()))
    return recs


def hostile_records() -> list[WalRecord]:
    docs = [{"event.id": "not-a-uuid", "message": "names its own id"},
            {"event": {"original": "forged", "created": "2020-01-01T00:00:00Z"}, "message": "forged original"},
            {"ironwatch.listener": "forged", "ironwatch.wal_offset": 7, "ironwatch.parser": "x", "log.source.address": "1.2.3.4"},
            {"message": "plain"}]
    recs = [WalRecord(90_000 + i, (900 + i).to_bytes(16, "big"), RECEIVED, bytes(32), "http", "json", "10.9.9.9",
                      orjson.dumps(d)) for i, d in enumerate(docs)]
    recs.append(WalRecord(90_100, (999).to_bytes(16, "big"), RECEIVED, bytes(32), "import:/x.evtx",
                          "!evtx: record 3 of x.evtx could not be read: bad chunk", "", b""))
    return recs


def assert_same(recs: list[WalRecord]) -> None:
    norm = Normalizer(Settings())
    table, dead = norm.process_batch(RecordColumns.from_records(recs))
    events, ref_dead = norm.process(recs)
    ref = events_to_arrow(events)
    a, b = table.sort_by("wal_offset"), ref.sort_by("wal_offset")
    assert a.num_rows == b.num_rows
    for col in a.column_names:
        assert a[col].to_pylist() == b[col].to_pylist(), col
    assert a.equals(b)
    assert dead.sort_by("wal_offset").equals(dead_to_arrow(ref_dead).sort_by("wal_offset"))


def test_every_golden_fixture_same_as_parse_one() -> None:
    recs = golden_records()
    assert len(recs) > 100
    assert_same(recs)


def test_identity_fields_named_by_the_input_lose_to_the_record() -> None:
    recs = hostile_records()
    assert_same(recs)
    table, dead = Normalizer(Settings()).process_batch(RecordColumns.from_records(recs))
    rows = {r["wal_offset"]: r for r in table.to_pylist()}
    assert rows[90_000]["listener"] == "http" and rows[90_002]["parser"] == "json"
    assert rows[90_002]["log_source_address"] == "10.9.9.9"
    assert all("ironwatch." not in (r["fields"] or "") and "event.id" not in (r["fields"] or "") for r in rows.values())
    assert dead.column("reason").to_pylist() == ["evtx: record 3 of x.evtx could not be read: bad chunk"]


def test_inspect_sees_the_identity_of_each_event() -> None:
    recs = golden_records()
    seen: list[tuple[bytes, int, int]] = []

    def inspect(fast: pa.Table | None, events: list[dict[str, object]], identity: object) -> None:
        seen.extend(identity.of(i) for i in range(len(events)))  # type: ignore[attr-defined]
        assert not any("event.id" in ev for ev in events)

    table, _ = Normalizer(Settings()).process_batch(RecordColumns.from_records(recs), inspect)
    by_offset = {r.offset: r for r in recs}
    assert seen
    for eid, created, offset in seen:
        assert by_offset[offset].event_id == eid and by_offset[offset].received_us == created


class _Rule:
    id, title, level, status, tags, path = "r-1", "t", "high", "test", (), "x.yml"

    class attack:  # noqa: N801 - the shape of a rule's ATT&CK block
        techniques = tactics = ics_techniques = ics_tactics = ()


def test_detection_rows_take_the_identity_given() -> None:
    rec = golden_records()[0]
    norm = Normalizer(Settings())
    ref, _ = norm.parse_one(rec)
    assert ref is not None
    bare = {k: v for k, v in ref.items() if k not in ("event.id", "event.created", "ironwatch.wal_offset")}

    class Ident:
        def of(self, index: int) -> tuple[bytes, int, int]:
            return rec.event_id, rec.received_us, rec.offset

    found = [Detection(_Rule(), None, 0, {"Image": "x"}, "windows/process_creation")]  # type: ignore[arg-type]
    assert _rows(found, [bare], Ident()) == _rows(found, [ref])  # type: ignore[arg-type]
