"""Users and API tokens in the store: create, list, change, disable, revoke.

Runs on the core's store thread (or in an offline CLI that opened the store). Password
hashes and token hashes never leave this module: listings return neither.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import duckdb

from ..errors import AccessError
from ..timeutil import iso, now_us
from .passwords import DUMMY_HASH, check_policy, hash_password, needs_rehash, verify_password
from .roles import INGEST, check_role

TOKEN_PREFIX = "iwt_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    must_change: bool
    disabled: bool


def _ts(v: Any) -> str | None:
    return iso(int(v)) if v is not None else None


class UserDirectory:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM users").fetchall()[0][0])

    def get(self, name: str) -> User | None:
        rows = self.con.execute("SELECT name, role, must_change, disabled FROM users WHERE name = ?", [name]).fetchall()
        return User(*rows[0]) if rows else None

    def add(self, name: str, role: str, password: str, must_change: bool, created_by: str) -> User:
        if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
            raise AccessError("user names are 1-64 letters, digits, '.', '_', '-' or '@'")
        check_role(role)
        if role == INGEST:
            raise AccessError("the ingest role is for API tokens, not people (ironwatch token create --role ingest)")
        if self.get(name) is not None:
            raise AccessError(f"user {name!r} already exists")
        check_policy(password, name)
        self.con.execute("INSERT INTO users (name, role, password_hash, must_change, created_by, password_changed) "
                         "VALUES (?, ?, ?, ?, ?, now())", [name, role, hash_password(password), must_change, created_by])
        return User(name, role, must_change, False)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when name and password match and the user may log in; None otherwise."""
        rows = self.con.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchall()
        stored = rows[0][0] if rows else DUMMY_HASH
        if not verify_password(stored, password) or not rows:
            return None
        user = self.get(name)
        if user is None or user.disabled:
            return None
        if needs_rehash(stored):
            self.con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hash_password(password), name])
        self.con.execute("UPDATE users SET last_login = now() WHERE name = ?", [name])
        return user

    def set_password(self, name: str, password: str, must_change: bool) -> None:
        self._require(name)
        check_policy(password, name)
        rows = self.con.execute("SELECT password_hash FROM users WHERE name = ?", [name]).fetchall()
        if verify_password(rows[0][0], password):
            raise AccessError("the new password must differ from the current one")
        self.con.execute("UPDATE users SET password_hash = ?, must_change = ?, password_changed = now() WHERE name = ?",
                         [hash_password(password), must_change, name])

    def set_role(self, name: str, role: str) -> None:
        self._require(name)
        check_role(role)
        if role == INGEST:
            raise AccessError("the ingest role is for API tokens, not people")
        self.con.execute("UPDATE users SET role = ? WHERE name = ?", [role, name])

    def set_disabled(self, name: str, disabled: bool) -> None:
        self._require(name)
        self.con.execute("UPDATE users SET disabled = ? WHERE name = ?", [disabled, name])

    def _require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise AccessError(f"no user {name!r}")
        return user

    def list(self) -> list[dict[str, Any]]:
        rows = self.con.execute("SELECT name, role, disabled, must_change, epoch_us(created), created_by, "
                                "epoch_us(password_changed), epoch_us(last_login) FROM users ORDER BY name").fetchall()
        return [{"name": r[0], "role": r[1], "disabled": r[2], "must_change_password": r[3], "created": _ts(r[4]),
                 "created_by": r[5], "password_changed": _ts(r[6]), "last_login": _ts(r[7])} for r in rows]


class TokenRegistry:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def create(self, name: str, role: str, expires_us: int | None, created_by: str) -> tuple[str, str]:
        """(token id, the token itself: shown once, stored only as its SHA-256)."""
        check_role(role)
        if not name or len(name) > 100:
            raise AccessError("a token needs a name of 1-100 characters (what uses it)")
        if expires_us is not None and expires_us <= now_us():
            raise AccessError("a token's expiry must be in the future")
        token, token_id = new_token(), str(uuid.uuid4())
        self.con.execute("INSERT INTO api_tokens (id, name, role, token_hash, expires, created_by) "
                         "VALUES (?, ?, ?, ?, make_timestamptz(?), ?)",
                         [token_id, name, role, token_hash(token), expires_us, created_by])
        return token_id, token

    def revoke(self, token_id: str) -> dict[str, Any]:
        rows = self.con.execute("SELECT name, role, revoked FROM api_tokens WHERE id = ?", [token_id]).fetchall()
        if not rows:
            raise AccessError(f"no token {token_id!r}")
        if rows[0][2] is None:
            self.con.execute("UPDATE api_tokens SET revoked = now() WHERE id = ?", [token_id])
        return {"id": token_id, "name": rows[0][0], "role": rows[0][1]}

    def lookup(self, token: str) -> tuple[str, str, str] | None:
        """(id, name, role) of a valid (unrevoked, unexpired) token."""
        rows = self.con.execute("SELECT id, name, role FROM api_tokens WHERE token_hash = ? AND revoked IS NULL "
                                "AND (expires IS NULL OR expires > now())", [token_hash(token)]).fetchall()
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    def touch(self, token_id: str) -> None:
        self.con.execute("UPDATE api_tokens SET last_used = now() WHERE id = ?", [token_id])

    def list(self) -> list[dict[str, Any]]:
        rows = self.con.execute("SELECT id, name, role, epoch_us(created), created_by, epoch_us(expires), "
                                "epoch_us(last_used), epoch_us(revoked) FROM api_tokens ORDER BY created").fetchall()
        now = now_us()
        return [{"id": r[0], "name": r[1], "role": r[2], "created": _ts(r[3]), "created_by": r[4], "expires": _ts(r[5]),
                 "last_used": _ts(r[6]), "revoked": _ts(r[7]),
                 "state": "revoked" if r[7] is not None else ("expired" if r[5] is not None and r[5] <= now else "active")}
                for r in rows]
