"""Sigma matching in the pipeline worker: events of a batch in, a detections table out.

The worker loads the configured rule folders (from the compiled-rule cache, so a start or
a reload takes a fraction of a second), applies the rule state the core publishes in
``run/rules.state.json`` (disabled rules, level overrides, a version the core bumps on
every change or reload) and matches each batch before its events are turned into Arrow.
The reference parsers' dicts are matched as they are; rows of the columnar fast path are
turned into dicts only when some loaded rule routes to their ``event.dataset`` / program,
so plain syslog costs nothing when no Linux rule is loaded. Per-rule counters leave with
each batch as deltas (in the spool manifest) for the core to add up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Settings
from ..detect import Detection, RoutingOptions, SigmaEngine, load_rules
from ..store.schema import BY_NAME, DETECTION_SCHEMA
from .normalize import Identity

#: the file through which the core tells workers the rule state (written atomically)
STATE_FILE = "rules.state.json"
#: namespace of detection ids: uuid5(event id + rule id), so a redone batch repeats its ids
DETECTION_NAMESPACE = uuid.UUID("6f0b6c1e-3a52-4c38-9d57-2f1ad0e0c6a1")


def detection_id(event_id: bytes, rule_id: str) -> bytes:
    return uuid.uuid5(DETECTION_NAMESPACE, event_id.hex() + ":" + rule_id).bytes


@dataclass
class RuleState:
    """What the core decided about rules: published to workers, applied at load."""

    version: int = 0
    disabled: frozenset[str] = frozenset()
    levels: Mapping[str, str] | None = None

    @classmethod
    def read(cls, path: Path) -> RuleState:
        try:
            doc = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls()
        return cls(int(doc.get("version", 0)), frozenset(doc.get("disabled", ())), dict(doc.get("levels", {})))


def write_state(run: Path, version: int, disabled: Sequence[str], levels: Mapping[str, str]) -> None:
    tmp = run / (STATE_FILE + ".tmp")
    tmp.write_bytes(orjson.dumps({"version": version, "disabled": sorted(disabled), "levels": dict(levels)}))
    os.replace(tmp, run / STATE_FILE)


def apply_state(rules: Sequence[dict[str, Any]], state: RuleState) -> list[dict[str, Any]]:
    """The compiled rules that run: disabled ones left out, level overrides applied."""
    levels = state.levels or {}
    return [({**r, "level": levels[r["id"]]} if r["id"] in levels else r)
            for r in rules if r["id"] not in state.disabled]


class StreamDetector:
    """The worker's Sigma stage; ``engine`` is None when no rule folder is configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_path
        self.state_path = self.data_dir / "run" / STATE_FILE
        self.engine: SigmaEngine | None = None
        self.version = -1
        self._stamp: tuple[int, int] | None = None
        self._prev: list[tuple[int, int, int]] = []
        self.reload()

    def reload(self) -> None:
        state = RuleState.read(self.state_path)
        paths = self.settings.detection.rule_paths(self.data_dir)
        paths = [p for p in paths if p.exists()]
        self.version = state.version
        if not paths:
            self.engine, self._prev = None, []
            return
        det = self.settings.detection
        ruleset = load_rules(paths, det.placeholders, cache_dir=self.data_dir / "cache",
                             options=RoutingOptions(security_4688_as_process_creation=det.security_4688_as_process_creation))
        self.engine = SigmaEngine(apply_state(ruleset.rules, state), ruleset.options)
        self._prev = [(0, 0, 0)] * len(self.engine.rules)

    def maybe_reload(self) -> bool:
        """Reload when the core published a new rule-set version (one ``stat`` per batch)."""
        try:
            st = self.state_path.stat()
            stamp: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if RuleState.read(self.state_path).version == self.version:
            return False
        self.reload()
        return True

    # -- matching ------------------------------------------------------------------------
    def match(self, fast: pa.Table | None, events: list[dict[str, Any]],
              identity: Identity | None = None) -> list[dict[str, Any]]:
        """Detection rows for a batch: the fast path's table and the reference parsers'
        dicts, whose identity (event id, receipt time, WAL offset) is in ``identity`` when
        they do not hold it themselves (``Normalizer.process_batch``)."""
        engine = self.engine
        if engine is None:
            return []
        rows: list[dict[str, Any]] = []
        if events:
            rows.extend(_rows(engine.match_batch(events), events, identity))
        if fast is not None and fast.num_rows:
            routed = fast_events(fast, engine)
            if routed:
                rows.extend(_rows(engine.match_batch(routed), routed))
        return rows

    def stats_delta(self) -> dict[str, list[float]]:
        """rule id → [evaluations, matches, time ms] since the last call (rules that ran only)."""
        engine = self.engine
        if engine is None:
            return {}
        out: dict[str, list[float]] = {}
        now = [(s.evaluations, s.matches, s.time_ns) for s in engine.stats]
        for info, cur, prev in zip(engine.rules, now, self._prev):
            if cur[0] != prev[0]:
                acc = out.setdefault(info.id, [0, 0, 0.0])
                acc[0] += cur[0] - prev[0]
                acc[1] += cur[1] - prev[1]
                acc[2] += round((cur[2] - prev[2]) / 1e6, 3)
        self._prev = now
        return out


def fast_events(table: pa.Table, engine: SigmaEngine) -> list[dict[str, Any]]:
    """Event dicts for the fast-path rows some rule routes to. Those rows name no Windows
    channel and no ``event.module``, so their route keys are ``event.dataset`` and the
    program: rows are routed when either is (one ``unique`` per column and batch)."""
    mask = None
    for col, field in (("dataset", "event.dataset"), ("process_name", "process.name")):
        values = [v for v in pc.unique(table.column(col)).to_pylist() if isinstance(v, str)]
        routed = [v for v in values if engine.routes({field: v})]
        if routed:
            m = pc.is_in(table.column(col), value_set=pa.array(routed, pa.string()))
            mask = m if mask is None else pc.or_(mask, m)
    if mask is None:
        return []
    return table_events(table.filter(pc.fill_null(mask, False)))


def table_events(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of an ``EVENT_SCHEMA`` table as flat ECS dicts, as the reference parsers make them."""
    cols: dict[str, list[Any]] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        elif isinstance(col.type, pa.UuidType):
            col = pa.chunked_array([c.storage for c in col.chunks], pa.binary(16))
        cols[name] = col.to_pylist()
    out: list[dict[str, Any]] = []
    extra = cols.pop("fields", None)
    names = [(BY_NAME[n].field, values) for n, values in cols.items() if n in BY_NAME]
    for i in range(table.num_rows):
        ev = {field: values[i] for field, values in names if values[i] is not None}
        if extra is not None and extra[i]:
            ev.update(orjson.loads(extra[i]))
        out.append(ev)
    return out


def _int(v: Any) -> int | None:
    return v if type(v) is int else None


def _rows(found: list[Detection], events: Sequence[Mapping[str, Any]],
          identity: Identity | None = None) -> list[dict[str, Any]]:
    out: dict[bytes, dict[str, Any]] = {}
    for d in found:
        ev = events[d.index]
        eid: Any
        created: Any
        offset: Any
        if identity is not None:
            eid, created, offset = identity.of(d.index)
        else:
            eid, created, offset = ev.get("event.id"), ev.get("event.created"), ev.get("ironwatch.wal_offset")
        if not isinstance(eid, (bytes, bytearray)):
            continue  # every event in the pipeline has its identity from the WAL
        did = detection_id(bytes(eid), d.rule.id)
        if did in out:
            continue  # one rule, one event: one detection even when two targets matched
        a = d.rule.attack
        out[did] = {
            "detection_id": did, "rule_id": d.rule.id, "rule_title": d.rule.title, "level": d.rule.level,
            "status": d.rule.status, "tags": list(d.rule.tags), "attack_techniques": list(a.techniques),
            "attack_tactics": list(a.tactics), "ics_techniques": list(a.ics_techniques),
            "ics_tactics": list(a.ics_tactics), "target": d.target, "rule_path": d.rule.path,
            "event_id": bytes(eid), "event_ts": _int(ev.get("@timestamp")), "created": _int(created),
            "host_name": ev.get("host.name") if isinstance(ev.get("host.name"), str) else None,
            "matched_fields": orjson.dumps(d.matched_fields, default=str,
                                           option=orjson.OPT_NON_STR_KEYS).decode(),
            "wal_offset": offset,
        }
    return list(out.values())


def detections_to_arrow(rows: list[dict[str, Any]]) -> pa.Table:
    arrays: list[pa.Array] = []
    for f in DETECTION_SCHEMA:
        values = [r[f.name] for r in rows]
        if isinstance(f.type, pa.UuidType):
            arrays.append(pa.ExtensionArray.from_storage(f.type, pa.array(values, pa.binary(16))))
        else:
            arrays.append(pa.array(values, type=f.type))
    return pa.Table.from_arrays(arrays, schema=DETECTION_SCHEMA)


__all__ = ["STATE_FILE", "RuleState", "StreamDetector", "apply_state", "detection_id", "detections_to_arrow",
           "fast_events", "table_events", "write_state"]
