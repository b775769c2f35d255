"""The columnar fast path for CEF: the common shape of ArcSight CEF read per batch.

``ColumnarSyslog`` hands over the records whose first ``|`` closes ``CEF:0`` or ``CEF:1``; this
module finds the header fields and every extension ``key=value`` with numpy over the batch's
bytes (positions, not Python strings), then builds the event columns and the JSON ``fields``
column with Arrow kernels. It takes only the plain shape, and leaves everything else to the
reference parser (``parsers/cef.py``, the specification): no backslash (so no escapes) and no
control character anywhere in the record, every ``=`` of the extension starting a value (CEF
requires ``\\=`` inside values), each key and custom label once per record, device times as
epoch numbers. The syslog header in front (RFC 5424, RFC 3164 or a bare PRI) is read by
``columnar.py``. A differential test holds the rows to the reference parser's, field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..parsers.cef import (
    ECS_IP,
    ECS_PORT,
    ECS_TEXT,
    IPV4,
    OUTCOMES,
    SEVERITY_WORDS,
    TIME_KEYS,
    TRANSPORTS,
    event_outcome,
    severity_level,
    transport,
    valid_ip,
    valid_port,
)
from ..store.schema import BY_FIELD, TS

_PIPE, _EQ, _SPACE, _QUOTE, _BACKSLASH = (ord(c) for c in '|= "\\')
#: an extension key, as parsers/cef.py reads them
_KEY = r"^[A-Za-z0-9_.\[\]-]+$"
_MARKER = np.frombuffer(b"CEF:", dtype=np.uint8)
_CHUNK = 1 << 20
#: the extension keys whose values become ECS fields (their order is parsers/cef.py's)
_MAPPED = list(dict.fromkeys(["msg", *ECS_TEXT, *ECS_IP, *ECS_PORT, "proto", "outcome", *(k for k, _ in TIME_KEYS)]))
_SLOT = {key: i for i, key in enumerate(_MAPPED)}
#: at most this many distinct custom-label base keys per batch (rows with others go slow)
MAX_LABEL_BASES = 64
#: a (rows x distinct keys) table up to this size finds repeated keys by counting, else by sorting
DENSE_LIMIT = 1 << 23
_VERSIONS = pa.array(["0", "1"])
_SEVERITY_WORDS = pa.array(list(SEVERITY_WORDS))
_SEVERITY_LEVELS = pa.array(list(SEVERITY_WORDS.values()), pa.int64())
_TRANSPORT_CODES = pa.array(list(TRANSPORTS))
_TRANSPORT_NAMES = pa.array(list(TRANSPORTS.values()))
_OUTCOMES = pa.array(OUTCOMES)
_NULL = pa.scalar(None, pa.string())


def _positions(buf: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Where ``test`` holds in ``buf``, a megabyte at a time: a batch-sized mask would be a
    fresh allocation on every batch, a small one is reused."""
    parts = [np.flatnonzero(test(buf[i:i + _CHUNK])) + i for i in range(0, len(buf), _CHUNK)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _in_any(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Per range ``[start, end)``: whether one of ``positions`` (ascending) lies in it."""
    return np.asarray(np.searchsorted(positions, ends) > np.searchsorted(positions, starts))


def _slices(data: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """``data[starts[i]:ends[i]]`` as strings (ranges ascending, disjoint, cut at characters)."""
    return _cover(data, starts, ends).take(pa.array(np.arange(0, 2 * len(starts), 2)))


def _cover(data: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """Strings over ``data`` without copying: range i is element 2i, the gaps lie between."""
    if not len(starts):
        return pa.array([], pa.string())
    cuts = np.empty(2 * len(starts), dtype=np.int32)
    cuts[0::2], cuts[1::2] = starts, ends
    return pa.StringArray.from_buffers(len(cuts) - 1, pa.py_buffer(cuts), data)


def _masked_cover(data: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """``_cover`` with the gaps null: range i is element 2i."""
    if not len(starts):
        return pa.array([], pa.string())
    cover = _cover(data, starts, ends)
    even = pa.py_buffer(np.full((len(cover) + 7) // 8, 0x55, dtype=np.uint8))  # bits 0, 2, 4...
    return pa.StringArray.from_buffers(len(cover), cover.buffers()[1], cover.buffers()[2], even, len(cover) // 2)


def _per_row(pieces: pa.Array, rows: np.ndarray) -> pa.Array:
    """Per row, its pieces (``rows``: list offsets into ``pieces``) concatenated: no copy, since
    a kernel's output string array holds its elements back to back."""
    _, offsets, data = pieces.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32)[pieces.offset:pieces.offset + len(pieces) + 1]
    if data is None:
        return pa.array([""] * (len(rows) - 1), pa.string())
    return pa.StringArray.from_buffers(len(rows) - 1, pa.py_buffer(ends[rows]), data)


def _np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _runs(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indices ``first[i] .. first[i] + counts[i] - 1`` of all i, concatenated."""
    total = int(counts.sum())
    bases = np.repeat(first - (np.cumsum(counts) - counts), counts)
    return np.asarray(bases + np.arange(total), dtype=np.int64)


def _repeated(rows: np.ndarray, codes: np.ndarray, n_rows: int) -> np.ndarray:
    """Rows (of ``n_rows``) in which a code occurs twice (``rows[i]`` holds ``codes[i]``)."""
    width = int(codes.max()) + 1 if len(codes) else 1
    pairs = rows.astype(np.int64) * width + codes
    if n_rows * width <= DENSE_LIMIT:
        twice = np.flatnonzero(np.bincount(pairs, minlength=n_rows * width) > 1)
    else:
        ordered = np.sort(pairs)
        twice = ordered[1:][ordered[1:] == ordered[:-1]]
    bad = np.zeros(n_rows, dtype=bool)
    bad[twice // width] = True
    return bad


def _escaped(arr: pa.Array, quotes: bool) -> pa.Array:
    """Text as inside a JSON string; only ``"`` needs it (no backslash or control character)."""
    return pc.replace_substring(arr, '"', '\\"') if quotes else arr


def _by_reference(values: pa.Array, fast: np.ndarray, result: pa.Array,
                  reference: Callable[[str], Any], typ: pa.DataType) -> pa.Array:
    """``result`` where ``fast``; for the other present values, the reference function's answer."""
    todo = np.flatnonzero(~fast & _np(pc.is_valid(values)))
    if not len(todo):
        return result
    mask = np.zeros(len(values), dtype=bool)
    mask[todo] = True
    answers = pa.array([reference(v) for v in values.take(pa.array(todo)).to_pylist()], typ)
    return pc.replace_with_mask(result, pa.array(mask), answers)


def _ascii_words(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(which values are ASCII, those values without spaces around and in lower case): what
    ``str.strip().lower()`` gives for them, since they hold no other white space."""
    ascii_ = _np(pc.string_is_ascii(values))
    return ascii_, pc.ascii_lower(pc.utf8_trim(values, " "))


class CefBatch:
    """The records of one batch that look like CEF (``rows``), read as far as they are plain."""

    def __init__(self, data: bytes, offsets: np.ndarray, candidate: np.ndarray) -> None:
        self.data = pa.py_buffer(data)
        self._buf = buf = np.frombuffer(data, dtype=np.uint8)
        rows = np.flatnonzero(candidate) if len(data) < 2**31 else np.zeros(0, dtype=np.int64)  # int32 offsets
        starts, ends = offsets[rows], offsets[rows + 1]
        pipes = _positions(buf, lambda b: b == _PIPE)
        first = np.searchsorted(pipes, starts)
        count = np.searchsorted(pipes, ends) - first
        sel = np.flatnonzero(count >= 6) if len(pipes) else np.zeros(0, dtype=np.int64)
        at = pipes[np.minimum(first[sel, None] + np.arange(7), len(pipes) - 1)]
        shaped = (at[:, 0] - 5 >= starts[sel]) & self._marker_before(at[:, 0])
        sel, at = sel[shaped], at[shaped]
        at[count[sel] == 6, 6] = ends[sel][count[sel] == 6]  # Severity without '|': no extension
        self.rows = rows[sel]
        self._starts, self._ends, self._pipes = starts[sel], ends[sel], at
        self.head = _slices(self.data, self._starts, at[:, 0] - 5)
        self.ok = np.zeros(len(self.rows), dtype=bool)

    def _marker_before(self, pipe: np.ndarray) -> np.ndarray:
        """Whether ``CEF:0`` or ``CEF:1`` ends just before each of these ``|``."""
        tail = self._buf[np.maximum(pipe[:, None] - np.arange(5, 0, -1), 0)]
        return np.asarray((tail[:, :4] == _MARKER).all(axis=1) & ((tail[:, 4] == 48) | (tail[:, 4] == 49)))

    # -- reading -------------------------------------------------------------------------
    def read(self, wanted: np.ndarray) -> np.ndarray:
        """Reads the ``wanted`` rows; returns which of all rows the fast path takes."""
        buf, starts, ends = self._buf, self._starts, self._ends
        ok = wanted.copy()
        ok &= ~_in_any(_positions(buf, lambda b: (b < 32) | (b == _BACKSLASH)), starts, ends)
        self._quoted = _in_any(_positions(buf, lambda b: b == _QUOTE), starts, ends) & ok
        ext_start = self._pipes[:, 6] + 1
        ext_start = np.minimum(ext_start, ends)
        ext_end = ends.copy()
        self._strip_spaces(ext_start, ext_end)
        eqs = _positions(buf, lambda b: b == _EQ)
        j0 = np.searchsorted(eqs, ext_start)
        n_eq = np.where(ok, np.searchsorted(eqs, ext_end) - j0, 0)
        ok &= (n_eq > 0) | (ext_start == ext_end)
        eq = eqs[_runs(j0, n_eq)]
        prow = np.repeat(np.arange(len(ok)), n_eq)
        first = np.zeros(len(eq), dtype=bool)
        first[(np.cumsum(n_eq) - n_eq)[n_eq > 0]] = True
        # a key starts after the last space before its '=' (checked to be all key characters
        # once the keys are known), and not before the extension or the previous '='
        spaces = _positions(buf, lambda b: b == _SPACE)
        before = np.searchsorted(spaces, eq) - 1
        after_space = np.where(before >= 0, spaces[np.maximum(before, 0)] + 1, 0) if len(spaces) else np.zeros_like(eq)
        floor = np.where(first, ext_start[prow], np.concatenate(([0], eq[:-1] + 1)))
        key = np.maximum(after_space, floor)
        good = (key < eq) & np.where(first, key == ext_start[prow], buf[np.maximum(key - 1, 0)] == _SPACE)
        ok[prow[~good]] = False
        value_end = np.empty_like(eq)
        value_end[:-1] = key[1:] - 1
        last = np.ones(len(eq), dtype=bool)
        last[:-1] = prow[1:] != prow[:-1]
        value_end[last] = ext_end[prow[last]]
        keep = ok[prow]
        if not keep.all():
            prow, key, eq, value_end = prow[keep], key[keep], eq[keep], value_end[keep]
        self._prow, self._key, self._eq, self._value_end = prow, key, eq, value_end
        self._values = _cover(self.data, self._eq + 1, self._value_end)  # value i is element 2i
        self._keys = _masked_cover(self.data, self._key, self._eq)  # key i is element 2i, the rest null
        self._read_keys(ok)
        self._read_labels(ok)
        self._read_times(ok)
        self.ok = ok
        return ok

    def _strip_spaces(self, start: np.ndarray, end: np.ndarray) -> None:
        """Moves ``[start, end)`` inwards past spaces (``str.strip(" ")``), in place."""
        buf = self._buf
        for edge, step, inside in ((start, 1, 0), (end, -1, -1)):
            active = np.flatnonzero(start < end)
            while len(active):
                active = active[buf[edge[active] + inside] == _SPACE]
                edge[active] += step
                active = active[start[active] < end[active]]

    def _read_keys(self, ok: np.ndarray) -> None:
        """Key codes of the pairs; rows with a key twice are refused."""
        encoded = pc.dictionary_encode(self._keys)
        indices = encoded.indices  # int32, null between keys: read the keys' entries from the buffer
        raw = np.frombuffer(indices.buffers()[1], dtype=np.int32)[indices.offset:indices.offset + len(indices)]
        self._codes = raw[0::2].astype(np.int64)
        self._names: list[str] = encoded.dictionary.to_pylist()
        not_key = ~_np(pc.match_substring_regex(encoded.dictionary, _KEY))  # e.g. 'b=c' of 'a=b=c'
        ok[self._prow[not_key[self._codes]]] = False
        ok &= ~_repeated(self._prow, self._codes, len(ok))
        self._slots = self._table(ok, _MAPPED)

    def _table(self, ok: np.ndarray, keys: list[str]) -> np.ndarray:
        """(rows x keys) index of each key's pair in each row, -1 where the row lacks it."""
        index = {key: i for i, key in enumerate(keys)}
        lut = np.asarray([index.get(name, -1) for name in self._names] + [-1], dtype=np.int64)
        slot = lut[self._codes]
        has = np.flatnonzero((slot >= 0) & ok[self._prow])
        table = np.full(len(ok) * len(keys), -1, dtype=np.int64)
        table[self._prow[has] * len(keys) + slot[has]] = has
        return table.reshape(len(ok), len(keys))

    def _value(self, pair: np.ndarray) -> pa.Array:
        """The values of these pairs (-1: null)."""
        if not (pair >= 0).any():
            return pa.nulls(len(pair), pa.string())
        missing = pair < 0
        return self._values.take(pa.array(2 * np.maximum(pair, 0), mask=missing if missing.any() else None))

    def _read_labels(self, ok: np.ndarray) -> None:
        """Custom labels (``cs1Label=Zone cs1=OT`` → ``cef.custom.Zone``) and their values."""
        present = set(self._names)
        bases = {code: name[:-5] for code, name in enumerate(self._names)
                 if name.endswith("Label") and name != "Label" and name[:-5] in present}
        counts = np.bincount(self._codes, minlength=len(self._names))
        kept = sorted(bases, key=lambda c: -counts[c])[:MAX_LABEL_BASES]
        base_names = [bases[c] for c in kept]
        lut = np.full(len(self._names) + 1, -2, dtype=np.int64)  # -2: not a label, -1: not kept
        lut[list(bases)] = -1
        lut[kept] = np.arange(len(kept))
        which = lut[self._codes]
        ok[self._prow[(which == -1) & ok[self._prow]]] = False  # a label beyond the kept ones
        label = np.flatnonzero((which >= 0) & ok[self._prow])
        base = self._table(ok, base_names)[self._prow[label], which[label]]
        names = pc.utf8_trim(pc.replace_substring_regex(self._value(label), "[^A-Za-z0-9_-]+", "_"), "_")
        real = (base >= 0) & _np(pc.not_equal(names, ""))
        self._label_pairs, self._label_bases = label[real], base[real]
        self._label_names = names.filter(pa.array(real))
        codes = np.asarray(pc.dictionary_encode(self._label_names).indices.to_numpy(zero_copy_only=False), np.int64)
        ok &= ~_repeated(self._prow[self._label_pairs], codes, len(ok))

    def _read_times(self, ok: np.ndarray) -> None:
        """``rt``/``end``/``start`` as µs; a row with a time other than an epoch number is refused."""
        self._times: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for key, _ in TIME_KEYS:
            pair = np.where(ok, self._slots[:, _SLOT[key]], -1)
            if not (pair >= 0).any():
                continue
            text = self._value(pair)
            number = _np(pc.match_substring_regex(text, r"^ *\d{1,18} *$"))
            present = pair >= 0
            ok &= number | ~present
            digits = pc.if_else(pa.array(number & ok), pc.utf8_trim(text, " "), "0")
            value = np.asarray(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False))
            # parsers/cef.py: epoch milliseconds, or by its size seconds, µs or ns
            us = np.where(value < 10**11, np.minimum(value, 10**11) * 1_000_000,
                          np.where(value < 10**14, np.minimum(value, 10**14) * 1000,
                                   np.where(value < 10**17, value, value // 1000)))
            self._times[key] = (us, present)

    # -- columns -------------------------------------------------------------------------
    def columns(self, local: np.ndarray) -> dict[str, pa.Array]:
        """The CEF fields of rows ``local`` (ascending, all read): typed columns by ECS name,
        ``@timestamp`` only where the device gave a time, and the JSON ``fields`` text under
        ``FIELDS_JSON``, key for key in the order the reference parser sets them."""
        pipes = self._pipes[local]
        vendor, product, device_version, signature, name, severity = (
            _slices(self.data, pipes[:, i] + 1, pipes[:, i + 1]) for i in range(6))
        quotes = bool(self._quoted[local].any())
        n = len(local)
        cols: dict[str, pa.Array] = {
            "event.dataset": pa.array(["cef"] * n), "ironwatch.parser": pa.array(["cef"] * n),
            "event.code": signature, "event.severity": _severity(severity),
        }
        tokens = self._mapped(local, name, quotes, cols)
        head = [_escaped(f, quotes) for f in (vendor, product, device_version, name, severity)]
        version = _VERSIONS.take(pa.array(self._buf[pipes[:, 0] - 1] - 48))
        # the Severity's closing quote comes after the extension, which opens each pair with '",'
        cols[FIELDS_JSON] = pc.binary_join_element_wise(
            '{"cef.version":"', version, '","observer.vendor":"', head[0], '","observer.product":"', head[1],
            '","observer.version":"', head[2], '","cef.name":"', head[3], '","cef.severity":"', head[4],
            self._extension_json(local, quotes), '"', *self._custom_json(local, quotes), *tokens, "}", "",
            null_handling="replace", null_replacement="")
        return cols

    def _mapped(self, local: np.ndarray, name: pa.Array, quotes: bool, cols: dict[str, pa.Array]) -> list[pa.Array]:
        """The ECS fields of the mapped keys, as ``_map_ecs`` sets them: typed ones into
        ``cols``, the others returned as JSON members (``,"field":value``) in its order."""
        n = len(local)
        slots = self._slots[local]
        present = np.flatnonzero((slots >= 0).any(axis=0))
        found = self._value(slots[:, present].T.ravel())  # one take for all mapped keys
        column = {int(slot): found.slice(i * n, n) for i, slot in enumerate(present)}

        def value(key: str) -> pa.Array:
            return column.get(_SLOT[key], pa.nulls(n, pa.string()))

        tokens: list[pa.Array] = []

        def put(field: str, values: pa.Array) -> None:
            if field in BY_FIELD:
                cols[field] = values
            elif values.null_count == len(values):
                return
            elif pa.types.is_integer(values.type):
                tokens.append(pc.binary_join_element_wise(f',"{field}":', pc.cast(values, pa.string()), ""))
            else:
                tokens.append(pc.binary_join_element_wise(f',"{field}":"', _escaped(values, quotes), '"', ""))

        put("message", pc.coalesce(value("msg"), _non_empty(name)))
        for key, field in ECS_TEXT.items():
            put(field, _non_empty(value(key)))
        for key, field in ECS_IP.items():
            put(field, _ip(value(key)))
        for key, field in ECS_PORT.items():
            put(field, _port(value(key)))
        put("user.name", pc.coalesce(_non_empty(value("suser")), _non_empty(value("duser"))))
        put("network.transport", _transport(_non_empty(value("proto"))))
        put("event.outcome", _outcome(value("outcome")))
        stamp, stamped = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
        for key, target in TIME_KEYS:
            if key in self._times:
                us, present_here = self._times[key][0][local], self._times[key][1][local]
                if target is not None:
                    put(target, pa.array(us, pa.int64(), mask=~present_here))
                stamp = np.where(stamped, stamp, us)
                stamped |= present_here
        cols["@timestamp"] = pa.array(stamp, TS, mask=~stamped)
        return tokens

    def _rows_of(self, local: np.ndarray, prow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of these pairs lie in rows ``local``, list offsets of them per local row)."""
        inside = np.zeros(len(self.ok), dtype=bool)
        inside[local] = True
        picked = np.flatnonzero(inside[prow])
        counts = np.bincount(prow[picked], minlength=len(self.ok))[local]
        offsets = np.zeros(len(local) + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        return picked, offsets

    def _extension_json(self, local: np.ndarray, quotes: bool) -> pa.Array:
        """``","cef.extensions.<key>":"<value>`` for every pair, per row (quotes around it added
        by the caller). Keys and values are read in place: two covers of the records, the
        keys' masked to null between keys, so the text between pairs gives nothing."""
        n_rows = len(self.ok)
        if not len(self._prow):
            return pa.array([""] * len(local), pa.string())
        pieces = pc.binary_join_element_wise('","cef.extensions.', self._keys, '":"', _escaped(self._values, quotes), "")
        first_pair = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(self._prow, minlength=n_rows), out=first_pair[1:])
        per_row = _per_row(pieces, np.minimum(2 * first_pair, len(pieces)))
        return per_row if len(local) == n_rows else per_row.take(pa.array(local))

    def _custom_json(self, local: np.ndarray, quotes: bool) -> list[pa.Array]:
        """``,"cef.custom.<label>":"<value>"`` for every labelled custom field, per row (none
        or one array)."""
        picked, offsets = self._rows_of(local, self._prow[self._label_pairs])
        if not len(picked):
            return []
        tokens = pc.binary_join_element_wise(
            ',"cef.custom.', self._label_names.take(pa.array(picked)), '":"',
            _escaped(self._value(self._label_bases[picked]), quotes), '"', "")
        return [_per_row(tokens, offsets)]


#: key of the JSON ``fields`` text among the columns ``CefBatch.columns`` returns
FIELDS_JSON = "__fields_json__"


def _non_empty(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), _NULL, values)


def _severity(text: pa.Array) -> pa.Array:
    """``severity_level`` of each header Severity."""
    ascii_, word = _ascii_words(text)
    digits = _np(pc.match_substring_regex(word, r"^\d{1,18}$"))
    number = pc.cast(pc.if_else(pa.array(digits), word, "99"), pa.int64())
    by_number = pc.if_else(pc.less_equal(number, 10), number, pa.scalar(None, pa.int64()))
    by_word = _SEVERITY_LEVELS.take(pc.index_in(word, value_set=_SEVERITY_WORDS))
    level = pc.if_else(pa.array(digits), by_number, by_word)
    long_number = _np(pc.match_substring_regex(word, r"^\d{19,}$"))
    return _by_reference(text, ascii_ & ~long_number, level, severity_level, pa.int64())


def _ip(values: pa.Array) -> pa.Array:
    """``valid_ip`` of each value: dotted quads here, anything else by ``ipaddress``."""
    quad = _np(pc.match_substring_regex(values, f"^ *{IPV4} *$"))
    result = pc.if_else(pa.array(quad), pc.utf8_trim(values, " "), _NULL)
    return _by_reference(values, quad | _np(pc.equal(values, "")), result, valid_ip, pa.string())


def _port(values: pa.Array) -> pa.Array:
    """``valid_port`` of each value."""
    digits = _np(pc.match_substring_regex(values, r"^ *\d{1,5} *$"))
    number = pc.cast(pc.if_else(pa.array(digits), pc.utf8_trim(values, " "), "0"), pa.int64())
    result = pc.if_else(pc.and_(pa.array(digits), pc.less_equal(number, 65535)), number, pa.scalar(None, pa.int64()))
    return _by_reference(values, digits | _np(pc.equal(values, "")), result, valid_port, pa.int64())


def _transport(values: pa.Array) -> pa.Array:
    """``transport`` of each (non-empty) ``proto`` value: protocol numbers named, words lowered."""
    ascii_, word = _ascii_words(values)
    named = pc.coalesce(_TRANSPORT_NAMES.take(pc.index_in(word, value_set=_TRANSPORT_CODES)), word)
    return _by_reference(values, ascii_, named, transport, pa.string())


def _outcome(values: pa.Array) -> pa.Array:
    """``event_outcome`` of each ``outcome`` value."""
    ascii_ = _np(pc.string_is_ascii(values))
    word = pc.ascii_lower(pc.utf8_ltrim(pc.utf8_trim(values, " "), "/"))
    known = pc.if_else(pc.is_in(word, value_set=_OUTCOMES), word, _NULL)
    return _by_reference(values, ascii_, known, event_outcome, pa.string())
