"""CEF parser behaviour that the golden files do not spell out one rule at a time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.cef import CefParser, label_field, parse_extension, severity_level
from ironwatch.parsers.registry import detect_syslog_format

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "plcgw-03" else "UTC"))
PARSER = CefParser()
HEAD = "CEF:0|Acme|OT-FW|2.1|100|Modbus write|5|"


def cef(extension: str = "", head: str = HEAD) -> dict[str, object]:
    return PARSER.parse((head + extension).encode(), CTX)


def test_header_fields_map_to_observer_and_event() -> None:
    ev = cef()
    assert (ev["observer.vendor"], ev["observer.product"], ev["observer.version"]) == ("Acme", "OT-FW", "2.1")
    assert ev["event.code"] == "100" and ev["message"] == ev["cef.name"] == "Modbus write"
    assert ev["event.dataset"] == "cef" and ev["event.kind"] == "event"
    assert ev["@timestamp"] == RECEIVED


def test_msg_replaces_the_name_as_message() -> None:
    assert cef("msg=Coil 17 forced on")["message"] == "Coil 17 forced on"


@pytest.mark.parametrize(("text", "level"), [
    ("0", 0), ("10", 10), ("11", None), ("Low", 3), ("medium", 6), ("HIGH", 8), ("Very-High", 10),
    ("Very High", 10), ("Unknown", None), ("bogus", None), ("-1", None)])
def test_severity(text: str, level: int | None) -> None:
    assert severity_level(text) == level
    ev = cef(head=f"CEF:0|A|B|1|2|N|{text}|")
    assert ev["cef.severity"] == text and ev.get("event.severity") == level


def test_values_run_until_the_next_key_and_keep_spaces() -> None:
    assert parse_extension("cs1=Cell 4  Line 2 act=blocked by policy dst=10.20.1.5") == {
        "cs1": "Cell 4  Line 2", "act": "blocked by policy", "dst": "10.20.1.5"}


def test_extension_escapes() -> None:
    got = parse_extension(r"msg=a\=b c\\d\nnext\rline\t path=C:\\OT request=http://h/?a=b")
    assert got == {"msg": "a=b c\\d\nnext\rline\\t", "path": "C:\\OT", "request": "http://h/?a=b"}


def test_escaped_equals_does_not_start_a_key() -> None:
    assert parse_extension(r"msg=x y\=z") == {"msg": "x y=z"}


def test_header_escapes() -> None:
    ev = cef(head=r"CEF:0|A\|B|C\\D|1|s\|1|N|3|")
    assert ev["observer.vendor"] == "A|B" and ev["observer.product"] == "C\\D" and ev["event.code"] == "s|1"


def test_custom_labels_become_named_fields_and_raw_keys_stay() -> None:
    ev = cef("cs1Label=OT Zone cs1=Cell 4 cn1Label=Unit.Id cn1=17 cs2=unlabelled cs3Label=Orphan")
    assert ev["cef.custom.OT_Zone"] == "Cell 4" and ev["cef.custom.Unit_Id"] == "17"
    assert ev["cef.extensions.cs1Label"] == "OT Zone" and ev["cef.extensions.cs2"] == "unlabelled"
    assert not any(k.startswith("cef.custom.") and k.endswith(("unlabelled", "Orphan")) for k in ev)
    assert label_field("   ") is None and label_field("a/b c") == "a_b_c"


def test_network_and_user_mapping() -> None:
    ev = cef("src=10.20.3.17 spt=50211 dst=fe80::1 dpt=502 proto=TCP suser=eng01 duser=svc act=deny outcome=/Failure")
    assert ev["source.ip"] == "10.20.3.17" and ev["source.port"] == 50211
    assert ev["destination.ip"] == "fe80::1" and ev["destination.port"] == 502
    assert ev["network.transport"] == "tcp" and ev["event.action"] == "deny" and ev["event.outcome"] == "failure"
    assert ev["source.user.name"] == "eng01" and ev["destination.user.name"] == "svc" and ev["user.name"] == "eng01"
    assert cef("duser=svc")["user.name"] == "svc"


def test_invalid_ip_and_port_stay_raw_only() -> None:
    ev = cef("src=10.20.3.999 spt=65536 proto=17")
    assert "source.ip" not in ev and "source.port" not in ev and ev["cef.extensions.src"] == "10.20.3.999"
    assert ev["network.transport"] == "udp"


@pytest.mark.parametrize(("value", "iso_us"), [
    ("1795773600123", 1_795_773_600_123_000),                 # epoch ms, as CEF says
    ("Nov 27 2026 10:00:00.123", 1_795_773_600_123_000),      # zone-less: host zone (UTC)
    ("Nov 27 2026 11:00:00 +01:00", 1_795_773_600_000_000),
    ("Nov 27 2026 11:00:00 Europe/Berlin", 1_795_773_600_000_000),
    ("Nov 27 2026 10:00:00 UTC", 1_795_773_600_000_000),
    ("Nov 27 10:00:00", 1_795_773_600_000_000),               # year inferred from receipt
    ("2026-11-27T10:00:00Z", 1_795_773_600_000_000),
])
def test_rt_formats(value: str, iso_us: int) -> None:
    assert cef(f"rt={value}")["@timestamp"] == iso_us


def test_rt_wins_over_end_and_start_which_are_kept() -> None:
    ev = cef("start=1795773500000 end=1795773550000 rt=1795773600000")
    assert ev["@timestamp"] == 1_795_773_600_000_000
    assert ev["event.start"] == 1_795_773_500_000_000 and ev["event.end"] == 1_795_773_550_000_000
    assert cef("start=1795773500000 end=1795773550000")["@timestamp"] == 1_795_773_550_000_000


def test_zone_less_time_uses_the_syslog_hosts_zone() -> None:
    ev = PARSER.parse(b"<38>Nov 27 11:00:00 plcgw-03 " + HEAD.encode() + b"rt=Nov 27 2026 11:00:00", CTX)
    assert ev["@timestamp"] == 1_795_773_600_000_000 and ev["event.timezone"] == "Europe/Berlin"


@pytest.mark.parametrize("raw", [
    b"<134>1 2026-11-27T10:00:00Z fw01 app - - - CEF:0|A|B|1|s|n|1|src=10.0.0.1",
    b"<134>1 2026-11-27T10:00:00Z fw01 app - - [x@1 a=\"1\"] CEF:0|A|B|1|s|n|1|src=10.0.0.1",
    b"<38>Nov 27 10:00:00 fw01 CEF:0|A|B|1|s|n|1|src=10.0.0.1",
    b"<38>Nov 27 10:00:00 fw01 tag[9]: CEF:0|A|B|1|s|n|1|src=10.0.0.1",
])
def test_syslog_header_fields_are_kept(raw: bytes) -> None:
    assert detect_syslog_format(raw) == "cef"
    ev = PARSER.parse(raw, CTX)
    assert ev["host.name"] == "fw01" and ev["@timestamp"] == 1_795_773_600_000_000
    assert ev["log.syslog.priority"] in (134, 38) and ev["message"] == "n" and ev["source.ip"] == "10.0.0.1"


def test_pri_only_header() -> None:
    ev = PARSER.parse(b"<13>" + HEAD.encode(), CTX)
    assert ev["log.syslog.priority"] == 13 and ev["@timestamp"] == RECEIVED


@pytest.mark.parametrize(("raw", "reason"), [
    (b"hello", "no 'CEF:<version>|'"),
    (b"CEF:0|A|B|1|", "ends before Signature ID"),
    (b"CEF:2|A|B|1|s|n|1|", "unsupported CEF version 2"),
    (b"CEF:0|A|B|1|s|n|1|just words", "does not start with key=value"),
    (b"CEF:0|A|B|1|s|n|1|rt=Feb 30 2026 10:00:00", "invalid date"),
    (b"CEF:0|A|B|1|s|n|1|rt=Nov 27 2026 10:00:00 Mars/Base", "unknown time zone"),
    (b"CEF:0|A|B|1|s|n|1|rt=99999999999999999999", "not a time"),
    (b"<999>CEF:0|A|B|1|s|n|1|", "out of range"),
    (b"junk here CEF:0|A|B|1|s|n|1|", "syslog header before the payload"),
])
def test_refusals_name_the_cef_parser(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        PARSER.parse(raw, CTX)
    assert info.value.parser == "cef"
