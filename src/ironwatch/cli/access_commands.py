"""``ironwatch user|token|audit``: identity and the audit trail from the command line.

Through the running server's socket when there is one (acting as ``local:<user>``), else on
the store directly, with the same code and the same audit records. Passwords are never
taken as arguments (they would show in ``ps``): ``--password-stdin`` reads one, otherwise a
one-time password is generated, printed once, and must be changed at first login.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Callable

from ..config import Settings
from ..core.access import AccessService, local_actor
from ..errors import IntegrityError, IronwatchError, ServerNotRunning
from .client import call
from .output import emit, emit_mapping

#: the audit ``source`` of commands that work on the store directly (no server running)
CLI_SOURCE = "cli"
USER_COLUMNS = ("name", "role", "disabled", "must_change_password", "created", "last_login")
TOKEN_COLUMNS = ("id", "name", "role", "state", "created", "expires", "last_used")
AUDIT_COLUMNS = ("seq", "time", "actor", "source", "action", "target", "outcome", "details")


def add_parsers(sub: Any, common: Callable[..., None]) -> None:
    p = sub.add_parser("user", help="local users of the console and API")
    us = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = us.add_parser("add", help="create a user (must change the password at first login)")
    common(a)
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=("admin", "analyst", "viewer", "auditor"))
    a.add_argument("--password-stdin", action="store_true", help="read the password from stdin instead of generating one")
    a = us.add_parser("list", help="list users")
    common(a)
    a = us.add_parser("passwd", help="reset a user's password (must change it at next login)")
    common(a)
    a.add_argument("name")
    a.add_argument("--password-stdin", action="store_true")
    a = us.add_parser("disable", help="disable a user and end their sessions")
    common(a)
    a.add_argument("name")
    a.add_argument("--enable", action="store_true", help="enable the user again instead")
    a = us.add_parser("role", help="change a user's role")
    common(a)
    a.add_argument("name")
    a.add_argument("role", choices=("admin", "analyst", "viewer", "auditor"))

    p = sub.add_parser("token", help="API tokens (shippers, scripts)")
    ts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = ts.add_parser("create", help="create a token (printed once, stored hashed)")
    common(a)
    a.add_argument("--name", required=True, help="what uses it, e.g. 'vector on hist01'")
    a.add_argument("--role", required=True, choices=("admin", "analyst", "viewer", "auditor", "ingest"))
    a.add_argument("--expires", help="lifetime such as 90d or 12h (default: no expiry)")
    a = ts.add_parser("list", help="list tokens (never the tokens themselves)")
    common(a)
    a = ts.add_parser("revoke", help="revoke a token by id")
    common(a)
    a.add_argument("token_id")

    p = sub.add_parser("audit", help="the audit trail of Ironwatch itself")
    au = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = au.add_parser("list", help="newest entries first")
    common(a)
    a.add_argument("--limit", type=int, default=100)
    a.add_argument("--action", dest="filter_action", help="only entries of this action (e.g. auth.login)")
    a = au.add_parser("verify", help="verify the hash chain and the signed head")
    common(a)
    a.add_argument("--expect-head", help="a head recorded earlier (SEQ:LINK from audit-head.json): "
                   "fails if the trail no longer contains it (newest entries deleted)")


def _password(args: argparse.Namespace) -> str | None:
    if not args.password_stdin:
        return None
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\n")


def on_server_or_store(s: Settings, op: str, offline: Callable[[Any, Any], Any], **kwargs: Any) -> Any:
    """``op`` on the running server, or ``offline(store, access)`` on the store when none runs."""
    try:
        return call(s.data_path, op, **kwargs)
    except ServerNotRunning:
        pass
    from ..store.hot import DB_FILE, EventStore

    if not (s.data_path / DB_FILE).exists():
        raise IronwatchError(f"no Ironwatch store in {s.data_path} (start `ironwatch serve` or import first)")
    store = EventStore(s.data_path, s.store)
    try:
        return offline(store, AccessService(store.con, s.data_path, s))
    finally:
        store.close()


def _run(s: Settings, op: str, offline: Callable[[Any], Any], **kwargs: Any) -> Any:
    """``op`` on the running server, or ``offline(access)`` on the store when none runs."""
    return on_server_or_store(s, op, lambda _store, access: offline(access), **kwargs)


def user(args: argparse.Namespace, s: Settings) -> int:
    me, src = local_actor(), CLI_SOURCE
    if args.action == "list":
        emit(_run(s, "user.list", lambda a: a.users.list()), args.output, USER_COLUMNS)
        return 0
    if args.action == "add":
        pw = _password(args)
        result = _run(s, "user.add", lambda a: a.user_add(me, src, args.name, args.role, pw),
                      name=args.name, role=args.role, password=pw)
    elif args.action == "passwd":
        pw = _password(args)
        result = _run(s, "user.passwd", lambda a: a.user_passwd(me, src, args.name, pw), name=args.name, password=pw)
    elif args.action == "disable":
        result = _run(s, "user.disable", lambda a: a.user_disable(me, src, args.name, not args.enable),
                      name=args.name, disabled=not args.enable)
    else:
        result = _run(s, "user.role", lambda a: a.user_role(me, src, args.name, args.role), name=args.name, role=args.role)
    emit_mapping(result, args.output)
    return 0


def token(args: argparse.Namespace, s: Settings) -> int:
    me, src = local_actor(), CLI_SOURCE
    if args.action == "list":
        emit(_run(s, "token.list", lambda a: a.tokens.list()), args.output, TOKEN_COLUMNS)
        return 0
    if args.action == "create":
        result = _run(s, "token.create", lambda a: a.token_create(me, src, args.name, args.role, args.expires),
                      name=args.name, role=args.role, expires=args.expires)
        if args.output == "table":
            print("The token is shown once; store it where the shipper reads it.", file=sys.stderr)
    else:
        result = _run(s, "token.revoke", lambda a: a.token_revoke(me, src, args.token_id), token_id=args.token_id)
    emit_mapping(result, args.output)
    return 0


def audit(args: argparse.Namespace, s: Settings) -> int:
    me, src = local_actor(), CLI_SOURCE
    if args.action == "list":
        rows = _run(s, "audit.list", lambda a: a.audit_list(me, src, args.limit, args.filter_action),
                    limit=args.limit, action=args.filter_action)
        emit(rows, args.output, None if args.output == "json" else AUDIT_COLUMNS)
        return 0
    result = _run(s, "audit.verify", lambda a: a.audit_verify(me, src, args.expect_head), expect_head=args.expect_head)
    emit_mapping(result, args.output)
    if not result.get("verified"):
        raise IntegrityError(str(result.get("error")))
    return 0
