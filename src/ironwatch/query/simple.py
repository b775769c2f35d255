"""The simple query language of this release and its translation to parameterized SQL.

A query is whitespace-separated terms, all of which must hold:

- ``field:value`` — the ECS field equals ``value``, case-insensitively; ``*`` in the value is
  a wildcard; ``field:"a b"`` quotes spaces; ``field:*`` means the field is present.
- ``-term`` — negation of any term.
- ``word`` or ``"a phrase"`` — free text, found in ``message`` or any other field's value.

User text never becomes SQL text: values are bound parameters, field names are checked
against a strict pattern and either map to a typed column (``store.schema``) or become a
bound JSON path into ``fields``. The search issue replaces this with the full language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import IronwatchError
from ..store.schema import BY_FIELD, BY_NAME, EVENT_COLUMNS
from ..timeutil import iso

_TOKEN = re.compile(r'(-?)(?:([A-Za-z@_][\w.@-]*):)?(?:"((?:[^"\\]|\\.)*)"|(\S+))')
_FIELD = re.compile(r"^[A-Za-z@_][\w.@-]{0,200}$")
_INT_COLUMNS = {c.field for c in EVENT_COLUMNS if c.sql in ("BIGINT", "UBIGINT")}
_LIST_COLUMNS = {c.field for c in EVENT_COLUMNS if c.sql.endswith("[]")}
#: where a free-text term is looked for: the message, the text columns people search, and
#: every field kept in the JSON column
_TEXT_COLUMNS = ("message", "host_name", "process_name", "user_name", "source_ip", "destination_ip",
                 "action", "syslog_msgid", "fields")


class QueryError(IronwatchError):
    """The query text cannot be understood; the message says where."""


@dataclass
class Term:
    field: str | None
    value: str
    negate: bool


def parse_query(text: str) -> list[Term]:
    terms: list[Term] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot read the query at position {pos}: {text[pos:pos + 20]!r}")
        neg, field, quoted, bare = m.groups()
        value = quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted is not None else bare
        if field and not _FIELD.match(field):
            raise QueryError(f"not a field name: {field!r}")
        terms.append(Term(field, value, bool(neg)))
        pos = m.end()
    return terms


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def _field_expr(field: str) -> tuple[str, list[Any]]:
    col = BY_FIELD.get(field)
    if col is not None:
        if field in _LIST_COLUMNS:
            return f"array_to_string(\"{col.name}\", '\x1f')", []
        return f'"{col.name}"', []
    return "json_extract_string(fields, ?)", ['$."' + field.replace('"', "") + '"']


def term_sql(t: Term) -> tuple[str, list[Any]]:
    params: list[Any]
    if t.field is None:
        pat = "%" + _like(t.value) + "%"
        sql = "(" + " OR ".join(f"\"{c}\" ILIKE ? ESCAPE '\\'" for c in _TEXT_COLUMNS) + ")"
        params = [pat] * len(_TEXT_COLUMNS)
    else:
        expr, field_params = _field_expr(t.field)
        params = list(field_params)
        if t.value == "*":
            sql = f"({expr} IS NOT NULL)"
        elif t.field in _INT_COLUMNS and re.fullmatch(r"-?\d+", t.value):
            sql, params = f"({expr} = ?)", [*params, int(t.value)]
        elif t.field in _LIST_COLUMNS:
            sql, params = f"(('\x1f' || {expr} || '\x1f') ILIKE ? ESCAPE '\\')", [*params, "%\x1f" + _like(t.value) + "\x1f%"]
        else:
            sql, params = f"(CAST({expr} AS VARCHAR) ILIKE ? ESCAPE '\\')", [*params, _like(t.value)]
    if t.negate:
        sql = f"(NOT coalesce({sql}, false))"
    return sql, params


def build_where(terms: list[Term], from_us: int | None, to_us: int | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if from_us is not None:
        clauses.append("epoch_us(ts) >= ?")
        params.append(from_us)
    if to_us is not None:
        clauses.append("epoch_us(ts) <= ?")
        params.append(to_us)
    for t in terms:
        sql, p = term_sql(t)
        clauses.append(sql)
        params.extend(p)
    return (" AND ".join(clauses) or "true"), params


def row_to_event(names: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored row (times as epoch µs) as the flat ECS event the CLI and API print."""
    ev: dict[str, Any] = {}
    extra = None
    for name, value in zip(names, row):
        if name == "fields":
            extra = value
            continue
        if name == "hash":
            ev["event.hash"] = value
            continue
        if value is None:
            continue
        col = BY_NAME[name]
        if col.sql == "TIMESTAMPTZ":
            value = iso(value)
        elif col.sql == "UUID":
            value = str(value)
        elif col.sql == "BLOB":
            raw = bytes(value)
            try:
                value = raw.decode("utf-8")
            except UnicodeDecodeError:
                import base64
                ev["event.original_base64"] = base64.b64encode(raw).decode()
                value = raw.decode("utf-8", "replace")
        ev[col.field] = value
    if extra:
        ev.update(orjson.loads(extra))
    return ev
