"""Listener names carry what an input knows about its records (file path, shipper metadata)."""

from __future__ import annotations

from ironwatch.config import Settings
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.parsers.hec import format_for
from ironwatch.pipeline.listeners import MAX_VALUE, listener_meta, with_meta
from ironwatch.pipeline.normalize import Normalizer

T0 = 1_795_773_600_000_000


def test_listener_names_round_trip() -> None:
    assert listener_meta("syslog-tcp") == ("syslog-tcp", ())
    assert listener_meta("import:/logs/a?b.log") == ("import", (("log.file.path", "/logs/a?b.log"),))
    name = with_meta("hec", {"host": "hist 01", "source": "/var/log/x&y=z", "index": "", "bogus": "1"})
    assert name == "hec?host=hist+01&source=%2Fvar%2Flog%2Fx%26y%3Dz"
    assert listener_meta(name) == ("hec", (("host.name", "hist 01"), ("hec.source", "/var/log/x&y=z")))
    assert with_meta("es-bulk", {"es_index": ""}) == "es-bulk"
    assert listener_meta(with_meta("es-bulk", {"es_index": "x" * 5000}))[1] == (("es.index", "x" * MAX_VALUE),)


def test_shipper_metadata_reaches_every_event() -> None:
    # records with shipper metadata take the reference parsers, which apply it, whatever their shape
    listener = with_meta("hec", {"host": "hist-01", "source": "historian", "index": "ot"})
    lines = [b"<134>1 2026-11-27T10:00:00Z plc01 app 1 - - columnar shape",  # shapes the fast path reads elsewhere
             b"<13>Nov 27 10:00:00 hmi02 app: an RFC 3164 line",
             b"backfill done in 12.5 s"]                                      # plain text: no host of its own
    recs = [WalRecord(i, i.to_bytes(16, "big"), T0, bytes(32), listener, format_for(""), "10.0.0.9", ln) for i, ln in enumerate(lines)]
    events, dead = Normalizer(Settings()).process_batch(RecordColumns.from_records(recs))
    assert dead.num_rows == 0
    rows = events.to_pylist()
    assert [r["host_name"] for r in rows] == ["plc01", "hmi02", "hist-01"]  # the event's own host wins
    assert {r["listener"] for r in rows} == {"hec"}
    for r in rows:
        assert '"hec.source":"historian"' in r["fields"] and '"hec.index":"ot"' in r["fields"]
