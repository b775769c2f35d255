"""Compiled nodes (``compiler``) → Python closures over flat Ironwatch events.

Semantics (Sigma specification, and ``SIGMA-NOTES.md`` for the data):

- strings compare case-insensitively unless ``cased``; ``re`` is case-sensitive unless its
  ``i`` flag is set and matches anywhere in the value (unanchored search);
- every value is compared as the text Windows renders: ``True`` → ``true``, numbers → their
  digits; a list-valued field (unnamed ``Data``) matches when any element matches;
- a field that is absent matches only ``null`` and ``exists: false``; everything else about
  it is false, so ``not filter`` over an absent field is true; ``''`` matches a present,
  empty value;
- a list of values matches when any value does, with ``|all`` when every value does;
- keyword (field-less) values are searched as substrings of every value of the event;
- ``lt``/``lte``/``gt``/``gte`` compare numbers (a value that is not a number never
  matches); ``cidr`` checks an address; ``fieldref`` compares with another field's value.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from ..event import IDENTITY_FIELDS
from .logsources import FieldMap

Event = Mapping[str, Any]
Check = Callable[[Event], bool]
TextTest = Callable[[str, str], bool]  # (value, value lower-cased) → matches

#: event keys never searched by keyword rules: the identity Ironwatch gives every event (raw
#: bytes, where and when a record came in, which parser read it; a file path in
#: ``import:<path>`` would otherwise match a keyword) and the event's time
KEYWORD_SKIP = frozenset({*IDENTITY_FIELDS, "@timestamp"})


def as_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else str(value)


def texts(value: Any) -> list[str]:
    """The texts a field value is compared as (every element of a list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [as_text(x) for x in value if x is not None]
    return [as_text(value)]


def getter(keys: tuple[str, ...]) -> Callable[[Event], Any]:
    if len(keys) == 1:
        key = keys[0]
        return lambda ev: ev.get(key)

    def first(ev: Event) -> Any:
        for key in keys:
            v = ev.get(key)
            if v is not None:
                return v
        return None
    return first


def _number(text: str) -> float | None:
    try:
        return float(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
    except ValueError:
        return None


_CMP: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge, "neq": operator.ne}


def _py_flags(flags: str) -> int:
    return ((re.IGNORECASE if "i" in flags else 0) | (re.MULTILINE if "m" in flags else 0)
            | (re.DOTALL if "s" in flags else 0))


def _text_test(node: list[Any], keyword: bool) -> TextTest:
    kind = node[0]
    if kind in ("eq", "contains", "startswith", "endswith"):
        text, cased = node[1], node[2]
        if keyword:
            kind = "contains"
        if cased:
            if kind == "eq":
                return lambda v, _l: v == text
            if kind == "contains":
                return lambda v, _l: text in v
            if kind == "startswith":
                return lambda v, _l: v.startswith(text)
            return lambda v, _l: v.endswith(text)
        if kind == "eq":
            return lambda _v, low: low == text
        if kind == "contains":
            return lambda _v, low: text in low
        if kind == "startswith":
            return lambda _v, low: low.startswith(text)
        return lambda _v, low: low.endswith(text)
    if kind == "glob":
        pattern = re.compile(node[1], re.DOTALL)
        cased = node[2]
        if keyword:
            return (lambda v, _l: pattern.search(v) is not None) if cased else \
                (lambda _v, low: pattern.search(low) is not None)
        return (lambda v, _l: pattern.fullmatch(v) is not None) if cased else \
            (lambda _v, low: pattern.fullmatch(low) is not None)
    if kind == "re":
        rx = re.compile(node[1], _py_flags(node[2]))
        return lambda v, _l: rx.search(v) is not None
    if kind == "cidr":
        network = ipaddress.ip_network(node[1], strict=False)

        def in_network(v: str, _l: str) -> bool:
            try:
                return ipaddress.ip_address(v.strip()) in network
            except ValueError:
                return False
        return in_network
    if kind == "cmp":
        op, limit = _CMP[node[1]], float(node[2])

        def compare(v: str, _l: str) -> bool:
            n = _number(v.strip())
            return n is not None and op(n, limit)
        return compare
    if kind == "anyof":
        tests = [_text_test(x, keyword) for x in node[1]]
        return lambda v, low: any(t(v, low) for t in tests)
    raise ValueError(f"no text test for value kind {kind!r}")


def _grouped(nodes: list[list[Any]]) -> list[TextTest]:
    """OR-linked case-insensitive plain values folded into one set / tuple test each."""
    eq = [n[1] for n in nodes if n[0] == "eq" and not n[2]]
    contains = [n[1] for n in nodes if n[0] == "contains" and not n[2]]
    starts = tuple(n[1] for n in nodes if n[0] == "startswith" and not n[2])
    ends = tuple(n[1] for n in nodes if n[0] == "endswith" and not n[2])
    rest = [n for n in nodes if not (n[0] in ("eq", "contains", "startswith", "endswith") and not n[2])]
    tests: list[TextTest] = []
    if eq:
        eq_set = frozenset(eq)
        tests.append(lambda _v, low: low in eq_set)
    if starts:
        tests.append(lambda _v, low: low.startswith(starts))
    if ends:
        tests.append(lambda _v, low: low.endswith(ends))
    if contains:
        tests.append(lambda _v, low: any(c in low for c in contains))
    tests.extend(_text_test(n, False) for n in rest)
    return tests


def _field(node: list[Any], fields: FieldMap) -> Check:
    _, name, link, values = node
    get = getter(fields.keys(name))
    absent = [v[0] == "null" or (v[0] == "exists" and not v[1]) for v in values]
    absent_result = any(absent) if link == "any" else all(absent)
    present_parts: list[Any] = []
    refs: list[list[Any]] = []
    plain: list[list[Any]] = []
    for v in values:
        if v[0] == "null":
            present_parts.append(False)
        elif v[0] == "exists":
            present_parts.append(bool(v[1]))
        elif v[0] == "fieldref":
            refs.append(v)
        else:
            plain.append(v)
    if link == "all":
        return _field_all(get, absent_result, present_parts, refs, plain, fields)
    constant = any(present_parts)
    tests = _grouped(plain)
    ref_checks = [_fieldref(r, fields) for r in refs]

    def check(ev: Event) -> bool:
        value = get(ev)
        if value is None:
            return absent_result
        if constant:
            return True
        if type(value) is str:
            low = value.lower()
            for test in tests:
                if test(value, low):
                    return True
            return bool(ref_checks) and any(r(ev, [value]) for r in ref_checks)
        items = texts(value)
        for t in items:
            low = t.lower()
            for test in tests:
                if test(t, low):
                    return True
        return any(r(ev, items) for r in ref_checks)
    return check


def _field_all(get: Callable[[Event], Any], absent_result: bool, present_parts: list[Any],
               refs: list[list[Any]], plain: list[list[Any]], fields: FieldMap) -> Check:
    if present_parts and not all(present_parts):
        constant_false = True
    else:
        constant_false = False
    tests = [_text_test(v, False) for v in plain]
    ref_checks = [_fieldref(r, fields) for r in refs]

    def check(ev: Event) -> bool:
        value = get(ev)
        if value is None:
            return absent_result
        if constant_false:
            return False
        items = texts(value)
        pairs = [(t, t.lower()) for t in items]
        return (all(any(test(t, low) for t, low in pairs) for test in tests)
                and all(r(ev, items) for r in ref_checks))
    return check


def _fieldref(node: list[Any], fields: FieldMap) -> Callable[[Event, list[str]], bool]:
    other = getter(fields.keys(node[1]))
    starts, ends = node[2], node[3]

    def check(ev: Event, items: list[str]) -> bool:
        ref = other(ev)
        if ref is None:
            return False
        for r in texts(ref):
            r = r.lower()
            for t in items:
                t = t.lower()
                if starts and ends:
                    if r in t:
                        return True
                elif (starts and t.startswith(r)) or (ends and t.endswith(r)) or t == r:
                    return True
        return False
    return check


def keyword_texts(ev: Event) -> list[str]:
    out: list[str] = []
    for key, value in ev.items():
        if type(value) is str:
            if key not in KEYWORD_SKIP:
                out.append(value)
        elif value is not None and key not in KEYWORD_SKIP and not isinstance(value, (bytes, dict)):
            out.extend(texts(value))
    return out


def keyword_haystack(ev: Event) -> str:
    """Every value of the event, lower-cased, joined by NUL (no keyword spans two values
    unless it holds a NUL itself, and those are tested value by value)."""
    return "\x00".join(keyword_texts(ev)).lower()


def _keyword(node: list[Any]) -> Check:
    _, link, values = node
    simple = [v for v in values if v[0] in ("eq", "contains", "startswith", "endswith")
              and not v[2] and "\x00" not in v[1]]
    if len(simple) == len(values):
        needles = [v[1] for v in simple]
        if link == "all":
            return lambda ev: all(n in keyword_haystack(ev) for n in needles) if needles else True
        return lambda ev: any(n in keyword_haystack(ev) for n in needles)
    tests = [_text_test(v, True) for v in values]

    def check(ev: Event) -> bool:
        pairs = [(t, t.lower()) for t in keyword_texts(ev)]
        if link == "all":
            return all(any(test(t, low) for t, low in pairs) for test in tests)
        return any(test(t, low) for t, low in pairs for test in tests)
    return check


def build(node: list[Any], fields: FieldMap, detections: Mapping[str, Check]) -> Check:
    """A closure evaluating a detection or condition node on one event."""
    kind = node[0]
    if kind == "field":
        return _field(node, fields)
    if kind == "keyword":
        return _keyword(node)
    if kind == "ref":
        return detections[node[1]]
    if kind == "not":
        inner = build(node[1], fields, detections)
        return lambda ev: not inner(ev)
    children = [build(child, fields, detections) for child in node[1]]
    if len(children) == 2:
        a, b = children
        return (lambda ev: a(ev) and b(ev)) if kind == "and" else (lambda ev: a(ev) or b(ev))
    if kind == "and":
        return lambda ev: all(c(ev) for c in children)
    return lambda ev: any(c(ev) for c in children)


def build_rule(rule: Mapping[str, Any], fields: FieldMap) -> Check:
    detections = {name: build(node, fields, {}) for name, node in rule["detections"].items()}
    return build(rule["condition"], fields, detections)


def positive_items(rule: Mapping[str, Any], fields: FieldMap) -> list[tuple[str, Check, Callable[[Event], Any]]]:
    """(Sigma field, check, getter) of each field item the condition uses positively (not
    under a ``not``): what ``matched_fields`` reports."""
    out: list[tuple[str, Check, Callable[[Event], Any]]] = []
    seen: set[str] = set()
    detections = rule["detections"]

    def walk(node: list[Any], negated: bool) -> None:
        kind = node[0]
        if kind == "field":
            if not negated and node[1] not in seen:
                seen.add(node[1])
                out.append((node[1], _field(node, fields), getter(fields.keys(node[1]))))
        elif kind == "ref":
            walk(detections[node[1]], negated)
        elif kind == "not":
            walk(node[1], not negated)
        elif kind in ("and", "or"):
            for child in node[1]:
                walk(child, negated)

    walk(rule["condition"], False)
    return out


def matched_fields(items: list[tuple[str, Check, Callable[[Event], Any]]], ev: Event) -> dict[str, Any]:
    """Sigma field → event value for each of ``positive_items`` that holds on ``ev``."""
    out: dict[str, Any] = {}
    for name, check, get in items:
        if check(ev):
            value = get(ev)
            if value is not None:
                out[name] = value
    return out


__all__ = [
    "KEYWORD_SKIP",
    "Check",
    "as_text",
    "build",
    "build_rule",
    "getter",
    "keyword_haystack",
    "keyword_texts",
    "matched_fields",
    "positive_items",
    "texts",
]
