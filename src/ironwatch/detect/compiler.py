"""pySigma's parsed rule → Ironwatch's compiled form: plain JSON-able lists and dicts.

pySigma parses a rule and applies its value modifiers (``contains`` puts wildcards around a
string, ``base64offset`` and ``windash`` expand into alternatives, ``re`` makes a regular
expression…); it has no matcher. This module walks its detection items and its parsed
condition tree and writes what must be compared, in a form the matcher builds closures
from and the rule-set cache stores as JSON (no pickle). Field names stay Sigma's: they are
mapped per logsource when the engine is built.

Value nodes (first element is the kind; text is lower-cased unless ``cased``)::

    ["eq"|"contains"|"startswith"|"endswith", text, cased]
    ["glob", regex source for fullmatch, cased, longest literal]  other wildcard patterns
    ["re", pattern, flags "ims" subset]     ["cidr", network]     ["cmp", "lt"|…, number]
    ["exists", bool]     ["null"]     ["fieldref", field, startswith, endswith]
    ["anyof", [value…]]  (expansions: windash, base64offset, placeholder values)

Detection nodes: ``["field", name, "any"|"all", [value…]]``, ``["keyword", "any"|"all",
[value…]]``, ``["and"|"or", [node…]]``, ``["not", node]``. The condition uses
``["ref", detection name]`` for identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionIdentifier,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionSelector,
)
from sigma.modifiers import (
    SigmaWideModifier,
    modifier_mapping,
    reverse_modifier_mapping,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaType,
    SpecialChars,
)

from ..errors import IronwatchError

# The specification names UTF-16LE ``utf16le`` as well as ``wide``; pySigma 2.0 knows only
# ``wide``. Registering the alias lets rules that spell it the specification's way load.
if "utf16le" not in modifier_mapping:
    modifier_mapping["utf16le"] = SigmaWideModifier
    reverse_modifier_mapping.setdefault("SigmaWideModifier", "wide")

Node = list[Any]
#: most alternatives one placeholder expansion may produce (a guard against huge lists)
MAX_EXPANSIONS = 10_000

_CMP = {CompareOperators.LT: "lt", CompareOperators.LTE: "lte", CompareOperators.GT: "gt",
        CompareOperators.GTE: "gte", CompareOperators.NEQ: "neq"}
_RE_FLAGS = {SigmaRegularExpressionFlag.IGNORECASE: "i", SigmaRegularExpressionFlag.MULTILINE: "m",
             SigmaRegularExpressionFlag.DOTALL: "s"}


class RuleNotRunnable(IronwatchError):
    """A rule pySigma accepts that Ironwatch cannot evaluate (the message says why)."""


Part = str | SpecialChars


def _merge(parts: Sequence[Part]) -> list[Part]:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] = out[-1] + part
        elif not (isinstance(part, str) and part == ""):
            out.append(part)
    return out


def string_node(parts: Sequence[Part], cased: bool) -> Node:
    """A wildcard string as the cheapest comparison that means the same."""
    p = _merge(parts)
    star = SpecialChars.WILDCARD_MULTI

    def norm(text: str) -> str:
        return text if cased else text.lower()

    if not p:
        return ["eq", "", cased]
    if all(isinstance(x, str) for x in p):
        return ["eq", norm("".join(x for x in p if isinstance(x, str))), cased]
    if len(p) == 3 and p[0] is star and p[2] is star and isinstance(p[1], str):
        return ["contains", norm(p[1]), cased]
    if len(p) == 2 and p[1] is star and isinstance(p[0], str):
        return ["startswith", norm(p[0]), cased]
    if len(p) == 2 and p[0] is star and isinstance(p[1], str):
        return ["endswith", norm(p[1]), cased]
    pieces = []
    literal = ""
    for x in p:
        if isinstance(x, str):
            pieces.append(re.escape(norm(x)))
            literal = max(literal, norm(x), key=len)
        else:
            pieces.append(".*" if x is star else ".")
    return ["glob", "".join(pieces), cased, literal]


class ValueCompiler:
    """Turns pySigma values into value nodes, expanding placeholders from ``placeholders``."""

    def __init__(self, placeholders: Mapping[str, Sequence[str]]) -> None:
        self.placeholders = placeholders

    def value(self, v: SigmaType) -> Node:
        if isinstance(v, SigmaString):  # includes SigmaCasedString
            cased = isinstance(v, SigmaCasedString)
            if v.contains_placeholder():
                return self._expand(v, cased)
            return string_node(v.s, cased)  # type: ignore[arg-type]
        if isinstance(v, SigmaBool):
            return ["eq", "true" if v.boolean else "false", False]
        if isinstance(v, SigmaNumber):
            if type(v).__name__ != "SigmaNumber":
                raise RuleNotRunnable(f"value type {type(v).__name__} (timestamp part modifiers) is not supported")
            return ["eq", str(v.number).lower(), False]
        if isinstance(v, SigmaNull):
            return ["null"]
        if isinstance(v, SigmaExists):
            return ["exists", bool(v.exists)]
        if isinstance(v, SigmaRegularExpression):
            flags = "".join(sorted(_RE_FLAGS[f] for f in v.flags))
            pattern = str(v.regexp)
            try:
                re.compile(pattern, _py_flags(flags))
            except re.error as exc:
                raise RuleNotRunnable(f"regular expression {pattern!r} is not valid in Python: {exc}") from exc
            return ["re", pattern, flags]
        if isinstance(v, SigmaCIDRExpression):
            return ["cidr", str(v.network)]
        if isinstance(v, SigmaCompareExpression):
            return ["cmp", _CMP[v.op], v.number.number]
        if isinstance(v, SigmaFieldReference):
            return ["fieldref", v.field, bool(v.starts_with), bool(v.ends_with)]
        if isinstance(v, SigmaExpansion):
            return ["anyof", [self.value(x) for x in v.values]]
        raise RuleNotRunnable(f"value type {type(v).__name__} is not supported")

    def _expand(self, v: SigmaString, cased: bool) -> Node:
        variants: list[list[Part]] = [[]]
        for part in v.s:
            if isinstance(part, Placeholder):
                values = self.placeholders.get(part.name)
                if values is None:
                    raise RuleNotRunnable(f"placeholder %{part.name}% has no configured values")
                if not values:
                    raise RuleNotRunnable(f"placeholder %{part.name}% is configured with no values")
                parsed = [list(SigmaString(str(x)).s) for x in values]
                variants = [head + tail for head in variants for tail in parsed]  # type: ignore[operator]
                if len(variants) > MAX_EXPANSIONS:
                    raise RuleNotRunnable(f"placeholders expand to more than {MAX_EXPANSIONS} values")
            else:
                variants = [[*head, part] for head in variants]
        return ["anyof", [string_node(x, cased) for x in variants]]


def _py_flags(flags: str) -> int:
    out = 0
    if "i" in flags:
        out |= re.IGNORECASE
    if "m" in flags:
        out |= re.MULTILINE
    if "s" in flags:
        out |= re.DOTALL
    return out


def _item(item: SigmaDetectionItem, values: ValueCompiler) -> Node:
    link = "all" if item.value_linking is ConditionAND else "any"
    nodes = [values.value(v) for v in item.value]
    node: Node = ["keyword", link, nodes] if item.field is None else ["field", item.field, link, nodes]
    return ["not", node] if item.negated else node


def detection_node(detection: SigmaDetection | SigmaDetectionItem, values: ValueCompiler) -> Node:
    if isinstance(detection, SigmaDetectionItem):
        return _item(detection, values)
    children = [detection_node(d, values) for d in detection.detection_items]
    op = "and" if detection.item_linking is ConditionAND else "or"
    return children[0] if len(children) == 1 else [op, children]


def condition_node(item: Any, rule: SigmaRule) -> Node:
    if isinstance(item, ConditionIdentifier):
        return ["ref", item.identifier]
    if isinstance(item, ConditionSelector):
        refs = item.resolve_referenced_detections(rule.detection)
        if not refs:
            raise RuleNotRunnable(f"'{item.args[0]} of {item.pattern}' matches no detection")
        nodes = [["ref", r.identifier] for r in refs]
        return nodes[0] if len(nodes) == 1 else ["and" if item.cond_class is ConditionAND else "or", nodes]
    if isinstance(item, ConditionNOT):
        return ["not", condition_node(item.args[0], rule)]
    if isinstance(item, (ConditionAND, ConditionOR)):
        return ["and" if isinstance(item, ConditionAND) else "or",
                [condition_node(a, rule) for a in item.args]]
    if isinstance(item, ConditionItem):
        raise RuleNotRunnable(f"condition element {type(item).__name__} is not supported")
    raise RuleNotRunnable(f"condition element {item!r} is not supported")


def _tags(rule: SigmaRule) -> list[str]:
    return [f"{t.namespace}.{t.name}" for t in rule.tags]


def compile_rule(rule: SigmaRule, path: str, placeholders: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The compiled form of one parsed rule; ``RuleNotRunnable`` says why there is none."""
    values = ValueCompiler(placeholders)
    detections = {name: detection_node(d, values) for name, d in rule.detection.detections.items()}
    conditions = []
    for cond in rule.detection.parsed_condition:
        conditions.append(condition_node(cond.parse(postprocess=False), rule))
    condition = conditions[0] if len(conditions) == 1 else ["or", conditions]
    for name in _refs(condition):
        if name not in detections:
            raise RuleNotRunnable(f"condition refers to undefined detection {name!r}")
    ls = rule.logsource
    return {
        "id": str(rule.id) if rule.id else "", "title": rule.title or "",
        "level": rule.level.name.lower() if rule.level else "",
        "status": rule.status.name.lower() if rule.status else "",
        "tags": _tags(rule), "path": path, "name": rule.name or "",
        "logsource": {"product": ls.product, "category": ls.category, "service": ls.service},
        "detections": detections, "condition": condition,
    }


def _refs(node: Node) -> list[str]:
    if node[0] == "ref":
        return [node[1]]
    if node[0] == "not":
        return _refs(node[1])
    return [name for child in node[1] for name in _refs(child)]


__all__ = ["MAX_EXPANSIONS", "RuleNotRunnable", "ValueCompiler", "compile_rule", "condition_node",
           "detection_node", "string_node"]
