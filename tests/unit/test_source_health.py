"""Source health: per (host, format) counts, rate, parse errors per sender, clock skew, silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.config import Settings
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.normalize import Normalizer
from ironwatch.store.health import SKEW_LABELS, SilenceRule
from ironwatch.store.hot import EventStore

MIN = 60_000_000
T0 = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z
RULE = SilenceRule(min_us=5 * MIN, max_us=60 * MIN, factor=10)


def commit(store: EventStore, lines: list[bytes], start: int, received: int, sender: str = "10.0.0.1:514",
           listener: str = "syslog-tcp") -> None:
    recs = [WalRecord(start + i, (start * 1000 + i).to_bytes(16, "big"), received + i, bytes(32), listener, "",
                      sender, ln) for i, ln in enumerate(lines)]
    events, dead = Normalizer(Settings()).process_batch(RecordColumns.from_records(recs))
    store.commit(events, dead, [(start, start + len(lines))])


def by_key(store: EventStore, now: int) -> dict[tuple[str, str], dict]:
    return {(s["host"], s["format"]): s for s in store.health.sources(RULE, now)}


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(tmp_path, Settings().store)


def line5424(host: str, minute: int, text: str = "poll") -> bytes:
    return f"<134>1 2026-11-27T10:{minute:02d}:00Z {host} app - - - {text}".encode()


def test_counts_skew_and_parse_errors(store: EventStore) -> None:
    # plc-gw-01's clock is right; hist01's is 10 minutes behind; two garbage records from hist01's sender
    commit(store, [line5424("plc-gw-01", 0), line5424("plc-gw-01", 1)], 0, T0 + MIN)
    commit(store, [b"<38>Nov 27 09:51:00 hist01 sshd[1]: x", b"\x00\xff"], 10, T0 + MIN, sender="10.0.0.9:514")
    commit(store, [b"<38>Nov 27 09:52:00 hist01 sshd[1]: y", b"\x00\xfe"], 20, T0 + 2 * MIN, sender="10.0.0.9:514")
    # a redone batch is not counted twice
    commit(store, [line5424("plc-gw-01", 0), line5424("plc-gw-01", 1)], 0, T0 + MIN)
    src = by_key(store, T0 + 3 * MIN)
    gw, hist = src[("plc-gw-01", "rfc5424")], src[("hist01", "rfc3164")]
    assert gw["events"] == 2 and gw["parse_errors"] == 0 and gw["sender"] == "10.0.0.1:514"
    assert gw["skew"]["±5s"] == 1 and gw["skew"]["-1m..-5s"] == 1  # 10:00 and 10:01 received at 10:01
    assert gw["skew_last_s"] == pytest.approx(0, abs=0.01)
    assert hist["events"] == 2 and hist["skew_p50"] == "-1h..-5m" and hist["skew_p95"] == "-1h..-5m"
    assert hist["parse_errors"] == 2 and hist["parse_error_rate"] == 0.5
    assert hist["last_parse_error"].startswith("rfc3164")
    assert hist["first_seen_us"] == T0 + MIN and hist["last_seen_us"] == T0 + 2 * MIN
    assert hist["last_event_us"] == T0 - 8 * MIN
    assert sum(hist["skew"].values()) == 2 and list(hist["skew"]) == list(SKEW_LABELS)
    # the rate is taken over the last five minutes of commits (wall clock), so it is positive now
    assert gw["events_per_second"] > 0


def test_silence_is_reported_once_and_resumption_noticed(store: EventStore, tmp_path: Path) -> None:
    # one event a minute for 12 minutes: usual interval 1 min, silent after max(10 × 1 min, 5 min)
    for m in range(12):
        commit(store, [line5424("plc-gw-01", m)], m * 10, T0 + m * MIN)
    commit(store, [line5424("rare-host", 0)], 500, T0)  # too few events to learn from
    for m in range(12):  # an import is not a source that falls silent
        commit(store, [line5424("imported", m)], 600 + m * 10, T0 + m * MIN, sender="", listener="import:/x.log")
    last = T0 + 11 * MIN
    gw = by_key(store, last)[("plc-gw-01", "rfc5424")]
    assert gw["silent_after_s"] == 600
    assert store.health.check_silence(RULE, last + 9 * MIN) == []
    newly = store.health.check_silence(RULE, last + 11 * MIN)
    assert [(s["host"], s["format"]) for s in newly] == [("plc-gw-01", "rfc5424")]
    assert store.health.check_silence(RULE, last + 30 * MIN) == []  # reported once
    assert by_key(store, last + 30 * MIN)[("plc-gw-01", "rfc5424")]["silent_since_us"] == last + 11 * MIN
    # the silent flag survives a restart of the store, and is cleared when the source sends again
    store.close()
    store = EventStore(tmp_path, Settings().store)
    assert store.health.check_silence(RULE, last + 40 * MIN) == []
    commit(store, [line5424("plc-gw-01", 50)], 900, last + 41 * MIN)
    assert store.health.take_resumed() == [("plc-gw-01", "rfc5424")] and store.health.take_resumed() == []
    assert by_key(store, last + 41 * MIN)[("plc-gw-01", "rfc5424")]["silent_since_us"] is None


def test_silence_bounds() -> None:
    assert RULE.threshold_us(T0, T0 + 9 * MIN, 9) is None  # fewer than 10 events
    assert RULE.threshold_us(T0, T0 + 9 * 1_000_000, 10) == 5 * MIN  # chatty: never before silent_min
    assert RULE.threshold_us(T0, T0 + 90 * 60 * MIN, 10) == 60 * MIN  # rare: always by silent_max
