"""Re-running dead letters through the current parsers (``ironwatch deadletter replay``).

A dead letter keeps the identity it got at WAL append, so a replayed event has the same
``event.id`` and hash it would have had. Success stores the event and stamps the dead
letter ``replayed_at`` in one transaction; failure counts the attempt and keeps the new
reason. Runs on the core's store thread (or in-process when no server runs).
"""

from __future__ import annotations

import uuid
from typing import Any

import duckdb

from ..config import Settings
from ..errors import StoreError
from ..intake.wal import WalRecord
from ..pipeline.normalize import Normalizer, events_to_arrow
from ..store.hot import EventStore


def replay_dead_letters(store: EventStore, settings: Settings, limit: int = 10_000) -> dict[str, int]:
    rows = store.con.execute(
        "SELECT event_id, epoch_us(received), listener, source_address, format, original, hash, wal_offset "
        "FROM dead_letters WHERE replayed_at IS NULL ORDER BY received LIMIT ?", [limit]).fetchall()
    norm = Normalizer(settings)
    events: list[dict[str, Any]] = []
    ok_ids: list[str] = []
    failed: list[tuple[str, str]] = []
    for eid, received, listener, address, fmt, original, digest, offset in rows:
        rec = WalRecord(int(offset or 0), uuid.UUID(str(eid)).bytes, int(received), bytes.fromhex(digest),
                        listener or "", fmt or "", address or "", bytes(original))
        ev, reason = norm.parse_one(rec)
        if ev is not None:
            events.append(ev)
            ok_ids.append(str(eid))
        else:
            failed.append((str(eid), reason))
    con = store.con
    con.execute("BEGIN")
    try:
        if events:
            store._insert_events(events_to_arrow(events))
            con.executemany("UPDATE dead_letters SET replayed_at = now(), replay_attempts = replay_attempts + 1 "
                            "WHERE event_id = ?", [[i] for i in ok_ids])
        if failed:
            con.executemany("UPDATE dead_letters SET replay_attempts = replay_attempts + 1, last_replay_reason = ? "
                            "WHERE event_id = ?", [[r, i] for i, r in failed])
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        raise StoreError(f"replay failed: {exc}") from exc
    return {"examined": len(rows), "replayed": len(ok_ids), "still_failing": len(failed)}
