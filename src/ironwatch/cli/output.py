"""``--output table|json|csv`` for every command: json is one object per line."""

from __future__ import annotations

import csv
import sys
from typing import Any, Iterable, Sequence

import orjson
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return orjson.dumps(v).decode()
    return str(v)


def emit(rows: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None,
         title: str | None = None, max_width: int = 120) -> None:
    rows = list(rows)
    if fmt == "json":
        out = sys.stdout.buffer
        for r in rows:
            out.write(orjson.dumps(r, default=str) + b"\n")
        out.flush()
        return
    cols = list(columns) if columns else list(dict.fromkeys(k for r in rows for k in r))
    if fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in cols])
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold", max_width=max_width if c == cols[-1] else 40)
    for r in rows:
        table.add_row(*[_cell(r.get(c)) for c in cols], style=None)
    # a pipe or file gets a wide table rather than rich's 80-column default
    Console(markup=False, highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)


def emit_mapping(d: dict[str, Any], fmt: str) -> None:
    """A single record (e.g. status) as key/value rows in table form, one object in json."""
    if fmt == "json":
        emit([d], fmt)
    elif fmt == "csv":
        emit([d], fmt)
    else:
        emit([{"field": k, "value": _cell(v)} for k, v in d.items()], fmt, ["field", "value"])
