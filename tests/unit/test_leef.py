"""LEEF parser behaviour that the golden files do not spell out one rule at a time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.leef import LeefParser, parse_attributes
from ironwatch.parsers.registry import detect_syslog_format

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "plcgw-03" else "UTC"))
PARSER = LeefParser()
TEN_UTC = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z


def leef(text: str) -> dict[str, object]:
    return PARSER.parse(text.encode(), CTX)


def test_leef1_header_and_tab_attributes() -> None:
    ev = leef("LEEF:1.0|Moxa|EDR|5.7|FW_DENY|src=10.20.3.60\tdstPort=44818\tproto=17\tusrName=opr 1\tsev=6")
    assert (ev["observer.vendor"], ev["observer.product"], ev["observer.version"]) == ("Moxa", "EDR", "5.7")
    assert ev["event.code"] == "FW_DENY" and ev["event.dataset"] == "leef" and ev["event.kind"] == "event"
    assert ev["source.ip"] == "10.20.3.60" and ev["destination.port"] == 44818 and ev["network.transport"] == "udp"
    assert ev["user.name"] == ev["source.user.name"] == "opr 1" and ev["event.severity"] == 6
    assert ev["leef.attributes.sev"] == "6" and ev["@timestamp"] == RECEIVED


@pytest.mark.parametrize(("field", "delimiter"), [
    ("^", "^"), ("x09", "\t"), ("0x09", "\t"), ("0x5E", "^"), ("X7c", "|"), ("", "\t"), (";", ";")])
def test_leef2_delimiter_forms(field: str, delimiter: str) -> None:
    ev = leef(f"LEEF:2.0|A|B|1|E|{field}|src=10.0.0.1{delimiter}dst=10.0.0.2")
    assert ev["source.ip"] == "10.0.0.1" and ev["destination.ip"] == "10.0.0.2"


def test_piece_without_equals_belongs_to_the_previous_value() -> None:
    assert parse_attributes("msg=a^b^c=d", "^") == {"msg": "a^b", "c": "d"}


def test_empty_pieces_are_ignored() -> None:
    assert parse_attributes("\tsrc=1\t\tdst=2\t", "\t") == {"src": "1", "dst": "2"}


def test_default_devtime_formats() -> None:
    assert leef("LEEF:1.0|A|B|1|E|devTime=Nov 27 2026 10:00:00")["@timestamp"] == TEN_UTC
    assert leef("LEEF:1.0|A|B|1|E|devTime=Nov 27 2026 11:00:00.000 CET")["@timestamp"] == TEN_UTC
    assert leef("LEEF:1.0|A|B|1|E|devTime=1795773600000")["@timestamp"] == TEN_UTC


@pytest.mark.parametrize(("value", "fmt"), [
    ("27/11/2026 11:00:00", "dd/MM/yyyy HH:mm:ss"),       # zone-less: the host's zone below
    ("2026-11-27T10:00:00.000Z", "yyyy-MM-dd'T'HH:mm:ss.SSSX"),
    ("Nov 27 2026 12:00:00 +0200", "MMM dd yyyy HH:mm:ss Z"),
    ("Fri, 27 Nov 26 10:00 AM UTC", "EEE, dd MMM yy hh:mm a z"),
])
def test_devtime_format(value: str, fmt: str) -> None:
    raw = f"<14>Nov 27 11:00:00 plcgw-03 LEEF:1.0|A|B|1|E|devTime={value}\tdevTimeFormat={fmt}"
    assert PARSER.parse(raw.encode(), CTX)["@timestamp"] == TEN_UTC


def test_syslog_wrapped() -> None:
    raw = b"<134>1 2026-11-27T10:00:00Z qradar01 app - - - LEEF:2.0|A|B|1|E|^|src=10.0.0.1"
    assert detect_syslog_format(raw) == "leef"
    ev = PARSER.parse(raw, CTX)
    assert ev["host.name"] == "qradar01" and ev["@timestamp"] == TEN_UTC and ev["log.syslog.priority"] == 134


@pytest.mark.parametrize(("raw", "reason"), [
    (b"LEEF1.0|A|B|1|E|", "no 'LEEF:<version>|'"),
    (b"LEEF:1.0|A|B", "ends before Version"),
    (b"LEEF:4.2|A|B|1|E|", "unsupported LEEF version"),
    (b"LEEF:2.0|A|B|1|E", "ends before its delimiter"),
    (b"LEEF:2.0|A|B|1|E|0xZZ|a=b", "invalid LEEF 2.0 delimiter"),
    (b"LEEF:1.0|A|B|1|E|free text\ta=b", "do not start with key=value"),
    (b"LEEF:1.0|A|B|1|E|devTime=10:00\tdevTimeFormat=HH:mm QQ", "letter 'Q' is not supported"),
    (b"LEEF:1.0|A|B|1|E|devTime=10 10\tdevTimeFormat=HH HH", "repeats a field"),
    (b"LEEF:1.0|A|B|1|E|devTime=31/02/2026\tdevTimeFormat=dd/MM/yyyy", "invalid date"),
    (b"LEEF:1.0|A|B|1|E|devTime=01/01/1900\tdevTimeFormat=dd/MM/yyyy", "outside 1970..9999"),
    (b"LEEF:1.0|A|B|1|E|devTime=today", "not a time"),
])
def test_refusals_name_the_leef_parser(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        PARSER.parse(raw, CTX)
    assert info.value.parser == "leef"
