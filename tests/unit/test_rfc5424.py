"""RFC 5424: header fields, nil values, times, structured data, MSG encoding, and refusals."""

from __future__ import annotations

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.rfc5424 import Rfc5424Parser
from ironwatch.timeutil import iso, parse_time_arg
from ironwatch.event import Event

RECEIVED = parse_time_arg("2026-11-27T12:00:00Z")
CTX = ParseContext(received_us=RECEIVED)
PARSER = Rfc5424Parser()


def parse(raw: bytes) -> Event:
    return PARSER.parse(raw, CTX)


def reason(raw: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse(raw)
    assert info.value.parser == "rfc5424"
    return info.value.reason


def test_rfc_example_with_structured_data_and_bom() -> None:
    event = parse(b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47'
                  b' [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"]'
                  b'[examplePriority@32473 class="high"] \xef\xbb\xbfAn application event')
    assert event == {
        "@timestamp": parse_time_arg("2003-10-11T22:14:15.003Z"),
        "log.syslog.priority": 165,
        "log.syslog.facility.code": 20, "log.syslog.facility.name": "local4",
        "log.syslog.severity.code": 5, "log.syslog.severity.name": "notice",
        "log.syslog.version": "1", "log.syslog.format": "rfc5424",
        "host.name": "mymachine.example.com", "log.syslog.hostname": "mymachine.example.com",
        "log.syslog.appname": "evntslog", "process.name": "evntslog",
        "log.syslog.msgid": "ID47",
        "log.syslog.structured_data": {
            "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
            "examplePriority@32473": {"class": "high"},
        },
        "message": "An application event",
    }


def test_nil_fields_are_absent_and_nil_time_is_receipt() -> None:
    event = parse(b"<14>1 - - - - - -")
    assert event["@timestamp"] == RECEIVED
    for key in ("host.name", "log.syslog.hostname", "log.syslog.appname", "process.name",
                "log.syslog.procid", "process.pid", "log.syslog.msgid",
                "log.syslog.structured_data", "message", "event.timezone"):
        assert key not in event


@pytest.mark.parametrize(("pri", "facility", "severity"), [
    (0, "kern", "emergency"), (13, "user", "notice"), (34, "auth", "critical"),
    (43, "syslog", "error"), (86, "authpriv", "informational"), (100, "ntp", "warning"),
    (105, "security", "alert"), (116, "console", "warning"), (127, "solaris-cron", "debug"),
    (191, "local7", "debug"),
])
def test_priority_names(pri: int, facility: str, severity: str) -> None:
    event = parse(b"<%d>1 - - - - - -" % pri)
    assert event["log.syslog.priority"] == pri
    assert event["log.syslog.facility.code"] == pri // 8
    assert event["log.syslog.severity.code"] == pri % 8
    assert event["log.syslog.facility.name"] == facility
    assert event["log.syslog.severity.name"] == severity


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.000000Z"),
    ("2026-11-27T10:00:00.5Z", "2026-11-27T10:00:00.500000Z"),
    ("2026-11-27T10:00:00.123456+01:00", "2026-11-27T09:00:00.123456Z"),
    ("2026-11-27T10:00:00.123456789-05:30", "2026-11-27T15:30:00.123456Z"),
    ("2024-02-29T23:59:59.999999+00:00", "2024-02-29T23:59:59.999999Z"),
    ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000000Z"),
])
def test_timestamps(stamp: str, expected: str) -> None:
    event = parse(f"<13>1 {stamp} plc01 app - - -".encode())
    assert iso(event["@timestamp"]) == expected
    assert "event.timezone" not in event


@pytest.mark.parametrize("stamp", [
    "2026-11-27T10:00:00", "2026-11-27t10:00:00Z", "2026-11-27 10:00:00Z",
    "2026-13-01T10:00:00Z", "2026-02-29T10:00:00Z", "2026-11-27T24:00:00Z",
    "2026-11-27T10:60:00Z", "2026-11-27T10:00:60Z", "2026-11-27T10:00:00+24:00",
    "2026-11-27T10:00:00.Z", "Nov 27 10:00:00", "0000-01-01T00:00:00Z",
])
def test_bad_timestamps_are_refused(stamp: str) -> None:
    assert "timestamp" in reason(f"<13>1 {stamp} plc01 app - - -".encode()).lower()


@pytest.mark.parametrize(("raw", "words"), [
    (b"1 - - - - - -", "missing PRI"),
    (b"<192>1 - - - - - -", "192"),
    (b"<1a>1 - - - - - -", "not a number"),
    (b"<>1 - - - - - -", "not a number"),
    (b"<1234>1 - - - - - -", "invalid PRI"),
    (b"<13>2 - - - - - -", "unsupported syslog VERSION 2"),
    (b"<13>01 - - - - - -", "invalid VERSION"),
    (b"<13> - - - - - - -", "invalid VERSION"),
    (b"<13>1 - - - - -", "before STRUCTURED-DATA"),
    (b"<13>1 -", "before HOSTNAME"),
    (b"<13>1 -  - - - -", "empty HOSTNAME"),
    (b"<13>1 - h\tost - - - -", "HOSTNAME"),
    (b"<13>1 - - " + b"a" * 49 + b" - - -", "APP-NAME longer than 48"),
    (b"<13>1 - - - - " + b"m" * 33 + b" -", "MSGID longer than 32"),
    (b"<13>1 - - - - - x", "expected '-' or '['"),
    (b"<13>1 - - - - - -x", "expected a space before MSG"),
])
def test_header_errors(raw: bytes, words: str) -> None:
    assert words in reason(raw)


def test_procid_that_is_not_a_number_gives_no_pid() -> None:
    event = parse(b"<13>1 - hmi07 WinCC worker-3 ALARM - x")
    assert event["log.syslog.procid"] == "worker-3"
    assert "process.pid" not in event
    assert parse(b"<13>1 - hmi07 WinCC 4711 ALARM - x")["process.pid"] == 4711


def test_structured_data_escapes_and_repeats() -> None:
    event = parse(b'<13>1 - - - - - [a@1 q="say \\"hi\\"" b="x\\]y" s="back\\\\slash" o="\\n"]'
                  b'[a@1 q="again"][b@2 v="1" v="2" v="3"][empty@3]')
    assert event["log.syslog.structured_data"] == {
        "a@1": {"q": ['say "hi"', "again"], "b": "x]y", "s": "back\\slash", "o": "\\n"},
        "b@2": {"v": ["1", "2", "3"]},
        "empty@3": {},
    }
    assert "message" not in event


def test_structured_data_value_may_hold_spaces_utf8_and_brackets() -> None:
    event = parse('<13>1 - - - - - [x@1 v="Wärme ] [ =ok"] rest'.encode())
    assert event["log.syslog.structured_data"] == {"x@1": {"v": "Wärme ] [ =ok"}}
    assert event["message"] == "rest"


@pytest.mark.parametrize("sd", [
    b'[', b'[]', b'[a', b'[a ]', b'[a b]', b'[a b=]', b'[a b="1]', b'[a b="1"',
    b'[a b=1]', b'[a  b="1"]', b'[a="1"]', b'[' + b"x" * 33 + b']',
    b'[a b="1"]x', b'[a b="1" ]',
])
def test_malformed_structured_data(sd: bytes) -> None:
    assert "STRUCTURED-DATA" in reason(b"<13>1 - - - - - " + sd)


def test_message_encodings() -> None:
    assert parse("<13>1 - - - - - - Überdruck".encode())["message"] == "Überdruck"
    assert parse(b"<13>1 - - - - - - \xef\xbb\xbfBOM")["message"] == "BOM"
    assert parse(b"<13>1 - - - - - - bad \xff byte")["message"] == "bad \ufffd byte"
    assert parse(b"<13>1 - - - - - - line\r\n")["message"] == "line"
    assert "message" not in parse(b"<13>1 - - - - - - ")
    assert "message" not in parse(b"<13>1 - - - - - - \xef\xbb\xbf")


def test_message_keeps_inner_spacing_and_brackets() -> None:
    assert parse(b"<13>1 - - - - - -   a  b ")["message"] == "  a  b "
    event = parse(b'<13>1 - - - - - [a b="1"] [c d="2"]')
    assert event["log.syslog.structured_data"] == {"a": {"b": "1"}}
    assert event["message"] == '[c d="2"]'
