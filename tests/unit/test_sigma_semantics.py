"""Sigma semantics, one test per value modifier and condition form, written from the
specification with our own small rules and events (Sysmon process creation events, so
Sigma names read ``winlog.event_data.*``)."""

from __future__ import annotations

import base64
import textwrap
from typing import Any

import pytest
from sigma.rule import SigmaRule

from ironwatch.detect import SigmaEngine
from ironwatch.detect.compiler import RuleNotRunnable, compile_rule

RULE = """\
title: test rule
id: 11111111-2222-4333-8444-555555555555
status: test
level: high
tags: [attack.execution, attack.t1059.001, attack.t0807, attack.inhibit-response-function, attack.g0016]
logsource: {product: windows, category: process_creation}
detection:
"""


def engine(detection: str, placeholders: dict[str, list[str]] | None = None) -> SigmaEngine:
    rule = SigmaRule.from_yaml(RULE + textwrap.indent(textwrap.dedent(detection), "    "))
    return SigmaEngine([compile_rule(rule, "test.yml", placeholders or {})])


def event(**data: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {"winlog.channel": "Microsoft-Windows-Sysmon/Operational", "winlog.event_id": "1",
                          "event.id": "ev-1"}
    ev.update({f"winlog.event_data.{k}": v for k, v in data.items()})
    return ev


def hits(detection: str, *events: dict[str, Any], **kw: Any) -> list[bool]:
    e = engine(detection, **kw)
    return [bool(e.match_event(ev)) for ev in events]


def test_plain_value_is_whole_and_case_insensitive() -> None:
    det = "sel: {Image: 'C:\\Windows\\cmd.exe'}\ncondition: sel"
    assert hits(det, event(Image="c:\\windows\\CMD.EXE"), event(Image="C:\\Windows\\cmd.exe2")) == [True, False]


@pytest.mark.parametrize(("modifier", "value", "yes", "no"), [
    ("contains", "whoami", "x WHOAMI /all", "who ami"),
    ("startswith", "net ", "NET user", " net user"),
    ("endswith", "\\rundll32.exe", "C:\\x\\RUNDLL32.EXE", "rundll32.exe.bak"),
])
def test_position_modifiers(modifier: str, value: str, yes: str, no: str) -> None:
    det = f"sel:\n  CommandLine|{modifier}: '{value}'\ncondition: sel"
    assert hits(det, event(CommandLine=yes), event(CommandLine=no)) == [True, False]


def test_wildcards_and_escapes() -> None:
    det = "sel:\n  CommandLine: 'a*b?c'\ncondition: sel"
    assert hits(det, event(CommandLine="AxxxBzC"), event(CommandLine="abc"), event(CommandLine="a\nb\nc")) == \
        [True, False, True]
    escaped = "sel:\n  CommandLine: 'a\\*b\\?'\ncondition: sel"
    assert hits(escaped, event(CommandLine="a*b?"), event(CommandLine="axb?"), event(CommandLine="a*bz")) == \
        [True, False, False]


def test_list_is_or_and_all_is_and() -> None:
    any_ = "sel:\n  CommandLine|contains: [alpha, beta]\ncondition: sel"
    all_ = "sel:\n  CommandLine|contains|all: [alpha, beta]\ncondition: sel"
    evs = (event(CommandLine="alpha"), event(CommandLine="beta alpha"), event(CommandLine="gamma"))
    assert hits(any_, *evs) == [True, True, False]
    assert hits(all_, *evs) == [False, True, False]


def test_re_is_case_sensitive_unless_i_and_flags() -> None:
    assert hits("sel:\n  CommandLine|re: 'ab+c'\ncondition: sel",
                event(CommandLine="xabbbc"), event(CommandLine="ABC")) == [True, False]
    assert hits("sel:\n  CommandLine|re|i: '^ab+c$'\ncondition: sel", event(CommandLine="ABBC")) == [True]
    assert hits("sel:\n  CommandLine|re|m: '^second$'\ncondition: sel",
                event(CommandLine="first\nsecond"), event(CommandLine="first second")) == [True, False]
    assert hits("sel:\n  CommandLine|re|s: 'a.b'\ncondition: sel",
                event(CommandLine="a\nb")) == [True]
    assert hits("sel:\n  CommandLine|re: 'a.b'\ncondition: sel", event(CommandLine="a\nb")) == [False]


def test_cidr() -> None:
    det = "sel:\n  DestinationIp|cidr: [10.0.0.0/8, 'fd00::/8']\ncondition: sel"
    assert hits(det, event(DestinationIp="10.1.2.3"), event(DestinationIp="11.0.0.1"),
                event(DestinationIp="fd00::1"), event(DestinationIp="not-an-ip")) == [True, False, True, False]


def test_base64_and_base64offset() -> None:
    encoded = base64.b64encode(b"secret").decode()
    assert hits("sel:\n  CommandLine|base64: secret\ncondition: sel",
                event(CommandLine=encoded), event(CommandLine="secret")) == [True, False]
    # each of the three offsets of 'http' inside longer base64 text
    samples = [base64.b64encode(prefix + b"http://x").decode() for prefix in (b"", b"a", b"ab")]
    det = "sel:\n  CommandLine|base64offset|contains: 'http'\ncondition: sel"
    assert hits(det, *(event(CommandLine=s) for s in samples)) == [True, True, True]


def test_utf16_variants() -> None:
    wide = base64.b64encode("ping".encode("utf-16le")).decode()
    big = base64.b64encode("ping".encode("utf-16be")).decode()
    assert hits("sel:\n  CommandLine|wide|base64: ping\ncondition: sel", event(CommandLine=wide)) == [True]
    assert hits("sel:\n  CommandLine|utf16le|base64: ping\ncondition: sel", event(CommandLine=wide)) == [True]
    assert hits("sel:\n  CommandLine|utf16be|base64: ping\ncondition: sel", event(CommandLine=big)) == [True]
    bom = base64.b64encode("ping".encode("utf-16")).decode()
    assert hits("sel:\n  CommandLine|utf16|base64: ping\ncondition: sel", event(CommandLine=bom)) == [True]


def test_windash() -> None:
    det = "sel:\n  CommandLine|windash|contains: ' -enc '\ncondition: sel"
    assert hits(det, event(CommandLine="p -enc x"), event(CommandLine="p /enc x"), event(CommandLine="p \u2013enc x"),
                event(CommandLine="p enc x")) == [True, True, True, False]


def test_exists() -> None:
    yes = "sel:\n  ParentImage|exists: true\ncondition: sel"
    no = "sel:\n  ParentImage|exists: false\ncondition: sel"
    evs = (event(ParentImage=""), event())
    assert hits(yes, *evs) == [True, False]
    assert hits(no, *evs) == [False, True]


def test_null_is_absent_and_empty_is_present() -> None:
    null = "sel:\n  ParentImage: null\ncondition: sel"
    empty = "sel:\n  ParentImage: ''\ncondition: sel"
    evs = (event(), event(ParentImage=""), event(ParentImage="x"))
    assert hits(null, *evs) == [True, False, False]
    assert hits(empty, *evs) == [False, True, False]


def test_fieldref() -> None:
    det = "sel:\n  Image|fieldref: ParentImage\ncondition: sel"
    assert hits(det, event(Image="A.exe", ParentImage="a.EXE"), event(Image="a", ParentImage="b"),
                event(Image="a")) == [True, False, False]
    ends = "sel:\n  Image|fieldref|endswith: OriginalFileName\ncondition: sel"
    assert hits(ends, event(Image="C:\\x\\cmd.exe", OriginalFileName="cmd.exe"),
                event(Image="cmd.exe\\x", OriginalFileName="cmd.exe")) == [True, False]


@pytest.mark.parametrize(("modifier", "results"), [
    ("lt", [True, False, False]), ("lte", [True, True, False]),
    ("gt", [False, False, True]), ("gte", [False, True, True]),
])
def test_numeric_comparisons(modifier: str, results: list[bool]) -> None:
    det = f"sel:\n  LogonType|{modifier}: 5\ncondition: sel"
    assert hits(det, event(LogonType="3"), event(LogonType=5), event(LogonType="10")) == results
    assert hits(det, event(LogonType="many")) == [False]


def test_expand_placeholders_from_configured_lists() -> None:
    det = "sel:\n  User|expand: '%admins%'\ncondition: sel"
    assert hits(det, event(User="PLANT\\Alice"), event(User="bob"),
                placeholders={"admins": ["plant\\alice", "*\\root"]}) == [True, False]
    with pytest.raises(RuleNotRunnable, match="placeholder %admins%"):
        engine(det)


def test_cased() -> None:
    det = "sel:\n  CommandLine|cased|contains: 'Invoke-'\ncondition: sel"
    assert hits(det, event(CommandLine="x Invoke-Y"), event(CommandLine="x invoke-y")) == [True, False]


def test_keywords_search_every_value() -> None:
    det = "keywords:\n  - 'mimikatz'\n  - 'sekurlsa::*'\ncondition: keywords"
    assert hits(det, event(CommandLine="run MIMIKATZ.exe"), event(Image="x", ParentCommandLine="a sekurlsa::pth"),
                event(CommandLine="benign")) == [True, True, False]
    all_ = "keywords:\n  '|all': [alpha, beta]\ncondition: keywords"
    assert hits(all_, event(A="alpha", B="beta"), event(A="alpha")) == [True, False]


def test_booleans_and_numbers_compare_as_rendered_text() -> None:
    det = "sel:\n  Initiated: 'true'\n  DestinationPort: 445\ncondition: sel"
    assert hits(det, event(Initiated=True, DestinationPort=445), event(Initiated="false", DestinationPort="445")) == \
        [True, False]


def test_list_valued_field_matches_any_element() -> None:
    det = "sel:\n  Data|contains: 'HostApplication=powershell'\ncondition: sel"
    assert hits(det, event(Data=["a", "HostApplication=powershell -nop"]), event(Data=["a", "b"])) == [True, False]


def test_not_filter_with_absent_field_is_true() -> None:
    det = "sel:\n  Image|endswith: '\\x.exe'\nfilter:\n  ParentImage: 'C:\\ok.exe'\ncondition: sel and not filter"
    assert hits(det, event(Image="c:\\x.exe"), event(Image="c:\\x.exe", ParentImage="C:\\ok.exe")) == [True, False]


def test_neq_modifier_negates_the_item() -> None:
    det = "sel:\n  Image|endswith: x.exe\n  User|neq: SYSTEM\ncondition: sel"
    assert hits(det, event(Image="x.exe", User="alice"), event(Image="x.exe", User="system"),
                event(Image="x.exe")) == [True, False, True]


def test_conditions_and_or_not_parentheses() -> None:
    det = """\
    a: {A: '1'}
    b: {B: '1'}
    c: {C: '1'}
    condition: a and (b or not c)
    """
    assert hits(det, event(A="1", B="1", C="1"), event(A="1", C="0"), event(A="1", C="1"), event(B="1")) == \
        [True, True, False, False]


def test_one_of_all_of_them_and_patterns() -> None:
    base = "selection_a: {A: '1'}\nselection_b: {B: '1'}\nother: {C: '1'}\n"
    evs = (event(A="1"), event(A="1", B="1"), event(C="1"), event(A="1", B="1", C="1"))
    assert hits(base + "condition: 1 of selection_*", *evs) == [True, True, False, True]
    assert hits(base + "condition: all of selection_*", *evs) == [False, True, False, True]
    assert hits(base + "condition: 1 of them", *evs) == [True, True, True, True]
    assert hits(base + "condition: all of them", *evs) == [False, False, False, True]
    assert hits(base + "condition: selection_a and not 1 of selection_b*", *evs) == [True, False, False, False]


def test_list_of_maps_is_or_and_map_is_and() -> None:
    det = "sel:\n  - A: '1'\n    B: '1'\n  - C: '1'\ncondition: sel"
    assert hits(det, event(A="1"), event(A="1", B="1"), event(C="1")) == [False, True, True]


def test_several_conditions_are_alternatives() -> None:
    det = "a: {A: '1'}\nb: {B: '1'}\ncondition:\n  - a\n  - b"
    assert hits(det, event(A="1"), event(B="1"), event()) == [True, True, False]


def test_detection_carries_rule_attack_and_matched_fields() -> None:
    e = engine("sel:\n  Image|endswith: '\\cmd.exe'\nfilter: {User: x}\ncondition: sel and not filter")
    found = e.match_batch([event(Image="a"), event(Image="C:\\cmd.exe", User="y")])
    assert len(found) == 1
    d = found[0]
    assert (d.index, d.event_id, d.rule.id, d.rule.level, d.rule.status) == \
        (1, "ev-1", "11111111-2222-4333-8444-555555555555", "high", "test")
    assert d.rule.attack.techniques == ("T1059.001",) and d.rule.attack.tactics == ("execution",)
    assert d.rule.attack.ics_techniques == ("T0807",)
    assert d.rule.attack.ics_tactics == ("inhibit-response-function",)
    assert d.matched_fields == {"Image": "C:\\cmd.exe"}
    assert e.rule_stats()[0]["matches"] == 1


def test_rules_only_see_their_logsource() -> None:
    e = engine("sel: {Image|endswith: '\\cmd.exe'}\ncondition: sel")
    other = dict(event(Image="C:\\cmd.exe"), **{"winlog.event_id": "3"})
    assert not e.match_event(other)
