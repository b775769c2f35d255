"""Generic key=value parser (format ``kv``) and the pair reader FortiGate shares."""

from __future__ import annotations

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.keyvalue import KeyValueParser, parse_pairs
from ironwatch.parsers.registry import detect_syslog_format

CTX = ParseContext(received_us=1_795_780_800_000_000)


@pytest.mark.parametrize(("text", "pairs"), [
    ("a=1 b=2", {"a": "1", "b": "2"}),
    ('a="x y" b=', {"a": "x y", "b": ""}),
    ('a="say \\"hi\\"" a=2', {"a": "2"}),
    ('a="1=2 c=3"', {"a": "1=2 c=3"}),
    ("words a=1 more b=2", {"a": "1", "b": "2"}),
    ("x==1 y=2", {"x": "=1", "y": "2"}),
    ('p=/a/b x"k=v', {"p": "/a/b"}),
    ('a="unclosed b=2', {"a": '"unclosed', "b": "2"}),
])
def test_parse_pairs(text: str, pairs: dict[str, str]) -> None:
    assert parse_pairs(text) == pairs


def test_common_names_map_to_ecs() -> None:
    ev = KeyValueParser().parse(b"src=10.1.1.5 dst=10.2.2.6 sport=5 dport=502 user=opr action=write proto=6", CTX)
    assert (ev["source.ip"], ev["destination.ip"], ev["source.port"], ev["destination.port"]) == (
        "10.1.1.5", "10.2.2.6", 5, 502)
    assert ev["user.name"] == "opr" and ev["event.action"] == "write" and ev["network.transport"] == "tcp"
    assert ev["kv.src"] == "10.1.1.5" and ev["@timestamp"] == CTX.received_us


def test_kv_is_never_detected() -> None:
    assert detect_syslog_format(b"src=10.1.1.5 user=opr") == "rfc3164"
    assert detect_syslog_format(b"<13>Nov 27 10:00:00 h app: src=10.1.1.5 user=opr") == "rfc3164"


def test_refused_without_pairs() -> None:
    with pytest.raises(ParseError) as info:
        KeyValueParser().parse(b"just words", CTX)
    assert info.value.parser == "kv"
