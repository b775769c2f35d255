"""BSD syslog: the real-world shapes, sender time zones, year inference, and refusals."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ParseError
from ironwatch.event import Event
from ironwatch.parsers._syslog_common import days_in_month
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.rfc3164 import Rfc3164Parser, infer_year_us
from ironwatch.timeutil import from_us, iso, parse_time_arg, to_us

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")
PARSER = Rfc3164Parser()


def zone_for_host(host: str | None) -> ZoneInfo:
    return BERLIN if host == "plcgw-03" else UTC


def ctx_at(received: str) -> ParseContext:
    return ParseContext(received_us=parse_time_arg(received), zone_for_host=zone_for_host)


CTX = ctx_at("2026-11-27T12:00:00Z")


def parse(raw: bytes, ctx: ParseContext = CTX) -> Event:
    return PARSER.parse(raw, ctx)


def when(raw: bytes, ctx: ParseContext = CTX) -> str:
    return iso(parse(raw, ctx)["@timestamp"])


def reason(raw: bytes) -> str:
    with pytest.raises(ParseError) as info:
        parse(raw)
    assert info.value.parser == "rfc3164"
    return info.value.reason


def test_classic_line() -> None:
    event = parse(b"<38>Nov 27 10:15:30 jump01 sshd[8812]: Failed password for plcadmin")
    assert event == {
        "@timestamp": parse_time_arg("2026-11-27T10:15:30Z"),
        "log.syslog.priority": 38,
        "log.syslog.facility.code": 4, "log.syslog.facility.name": "auth",
        "log.syslog.severity.code": 6, "log.syslog.severity.name": "informational",
        "log.syslog.format": "rfc3164", "event.timezone": "UTC",
        "host.name": "jump01", "log.syslog.hostname": "jump01",
        "log.syslog.appname": "sshd", "process.name": "sshd",
        "log.syslog.procid": "8812", "process.pid": 8812,
        "message": "Failed password for plcadmin",
    }


def test_no_pri_means_no_priority_fields() -> None:
    event = parse(b"Nov 27 10:15:30 mes01 cron[911]: job")
    assert not [key for key in event if "priority" in key or "facility" in key
                or "severity" in key]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"<13>Nov  3 07:02:11 h t: m", "2026-11-03T07:02:11.000000Z"),
    (b"<13>Nov 3 07:02:11 h t: m", "2026-11-03T07:02:11.000000Z"),
    (b"<13>nov 03 07:02:11 h t: m", "2026-11-03T07:02:11.000000Z"),
    (b"<13>Jun 14 2019 15:16:01 h t: m", "2019-06-14T15:16:01.000000Z"),
    (b"<13>Jun 14 15:16:01.5 h t: m", "2026-06-14T15:16:01.500000Z"),
    (b"<13>Jun 14 15:16:01.123456789 h t: m", "2026-06-14T15:16:01.123456Z"),
    (b"<13>Jun 14 2019 15:16:01.250: %ASA-6-1: m", "2019-06-14T15:16:01.250000Z"),
    (b"<13>2026-11-27T10:00:00.123+01:00 h t: m", "2026-11-27T09:00:00.123000Z"),
    (b"<13>2026-11-27T10:00:00Z h t: m", "2026-11-27T10:00:00.000000Z"),
    (b"<13>2026-11-27T10:00:00 h t: m", "2026-11-27T10:00:00.000000Z"),
    (b"<13>2026-11-27T10:00:00", "2026-11-27T10:00:00.000000Z"),
])
def test_timestamp_forms(raw: bytes, expected: str) -> None:
    assert when(raw) == expected


def test_zone_less_times_use_the_senders_zone() -> None:
    summer = parse(b"<13>Jul  1 12:00:00 plcgw-03 gw: m")
    assert iso(summer["@timestamp"]) == "2026-07-01T10:00:00.000000Z"
    assert summer["event.timezone"] == "Europe/Berlin"
    assert when(b"<13>Nov  1 12:00:00 plcgw-03 gw: m") == "2026-11-01T11:00:00.000000Z"
    assert when(b"<13>2026-07-01T12:00:00 plcgw-03 gw: m") == "2026-07-01T10:00:00.000000Z"
    with_offset = parse(b"<13>2026-07-01T12:00:00+02:00 plcgw-03 gw: m")
    assert "event.timezone" not in with_offset


def test_zone_lookup_gets_none_without_a_host() -> None:
    asked: list[str | None] = []

    def spy(host: str | None) -> ZoneInfo:
        asked.append(host)
        return UTC

    PARSER.parse(b"<13>Nov 27 10:00:00 sshd[1]: m", ParseContext(0, spy))
    PARSER.parse(b"<13>Nov 27 10:00:00 hist01 sshd[1]: m", ParseContext(0, spy))
    assert asked == [None, "hist01"]


@pytest.mark.parametrize(("raw", "host", "app", "procid", "message"), [
    (b"<13>Nov 27 10:00:00 sshd[123]: msg", None, "sshd", "123", "msg"),
    (b"<13>Nov 27 10:00:00 kernel: msg", None, "kernel", None, "msg"),
    (b"<13>Nov 27 10:00:00 h sshd(pam_unix)[19939]: a; b", "h", "sshd(pam_unix)", "19939",
     "a; b"),
    (b"<13>Nov 27 10:00:00 h kernel:  indented", "h", "kernel", None, " indented"),
    (b"<13>Nov 27 10:00:00 h syslogd 1.4.1: restart.", "h", "syslogd", None, "restart."),
    (b"<13>Nov 27 10:00:00 h  -- root[2421]: ROOT LOGIN", "h", "-- root", "2421",
     "ROOT LOGIN"),
    (b"<13>Nov 27 10:00:00 h app[abc]: m", "h", "app", "abc", "m"),
    (b"<13>Nov 27 10:00:00 h app[42]:m", "h", "app", "42", "m"),
    (b"<13>Nov 27 10:00:00 h app:", "h", "app", None, None),
    (b"<13>Nov 27 10:00:00 h IN=eth1 OUT=eth0 SRC=10.0.0.1", "h", None, None,
     "IN=eth1 OUT=eth0 SRC=10.0.0.1"),
    (b"<13>Nov 27 10:00:00 h see http://hist01/ now", "h", None, None, "see http://hist01/ now"),
    (b"<13>Nov 27 10:00:00 h", "h", None, None, None),
    (b"<13>Nov 27 10:00:00", None, None, None, None),
    (b"<13>PLC CPU in STOP", None, None, None, "PLC CPU in STOP"),
    (b"<13>watchdog[9]: PLC CPU in STOP", None, "watchdog", "9", "PLC CPU in STOP"),
])
def test_host_tag_and_message(raw: bytes, host: str | None, app: str | None,
                              procid: str | None, message: str | None) -> None:
    event = parse(raw)
    assert event.get("host.name") == event.get("log.syslog.hostname") == host
    assert event.get("process.name") == event.get("log.syslog.appname") == app
    assert event.get("log.syslog.procid") == procid
    assert event.get("process.pid") == (int(procid) if procid and procid.isdigit() else None)
    assert event.get("message") == message


def test_pri_without_timestamp_takes_receipt_time_and_no_zone() -> None:
    event = parse(b"<13>hello")
    assert event["@timestamp"] == CTX.received_us
    assert "event.timezone" not in event


def test_december_line_received_in_january_is_last_year() -> None:
    ctx = ctx_at("2027-01-01T00:05:00Z")
    assert when(b"<13>Dec 31 23:59:00 hist01 t: m", ctx) == "2026-12-31T23:59:00.000000Z"


def test_january_line_received_on_new_years_eve_is_next_year_in_sender_zone() -> None:
    ctx = ctx_at("2026-12-31T23:50:00Z")  # already 00:50 on 1 January in Berlin
    event = parse(b"<13>Jan  1 00:10:00 plcgw-03 t: m", ctx)
    assert iso(event["@timestamp"]) == "2026-12-31T23:10:00.000000Z"  # 2027-01-01 00:10 CET
    assert event["event.timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(("line", "received", "expected"), [
    (b"Nov 28 11:59:59", "2026-11-27T12:00:00Z", "2026-11-28T11:59:59.000000Z"),
    (b"Nov 28 12:00:01", "2026-11-27T12:00:00Z", "2025-11-28T12:00:01.000000Z"),
    (b"Jan  1 00:00:00", "2026-12-31T00:00:00Z", "2027-01-01T00:00:00.000000Z"),
    (b"Jan  2 00:00:00", "2026-12-31T00:00:00Z", "2026-01-02T00:00:00.000000Z"),
    (b"Feb 29 08:00:00", "2028-06-01T00:00:00Z", "2028-02-29T08:00:00.000000Z"),
    (b"Feb 29 08:00:00", "2029-01-15T00:00:00Z", "2028-02-29T08:00:00.000000Z"),
    (b"Feb 29 08:00:00", "2028-02-28T12:00:00Z", "2028-02-29T08:00:00.000000Z"),
])
def test_year_inference_limit(line: bytes, received: str, expected: str) -> None:
    assert when(b"<13>" + line + b" h t: m", ctx_at(received)) == expected


def test_feb_29_without_a_nearby_leap_year_is_refused() -> None:
    assert "Feb 29" in reason(b"<13>Feb 29 08:00:00 h t: m")


def test_infer_year_is_exposed_for_other_parsers() -> None:
    received = parse_time_arg("2027-01-01T00:05:00Z")
    day_us = (23 * 3600 + 59 * 60) * 1_000_000
    assert iso(infer_year_us(12, 31, day_us, UTC, received)) == "2026-12-31T23:59:00.000000Z"


@pytest.mark.parametrize(("raw", "words"), [
    (b"", "empty"),
    (b"  \r\n", "empty"),
    (b"<13>", "nothing after PRI"),
    (b"<13>   ", "nothing after PRI"),
    (b"<192>Nov 27 10:00:00 h t: m", "out of range"),
    (b"<x>Nov 27 10:00:00 h t: m", "not a number"),
    (b"<13 Nov 27 10:00:00 h t: m", "invalid PRI"),
    (b"hello plant", "neither a PRI nor a timestamp"),
    (b"\xff\xfe\x00garbage", "neither a PRI nor a timestamp"),
    (b"<13>Jun 31 10:00:00 h t: m", "invalid date"),
    (b"<13>Jun 00 10:00:00 h t: m", "invalid date"),
    (b"<13>Feb 29 2026 10:00:00 h t: m", "invalid date"),
    (b"<13>Foo 12 10:00:00 h t: m", "unknown month"),
    (b"<13>Nov 27 24:00:00 h t: m", "invalid time of day"),
    (b"<13>Nov 27 10:00:60 h t: m", "invalid time of day"),
    (b"<13>2026-02-30T10:00:00Z h t: m", "invalid date"),
    (b"<13>2026-11-27T10:00:00+25:00 h t: m", "invalid UTC offset"),
])
def test_refusals(raw: bytes, words: str) -> None:
    assert words in reason(raw)


def test_decoding_and_trailers() -> None:
    event = parse("<13>Nov 27 10:00:00 wärme-01 boiler: Übertemperatur\n".encode())
    assert event["host.name"] == "wärme-01"
    assert event["message"] == "Übertemperatur"
    assert parse(b"<13>Nov 27 10:00:00 h t: bad \xff\x00")["message"] == "bad \ufffd"


# --- differential: year inference against a datetime-based reading of the rule ----------

_ZONES = [ZoneInfo(key) for key in ("UTC", "Europe/Berlin", "Pacific/Kiritimati",
                                    "Pacific/Pago_Pago", "Australia/Lord_Howe",
                                    "America/St_Johns")]


def reference_year_inference(month: int, day: int, clock: tuple[int, int, int], zone: ZoneInfo,
                             received_us: int) -> int | None:
    received = from_us(received_us)
    year = received.astimezone(zone).year
    for candidate in (year + 1, year, year - 1):
        try:
            local = datetime(candidate, month, day, *clock, tzinfo=zone)
        except ValueError:  # 29 February of a common year
            continue
        if to_us(local) <= received_us + 86_400_000_000:
            return to_us(local)
    return None


@st.composite
def receipt_times(draw: st.DrawFn) -> int:
    year = draw(st.integers(1995, 2095))
    if draw(st.booleans()):  # around new year, where the rule matters
        start = datetime(year, 12, 30, tzinfo=timezone.utc)
        return to_us(start) + draw(st.integers(0, 3 * 86_400_000_000))
    return to_us(datetime(year, 1, 1, tzinfo=timezone.utc)) + draw(
        st.integers(0, 365 * 86_400_000_000))


def near_limit(received_us: int, month: int, day: int, clock: tuple[int, int, int],
               zone: ZoneInfo, shift_us: int) -> int:
    """A receipt time about one day before the message's own instant in the receipt year."""
    year = from_us(received_us).astimezone(zone).year
    try:
        local = datetime(year, month, day, *clock, tzinfo=zone)
    except ValueError:
        return received_us
    return to_us(local) - 86_400_000_000 + shift_us


@settings(max_examples=400, deadline=None, derandomize=True)
@given(received_us=receipt_times(), month=st.integers(1, 12), day=st.integers(1, 31),
       clock=st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
       zone=st.sampled_from(_ZONES),
       shift_us=st.none() | st.integers(-7_200_000_000, 7_200_000_000))
def test_year_inference_matches_reference(received_us: int, month: int, day: int,
                                          clock: tuple[int, int, int], zone: ZoneInfo,
                                          shift_us: int | None) -> None:
    assume(day <= days_in_month(2000, month))
    if shift_us is not None:
        received_us = near_limit(received_us, month, day, clock, zone, shift_us)
    expected = reference_year_inference(month, day, clock, zone, received_us)
    day_us = (clock[0] * 3600 + clock[1] * 60 + clock[2]) * 1_000_000
    if expected is None:
        with pytest.raises(ParseError):
            infer_year_us(month, day, day_us, zone, received_us)
    else:
        assert infer_year_us(month, day, day_us, zone, received_us) == expected
