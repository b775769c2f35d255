"""Which rules can possibly match an event, found without evaluating them.

For every rule target we derive a *cover*: a set of atoms — "key K equals text T" or "key
K contains text T" (lower-cased) — such that the rule cannot match unless at least one atom
holds. ``and`` takes the best cover of its children, ``or`` the union of theirs, ``not``
and values without a literal (``re``, ``cidr``, ``exists``, keywords…) have none. A target
without a cover is evaluated for every event of its logsource.

A ``Bucket`` indexes the covers of the targets that apply to one kind of event (one
route): equality atoms in hash maps per key, substring atoms in one Aho-Corasick automaton
per key. Finding candidates is one dictionary lookup and one automaton pass per indexed
key present in the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import ahocorasick

from .logsources import FieldMap
from .matcher import keyword_haystack, texts

#: the pseudo key of keyword (field-less) atoms: every value of the event
ANY_VALUE = "*"

Atom = tuple[str, tuple[str, ...], str]  # ("eq"|"sub", keys, lower-cased text)


def _value_atoms(node: list[Any]) -> list[tuple[str, str]] | None:
    kind = node[0]
    if kind == "eq":
        return [("eq", node[1].lower())]
    if kind in ("contains", "startswith", "endswith"):
        return [("sub", node[1].lower())] if node[1] else None
    if kind == "glob":
        return [("sub", node[3].lower())] if node[3] else None
    if kind == "anyof":
        out: list[tuple[str, str]] = []
        for child in node[1]:
            atoms = _value_atoms(child)
            if atoms is None:
                return None
            out.extend(atoms)
        return out
    return None


def _score(atoms: list[Atom]) -> tuple[int, int]:
    """Higher is a better trigger: equality beats substrings, long beats short, few beats many."""
    worst = min((1000 if kind == "eq" else len(text)) for kind, _, text in atoms)
    return (min(worst, 1000), -len(atoms))


def cover(node: list[Any], fields: FieldMap, detections: Mapping[str, list[Any]]) -> list[Atom] | None:
    kind = node[0]
    if kind == "ref":
        return cover(detections[node[1]], fields, detections)
    if kind == "field":
        _, name, link, values = node
        keys = fields.keys(name)
        per_value = [_value_atoms(v) for v in values]
        if link == "all":
            options = [[(k, keys, t) for k, t in a] for a in per_value if a is not None]
            return max(options, key=_score) if options else None
        if any(a is None for a in per_value):
            return None
        return [(k, keys, t) for a in per_value if a is not None for k, t in a]
    if kind == "keyword":
        _, link, values = node
        any_value: tuple[str, ...] = (ANY_VALUE,)
        subs: list[list[Atom] | None] = [[("sub", any_value, t) for _, t in a] if a is not None and all(t for _, t in a) else None
                for a in (_value_atoms(v) for v in values)]
        if link == "all":
            found = [a for a in subs if a]
            return max(found, key=_score) if found else None
        if any(not a for a in subs):
            return None
        return [atom for a in subs if a for atom in a]
    if kind == "and":
        found = [c for c in (cover(child, fields, detections) for child in node[1]) if c is not None]
        return max(found, key=_score) if found else None
    if kind == "or":
        union: list[Atom] = []
        for child in node[1]:
            c = cover(child, fields, detections)
            if c is None:
                return None
            union.extend(c)
        return union
    return None  # not, keyword


class Bucket:
    """The candidate finder for the targets of one route signature."""

    def __init__(self, targets: Sequence[int], covers: Sequence[list[Atom] | None]) -> None:
        always: list[int] = []
        eq: dict[str, dict[str, set[int]]] = {}
        sub: dict[str, dict[str, set[int]]] = {}
        for t in targets:
            atoms = covers[t]
            if atoms is None:
                always.append(t)
                continue
            for kind, keys, text in atoms:
                table = eq if kind == "eq" else sub
                for key in keys:
                    table.setdefault(key, {}).setdefault(text, set()).add(t)
        self.always = tuple(sorted(always))
        self.size = len(targets)
        automata: dict[str, Any] = {}
        for key, literals in sub.items():
            automaton = ahocorasick.Automaton()
            for text, ids in literals.items():
                automaton.add_word(text, tuple(sorted(ids)))
            automaton.make_automaton()
            automata[key] = automaton
        eq_frozen = {key: {text: tuple(sorted(ids)) for text, ids in table.items()} for key, table in eq.items()}
        self.keys: tuple[tuple[str, dict[str, tuple[int, ...]] | None, Any], ...] = tuple(
            (key, eq_frozen.get(key), automata.get(key)) for key in sorted(set(eq) | set(sub)))

    def candidates(self, ev: Mapping[str, Any]) -> Iterable[int]:
        found = set(self.always)
        for key, eq, automaton in self.keys:
            value = keyword_haystack(ev) if key == ANY_VALUE else ev.get(key)
            if value is None:
                continue
            lows = (value.lower(),) if type(value) is str else [t.lower() for t in texts(value)]
            for low in lows:
                if eq is not None:
                    hit = eq.get(low)
                    if hit is not None:
                        found.update(hit)
                if automaton is not None:
                    for _, hit in automaton.iter(low):
                        found.update(hit)
        return sorted(found)


__all__ = ["ANY_VALUE", "Atom", "Bucket", "cover"]
