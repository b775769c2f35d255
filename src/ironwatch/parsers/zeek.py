"""Zeek logs, TSV and JSON, including the CISA ICSNPP OT logs, read into typed fields.

A Zeek TSV line cannot be read alone: its file's header (``#separator``, ``#fields``,
``#types``…) says what each column is. ``ZeekTsvFramer`` carries that header across the
lines of an imported file and pins it into each record's format (``zeek\\n<header>``), so
the parser receives it as ``ctx.options``; a data line seen before any ``#fields`` gets a
``!``-format and is dead-lettered. A JSON line names its fields itself; its log path comes
from ``_path``, else from a ``#path`` line in ``ctx.options``, else from its field set where
that is unambiguous (``zeek_ecs.infer_path``), else it is ``zeek.unknown``.

Values are typed by ``#types`` (TSV) or by JSON itself: ``time`` → epoch µs, ``interval``
and ``double`` → float seconds, ``count``/``int``/``port`` → int, ``bool`` → bool,
``set``/``vector`` → list, strings with Zeek's ``\\xNN`` escapes decoded (bytes that are not
UTF-8 stay written as ``\\xNN``, as Zeek's JSON writer spells them); ``-`` (unset) leaves the
field out and ``(empty)`` is an empty string or list. JSON has no types, so its time fields
are known by name (``zeek_ecs.TIME_FIELDS``). Every field is kept as
``zeek.<path>.<field>``; ``zeek_ecs`` adds ECS and, for ICSNPP logs, ``zeek_ot`` adds
``ot.*`` (docs/zeek.md, docs/ot.md). This module knows the formats, not the meanings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


from ..errors import ParseError
from ..event import Event
from ._syslog_common import MAX_US, RFC3339_LENIENT, rfc3339_parts
from .base import JsonFlavour, ParseContext, Parser
from .jsonlines import epoch_unit_us, json_object
from .zeek_ecs import TIME_FIELDS, infer_path, map_record

NAME = "zeek"
#: the pinned format of a data line that has no ``#fields`` header to be read with
NO_HEADER_FORMAT = "!zeek: TSV line without a #fields header"

_HEX_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")
_ZEEK_UID = re.compile(r"[CF][0-9A-Za-z]{9,24}", re.ASCII)
_DECIMAL = re.compile(r"-?\d{1,12}(?:\.\d{1,9})?", re.ASCII)
_LOG_NAME = re.compile(
    r"([A-Za-z0-9_-]+)"                                            # the log path
    r"(?:\.(?:\d{2}:\d{2}:\d{2}-\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}))?"
    r"\.log(?:\.\d+)?(?:\.(?:gz|bz2|xz|zst))?", re.ASCII)
_HEADER_CACHE_SIZE = 256
_MAX_WIDTH = 4096
_UNROLL_WIDTH = 512

Converter = Callable[[str], Any]


# --- values ------------------------------------------------------------------------------

def unescape(text: str) -> str:
    """A Zeek string with its ``\\xNN`` escapes decoded; bytes that are not UTF-8 stay
    ``\\xNN`` text."""
    if "\\x" not in text:
        return text
    raw = _HEX_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), text.encode())
    return raw.decode("utf-8", "backslashreplace")


def time_text_us(text: str) -> int:
    """Epoch seconds written as decimal text (``1795773600.123456``) as exact µs."""
    whole, _, fraction = text.partition(".")
    if len(fraction) == 6 and whole.isdigit() and fraction.isdigit():  # as Zeek writes it
        return int(whole) * 1_000_000 + int(fraction)
    if _DECIMAL.fullmatch(text) is None:
        raise ValueError(f"not an epoch time: {text[:40]!r}")
    negative = text.startswith("-")
    us = int(whole.lstrip("-")) * 1_000_000 + int((fraction + "000000")[:6])
    return -us if negative else us


_BOOLS = {"T": True, "F": False}


def _bool(text: str) -> bool:
    value = _BOOLS.get(text)
    if value is None:
        raise ValueError(f"not a Zeek bool (T/F): {text[:40]!r}")
    return value


def _port(text: str) -> int:
    # TSV writes the number; a "502/tcp" spelling from other writers keeps its number
    return int(text.partition("/")[0])


def _string(text: str) -> str:
    return unescape(text)


_SCALARS: dict[str, Converter] = {
    "time": time_text_us, "interval": float, "double": float, "count": int, "int": int,
    "port": _port, "bool": _bool,
}


def _container(inner: Converter, set_separator: str, empty: str, unset: str) -> Converter:
    def element(part: str) -> Any:
        if part == unset:
            return None
        return "" if part == empty and inner is _string else inner(part)

    def convert(text: str) -> list[Any]:
        if text == empty:
            return []
        return [element(part) for part in text.split(set_separator)]
    return convert


def _converter(ztype: str, set_separator: str, empty: str, unset: str) -> Converter | None:
    """How to read a column of this Zeek type; ``None`` for a plain string column."""
    open_at = ztype.find("[")
    if open_at > 0 and ztype.endswith("]") and ztype[:open_at] in ("set", "vector", "table"):
        inner = _SCALARS.get(ztype[open_at + 1:-1], _string)
        return _container(inner, set_separator, empty, unset)
    return _SCALARS.get(ztype)


# --- the TSV header ----------------------------------------------------------------------

Reader = Callable[[list[str]], tuple[dict[str, Any], dict[str, Any]]]


@dataclass(frozen=True)
class ZeekHeader:
    """What a TSV file's header says, compiled for reading its lines."""

    separator: str
    set_separator: str
    empty_field: str
    unset_field: str
    path: str | None
    fields: tuple[str, ...]
    types: tuple[str, ...]
    converters: tuple[Converter | None, ...]
    #: (typed fields, ``zeek.<path>.<field>`` fields) of a split line; the second is
    #: empty when the header names no path
    reader: Reader


def _header_value(text: str) -> str:
    return unescape(text) if "\\x" in text else text


def loop_reader(fields: tuple[str, ...], keys: tuple[str, ...] | None,
                converters: tuple[Converter | None, ...], empty: str, unset: str) -> Reader:
    """A function reading one split line of this header, column by column."""
    columns = tuple(zip(fields, keys or fields, converters))

    def read(values: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
        record: dict[str, Any] = {}
        for (name, _, convert), value in zip(columns, values):
            if value != unset:
                record[name] = convert(value) if convert is not None \
                    else "" if value == empty else unescape(value)
        prefixed = {key: record[name] for name, key, _ in columns if name in record} \
            if keys is not None else {}
        return record, prefixed
    return read


def unrolled_reader(fields: tuple[str, ...], keys: tuple[str, ...] | None,
                    converters: tuple[Converter | None, ...], empty: str,
                    unset: str) -> Reader:
    """The same as ``loop_reader``, as straight-line code generated for this header.

    A loop over columns costs about twice as much per value as straight-line code, and
    this runs once per line. The generated source holds nothing from the header but
    column positions: names, converters and markers are passed in as values. Compiling
    takes about 80 µs a column, so headers wider than ``_UNROLL_WIDTH`` use the loop.
    """
    lines = ["def build(N, K, C, unset, empty, text):"]
    width = len(fields)
    lines += [f" n{i} = N[{i}]" for i in range(width)]
    if keys is not None:
        lines += [f" k{i} = K[{i}]" for i in range(width)]
    lines += [f" c{i} = C[{i}]" for i, c in enumerate(converters) if c is not None]
    lines += [" def read(values):", "  (" + "".join(f"v{i}, " for i in range(width)) + ") = values",
              "  r = {}", "  e = {}"]
    for i, convert in enumerate(converters):
        target = f"r[n{i}] = e[k{i}]" if keys is not None else f"r[n{i}]"
        value = f"c{i}(v{i})" if convert is not None else \
            f"v{i} if v{i} != empty and '\\\\x' not in v{i} else text(v{i})"
        lines += [f"  if v{i} != unset: {target} = {value}"]
    lines += ["  return r, e", " return read"]
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines), "<zeek header>", "exec"), namespace)  # noqa: S102
    build: Callable[..., Reader] = namespace["build"]
    return build(fields, keys, converters, unset, empty,
                 lambda v: "" if v == empty else unescape(v))


def read_header(options: str) -> ZeekHeader:
    """The header lines (``ctx.options``) of a Zeek TSV file; ``fields`` is empty when
    they carry no ``#fields`` line."""
    separator = "\t"
    lines = [line.rstrip("\r") for line in options.split("\n") if line.startswith("#")]
    for line in lines:
        if line.startswith("#separator"):
            separator = _header_value(line[len("#separator"):].strip(" "))
            if not separator:
                raise ParseError("Zeek header: empty #separator", parser=NAME)
    found: dict[str, list[str]] = {}
    for line in lines:
        key, *values = line.split(separator)
        found[key] = values
    def first(key: str, default: str) -> str:
        values = found.get(key)
        return values[0] if values and values[0] else default

    set_separator = _header_value(first("#set_separator", ","))
    empty = first("#empty_field", "(empty)")
    unset = first("#unset_field", "-")
    path = first("#path", "") or None
    fields = tuple(found.get("#fields", ()))
    types = tuple(found.get("#types", ()))
    if len(fields) > _MAX_WIDTH:
        raise ParseError(f"Zeek header: more than {_MAX_WIDTH} #fields", parser=NAME)
    if types and len(types) != len(fields):
        raise ParseError(f"Zeek header: {len(fields)} #fields but {len(types)} #types",
                         parser=NAME)
    if not types:  # a header without #types: the time stamp is still a time, the rest text
        types = tuple("time" if f == "ts" else "string" for f in fields)
    converters = tuple(_converter(t, set_separator, empty, unset) for t in types)
    keys = tuple(f"zeek.{path}.{f}" for f in fields) if path else None
    make = unrolled_reader if len(fields) <= _UNROLL_WIDTH else loop_reader
    return ZeekHeader(separator, set_separator, empty, unset, path, fields, types, converters,
                      make(fields, keys, converters, empty, unset))


_HEADERS: dict[str, ZeekHeader] = {}


def cached_header(options: str) -> ZeekHeader:
    """``read_header`` remembered per distinct header text (a file's lines share one)."""
    header = _HEADERS.get(options)
    if header is None:
        header = read_header(options)
        if len(_HEADERS) >= _HEADER_CACHE_SIZE:
            _HEADERS.pop(next(iter(_HEADERS)))
        _HEADERS[options] = header
    return header


def read_tsv_line(line: str, header: ZeekHeader) -> tuple[dict[str, Any], dict[str, Any]]:
    """(typed fields, the same as ``zeek.<path>.<field>``) of one data line; unset fields
    are left out, and the second dict is empty when the header names no path."""
    values = line.split(header.separator)
    if len(values) != len(header.fields):
        raise ParseError(f"Zeek TSV line has {len(values)} fields, its #fields header names"
                         f" {len(header.fields)}", parser=NAME)
    try:
        return header.reader(values)
    except (ValueError, OverflowError):
        raise _bad_field(values, header) from None


def _bad_field(values: list[str], header: ZeekHeader) -> ParseError:
    """The error naming the first field whose value its type does not accept."""
    for name, convert, value in zip(header.fields, header.converters, values):
        if convert is not None and value != header.unset_field:
            try:
                convert(value)
            except (ValueError, OverflowError) as exc:
                return ParseError(f"Zeek field {name!r}: {exc}", parser=NAME)
    return ParseError("Zeek TSV line has a value its type does not accept", parser=NAME)


# --- JSON --------------------------------------------------------------------------------

def _flatten(document: dict[str, Any], prefix: str, out: dict[str, Any], depth: int) -> None:
    if depth > 16:
        raise ParseError("Zeek JSON nested deeper than 16 levels", parser=NAME)
    for key, value in document.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", out, depth + 1)
        else:
            out[prefix + key] = value


def json_time_us(field: str, value: Any) -> int:
    """A JSON time: epoch number (s, ms, µs or ns by size), decimal text or ISO 8601."""
    try:
        if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e20:
            if abs(value) < 1e11:  # seconds: read the shortest decimal text, exactly
                return time_text_us(repr(value)) if "e" not in repr(value) else round(value * 1e6)
            return round(value * epoch_unit_us(abs(value)))
        if isinstance(value, int) and not isinstance(value, bool):
            scale = epoch_unit_us(abs(value))
            return value * int(scale) if scale >= 1 else value // 1000
        if isinstance(value, str):
            if _DECIMAL.fullmatch(value):
                return time_text_us(value)
            m = RFC3339_LENIENT.fullmatch(value.strip())
            if m is not None:
                wall, offset = rfc3339_parts(m, NAME)
                return wall - (offset or 0)
        raise ValueError(f"{type(value).__name__} {str(value)[:40]!r}")
    except ValueError as exc:
        raise ParseError(f"Zeek field {field!r} is not a time: {exc}", parser=NAME) from exc


def json_record(document: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(typed fields, ``_path``) of a Zeek JSON document; writer metadata (``_path``,
    ``_write_ts``, ``_system_name``…) is not a field."""
    flat: dict[str, Any] = {}
    _flatten(document, "", flat, 0)
    path = flat.pop("_path", None)
    record = {k: v for k, v in flat.items() if not k.startswith("_") and v is not None}
    for field in TIME_FIELDS.intersection(record):
        record[field] = json_time_us(field, record[field])
    return record, path if isinstance(path, str) and path else None


def _options_path(options: str) -> str | None:
    for line in options.split("\n"):
        if line.startswith("#path"):
            value = line[5:].strip(" \t\r")
            return value or None
    return None


# --- records → events --------------------------------------------------------------------

def build_event(path: str, record: dict[str, Any], ctx: ParseContext,
                prefixed: dict[str, Any] | None = None) -> Event:
    """The event of one typed Zeek record of log ``path`` (``prefixed``: the same fields
    as ``zeek.<path>.<field>``, when the reader made them already)."""
    ts = record.get("ts")
    if not isinstance(ts, int) or not 0 <= ts < MAX_US:
        if ts is not None:
            raise ParseError(f"Zeek field 'ts' is not a time in 1970..9999: {ts!r}"[:120],
                             parser=NAME)
        ts = ctx.received_us
    event: Event = {"@timestamp": ts, "event.kind": "event", "event.module": "zeek",
                    "event.dataset": f"zeek.{path}"}
    if prefixed:
        event.update(prefixed)
    else:
        prefix = f"zeek.{path}."
        for key, value in record.items():
            event[prefix + key] = value
    try:
        map_record(path, record, event)
    except (TypeError, ValueError, AttributeError) as exc:
        # only JSON can get here: a field whose value is not of the type its log declares
        raise ParseError(f"Zeek {path} record has a field of an unexpected type ({exc})",
                         parser=NAME) from exc
    return event


def _safe_path(path: str) -> str:
    if not path or len(path) > 64 or not all(c.isalnum() or c in "_-" for c in path):
        raise ParseError(f"Zeek log path {path[:70]!r} is not a log name", parser=NAME)
    return path


class ZeekParser:
    """One Zeek log line: TSV (with its header in ``ctx.options``) or JSON."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        if raw[:1] == b"{":
            return from_json_document(json_object(raw, NAME, "Zeek JSON line"), ctx)
        return self.parse_tsv(raw, ctx)

    def parse_tsv(self, raw: bytes, ctx: ParseContext) -> Event:
        header = cached_header(ctx.options)
        if not header.fields:
            raise ParseError("Zeek TSV line without its #fields header (pin the format as"
                             " 'zeek\\n<header lines>' or import the whole file)", parser=NAME)
        line = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
        if line.startswith("#"):
            raise ParseError("Zeek header line, not a log record", parser=NAME)
        record, prefixed = read_tsv_line(line, header)
        path = header.path or infer_path(record.keys()) or "unknown"
        return build_event(_safe_path(path), record, ctx, prefixed)


def from_json_document(document: dict[str, Any], ctx: ParseContext) -> Event:
    record, path = json_record(document)
    path = path or _options_path(ctx.options) or infer_path(record.keys()) or "unknown"
    return build_event(_safe_path(path), record, ctx)


class ZeekJsonFlavour:
    """Zeek's JSON logs as they arrive among other JSON (shippers, HTTP, JSON-lines files).

    Claimed: a ``ts`` and at least one of ``_path``, ``id.orig_h`` (flat or nested), a
    Zeek uid in ``uid``/``fuid``; never a Suricata EVE record (``event_type``).
    """

    name = NAME

    def claims(self, document: dict[str, object]) -> bool:
        if "ts" not in document or "event_type" in document:
            return False
        if isinstance(document.get("_path"), str) or "id.orig_h" in document:
            return True
        nested = document.get("id")
        if isinstance(nested, dict) and "orig_h" in nested:
            return True
        uid = document.get("uid", document.get("fuid"))
        return isinstance(uid, str) and _ZEEK_UID.fullmatch(uid) is not None

    def from_document(self, document: dict[str, object], ctx: ParseContext) -> Event:
        return from_json_document(dict(document), ctx)


# --- files -------------------------------------------------------------------------------

class ZeekTsvFramer:
    """Cuts an imported Zeek TSV stream into records, each pinned with its file header.

    ``feed`` takes the next lines (newline-terminated or not) and returns groups of
    ``(pinned format, data lines)`` in input order. Header comment lines are not records: a
    header line after data lines (or ``#separator``) starts a new header, as in
    concatenated logs; ``#close`` ends the header, so data lines after it and before the
    next header, like those before the first ``#fields``, get ``NO_HEADER_FORMAT``.
    """

    def __init__(self) -> None:
        self._header: list[str] = []
        self._format: str | None = None
        self._after_data = True

    def feed(self, lines: list[bytes]) -> list[tuple[str, list[bytes]]]:
        groups: list[tuple[str, list[bytes]]] = []
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            if line.startswith(b"#"):
                self._header_line(line.decode("utf-8", "backslashreplace"))
                continue
            self._after_data = True
            fmt = self._current_format()
            if groups and groups[-1][0] == fmt:
                groups[-1][1].append(line)
            else:
                groups.append((fmt, [line]))
        return groups

    def _header_line(self, text: str) -> None:
        if text.startswith("#close"):
            self._header, self._format, self._after_data = [], None, True
            return
        if self._after_data or text.startswith("#separator"):
            self._header = []
        self._after_data = False
        self._header.append(text)
        self._format = None

    def _current_format(self) -> str:
        if self._format is None:
            has_fields = any(line.startswith("#fields") for line in self._header)
            self._format = f"{NAME}\n" + "\n".join(self._header) if has_fields \
                else NO_HEADER_FORMAT
        return self._format


def looks_like_zeek_tsv(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a Zeek TSV log (it opens with ``#separator``)."""
    return head.removeprefix(b"\xef\xbb\xbf").startswith(b"#separator ")


def zeek_path_from_filename(name: str) -> str | None:
    """The log path of a Zeek log file name: ``conn.log``, ``conn.00:00:00-01:00:00.log.gz``,
    ``modbus_detailed.log`` → ``conn``, ``conn``, ``modbus_detailed``; ``None`` otherwise."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    m = _LOG_NAME.fullmatch(base)
    return m.group(1) if m else None


PARSERS: tuple[Parser, ...] = (ZeekParser(),)
FLAVOURS: tuple[JsonFlavour, ...] = (ZeekJsonFlavour(),)

__all__ = ["FLAVOURS", "NAME", "NO_HEADER_FORMAT", "PARSERS", "ZeekHeader", "ZeekJsonFlavour",
           "ZeekParser", "ZeekTsvFramer", "build_event", "cached_header", "json_record",
           "looks_like_zeek_tsv", "loop_reader", "read_header", "read_tsv_line", "unescape",
           "unrolled_reader", "zeek_path_from_filename"]
