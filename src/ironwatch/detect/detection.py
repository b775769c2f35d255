"""What a match is: the rule's identity and ATT&CK context, and the event it matched.

ATT&CK technique ids and tactics come from the rule's tags (``attack.t1059.001``,
``attack.execution``), never from MITRE's data at run time. Technique ids ``T0xxx`` are
ATT&CK for ICS; the ICS-only tactics are told apart by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TECHNIQUE = re.compile(r"t\d{4}(?:\.\d{3})?")
_OTHER_ATTACK = re.compile(r"[gs]\d{4}")  # groups and software
#: tactics that exist only in ATT&CK for ICS
ICS_TACTICS = frozenset({"inhibit-response-function", "impair-process-control", "evasion"})


@dataclass(frozen=True)
class Attack:
    """ATT&CK context of a rule, from its tags."""

    techniques: tuple[str, ...] = ()
    tactics: tuple[str, ...] = ()
    ics_techniques: tuple[str, ...] = ()
    ics_tactics: tuple[str, ...] = ()


def attack_from_tags(tags: list[str]) -> Attack:
    techniques: list[str] = []
    tactics: list[str] = []
    ics_techniques: list[str] = []
    ics_tactics: list[str] = []
    for tag in tags:
        namespace, _, name = tag.lower().partition(".")
        if namespace != "attack" or not name:
            continue
        if name.startswith("ics."):  # some rule sets spell ICS as attack.ics.t0800
            name = name[4:]
            if _TECHNIQUE.fullmatch(name):
                ics_techniques.append(name.upper())
            else:
                ics_tactics.append(name)
        elif _TECHNIQUE.fullmatch(name):
            (ics_techniques if name.startswith("t0") else techniques).append(name.upper())
        elif not _OTHER_ATTACK.fullmatch(name):
            (ics_tactics if name in ICS_TACTICS else tactics).append(name)
    return Attack(tuple(techniques), tuple(tactics), tuple(ics_techniques), tuple(ics_tactics))


@dataclass(frozen=True)
class RuleInfo:
    """What a detection says about its rule."""

    id: str
    title: str
    level: str
    status: str
    tags: tuple[str, ...]
    attack: Attack
    path: str
    logsource: str


@dataclass
class RuleStats:
    """Per-rule counters: full evaluations, matches and time spent evaluating (ns)."""

    evaluations: int = 0
    matches: int = 0
    time_ns: int = 0


@dataclass(frozen=True)
class Detection:
    """One rule matching one event of a batch."""

    rule: RuleInfo
    #: the event's ``event.id`` (None for events without identity, e.g. in ``hunt``)
    event_id: str | None
    #: position of the event in the batch given to ``match_batch``
    index: int
    #: Sigma field name → the event's value, for the field items that matched
    matched_fields: dict[str, Any] = field(default_factory=dict)
    #: the logsource target the rule ran as (``sysmon/process_creation``, ``security/4688``)
    target: str = ""

    def to_dict(self) -> dict[str, Any]:
        a = self.rule.attack
        return {"rule_id": self.rule.id, "rule_title": self.rule.title, "level": self.rule.level,
                "status": self.rule.status, "tags": list(self.rule.tags),
                "attack_techniques": list(a.techniques), "attack_tactics": list(a.tactics),
                "ics_techniques": list(a.ics_techniques), "ics_tactics": list(a.ics_tactics),
                "event_id": self.event_id, "index": self.index, "target": self.target,
                "matched_fields": self.matched_fields}


__all__ = ["ICS_TACTICS", "Attack", "Detection", "RuleInfo", "RuleStats", "attack_from_tags"]
