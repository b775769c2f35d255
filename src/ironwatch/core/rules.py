"""Rule management in the core: rule state, reloads, per-rule counters, stored detections.

The core owns the decisions about rules (enabled, level override) in the ``rule_state``
table and publishes them to the workers as ``run/rules.state.json`` with a version it bumps
on every change and on ``reload``; workers reload their rule set when the version changes
(``pipeline.detect_stage``). Every change commits with its audit entry. Workers report
per-rule counter deltas in their spool manifests; the core adds them up here (since start).
The CLI (socket or offline) and the HTTP API call the same methods.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import duckdb
import orjson

from ..config import Settings
from ..detect import RoutingOptions, RuleSet, load_rules
from ..errors import RuleError, StoreError
from ..pipeline.detect_stage import write_state
from ..store.hot import EventStore
from ..timeutil import iso
from ..util.sockets import run_dir

if TYPE_CHECKING:  # the offline import publishes rule state without the access layer
    from .access import AccessService

LEVELS = ("informational", "low", "medium", "high", "critical")
RULE_COLUMNS = ("rule_id", "title", "level", "enabled", "status", "logsource", "path", "evaluations",
                "matches", "time_ms", "detections_stored")
DETECTION_COLUMNS = ("stored", "level", "rule_title", "host_name", "event_id", "rule_id")


def rule_states(store: EventStore) -> dict[str, dict[str, Any]]:
    """rule id → its state (enabled, level override, who changed it when) for rules ever changed."""
    rows = store.cursor().execute(
        "SELECT rule_id, enabled, level_override, path, changed_by, epoch_us(changed_at) FROM rule_state").fetchall()
    return {r[0]: {"enabled": bool(r[1]), "level_override": r[2], "path": r[3], "changed_by": r[4],
                   "changed_at": iso(r[5])} for r in rows}


def publish_state(store: EventStore) -> int:
    """Writes the store's rule state for the Sigma stage (``DATA/run/rules.state.json``) with a
    new version; returns the version. The core does at start and on every change; an offline
    import does before its helpers start."""
    states = rule_states(store)
    version = time.time_ns()
    write_state(run_dir(store.path.parent), version, [k for k, v in states.items() if not v["enabled"]],
                {k: v["level_override"] for k, v in states.items() if v["level_override"]})
    return version


class RuleService:
    def __init__(self, settings: Settings, store: EventStore, access: AccessService) -> None:
        self.settings = settings
        self.store = store
        self.access = access
        self.data_dir = settings.data_path
        #: rule id → [evaluations, matches, time ms] added up from the workers since core start
        self.counters: dict[str, list[float]] = {}

    # -- rule files ----------------------------------------------------------------------
    def load(self) -> RuleSet:
        """The configured rules, as the workers load them (from the compiled-rule cache)."""
        det = self.settings.detection
        paths = [p for p in det.rule_paths(self.data_dir) if p.exists()]
        if not paths:
            return RuleSet()
        return load_rules(paths, det.placeholders, cache_dir=self.data_dir / "cache",
                          options=RoutingOptions(security_4688_as_process_creation=det.security_4688_as_process_creation))

    def lookup(self, rule_id: str) -> dict[str, Any]:
        for rule in self.load().rules:
            if rule["id"] == rule_id:
                return rule
        raise RuleError(f"no loaded rule has id {rule_id!r} (see: ironwatch rules list)")

    # -- state ---------------------------------------------------------------------------
    def states(self) -> dict[str, dict[str, Any]]:
        return rule_states(self.store)

    def publish(self) -> int:
        """Write the rule state for the workers with a new version; returns the version."""
        return publish_state(self.store)

    def set_state(self, actor: str, source: str, rule: dict[str, Any], enabled: bool | None = None,
                  level: str | None = None) -> dict[str, Any]:
        """Enable, disable or override the level of one rule (``level=""`` removes the override)."""
        if level and level not in LEVELS:
            raise RuleError(f"unknown level {level!r} (known: {', '.join(LEVELS)})")
        rule_id = str(rule["id"])
        before = self.states().get(rule_id, {"enabled": True, "level_override": None})
        after_enabled = before["enabled"] if enabled is None else enabled
        after_level = before["level_override"] if level is None else (level or None)
        action = ("rule.level" if level is not None else "rule.enable" if enabled else "rule.disable")
        try:
            with self.access.transaction():  # the change and its audit entry commit together
                self.access.con.execute(
                    "INSERT INTO rule_state VALUES (?, ?, ?, ?, ?, now()) ON CONFLICT (rule_id) DO UPDATE SET "
                    "enabled = excluded.enabled, level_override = excluded.level_override, path = excluded.path, "
                    "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                    [rule_id, after_enabled, after_level, rule.get("path"), actor])
                self.access.audit.record(actor, source, action, rule_id, "success",
                                         {"title": rule.get("title"), "path": rule.get("path"),
                                          "enabled": [before["enabled"], after_enabled],
                                          "level_override": [before["level_override"], after_level]})
        except duckdb.Error as exc:
            raise StoreError(f"cannot change rule state: {exc}") from exc
        version = self.publish()
        return {"rule_id": rule_id, "title": rule.get("title"), "enabled": after_enabled,
                "level": after_level or rule.get("level"), "level_override": after_level, "version": version}

    def reload(self, actor: str, source: str) -> dict[str, Any]:
        version = self.publish()
        self.access.record(actor, source, "rules.reload", None, "success", {"version": version})
        return {"reloaded": True, "version": version}

    # -- counters and detections ---------------------------------------------------------
    def add_stats(self, delta: dict[str, list[float]]) -> None:
        for rule_id, (evaluations, matches, time_ms) in delta.items():
            acc = self.counters.setdefault(rule_id, [0, 0, 0.0])
            acc[0] += evaluations
            acc[1] += matches
            acc[2] = round(acc[2] + time_ms, 3)

    def stored_per_rule(self) -> dict[str, int]:
        rows = self.store.cursor().execute("SELECT rule_id, count(*) FROM detections GROUP BY rule_id").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def listing(self) -> list[dict[str, Any]]:
        ruleset = self.load()
        states, stored = self.states(), self.stored_per_rule()
        out = []
        for rule in ruleset.rules:
            rid = rule["id"]
            st = states.get(rid, {})
            c = self.counters.get(rid, [0, 0, 0.0])
            ls = rule["logsource"]
            out.append({"rule_id": rid, "title": rule["title"], "level": st.get("level_override") or rule["level"],
                        "enabled": st.get("enabled", True), "status": rule["status"],
                        "logsource": "/".join(str(v) for v in ls.values() if v), "path": rule["path"],
                        "evaluations": int(c[0]), "matches": int(c[1]), "time_ms": c[2],
                        "detections_stored": stored.get(rid, 0), "level_override": st.get("level_override"),
                        "changed_by": st.get("changed_by"), "changed_at": st.get("changed_at")})
        return out

    def summary(self, top: int = 20) -> dict[str, Any]:
        """For ``status``: totals and the rules that cost the most time."""
        busiest = sorted(self.counters.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
        return {"rules_evaluated": len(self.counters),
                "evaluations": int(sum(c[0] for c in self.counters.values())),
                "matches": int(sum(c[1] for c in self.counters.values())),
                "time_ms": round(sum(c[2] for c in self.counters.values()), 3),
                "top_rules": [{"rule_id": k, "evaluations": int(v[0]), "matches": int(v[1]), "time_ms": v[2]}
                              for k, v in busiest]}

    def detections(self, limit: int = 100, rule_id: str | None = None, level: str | None = None,
                   host: str | None = None, from_us: int | None = None, to_us: int | None = None) -> list[dict[str, Any]]:
        """Stored detections, newest first, filtered by rule, level, host and receipt time."""
        sql = ("SELECT detection_id::VARCHAR, epoch_us(stored), rule_id, rule_title, level, status, tags, "
               "attack_techniques, attack_tactics, ics_techniques, ics_tactics, target, rule_path, "
               "event_id::VARCHAR, epoch_us(event_ts), epoch_us(created), host_name, matched_fields, wal_offset "
               "FROM detections WHERE true")
        params: list[Any] = []
        for clause, value in (("rule_id = ?", rule_id), ("level = ?", level), ("host_name = ?", host),
                              ("created >= make_timestamptz(?)", from_us), ("created <= make_timestamptz(?)", to_us)):
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        rows = self.store.cursor().execute(sql + " ORDER BY stored DESC, created DESC LIMIT ?", [*params, limit]).fetchall()
        names = ("detection_id", "stored", "rule_id", "rule_title", "level", "status", "tags", "attack_techniques",
                 "attack_tactics", "ics_techniques", "ics_tactics", "target", "rule_path", "event_id", "event_ts",
                 "created", "host_name", "matched_fields", "wal_offset")
        out = []
        for r in rows:
            d = dict(zip(names, r))
            for k in ("stored", "event_ts", "created"):
                d[k] = iso(d[k]) if d[k] is not None else None
            d["matched_fields"] = orjson.loads(d["matched_fields"]) if d["matched_fields"] else {}
            out.append(d)
        return out


__all__ = ["DETECTION_COLUMNS", "LEVELS", "RULE_COLUMNS", "RuleError", "RuleService"]
