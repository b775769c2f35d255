"""Access operations with their audit records: the one place both front doors call.

Each method runs on the core's store thread (or in an offline CLI that owns the store),
does its change and its audit entry in one transaction, and returns plain data. ``actor``
is ``<user>`` for console sessions, ``token:<name>`` for API tokens and ``local:<user>``
for the CLI; ``source`` is the client address, ``unix-socket`` (the CLI through a running
server), ``cli`` (the CLI on the store, no server running) or ``serve`` (the core at start).
"""

from __future__ import annotations

import os
import pwd
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from ..auth.directory import TokenRegistry, UserDirectory
from ..auth.guard import LoginGuard
from ..auth.passwords import generate_password
from ..auth.roles import LOGIN_ROLES
from ..auth.sessions import Session, SessionBook
from ..config import Settings
from ..errors import AccessError, IntegrityError
from ..store.audit import AuditTrail, verify_trail
from ..store.integrity import Signer
from ..timeutil import now_us, parse_duration_us
from .config_audit import changes, effective_settings, record_settings, recorded_settings

ADMIN_PASSWORD_FILE = "admin.password"
FIRST_ADMIN = "admin"


def local_actor() -> str:
    """``local:<user>`` for this process's user: the CLI without a server, and the core itself."""
    try:
        return "local:" + pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"local:uid{os.getuid()}"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person's session, an API token, or a local CLI user."""

    name: str
    role: str
    kind: str  # "session" | "token" | "local"
    must_change: bool = False
    session: Session | None = None
    token_id: str | None = None

    @property
    def actor(self) -> str:
        return {"token": f"token:{self.name}"}.get(self.kind, self.name)


class LoginRefused(AccessError):
    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccessService:
    def __init__(self, con: duckdb.DuckDBPyConnection, data_dir: Path, settings: Settings,
                 self_event: Callable[..., None] | None = None) -> None:
        self.con = con
        self.data_dir = data_dir
        a = settings.auth
        self.users = UserDirectory(con)
        self.tokens = TokenRegistry(con)
        self.sessions = SessionBook(con, parse_duration_us(a.session_idle), parse_duration_us(a.session_absolute))
        self.guard = LoginGuard(a.lockout_failures, parse_duration_us(a.lockout_window) / 1e6,
                                parse_duration_us(a.lockout_base) / 1e6)
        self.signer = Signer.load_or_create(data_dir / "keys")
        self.audit = AuditTrail(con, data_dir, self.signer)
        self.self_event = self_event or (lambda *a, **k: None)
        self._local = threading.local()
        self._token_cache: dict[str, tuple[float, Principal | None]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def _reader(self) -> duckdb.DuckDBPyConnection:
        """A connection of the calling thread's own: request threads never share the store
        thread's connection (it may be inside a commit)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.con.cursor()
        return cur

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One store transaction for a change and its audit entry: both commit, or neither."""
        self.con.execute("BEGIN")
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            self.audit.reload()
            raise

    def record(self, actor: str, source: str, action: str, target: str | None = None,
               outcome: str = "success", details: dict[str, Any] | None = None) -> None:
        with self.transaction():
            self.audit.record(actor, source, action, target, outcome, details)

    # -- first start -------------------------------------------------------------------
    def ensure_admin(self) -> str | None:
        """With no users, create ``admin`` with a one-time password; returns it (once)."""
        if self.users.count():
            return None
        password = generate_password()
        with self.transaction():
            self.users.add(FIRST_ADMIN, "admin", password, must_change=True, created_by="first-start")
            self.audit.record("ironwatch", "first-start", "user.add", FIRST_ADMIN, details={"role": "admin"})
        from .firststart import write_secret
        write_secret(self.data_dir / ADMIN_PASSWORD_FILE, password)
        return password

    # -- sessions ----------------------------------------------------------------------
    def login(self, name: str, password: str, address: str) -> tuple[str, Principal]:
        locked = self.guard.locked_for(name, address)
        if locked:
            self.record(name or "-", address, "auth.login", name, "refused", {"reason": "locked out"})
            raise LoginRefused(f"too many failed logins: try again in {int(locked) + 1} s", locked)
        user = self.users.authenticate(name, password)
        if user is None or user.role not in LOGIN_ROLES:
            lock = self.guard.failure(name, address)
            self.record(name or "-", address, "auth.login", name, "failure", {"reason": "bad credentials"})
            self.self_event("login-failure", f"failed login for {name!r} from {address}", user=name, address=address,
                            category="authentication", outcome="failure")
            if lock:
                self.record("ironwatch", address, "auth.lockout", name, "success", {"seconds": lock})
                self.self_event("login-lockout", f"{name!r} locked out from {address} for {lock:.0f} s", user=name,
                                address=address, seconds=lock, category="authentication", outcome="failure")
            raise LoginRefused("invalid user name or password", lock)
        self.guard.success(name, address)
        with self.transaction():
            sid, session = self.sessions.create(user.name, address)
            self.audit.record(user.name, address, "auth.login", user.name, "success")
        return sid, Principal(user.name, user.role, "session", user.must_change, session)

    def session_principal(self, session_id: str) -> Principal | None:
        s = self.sessions.get(session_id)
        if s is None:
            return None
        user = UserDirectory(self._reader()).get(s.user)
        if user is None or user.disabled:
            self.sessions.end(session_id)
            return None
        return Principal(user.name, user.role, "session", user.must_change, s)

    def logout(self, session_id: str, who: Principal, address: str) -> None:
        self.sessions.end(session_id)
        self.record(who.actor, address, "auth.logout", who.name)

    def change_own_password(self, who: Principal, current: str, new: str, address: str,
                            keep_session: str | None) -> None:
        if self.users.authenticate(who.name, current) is None:
            self.record(who.actor, address, "user.passwd", who.name, "failure", {"reason": "current password wrong"})
            raise AccessError("the current password is wrong")
        with self.transaction():
            self.users.set_password(who.name, new, must_change=False)
            self.audit.record(who.actor, address, "user.passwd", who.name)
        self.sessions.end_all_for(who.name, keep=keep_session)
        self._forget_one_time_password(who.name)

    def _forget_one_time_password(self, name: str) -> None:
        """The first-start password file has served its purpose once ``admin``'s password changed."""
        if name == FIRST_ADMIN:
            (self.data_dir / ADMIN_PASSWORD_FILE).unlink(missing_ok=True)

    # -- tokens ------------------------------------------------------------------------
    def token_principal(self, token: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            hit = self._token_cache.get(token)
        if hit and now - hit[0] < 5.0:
            principal = hit[1]
        else:
            found = TokenRegistry(self._reader()).lookup(token)
            principal = Principal(found[1], found[2], "token", token_id=found[0]) if found else None
            with self._lock:
                if len(self._token_cache) > 10_000:
                    self._token_cache.clear()
                self._token_cache[token] = (now, principal)
        if principal is not None and principal.token_id and now - self._touched.get(principal.token_id, 0) > 60:
            self._touched[principal.token_id] = now
            self._reader().execute("UPDATE api_tokens SET last_used = now() WHERE id = ?", [principal.token_id])
        return principal

    def _forget_tokens(self) -> None:
        with self._lock:
            self._token_cache.clear()

    def token_create(self, actor: str, source: str, name: str, role: str, expires: str | None) -> dict[str, Any]:
        expires_us = now_us() + parse_duration_us(expires) if expires else None
        with self.transaction():
            token_id, token = self.tokens.create(name, role, expires_us, actor)
            self.audit.record(actor, source, "token.create", token_id, details={"name": name, "role": role,
                                                                                 "expires_in": expires})
        return {"id": token_id, "name": name, "role": role, "token": token}

    def token_revoke(self, actor: str, source: str, token_id: str) -> dict[str, Any]:
        with self.transaction():
            info = self.tokens.revoke(token_id)
            self.audit.record(actor, source, "token.revoke", token_id, details={"name": info["name"]})
        self._forget_tokens()
        return info

    # -- users -------------------------------------------------------------------------
    def user_add(self, actor: str, source: str, name: str, role: str, password: str | None) -> dict[str, Any]:
        generated = password is None
        pw = password or generate_password()
        with self.transaction():
            self.users.add(name, role, pw, must_change=True, created_by=actor)
            self.audit.record(actor, source, "user.add", name, details={"role": role})
        return {"name": name, "role": role, "must_change_password": True,
                **({"one_time_password": pw} if generated else {})}

    def user_passwd(self, actor: str, source: str, name: str, password: str | None) -> dict[str, Any]:
        generated = password is None
        pw = password or generate_password()
        with self.transaction():
            self.users.set_password(name, pw, must_change=True)
            self.audit.record(actor, source, "user.passwd", name, details={"reset": True})
        self.sessions.end_all_for(name)
        self._forget_one_time_password(name)
        return {"name": name, "must_change_password": True, **({"one_time_password": pw} if generated else {})}

    def user_role(self, actor: str, source: str, name: str, role: str) -> dict[str, Any]:
        with self.transaction():
            self.users.set_role(name, role)
            self.audit.record(actor, source, "user.role", name, details={"role": role})
        return {"name": name, "role": role}

    def user_disable(self, actor: str, source: str, name: str, disabled: bool = True) -> dict[str, Any]:
        with self.transaction():
            self.users.set_disabled(name, disabled)
            self.audit.record(actor, source, "user.disable" if disabled else "user.enable", name)
        if disabled:
            self.sessions.end_all_for(name)
        return {"name": name, "disabled": disabled}

    # -- configuration -----------------------------------------------------------------
    def record_config(self, settings: Settings) -> list[dict[str, Any]]:
        """At core start: one ``config.change`` entry (by ``local:<user>`` running serve) when
        the effective settings differ from the previous start's; returns the changes."""
        current = effective_settings(settings, self.signer)
        actor = local_actor()
        with self.transaction():
            previous = recorded_settings(self.con)
            changed = changes(previous, current) if previous is not None else []
            if changed:
                self.audit.record(actor, "serve", "config.change", None, "success", {"changed": changed})
            if previous != current:
                record_settings(self.con, current, actor)
        return changed

    # -- audit -------------------------------------------------------------------------
    def audit_list(self, actor: str, source: str, limit: int, action: str | None) -> list[dict[str, Any]]:
        self.record(actor, source, "audit.read", details={"limit": limit, "action": action})
        return self.audit.list(limit, action)

    def audit_verify(self, actor: str, source: str, expect_head: str | None) -> dict[str, Any]:
        try:
            result = verify_trail(self.con, self.signer.public_pem(), expect_head)
        except IntegrityError as exc:
            # record the failed check after the broken part, so the record itself verifies
            result = {"verified": False, "error": str(exc)}
        self.record(actor, source, "audit.verify", details={"expect_head": expect_head,
                                                             "verified": result["verified"]})
        return result
