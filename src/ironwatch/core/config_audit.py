"""Configuration changes in the audit trail: what differs from the previous start.

Ironwatch has no live reload: settings change only across a restart. So at each start the
core compares its effective settings (after ``--config`` and command-line flags) with those
recorded at the previous start in ``effective_settings``, and ``AccessService.record_config``
writes one ``config.change`` entry listing each changed setting with its old and new value.
A text setting whose name says it is a secret (``store.audit.is_secret_name``) is kept only
as a fingerprint keyed with Ironwatch's signing key, and shown as ``[redacted]``: a change to
it is seen without the store or the trail holding the secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields, is_dataclass
from typing import Any

import duckdb
import orjson

from ..store.audit import REDACTED, is_secret_name
from ..store.integrity import Signer


def _is_secret(name: str, value: Any) -> bool:
    return isinstance(value, str) and bool(value) and is_secret_name(name)


def _fingerprint(signer: Signer, name: str, value: str) -> str:
    # Ed25519 signatures are deterministic, so a signature is a keyed digest: equal values
    # give equal fingerprints, and without the private key no one can test guesses.
    return hashlib.sha256(signer.sign(f"ironwatch setting\0{name}\0{value}".encode())).hexdigest()


def effective_settings(settings: Any, signer: Signer, prefix: str = "") -> dict[str, Any]:
    """Dotted setting name → its value as JSON would carry it; secrets as fingerprints."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        name, value = prefix + f.name, getattr(settings, f.name)
        if is_dataclass(value) and not isinstance(value, type):
            out.update(effective_settings(value, signer, name + "."))
        elif _is_secret(name, value):
            out[name] = _fingerprint(signer, name, value)
        else:
            out[name] = orjson.loads(orjson.dumps(value))
    return out


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """``{"setting", "old", "new"}`` for each setting that differs (added or removed: None)."""
    def shown(name: str, value: Any) -> Any:
        return REDACTED if _is_secret(name, value) else value

    return [{"setting": name, "old": shown(name, old.get(name)), "new": shown(name, new.get(name))}
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def recorded_settings(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The settings recorded at the previous start; None before the first."""
    rows = con.execute("SELECT settings FROM effective_settings WHERE id = 1").fetchall()
    if not rows:
        return None
    values: dict[str, Any] = orjson.loads(rows[0][0])
    return values


def record_settings(con: duckdb.DuckDBPyConnection, values: dict[str, Any], actor: str) -> None:
    con.execute("INSERT INTO effective_settings VALUES (1, ?, now(), ?) ON CONFLICT (id) DO UPDATE SET "
                "settings = excluded.settings, recorded = excluded.recorded, recorded_by = excluded.recorded_by",
                [orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode(), actor])
