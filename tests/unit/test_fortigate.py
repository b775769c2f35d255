"""FortiGate parser: time sources, outcome mapping and refusals the golden files do not isolate."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.fortigate import FortigateParser

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "plcgw-03" else "UTC"))
PARSER = FortigateParser()
TEN_UTC = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z
BASE = 'date=2026-11-27 time=10:00:00 devname="fw-ot-01" devid="FG100F" logid="0000000013" type="traffic"'


def forti(text: str) -> dict[str, object]:
    return PARSER.parse(text.encode(), CTX)


@pytest.mark.parametrize("eventtime", ["1795773600", "1795773600000", "1795773600000000",
                                       "1795773600000000000"])
def test_eventtime_unit_is_told_by_magnitude(eventtime: str) -> None:
    assert forti(f"{BASE} eventtime={eventtime} tz=\"-0500\"")["@timestamp"] == TEN_UTC


def test_date_time_with_tz_else_configured_zone() -> None:
    assert forti(BASE + ' tz="+0100"')["@timestamp"] == TEN_UTC - 3600 * 10**6
    assert forti(BASE + ' tz="-05:00"')["@timestamp"] == TEN_UTC + 5 * 3600 * 10**6
    assert forti(BASE)["@timestamp"] == TEN_UTC
    berlin = forti(BASE.replace("fw-ot-01", "plcgw-03"))
    assert berlin["@timestamp"] == TEN_UTC - 3600 * 10**6 and berlin["event.timezone"] == "Europe/Berlin"


def test_only_logid_uses_the_syslog_time() -> None:
    ev = forti('<189>Nov 27 10:00:00 fw-ot-01 logid="0100032001" devid="FG100F" user="admin" status="failed"')
    assert ev["@timestamp"] == TEN_UTC and ev["host.name"] == "fw-ot-01"
    assert ev["event.outcome"] == "failure" and ev["event.category"] == ["authentication"]


def test_structured_data_pairs_stay_in_the_rfc5424_header() -> None:
    ev = forti('<189>1 2026-11-27T09:00:00Z fw-ot-01 - - - [origin ip="10.0.0.1"] ' + BASE + ' tz="+0100"')
    assert ev["log.syslog.structured_data"] == {"origin": {"ip": "10.0.0.1"}}
    assert "fortinet.firewall.ip" not in ev and ev["@timestamp"] == TEN_UTC - 3600 * 10**6


def test_fields_ecs_and_raw_keys() -> None:
    ev = forti(BASE + ' srcip=10.1.1.5 srcport=51000 dstip=10.2.2.6 dstport=502 proto=17 action="deny"'
               ' policyid=12 user="opr 1" msg="a \\"quoted\\" word"')
    assert ev["fortinet.firewall.devname"] == "fw-ot-01" and ev["fortinet.firewall.policyid"] == "12"
    assert (ev["source.ip"], ev["source.port"], ev["destination.port"]) == ("10.1.1.5", 51000, 502)
    assert ev["network.transport"] == "udp" and ev["rule.id"] == "12" and ev["user.name"] == "opr 1"
    assert ev["event.outcome"] == "failure" and ev["event.type"] == ["denied"]
    assert ev["observer.serial_number"] == "FG100F" and ev["event.code"] == "0000000013"
    assert ev["message"] == 'a "quoted" word'


@pytest.mark.parametrize("text", [
    'devname="fw" type="traffic"',  # neither logid nor date/time
    "no pairs at all",
    BASE + " eventtime=99999999999999999999",
    BASE.replace("10:00:00", "25:00:00"),
    BASE + ' tz="+2500"',
])
def test_refused(text: str) -> None:
    with pytest.raises(ParseError) as info:
        forti(text)
    assert info.value.parser == "fortigate"
