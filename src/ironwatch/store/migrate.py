"""Store schema migrations: numbered SQL files applied in order, each in a transaction.

Day segments (``ev_YYYYMMDD``) are created as data arrives, so a migration that changes
them says so in a comment line ``-- each segment: <SQL with {segment}>``, run once per
segment in the catalogue, in the same transaction.

Before migrating a store that already holds data, the database file is copied next to
itself (``ironwatch.duckdb.v<N>.bak``) so a failed upgrade never costs the data: the lesson
of SIEMs whose upgrades broke their stacks.
"""

from __future__ import annotations

import re
import shutil
from importlib import resources
from pathlib import Path

import duckdb

from ..errors import MigrationError


def _migrations() -> list[tuple[int, str, str]]:
    out = []
    for entry in resources.files("ironwatch.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


LATEST = max(v for v, _, _ in _migrations())


_EACH = re.compile(r"^-- each segment: (.+)$", re.MULTILINE)
_SEGMENT = re.compile(r"ev_\d{8}")


def _per_segment(sql: str) -> list[str]:
    return [m.group(1).strip() for m in _EACH.finditer(sql)]


def _segment_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = [str(r[0]) for r in con.execute("SELECT name FROM segments ORDER BY name").fetchall()]
    bad = [n for n in names if not _SEGMENT.fullmatch(n)]
    if bad:
        raise MigrationError(f"segment catalogue holds names that are not day segments: {bad[:3]}")
    return names


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                "applied TIMESTAMPTZ NOT NULL DEFAULT now(), name VARCHAR)")
    row = con.execute("SELECT max(version) FROM schema_version").fetchall()
    return int(row[0][0]) if row and row[0][0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, db_path: Path | None) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    version = current_version(con)
    if version > LATEST:
        raise MigrationError(f"store schema version {version} is newer than this Ironwatch ({LATEST}); upgrade Ironwatch")
    pending = [(v, n, sql) for v, n, sql in _migrations() if v > version]
    if not pending:
        return []
    if version > 0 and db_path is not None and db_path.exists():
        con.execute("CHECKPOINT")
        shutil.copy2(db_path, db_path.with_name(f"{db_path.name}.v{version}.bak"))
    applied = []
    for v, name, sql in pending:
        try:
            con.execute("BEGIN")
            con.execute(sql)
            for statement in _per_segment(sql):
                for segment in _segment_names(con):
                    con.execute(statement.format(segment=segment))
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [v, name])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise MigrationError(f"migration {name} failed: {exc}") from exc
        applied.append(name)
    return applied
