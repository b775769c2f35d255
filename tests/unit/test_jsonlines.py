"""JSON lines: flattening, the time field and its units, zones, and refusals."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.event import Event
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.jsonlines import JsonLinesParser
from ironwatch.timeutil import iso, parse_time_arg

RECEIVED = parse_time_arg("2026-11-27T12:00:00Z")


def zone_for_host(host: str | None) -> ZoneInfo:
    return ZoneInfo("Europe/Berlin" if host == "plcgw-03" else "UTC")


CTX = ParseContext(received_us=RECEIVED, zone_for_host=zone_for_host)
PARSER = JsonLinesParser()


def parse(raw: bytes) -> Event:
    return PARSER.parse(raw, CTX)


def reason(raw: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse(raw)
    assert info.value.parser == "json"
    return info.value.reason


def test_flattening() -> None:
    event = parse(b'{"host":{"name":"hist01","os":{"family":"linux"}},"process.pid":7,'
                  b'"tags":["ot",{"x":{"y":1}}],"empty":{},"n":null,"f":1.5,"b":false}')
    assert event == {
        "host.name": "hist01", "host.os.family": "linux", "process.pid": 7,
        "tags": ["ot", {"x": {"y": 1}}], "n": None, "f": 1.5, "b": False,
        "@timestamp": RECEIVED,
    }


def test_later_spelling_of_the_same_key_wins() -> None:
    assert parse(b'{"host.name":"a","host":{"name":"b"}}')["host.name"] == "b"
    assert parse(b'{"host":{"name":"b"},"host.name":"a"}')["host.name"] == "a"


def test_message_absent_stays_absent_and_no_syslog_fields() -> None:
    event = parse(b'{"a":1}')
    assert "message" not in event
    assert not [key for key in event if key.startswith("log.syslog")]
    assert "event.original" not in event


@pytest.mark.parametrize(("doc", "expected"), [
    (b'{"@timestamp":"2026-11-27T10:00:00Z"}', "2026-11-27T10:00:00.000000Z"),
    (b'{"@timestamp":"2026-11-27T10:00:00.123456789+01:00"}', "2026-11-27T09:00:00.123456Z"),
    (b'{"@timestamp":"2026-11-27 10:00:00,5-0130"}', "2026-11-27T11:30:00.500000Z"),
    (b'{"@timestamp":"2026-11-27T10:00:00+01"}', "2026-11-27T09:00:00.000000Z"),
    (b'{"ts":1795773600}', "2026-11-27T10:00:00.000000Z"),
    (b'{"ts":1795773600.25}', "2026-11-27T10:00:00.250000Z"),
    (b'{"ts":1795773600250}', "2026-11-27T10:00:00.250000Z"),
    (b'{"ts":1795773600250.5}', "2026-11-27T10:00:00.250500Z"),
    (b'{"ts":1795773600250001}', "2026-11-27T10:00:00.250001Z"),
    (b'{"ts":1795773600250001999}', "2026-11-27T10:00:00.250001Z"),
    (b'{"ts":0}', "1970-01-01T00:00:00.000000Z"),
    (b'{"time":"1795773600"}', "2026-11-27T10:00:00.000000Z"),
    (b'{"time":"1795773600.5"}', "2026-11-27T10:00:00.500000Z"),
    (b'{"timestamp":"2026-11-27T10:00:00Z","time":"x","ts":"y"}', "2026-11-27T10:00:00.000000Z"),
    (b'{"ts":1,"@timestamp":"2026-11-27T10:00:00Z"}', "2026-11-27T10:00:00.000000Z"),
    (b'{"message":"no time"}', "2026-11-27T12:00:00.000000Z"),
])
def test_time_fields(doc: bytes, expected: str) -> None:
    event = parse(doc)
    assert iso(event["@timestamp"]) == expected
    assert "event.timezone" not in event


def test_time_field_other_than_at_timestamp_is_kept() -> None:
    assert parse(b'{"ts":1795773600}')["ts"] == 1795773600


def test_zone_less_text_uses_the_hosts_zone() -> None:
    event = parse(b'{"@timestamp":"2026-07-01T12:00:00","host":{"name":"plcgw-03"}}')
    assert iso(event["@timestamp"]) == "2026-07-01T10:00:00.000000Z"
    assert event["event.timezone"] == "Europe/Berlin"
    other = parse(b'{"@timestamp":"2026-07-01T12:00:00","host":{"name":["odd"]}}')
    assert iso(other["@timestamp"]) == "2026-07-01T12:00:00.000000Z"
    assert other["event.timezone"] == "UTC"


@pytest.mark.parametrize(("doc", "words"), [
    (b"", "invalid JSON"),
    (b"{", "invalid JSON"),
    (b'{"a":1} x', "invalid JSON"),
    (b'{"a":"\xff"}', "invalid JSON"),
    (b"[1,2]", "list, not an object"),
    (b'"text"', "str, not an object"),
    (b"42", "int, not an object"),
    (b"null", "NoneType, not an object"),
    (b'{"@timestamp":"yesterday"}', "'@timestamp' is not an RFC 3339 time"),
    (b'{"@timestamp":"2026-02-30T10:00:00Z"}', "invalid date"),
    (b'{"@timestamp":"2026-11-27T10:00:00+25:00"}', "invalid UTC offset"),
    (b'{"time":true}', "'time' is not a time: bool"),
    (b'{"ts":null}', "'ts' is not a time"),
    (b'{"ts":[1]}', "'ts' is not a time"),
    (b'{"ts":-5}', "'ts' is outside"),
    (b'{"ts":1e30}', "'ts' is outside"),
    (b'{"timestamp":"' + b"9" * 30 + b'"}', "'timestamp' is not an RFC 3339 time"),
])
def test_refusals(doc: bytes, words: str) -> None:
    assert words in reason(doc)


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert "nested deeper" in reason(b'{"a":' * 200 + b"1" + b"}" * 200)
