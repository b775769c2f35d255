"""Console sessions: random ids in HttpOnly cookies, a CSRF token each, idle and absolute limits.

Only the SHA-256 of a session id is stored, so a copy of the store does not yield live
sessions. Sessions survive a restart of the core (they are in the store) and end at logout,
at the idle or absolute timeout, or when the user is disabled or changes password.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass

import duckdb

from ..timeutil import now_us

_TOUCH_EVERY_US = 60_000_000


@dataclass
class Session:
    id_hash: str
    user: str
    csrf: str
    created_us: int
    last_seen_us: int
    address: str


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionBook:
    def __init__(self, con: duckdb.DuckDBPyConnection, idle_us: int, absolute_us: int) -> None:
        self.con = con
        self.idle_us, self.absolute_us = idle_us, absolute_us
        self._lock = threading.Lock()
        self._local = threading.local()
        self._cache: dict[str, Session] = {}
        rows = con.execute("SELECT id_hash, user_name, csrf, epoch_us(created), epoch_us(last_seen), address "
                           "FROM sessions").fetchall()
        for r in rows:
            self._cache[r[0]] = Session(*r)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own connection (sessions are touched from request threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.con.cursor()
        return cur

    def create(self, user: str, address: str) -> tuple[str, Session]:
        """(session id for the cookie, the session)."""
        sid = secrets.token_urlsafe(32)
        now = now_us()
        s = Session(_hash(sid), user, secrets.token_urlsafe(24), now, now, address)
        self.con.execute("INSERT INTO sessions VALUES (?, ?, ?, make_timestamptz(?), make_timestamptz(?), ?)",
                         [s.id_hash, user, s.csrf, now, now, address])
        with self._lock:
            self._cache[s.id_hash] = s
        return sid, s

    def get(self, session_id: str) -> Session | None:
        """The live session for a cookie value (touching it), or None if unknown or expired."""
        h = _hash(session_id)
        with self._lock:
            s = self._cache.get(h)
        if s is None:
            return None
        now = now_us()
        if now - s.last_seen_us > self.idle_us or now - s.created_us > self.absolute_us:
            self.end(session_id)
            return None
        if now - s.last_seen_us > _TOUCH_EVERY_US:
            self._cursor().execute("UPDATE sessions SET last_seen = make_timestamptz(?) WHERE id_hash = ?", [now, h])
        s.last_seen_us = now
        return s

    def end(self, session_id: str) -> None:
        self._drop(_hash(session_id))

    def _drop(self, id_hash: str) -> None:
        with self._lock:
            self._cache.pop(id_hash, None)
        self._cursor().execute("DELETE FROM sessions WHERE id_hash = ?", [id_hash])

    def end_all_for(self, user: str, keep: str | None = None) -> int:
        """End every session of ``user`` (disabled, password changed), except ``keep``'s."""
        keep_hash = _hash(keep) if keep else None
        with self._lock:
            doomed = [h for h, s in self._cache.items() if s.user == user and h != keep_hash]
        for h in doomed:
            self._drop(h)
        return len(doomed)
