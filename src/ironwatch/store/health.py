"""Source health: per source (host + format) first/last seen, rate, parse errors, clock skew.

Evidence that logging works (ISO 27001 A.8.15 logging, A.8.16 monitoring, A.8.17 clock
synchronisation): every committed batch updates ``source_health`` in the same transaction
as its events, so counts are exact even when a batch is redone after a crash. Clock skew
is ``@timestamp - event.created`` (event time minus receipt), kept as a histogram over
``SKEW_LABELS``. Dead letters have no host or format yet, so parse errors are counted per
sender (``log.source.address``, else the listener) and shown on every source of that sender.

A source is *silent* when nothing arrived for longer than ``silent_factor`` times its usual
interval between events (bounded by ``silent_min`` and ``silent_max``); the core reports the
change both ways as ``ironwatch.self`` events (``source-silent``, ``source-resumed``).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..timeutil import iso, parse_duration_us
from ..timeutil import now_us as current_us
from .schema import TS

SKEW_BOUNDS_S = (-3600, -300, -60, -5, 5, 60, 300, 3600)
SKEW_LABELS = ("< -1h", "-1h..-5m", "-5m..-1m", "-1m..-5s", "±5s", "5s..1m", "1m..5m", "5m..1h", "> 1h")
_BOUNDS_US = np.asarray(SKEW_BOUNDS_S, dtype=np.int64) * 1_000_000
_SKEW_COLS = [f"skew_{i}" for i in range(len(SKEW_LABELS))]
#: senders whose events are not a source that can fall silent (self events, one-off imports)
NOT_WATCHED = ("self", "import")
#: events a source needs before its usual interval is trusted for silence detection
MIN_EVENTS = 10
RATE_WINDOW_S = 300

_UPSERT = f"""
INSERT INTO source_health BY NAME SELECT * FROM _health
ON CONFLICT (host, format) DO UPDATE SET
    sender = excluded.sender,
    first_seen = least(first_seen, excluded.first_seen),
    last_event = CASE WHEN excluded.last_seen >= last_seen THEN excluded.last_event ELSE last_event END,
    last_skew_us = CASE WHEN excluded.last_seen >= last_seen THEN excluded.last_skew_us ELSE last_skew_us END,
    last_seen = greatest(last_seen, excluded.last_seen),
    events = events + excluded.events,
    silent_since = NULL,
    {", ".join(f"{c} = {c} + excluded.{c}" for c in _SKEW_COLS)}
"""

_ERRORS = """
INSERT INTO sender_errors BY NAME SELECT * FROM _errors
ON CONFLICT (sender) DO UPDATE SET
    dead_letters = dead_letters + excluded.dead_letters,
    last_reason = CASE WHEN excluded.last_dead >= last_dead THEN excluded.last_reason ELSE last_reason END,
    last_dead = greatest(last_dead, excluded.last_dead)
"""

_LIST = f"""
SELECT h.host, h.format, h.sender, epoch_us(h.first_seen), epoch_us(h.last_seen), epoch_us(h.last_event),
       h.events, h.last_skew_us, epoch_us(h.silent_since), {", ".join("h." + c for c in _SKEW_COLS)},
       coalesce(e.dead_letters, 0), e.last_reason,
       sum(h.events) OVER (PARTITION BY h.sender)
FROM source_health h LEFT JOIN sender_errors e ON e.sender = h.sender
ORDER BY h.host, h.format
"""


@dataclass(frozen=True)
class SilenceRule:
    min_us: int
    max_us: int
    factor: float

    @classmethod
    def from_settings(cls, selfmon: Any) -> "SilenceRule":
        return cls(parse_duration_us(selfmon.silent_min), parse_duration_us(selfmon.silent_max),
                   float(selfmon.silent_factor))

    def threshold_us(self, first_us: int, last_us: int, events: int) -> int | None:
        """How long this source may be quiet; ``None`` while too little is known of it."""
        if events < MIN_EVENTS:
            return None
        usual = (last_us - first_us) / max(events - 1, 1)
        return int(min(max(usual * self.factor, self.min_us), self.max_us))


def _sender(table: pa.Table, address: str, listener: str) -> pa.Array:
    addr = table[address]
    lst = pc.fill_null(table[listener], "")
    kind = pc.if_else(pc.starts_with(lst, "import:"), pa.scalar("import"), lst)
    has_addr = pc.fill_null(pc.not_equal(addr, ""), False)
    return pc.if_else(has_addr, addr, kind)


def aggregate(events: pa.Table) -> pa.Table:
    """One row per (host, format) of a batch, in ``source_health``'s shape."""
    ts = np.asarray(events["ts"].cast(pa.int64()).to_numpy(zero_copy_only=False))
    created = np.asarray(events["created"].cast(pa.int64()).to_numpy(zero_copy_only=False))
    skew = ts - created
    bucket = np.searchsorted(_BOUNDS_US, skew, side="right")
    cols: dict[str, Any] = {
        "host": pc.fill_null(events["host_name"], ""), "format": pc.fill_null(events["parser"], ""),
        "sender": _sender(events, "log_source_address", "listener"),
        "created": created, "ts": ts, "skew": skew,
    }
    for i, name in enumerate(_SKEW_COLS):
        cols[name] = (bucket == i).astype(np.uint64)
    table = pa.table(cols)
    # the latest event of each source: sort by receipt so "last" is it
    table = table.take(pc.sort_indices(table, [("created", "ascending")]))
    agg = table.group_by(["host", "format"], use_threads=False).aggregate(
        [("sender", "last"), ("created", "min"), ("created", "max"), ("ts", "last"), ("skew", "last"),
         ("created", "count"), *((c, "sum") for c in _SKEW_COLS)])
    return pa.table({
        "host": agg["host"], "format": agg["format"], "sender": agg["sender_last"],
        "first_seen": agg["created_min"].cast(TS), "last_seen": agg["created_max"].cast(TS),
        "last_event": agg["ts_last"].cast(TS), "events": agg["created_count"].cast(pa.uint64()),
        "last_skew_us": agg["skew_last"],
        **{c: agg[f"{c}_sum"].cast(pa.uint64()) for c in _SKEW_COLS},
    })


def aggregate_dead(dead: pa.Table) -> pa.Table:
    table = pa.table({"sender": _sender(dead, "source_address", "listener"),
                      "received": dead["received"].cast(pa.int64()), "reason": dead["reason"]})
    table = table.take(pc.sort_indices(table, [("received", "ascending")]))
    agg = table.group_by(["sender"], use_threads=False).aggregate(
        [("received", "count"), ("received", "max"), ("reason", "last")])
    return pa.table({"sender": agg["sender"], "dead_letters": agg["received_count"].cast(pa.uint64()),
                     "last_dead": agg["received_max"].cast(TS), "last_reason": agg["reason_last"]})


class SourceHealth:
    """Kept by the store; ``record`` runs inside the store's commit transaction."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        # per source: (minute, events) of the last few minutes, for the current rate
        self._recent: dict[tuple[str, str], deque[tuple[int, int]]] = defaultdict(lambda: deque(maxlen=8))
        try:
            rows = con.execute("SELECT host, format FROM source_health WHERE silent_since IS NOT NULL").fetchall()
        except duckdb.CatalogException:
            rows = []  # a store opened read-only before its migration to version 3
        self.silent: set[tuple[str, str]] = {(str(h), str(f)) for h, f in rows}
        #: sources that were silent and sent again, for the core to report
        self.resumed: list[tuple[str, str]] = []

    def record(self, events: pa.Table, dead: pa.Table) -> None:
        con = self.con
        if events.num_rows:
            agg = aggregate(events)
            minute = int(time.time() // 60)
            for host, fmt, n in zip(agg["host"].to_pylist(), agg["format"].to_pylist(), agg["events"].to_pylist()):
                recent = self._recent[(host, fmt)]
                if recent and recent[-1][0] == minute:
                    recent[-1] = (minute, recent[-1][1] + n)
                else:
                    recent.append((minute, n))
                if (host, fmt) in self.silent:
                    self.silent.discard((host, fmt))
                    self.resumed.append((host, fmt))
            con.register("_health", agg)
            con.execute(_UPSERT)
            con.unregister("_health")
        if dead.num_rows:
            con.register("_errors", aggregate_dead(dead))
            con.execute(_ERRORS)
            con.unregister("_errors")

    def rate(self, key: tuple[str, str], now_s: float) -> float:
        """Events per second over the last ``RATE_WINDOW_S`` (whole minutes)."""
        first = int(now_s // 60) - RATE_WINDOW_S // 60
        recent = self._recent.get(key)
        return sum(n for m, n in recent if m >= first) / RATE_WINDOW_S if recent else 0.0

    def sources(self, rule: SilenceRule, now_us: int,
                con: duckdb.DuckDBPyConnection | None = None) -> list[dict[str, Any]]:
        """Every source with its figures; ``con`` is the calling thread's cursor."""
        out = []
        for row in (con or self.con).execute(_LIST).fetchall():
            host, fmt, sender, first, last, last_event, events, last_skew, silent_since = row[:9]
            skew = [int(x) for x in row[9:9 + len(_SKEW_COLS)]]
            dead, reason, sender_events = row[9 + len(_SKEW_COLS):]
            quiet = rule.threshold_us(first, last, events) if sender not in NOT_WATCHED else None
            out.append({
                "host": host, "format": fmt, "sender": sender,
                "first_seen_us": first, "last_seen_us": last, "last_event_us": last_event,
                "events": int(events), "events_per_second": round(self.rate((host, fmt), now_us / 1e6), 3),
                "parse_errors": int(dead), "last_parse_error": reason,
                "parse_error_rate": round(dead / (dead + sender_events), 4) if dead else 0.0,
                "skew_last_s": None if last_skew is None else round(last_skew / 1e6, 3),
                "skew_p50": _quantile(skew, 0.5), "skew_p95": _quantile(skew, 0.95),
                "skew": dict(zip(SKEW_LABELS, skew)),
                "silent_after_s": None if quiet is None else quiet // 1_000_000,
                "silent_since_us": silent_since,
            })
        return out

    def report(self, selfmon: Any, con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
        """Every source as ``ironwatch status``, ``sources`` and the API show it (times as text)."""
        rule = SilenceRule.from_settings(selfmon)
        return [readable(src) for src in self.sources(rule, current_us(), con)]

    def check_silence(self, rule: SilenceRule, now_us: int) -> list[dict[str, Any]]:
        """Sources that just fell silent (marked so in the store); one entry each. Runs on
        the store's own thread."""
        newly = []
        for src in self.sources(rule, now_us):
            quiet = src["silent_after_s"]
            key = (src["host"], src["format"])
            if quiet is None or src["silent_since_us"] is not None or key in self.silent:
                continue
            if now_us - src["last_seen_us"] > quiet * 1_000_000:
                self.con.execute("UPDATE source_health SET silent_since = to_timestamp(?::DOUBLE / 1000000) "
                                 "WHERE host = ? AND format = ?", [now_us, *key])
                self.silent.add(key)
                newly.append(src)
        return newly

    def take_resumed(self) -> list[tuple[str, str]]:
        resumed, self.resumed = self.resumed, []
        return resumed


def readable(src: dict[str, Any]) -> dict[str, Any]:
    """A source with its times as RFC 3339 text (what the CLI and the API show)."""
    out = dict(src)
    for key in ("first_seen", "last_seen", "last_event", "silent_since"):
        us = out.pop(key + "_us")
        out[key] = iso(us) if us is not None else None
    return out


def _quantile(counts: list[int], q: float) -> str | None:
    total = sum(counts)
    if not total:
        return None
    running = 0
    for label, n in zip(SKEW_LABELS, counts):
        running += n
        if running >= q * total:
            return label
    return SKEW_LABELS[-1]


__all__ = ["SKEW_LABELS", "SilenceRule", "SourceHealth", "aggregate", "readable"]
