"""The columnar fast path: the common shapes of RFC 5424 and RFC 3164 parsed per batch.

Parsing one message at a time in Python costs more than the whole rest of the pipeline, so
the worker first tries Arrow compute kernels over the whole batch: split, match, cast. Only
messages in the exact shapes this module recognises are taken; everything else (structured
data, unusual tags, zones other than UTC, invalid UTF-8, anything odd) is returned as "slow"
and goes through the reference parsers in ``parsers/``. A differential test holds the two
paths to identical rows, so this module is an optimisation, never a second opinion. CEF
records (bare or behind these syslog headers) are read by ``columnar_cef``; this module reads
the syslog header in front of them.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ParseError
from ..event import Event
from ..intake.wal import RecordColumns
from ..parsers._syslog_common import FACILITY_NAMES, SEVERITY_NAMES
from ..parsers.linux import ENRICHERS
from ..parsers.registry import enriched_programs, sniffer_patterns
from ..parsers.rfc5424 import parse_structured_data
from ..store.schema import BY_FIELD, EVENT_COLUMNS, EVENT_SCHEMA, TS
from .columnar_cef import FIELDS_JSON, CefBatch
from .listeners import file_path, listener_meta, shipper_meta
from .zones import ZoneResolver

_DAY_US = 86_400_000_000
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_FAC = pa.array(FACILITY_NAMES)
_SEV = pa.array(SEVERITY_NAMES)
_PRINT = r"[!-~]"
_TS5424 = r"^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
#: the RFC 3164 header this path takes: <PRI>Mmm dd hh:mm:ss host tag[pid]: (no captures: RE2
#: matches capture-free patterns several times faster; the parts are then cut with splits)
_H3164 = (r"^<\d{1,3}>[A-Z][a-z]{2} {1,2}\d{1,2} (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d [^\s\[\]:]+ "
          r"[^\s\[\]:]{1,128}(?:\[\d{1,18}\])?: ")
_DUMMY3164 = "<0>Jan 1 00:00:00 h t: "
#: the syslog headers before ``CEF:`` that the CEF fast path reads (as the registry does: a bare
#: PRI, RFC 5424 without structured data, RFC 3164 with or without a tag; ending in a space)
_CEF_HEADS = (r"^$", r"^<\d{1,3}>$", r"^<\d{1,3}>1 (?:[^ ]+ ){5}- (?:.* )?$", _H3164 + r"(?:.* )?$",
              r"^<\d{1,3}>[A-Z][a-z]{2} {1,2}\d{1,2} (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d [^\s\[\]:]+ $")
#: key in a path's column dict for per-row extra fields (dicts kept in the JSON column)
_EXTRA = "__extra__"
#: the listener formats whose records may take the fast path (detect-per-message inputs)
_DETECTING = ("", "auto", "syslog")
#: what the registry detects as another format before (or instead of) plain syslog, e.g. CEF
#: or LEEF after a syslog header: those rows go to the reference path. The registry's own
#: patterns, anchored; every row this path takes starts with '<', so the registry's
#: stripping of leading whitespace and BOMs changes nothing for them.
_CLAIMED_ELSEWHERE = "^(?:" + "|".join(f"(?:{pattern})" for pattern, fmt in sniffer_patterns()
                                        if fmt not in ("rfc5424", "rfc3164")) + ")"


#: literals every payload the registry claims for another format contains (CEF, LEEF, ASA/FTD,
#: FortiGate, PAN-OS): a cheap substring scan picks the few rows worth running the full
#: patterns on; the differential tests fail if a format's lines lack their marker here
_MARKERS = ("CEF:", "LEEF:", "%ASA-", "%FTD-", "date=", "devid=", ",TRAFFIC,", ",THREAT,", ",SYSTEM,", ",CONFIG,")
#: one pass for all markers (RE2 scans once; ten literal searches cost ten passes)
_ANY_MARKER = "|".join(re.escape(m) for m in _MARKERS)


def _claimed_elsewhere(strings: pa.Array, maybe: np.ndarray) -> np.ndarray:
    """Rows the registry would detect as another format (see ``_CLAIMED_ELSEWHERE``), among
    the rows ``maybe`` that carry a marker."""
    rows = np.flatnonzero(maybe)
    claimed = np.zeros(len(strings), dtype=bool)
    if len(rows):
        claimed[rows[_np(pc.match_substring_regex(strings.take(pa.array(rows)), _CLAIMED_ELSEWHERE))]] = True
    return claimed


def _ends_in_control(rc: RecordColumns) -> np.ndarray:
    """Records whose last byte is CR, LF or NUL (the reference parsers strip those)."""
    if not rc.data:
        return np.zeros(len(rc), dtype=bool)
    ends = rc.offsets[1:]
    last = np.frombuffer(rc.data, dtype=np.uint8)[np.maximum(ends - 1, 0)]
    return np.asarray((ends > rc.offsets[:-1]) & ((last == 13) | (last == 10) | (last == 0)))


def uuid_array(ids: bytes, rows: np.ndarray) -> pa.Array:
    """Rows of a buffer of 16-byte ids as Arrow UUIDs (DuckDB reads them as UUID, no text parsing)."""
    picked = np.frombuffer(ids, dtype=np.uint8).reshape(-1, 16)[rows].tobytes()
    storage = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(rows), [None, pa.py_buffer(picked)])
    return pa.ExtensionArray.from_storage(pa.uuid(), storage)


def _nil_to_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(arr, "-"), pa.scalar(None, pa.string()), arr)


def _valid_strings(binary: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Originals as a string array (invalid UTF-8 rows emptied) and a mask of valid rows."""
    if _all_utf8(binary):
        return binary.view(pa.string()), np.ones(len(binary), dtype=bool)
    try:
        return pc.cast(binary, pa.string()), np.ones(len(binary), dtype=bool)
    except pa.ArrowInvalid:
        ok = np.zeros(len(binary), dtype=bool)
        fixed: list[bytes] = []
        for i, o in enumerate(binary.to_pylist()):
            try:
                o.decode("utf-8")
                ok[i] = True
                fixed.append(o)
            except UnicodeDecodeError:
                fixed.append(b"")
        return pc.cast(pa.array(fixed, pa.binary()), pa.string()), ok


def _all_utf8(binary: pa.Array) -> bool:
    """Whether every row is UTF-8, checked on the whole buffer at once (Arrow's cast checks
    row by row, several times slower): ASCII, or valid UTF-8 cut only between characters."""
    _, offsets_buffer, data_buffer = binary.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[binary.offset:binary.offset + len(binary) + 1]
    if data_buffer is None or not len(binary):
        return True
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0]:offsets[-1]]
    if not len(data) or data.max() < 0x80:
        return True
    try:
        data.tobytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    starts = offsets[:-1] - offsets[0]
    return bool(((data[starts[starts < len(data)]] & 0xC0) != 0x80).all())


_ENRICHED = pa.array(sorted(enriched_programs()), pa.string())


#: what the fast path's rows hold in these typed columns when a row's parse left them unset
_COLUMN_DEFAULTS = {"event.dataset": "syslog", "event.kind": "event"}


def _enrich(cols: dict[str, Any], ok: np.ndarray) -> dict[str, Any]:
    """Adds the fields ``linux.ENRICHERS`` read from the messages of the programs they know
    (sshd, sudo, useradd, audit records…), as the reference path does after its syslog parse:
    the enricher runs on the row's message (and host), and whatever it adds or changes goes
    into the typed columns or, in the order it was added, the row's JSON fields."""
    if "process.name" not in cols or not ok.any():
        return cols
    names = cols["process.name"]
    hit = _np(pc.is_in(names, value_set=_ENRICHED))
    if not hit.any():
        return cols
    rows = np.flatnonzero(hit)
    take = pa.array(rows)
    messages = cols["message"].take(take).to_pylist() if "message" in cols else [None] * len(rows)
    hosts = cols["host.name"].take(take).to_pylist() if "host.name" in cols else [None] * len(rows)
    m = len(names)
    extras: list[dict[str, Any] | None] = list(cols.get(_EXTRA) or [None] * m)
    typed: dict[str, dict[int, Any]] = {}
    for pos, program, message, host in zip(rows.tolist(), names.take(take).to_pylist(), messages, hosts):
        given: Event = {"process.name": program}
        if message is not None:
            given["message"] = message
        if host is not None:
            given["host.name"] = host
        event = dict(given)
        ENRICHERS[program](event)
        for key, value in event.items():
            if key in given and given[key] == value:
                continue
            if key in BY_FIELD:
                typed.setdefault(key, {})[pos] = value
            else:
                extra = extras[pos] = dict(extras[pos] or {})
                extra[key] = value
    cols = dict(cols)
    cols[_EXTRA] = extras
    for key, updates in typed.items():
        current = cols.get(key)
        values = current.to_pylist() if current is not None else [_COLUMN_DEFAULTS.get(key)] * m
        for pos, value in updates.items():
            values[pos] = value
        cols[key] = pa.array(values, BY_FIELD[key].arrow)
    return cols


class ColumnarSyslog:
    def __init__(self, zones: ZoneResolver) -> None:
        self.zones = zones

    def parse(self, rc: RecordColumns, default_fmt: dict[str, str]) -> tuple[pa.Table | None, list[int]]:
        """(table of the records parsed here, indices of the records left for the slow path)."""
        n = len(rc)
        fmts = [fmt or default_fmt.get(listener_meta(listener)[0], "auto") for listener, fmt, _ in rc.meta]
        eligible = (np.asarray([f in _DETECTING and not shipper_meta(m[0]) for f, m in zip(fmts, rc.meta)],
                               dtype=bool)[rc.meta_index] if n else np.zeros(0, bool))
        if not eligible.any():
            return None, list(range(n))
        binary = rc.originals()
        strings, utf8 = _valid_strings(binary)
        ends_clean = ~_ends_in_control(rc)
        candidate = eligible & utf8 & ends_clean
        maybe = candidate & _np(pc.match_substring_regex(strings, _ANY_MARKER))
        tables: list[pa.Table] = []
        taken = np.zeros(n, dtype=bool)
        if maybe.any():
            cef = CefBatch(rc.data, rc.offsets, maybe)
            candidate[cef.rows] = maybe[cef.rows] = False  # CEF is read here or by the reference parser
            rows, table = self._cef(rc, binary, cef)
            if table is not None:
                tables.append(table)
                taken[rows] = True
            candidate &= ~_claimed_elsewhere(strings, maybe)
        head = pc.utf8_slice_codeunits(strings, 0, 7)
        is5424 = candidate & _np(pc.match_substring_regex(head, r"^<\d{1,3}>1 "))
        for mask, fn in ((is5424, self._rfc5424), (candidate & ~is5424, self._rfc3164)):
            idx = np.flatnonzero(mask)
            if len(idx):
                cols, pri, ok = fn(rc, idx, strings.take(pa.array(idx)))
                cols = _enrich(cols, ok)
                if ok.any():
                    tables.append(_build(rc, binary, idx[ok], pri[ok], cols))
                    taken[idx[ok]] = True
        slow = np.flatnonzero(~taken).tolist()
        if not tables:
            return None, slow
        return pa.concat_tables(tables), slow

    # -- RFC 5424 ------------------------------------------------------------------------
    def _rfc5424(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        parts = pc.split_pattern(s, " ", max_splits=6)
        ok = _np(pc.equal(pc.list_value_length(parts), 7))
        whole = parts if ok.all() else pc.if_else(pa.array(ok), parts, pa.scalar(["-"] * 7, parts.type))
        el = [pc.list_element(whole, i) for i in range(7)]
        head, stamp, host, app, procid, msgid, rest = el
        ok &= _np(pc.match_substring_regex(head, r"^<\d{1,3}>1$"))
        ok &= _np(pc.match_substring_regex(stamp, _TS5424))
        for field, limit in ((host, 255), (app, 48), (procid, 128), (msgid, 32)):
            ok &= _np(pc.match_substring_regex(field, f"^{_PRINT}{{1,{limit}}}$"))
        no_sd = _np(pc.or_(pc.equal(rest, "-"), pc.starts_with(rest, "- ")))
        has_sd = _np(pc.starts_with(rest, "["))
        ok &= no_sd | has_sd
        ok &= ~_np(pc.match_substring_regex(procid, r"^\d{19,}$"))  # too big for an int64 pid
        pri = _np_int(pc.utf8_slice_codeunits(head, 1, -2), ok)
        ok &= pri <= 191
        ts, ts_ok = _iso_times(stamp, ok)
        ok &= ts_ok
        if not ok.any():
            return {}, pri, ok
        sd_rows = np.flatnonzero(ok & has_sd)
        sd_data, sd_msgs, sd_ok = _structured_data(rest.take(pa.array(sd_rows)).to_pylist()) if len(sd_rows) else ([], [], [])
        ok[sd_rows[~np.asarray(sd_ok, dtype=bool)]] = False
        if not ok.any():
            return {}, pri, ok
        rows = np.flatnonzero(ok)
        take = pa.array(rows)
        msg = pc.utf8_slice_codeunits(rest.take(take), 2)
        fields: list[dict[str, object] | None] | None = None
        if len(sd_rows):
            # messages and structured data of the rows that carry SD, scattered into place
            kept = [i for i, good in enumerate(sd_ok) if good]
            pos = np.searchsorted(rows, sd_rows[np.asarray(sd_ok, dtype=bool)])
            mask = np.zeros(len(rows), dtype=bool)
            mask[pos] = True
            msg = pc.replace_with_mask(msg, pa.array(mask), pa.array([sd_msgs[i] for i in kept], pa.string()))
            fields = [None] * len(rows)
            for p, i in zip(pos.tolist(), kept):
                fields[p] = {"log.syslog.structured_data": sd_data[i]}
        msg = pc.replace_substring_regex(msg, "^\ufeff", "", max_replacements=1)
        msg = pc.if_else(pc.equal(msg, ""), pa.scalar(None, pa.string()), msg)
        procid_t = _nil_to_null(procid.take(take))
        app_t = _nil_to_null(app.take(take))
        host_t = _nil_to_null(host.take(take))
        cols = {
            "@timestamp": ts.take(take), "host.name": host_t, "log.syslog.hostname": host_t,
            "log.syslog.appname": app_t, "process.name": app_t, "log.syslog.procid": procid_t,
            "process.pid": _pid(procid_t), "log.syslog.msgid": _nil_to_null(msgid.take(take)),
            "log.syslog.version": pa.array(["1"] * len(take)),
            "message": msg, "log.syslog.format": pa.array(["rfc5424"] * len(take)),
        }
        if fields is not None:
            cols[_EXTRA] = fields
        return cols, pri, ok

    # -- RFC 3164 ------------------------------------------------------------------------
    def _rfc3164(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array,
                 message: bool = True) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        ok = _np(pc.match_substring_regex(s, _H3164))
        if not ok.any():
            return {}, np.zeros(len(idx), dtype=np.int64), ok
        safe = s if ok.all() else pc.if_else(pa.array(ok), s, _DUMMY3164)
        t = [pc.list_element(pc.split_pattern(safe, " ", max_splits=6), i) for i in range(6)]
        shift = pc.equal(t[1], "")  # "Nov  4": the day is padded with a second space
        day, clock, host, tagtok = (pc.if_else(shift, t[i + 1], t[i]) for i in (1, 2, 3, 4))
        ok &= self._utc_senders(rc, idx, host, ok)
        pri = _np_int(pc.utf8_slice_codeunits(t[0], 1, -4), ok)
        ok &= pri <= 191
        mon = pc.utf8_slice_codeunits(t[0], -3)
        month = pc.index_in(mon, value_set=pa.array(_MONTHS))
        ok &= _np(pc.is_valid(month))
        ts, ts_ok = _infer_year_utc(mon, day, clock, pc.add(month, 1), rc.received[idx], ok)
        ok &= ts_ok
        if not ok.any():
            return {}, pri, ok
        take = pa.array(np.flatnonzero(ok))
        # the token is 'tag:' or 'tag[digits]:' (_H3164)
        tag_pid = pc.utf8_slice_codeunits(tagtok.take(take), 0, -1)
        tag = pc.replace_substring_regex(tag_pid, r"\[\d*\]$", "", max_replacements=1)
        pid = pc.utf8_slice_codeunits(pc.replace_substring_regex(tag_pid, r"^[^\[]*", "", max_replacements=1), 1, -1)
        pid = pc.if_else(pc.equal(pid, ""), pa.scalar(None, pa.string()), pid)
        host_t = host.take(take)
        cols = {
            "@timestamp": pa.array(ts[ok], TS), "host.name": host_t, "log.syslog.hostname": host_t,
            "log.syslog.appname": tag, "process.name": tag, "log.syslog.procid": pid, "process.pid": _pid(pid),
            "event.timezone": pa.array(["UTC"] * len(take)), "log.syslog.format": pa.array(["rfc3164"] * len(take)),
        }
        if message:  # (not needed for a header in front of a CEF record)
            msg = pc.replace_substring_regex(s.take(take), _H3164, "", max_replacements=1)
            cols["message"] = pc.if_else(pc.equal(msg, ""), pa.scalar(None, pa.string()), msg)
        return cols, pri, ok

    # -- CEF -------------------------------------------------------------------------------
    def _cef(self, rc: RecordColumns, binary: pa.Array, cef: CefBatch) -> tuple[np.ndarray, pa.Table | None]:
        """(record indices, table) of the CEF records read here."""
        kinds = [_np(pc.match_substring_regex(cef.head, pattern)) for pattern in _CEF_HEADS]
        ok = cef.read(np.logical_or.reduce(kinds))
        readers = (self._no_header, self._pri_only, self._rfc5424, self._rfc3164_head, self._rfc3164_untagged)
        parts = []
        for kind, reader in zip(kinds, readers):
            local = np.flatnonzero(ok & kind)
            if len(local):
                header, pri, good = reader(rc, cef.rows[local], cef.head.take(pa.array(local)))
                header.pop("message", None)  # the CEF Name or msg is the message
                if good.any():
                    parts.append((local[good], header, pri[good]))
        if not parts:
            return np.zeros(0, dtype=np.int64), None
        local = np.concatenate([p[0] for p in parts])
        order = np.argsort(local, kind="stable")
        local = local[order]
        cols = _merge_parts([(len(p[0]), p[1]) for p in parts], order)
        body = cef.columns(local)
        cols["@timestamp"] = pc.coalesce(body.pop("@timestamp"), cols["@timestamp"])
        rows = cef.rows[local]
        return rows, _build(rc, binary, rows, np.concatenate([p[2] for p in parts])[order], {**cols, **body})

    def _no_header(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        return {"@timestamp": pa.array(rc.received[idx], TS)}, np.full(len(idx), -1, dtype=np.int64), \
            np.ones(len(idx), dtype=bool)

    def _pri_only(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        pri = _np_int(pc.utf8_slice_codeunits(s, 1, -1), np.ones(len(idx), dtype=bool))
        ok = pri <= 191  # a header reader's columns hold its good rows only
        return {"@timestamp": pa.array(rc.received[idx[ok]], TS)}, pri, ok

    def _rfc3164_head(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        return self._rfc3164(rc, idx, s, message=False)

    def _rfc3164_untagged(self, rc: RecordColumns, idx: np.ndarray, s: pa.Array) -> tuple[dict[str, pa.Array], np.ndarray, np.ndarray]:
        """``<PRI>Mmm dd hh:mm:ss host`` alone: read with a stand-in tag, which is then dropped."""
        cols, pri, ok = self._rfc3164(rc, idx, pc.binary_join_element_wise(s, "t: ", ""), message=False)
        for field in ("log.syslog.appname", "process.name", "log.syslog.procid", "process.pid"):
            cols.pop(field, None)
        return cols, pri, ok

    def _utc_senders(self, rc: RecordColumns, idx: np.ndarray, host: pa.Array, ok: np.ndarray) -> np.ndarray:
        """Rows whose sender's configured zone is UTC (other zones take the slow path)."""
        if self.zones.all_utc():
            return np.ones(len(idx), dtype=bool)
        hosts = host.to_pylist()
        addresses = [rc.meta[int(rc.meta_index[i])][2] for i in idx]
        return np.fromiter((bool(o) and self.zones.for_address(a)(h).key == "UTC"
                            for a, h, o in zip(addresses, hosts, ok)), dtype=bool, count=len(idx))


def _merge_parts(parts: list[tuple[int, dict[str, pa.Array]]], order: np.ndarray) -> dict[str, pa.Array]:
    """Columns of several row groups (``(rows, columns)``, a field missing means nulls) as one,
    rows in ``order`` (indices into the groups' rows, concatenated)."""
    if len(parts) == 1:
        return dict(parts[0][1])
    fields = dict.fromkeys(field for _, cols in parts for field in cols)
    take = pa.array(order)
    merged = {}
    for field in fields:
        typ = BY_FIELD[field].arrow
        chunks = [cols[field].cast(typ) if field in cols else pa.nulls(n, typ) for n, cols in parts]
        merged[field] = pa.concat_arrays(chunks).take(take)
    return merged


def _structured_data(rests: list[str]) -> tuple[list[object], list[str], list[bool]]:
    """Structured data and message of ``SD [MSG]`` texts, by the reference parser's own reader."""
    data: list[object] = []
    msgs: list[str] = []
    good: list[bool] = []
    for text in rests:
        try:
            sd, end = parse_structured_data(text)
        except ParseError:
            sd, end = None, -1
        if end == len(text) or (0 <= end < len(text) and text[end] == " "):
            data.append(sd)
            msgs.append(text[end + 1:])
            good.append(True)
        else:
            data.append(None)
            msgs.append("")
            good.append(False)
    return data, msgs, good


def _np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _np_int(arr: pa.Array, ok: np.ndarray) -> np.ndarray:
    safe = pc.if_else(pa.array(ok), arr, "0")
    return np.asarray(pc.cast(pc.fill_null(safe, "0"), pa.int64()).to_numpy(zero_copy_only=False))


def _pid(procid: pa.Array) -> pa.Array:
    digits = pc.match_substring_regex(procid, r"^\d{1,18}$")
    return pc.cast(pc.if_else(digits, procid, pa.scalar(None, pa.string())), pa.int64())


def _iso_times(stamp: pa.Array, ok: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """RFC 3339 times (already shape-checked) as UTC; rows whose date does not exist fail."""
    safe = pc.if_else(pa.array(ok), stamp, "1970-01-01T00:00:00Z")
    date = pc.utf8_slice_codeunits(safe, 0, 10)
    try:
        days = pc.cast(date, pa.date32())
        ts = pc.cast(safe, TS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.nulls(len(stamp), TS), np.zeros(len(stamp), dtype=bool)
    same = _np(pc.equal(pc.cast(days, pa.string()), date))
    return ts, same


def _infer_year_utc(mon: pa.Array, day: pa.Array, clock: pa.Array, month: pa.Array,
                    received: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rfc3164.infer_year_us`` for UTC senders, per batch: latest of Y+1, Y, Y-1 at most a day ahead."""
    limit = received + _DAY_US
    year = pc.year(pa.array(received, TS)).to_numpy(zero_copy_only=False).astype(np.int64)
    day_n = _np_int(day, ok)
    month_n = np.asarray(pc.fill_null(month, 1).to_numpy(zero_copy_only=False), dtype=np.int64)
    chosen = np.zeros(len(received), dtype=np.int64)
    found = np.zeros(len(received), dtype=bool)
    for delta in (1, 0, -1):
        # next year only for 1-2 January; each later year only for rows still without one
        rows = np.flatnonzero(ok & ~found & ((month_n == 1) & (day_n <= 2) if delta == 1 else True))
        if not len(rows):
            continue
        take = pa.array(rows)
        y = pa.array(year[rows] + delta).cast(pa.string())
        text = pc.binary_join_element_wise(y, mon.take(take), pc.utf8_lpad(day.take(take), 2, "0"), clock.take(take), " ")
        parsed = pc.strptime(text, format="%Y %b %d %H:%M:%S", unit="us", error_is_null=True)
        valid = _np(pc.is_valid(parsed))
        safe = pc.fill_null(parsed, pa.scalar(0, pa.timestamp("us")))
        real = valid & (_np(pc.equal(pc.day(safe), pa.array(day_n[rows])))
                        & (pc.month(safe).to_numpy(zero_copy_only=False) == month_n[rows]))
        us = pc.cast(safe, pa.int64()).to_numpy(zero_copy_only=False)
        pick = real & (us <= limit[rows])
        chosen[rows[pick]] = us[pick]
        found[rows[pick]] = True
    return chosen, found & ok


def _fields_json(extra: dict[str, object] | None, path: str | None) -> str | None:
    """The JSON column as the reference path writes it: parser fields first, then the file path."""
    if path is not None:
        extra = {**(extra or {}), "log.file.path": path}
    return orjson.dumps(extra, option=orjson.OPT_NON_STR_KEYS).decode() if extra else None


def _json_with_paths(fields: pa.Array, row_paths: list[str | None]) -> pa.Array:
    """JSON objects (never empty) with ``log.file.path`` added last, as the reference path adds it."""
    ends = pa.array([f',"log.file.path":{orjson.dumps(p).decode()}}}' if p is not None else "}" for p in row_paths])
    return pc.binary_join_element_wise(pc.utf8_slice_codeunits(fields, 0, -1), ends, "")


def identity_columns(rc: RecordColumns, rows: np.ndarray, originals: pa.Array | None) -> dict[str, pa.Array]:
    """The columns the events of the records at ``rows`` take from their WAL records (all
    of ``IDENTITY_FIELDS`` but the parser): ``originals`` are the batch's record bytes
    (``rc.originals()``), or ``None`` to leave ``event.original`` empty."""
    meta_rows = pa.array(rc.meta_index[rows])
    return {
        "event.id": uuid_array(rc.ids, rows),
        "event.created": pa.array(rc.received[rows], TS),
        "event.original": pa.nulls(len(rows), pa.binary()) if originals is None else originals.take(pa.array(rows)),
        "log.source.address": pa.array([m[2] or None for m in rc.meta], pa.string()).take(meta_rows),
        "ironwatch.listener": pa.array([listener_meta(m[0])[0] for m in rc.meta], pa.string()).take(meta_rows),
        "ironwatch.wal_offset": pa.array(rc.wal_offset[rows], pa.uint64()),
    }


def _build(rc: RecordColumns, binary: pa.Array, rows: np.ndarray, pri: np.ndarray, cols: dict[str, pa.Array]) -> pa.Table:
    n = len(rows)
    cols = dict(cols)
    none = None if (pri >= 0).all() else pri < 0  # no PRI (bare CEF): no priority fields
    pri = np.maximum(pri, 0)
    cols["log.syslog.priority"] = pa.array(pri, mask=none)
    cols["log.syslog.facility.code"] = pa.array(pri >> 3, mask=none)
    cols["log.syslog.facility.name"] = _FAC.take(pa.array(pri >> 3, mask=none))
    cols["log.syslog.severity.code"] = pa.array(pri & 7, mask=none)
    cols["log.syslog.severity.name"] = _SEV.take(pa.array(pri & 7, mask=none))
    cols.setdefault("event.kind", pa.array(["event"] * n))
    cols.setdefault("event.dataset", pa.array(["syslog"] * n))
    cols.update(identity_columns(rc, rows, binary))
    if "ironwatch.parser" not in cols:
        cols["ironwatch.parser"] = cols["log.syslog.format"]
    arrays = []
    for c in EVENT_COLUMNS:
        a = cols.get(c.field)
        arrays.append(pa.nulls(n, c.arrow) if a is None else (a if a.type == c.arrow else a.cast(c.arrow)))
    extra = cols.get(_EXTRA)
    paths = [file_path(m[0]) for m in rc.meta]
    row_paths = [paths[i] for i in rc.meta_index[rows].tolist()] if any(p is not None for p in paths) else None
    if FIELDS_JSON in cols:
        arrays.append(cols[FIELDS_JSON] if row_paths is None else _json_with_paths(cols[FIELDS_JSON], row_paths))
    elif extra is None and row_paths is None:
        arrays.append(pa.nulls(n, pa.string()))
    else:
        arrays.append(pa.array([_fields_json(e, p) for e, p in zip(extra or [None] * n, row_paths or [None] * n)],
                               pa.string()))
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA)
