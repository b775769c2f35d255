"""``SigmaEngine``: compiled rules indexed by logsource and literal, matched on event batches.

An event is routed first: its route keys (Windows channel and event id, ``event.dataset``,
``event.module``, syslog program; see ``route_keys``) select the rule
targets that apply, and the ``Bucket`` for that set (built on first use and cached by the
event's route signature) finds the candidates by hash lookups and one Aho-Corasick pass per
indexed field. Only candidates are evaluated in full. Per-rule counters (evaluations,
matches, time) are kept for status and the API.

The engine holds no I/O: ``loader`` produces the compiled rules (from pySigma or the cache)
and the caller hands events in and takes detections out.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .detection import Detection, RuleInfo, RuleStats, attack_from_tags
from .index import Atom, Bucket, cover
from .logsources import DEFAULT_OPTIONS, FieldMap, RoutingOptions, resolve
from .matcher import Check, build_rule, matched_fields, positive_items

#: most route signatures kept (each maps to a shared bucket); cleared when exceeded
MAX_SIGNATURES = 50_000


@dataclass(frozen=True)
class _Target:
    rule: int
    name: str
    check: Check
    fields: FieldMap


def _signature(ev: Mapping[str, Any]) -> tuple[Any, ...]:
    channel = ev.get("winlog.channel")
    if channel is not None:
        return (channel, ev.get("winlog.event_id"))
    module = ev.get("event.module")
    program = ev.get("process.name") if module != "auditd" else None
    return (None, ev.get("event.dataset"), module, program)


_EVENT_DATA = "winlog.event_data."


def despaced(ev: Mapping[str, Any]) -> dict[str, Any]:
    """``ev`` with event data names also without their spaces: Sigma rules write
    Defender's ``Threat Name`` as ``ThreatName`` (as other Sigma engines read it)."""
    out = dict(ev)
    for key, value in ev.items():
        if " " in key and key.startswith(_EVENT_DATA):
            out.setdefault(key.replace(" ", ""), value)
    return out


def route_keys(ev: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """The route keys of an event (the same inputs as ``_signature``)."""
    keys: set[tuple[str, str, str]] = set()
    channel = ev.get("winlog.channel")
    if isinstance(channel, str):
        low = channel.lower()
        eid = ev.get("winlog.event_id")
        keys.update({("channel", low, ""), ("channel", low, "" if eid is None else str(eid)),
                     ("product", "windows", "")})
        return keys
    for kind, name in (("dataset", "event.dataset"), ("module", "event.module")):
        value = ev.get(name)
        if isinstance(value, str):
            keys.add((kind, value, ""))
    program = ev.get("process.name")
    if isinstance(program, str) and ev.get("event.module") != "auditd":
        keys.add(("program", program, ""))
    return keys


class SigmaEngine:
    """Matches batches of flat Ironwatch events against compiled Sigma rules."""

    def __init__(self, rules: Sequence[Mapping[str, Any]], options: RoutingOptions = DEFAULT_OPTIONS) -> None:
        self.options = options
        self.rules: list[RuleInfo] = []
        self.compiled: list[Mapping[str, Any]] = list(rules)
        self.stats: list[RuleStats] = []
        self.unrouted: list[int] = []
        self._targets: list[_Target] = []
        self._covers: list[list[Atom] | None] = []
        self._explain: dict[int, list[Any]] = {}
        self._by_key: dict[tuple[str, str, str], list[int]] = {}
        for index, rule in enumerate(self.compiled):
            self._add(index, rule)
        self._buckets: dict[tuple[Any, ...], Bucket] = {}
        #: signatures whose events name event data with spaces (Defender's ``Threat Name``)
        self._spaced: set[tuple[Any, ...]] = set()
        self._shared: dict[tuple[int, ...], Bucket] = {}

    def _add(self, index: int, rule: Mapping[str, Any]) -> None:
        ls = rule["logsource"]
        tags = list(rule["tags"])
        self.rules.append(RuleInfo(
            id=rule["id"], title=rule["title"], level=rule["level"], status=rule["status"],
            tags=tuple(tags), attack=attack_from_tags(tags), path=rule["path"],
            logsource="/".join(f"{k}:{v}" for k, v in ls.items() if v)))
        self.stats.append(RuleStats())
        targets = resolve(ls.get("product"), ls.get("category"), ls.get("service"), self.options)
        if not targets:
            self.unrouted.append(index)
        for target in targets:
            t = len(self._targets)
            self._targets.append(_Target(index, target.name, build_rule(rule, target.fields), target.fields))
            self._covers.append(cover(rule["condition"], target.fields, rule["detections"]))
            for kind, (a, b) in ((target.route.kind, key) for key in target.route.keys):
                self._by_key.setdefault((kind, a, b), []).append(t)

    @property
    def target_count(self) -> int:
        return len(self._targets)

    def _bucket(self, ev: Mapping[str, Any]) -> Bucket:
        sig = _signature(ev)
        bucket = self._buckets.get(sig)
        if bucket is None:
            ids = tuple(sorted({t for key in route_keys(ev) for t in self._by_key.get(key, ())}))
            bucket = self._shared.get(ids)
            if bucket is None:
                bucket = self._shared[ids] = Bucket(ids, self._covers)
            if len(self._buckets) >= MAX_SIGNATURES:
                self._buckets.clear()
                self._spaced.clear()
            self._buckets[sig] = bucket
            if any(" " in k for k in ev if k.startswith(_EVENT_DATA)):
                self._spaced.add(sig)
        return bucket

    def routes(self, ev: Mapping[str, Any]) -> bool:
        """Whether any rule applies to events with ``ev``'s route keys (channel, event id,
        ``event.dataset``, ``event.module``, program): the pipeline builds event dicts from
        columnar rows only when this holds."""
        return any(key in self._by_key for key in route_keys(ev))

    def match_event(self, ev: Mapping[str, Any], index: int = 0) -> list[Detection]:
        bucket = self._bucket(ev)
        if not bucket.size:
            return []
        if self._spaced and _signature(ev) in self._spaced:
            ev = despaced(ev)
        out: list[Detection] = []
        targets, stats = self._targets, self.stats
        for t in bucket.candidates(ev):
            target = targets[t]
            st = stats[target.rule]
            start = time.perf_counter_ns()
            hit = target.check(ev)
            st.time_ns += time.perf_counter_ns() - start
            st.evaluations += 1
            if hit:
                st.matches += 1
                explain = self._explain.get(t)
                if explain is None:
                    explain = self._explain[t] = positive_items(self.compiled[target.rule], target.fields)
                event_id = ev.get("event.id")
                out.append(Detection(self.rules[target.rule], None if event_id is None else str(event_id), index,
                                     matched_fields(explain, ev), target.name))
        return out

    def match_batch(self, events: Sequence[Mapping[str, Any]]) -> list[Detection]:
        """Every (rule, event) match of a batch, in event order."""
        out: list[Detection] = []
        for index, ev in enumerate(events):
            found = self.match_event(ev, index)
            if found:
                out.extend(found)
        return out

    def rule_stats(self) -> list[dict[str, Any]]:
        """Counters per rule, for status and the API."""
        return [{"rule_id": info.id, "title": info.title, "evaluations": st.evaluations,
                 "matches": st.matches, "time_ms": round(st.time_ns / 1e6, 3)}
                for info, st in zip(self.rules, self.stats)]

    def reset_stats(self) -> None:
        self.stats = [RuleStats() for _ in self.rules]


__all__ = ["MAX_SIGNATURES", "SigmaEngine", "route_keys"]
