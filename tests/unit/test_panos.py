"""PAN-OS parser: field positions per log type and the CSV corner cases."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.panos import PanosParser

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "plcgw-03" else "UTC"))
PARSER = PanosParser()
TEN_UTC = 1_795_773_600_000_000  # 2026-11-27T10:00:00Z
HEAD = "1,2026/11/27 10:00:05,0123456789,{kind},{sub},2562,2026/11/27 10:00:00,"
SESSION = ("10.1.1.5,10.2.2.6,192.0.2.1,0.0.0.0,rule one,dom\\u1,,modbus,vsys1,cell,dmz,e1/1,e1/2,fwd,"
           "2026/11/27 10:00:05,4242,1,51000,502,40000,0,0x0,tcp,")


def pan(text: str, host_header: str = "") -> dict[str, object]:
    return PARSER.parse((host_header + text).encode(), CTX)


def test_traffic_positions() -> None:
    ev = pan(HEAD.format(kind="TRAFFIC", sub="end") + SESSION
             + "allow,300,100,200,4,2026/11/27 09:59:00,60,any,,7,0x0,US,US,,3,1,aged-out")
    assert ev["@timestamp"] == TEN_UTC and ev["panw.panos.receive_time"] == "2026/11/27 10:00:05"
    assert (ev["source.ip"], ev["destination.ip"], ev["source.nat.ip"]) == ("10.1.1.5", "10.2.2.6", "192.0.2.1")
    assert "destination.nat.ip" not in ev and "destination.nat.port" not in ev  # 0.0.0.0 / 0: no NAT
    assert ev["rule.name"] == "rule one" and ev["source.user.name"] == "dom\\u1"
    assert (ev["observer.ingress.zone"], ev["observer.egress.zone"]) == ("cell", "dmz")
    assert ev["panw.panos.sessionid"] == "4242" and ev["source.nat.port"] == 40000
    assert (ev["network.bytes"], ev["source.bytes"], ev["destination.bytes"]) == (300, 100, 200)
    assert ev["event.duration"] == 60 * 10**9 and ev["panw.panos.session_end_reason"] == "aged-out"
    assert ev["event.outcome"] == "success" and ev["event.category"] == ["network"]


def test_threat_positions_and_name_with_id() -> None:
    ev = pan(HEAD.format(kind="THREAT", sub="vulnerability") + SESSION
             + 'drop,"",Modbus Write (Func 15)(58120),ics,high,client-to-server,77')
    assert ev["panw.panos.threat.name"] == "Modbus Write (Func 15)" and ev["panw.panos.threat.id"] == "58120"
    assert ev["event.severity"] == 4 and ev["log.level"] == "high"
    assert ev["event.outcome"] == "failure" and ev["network.direction"] == "client-to-server"


def test_local_time_in_the_senders_zone() -> None:
    ev = pan(HEAD.format(kind="SYSTEM", sub="general") + ",general,,0,0,general,medium,text",
             "<14>Nov 27 11:00:00 plcgw-03 ")
    assert ev["@timestamp"] == TEN_UTC - 3600 * 10**6 and ev["event.timezone"] == "Europe/Berlin"
    assert ev["message"] == "text" and ev["event.severity"] == 3


def test_short_record_keeps_what_it_has() -> None:
    ev = pan(HEAD.format(kind="TRAFFIC", sub="start") + "10.1.1.5")
    assert ev["source.ip"] == "10.1.1.5" and "destination.ip" not in ev


@pytest.mark.parametrize("text", [
    "1,2026/11/27 10:00:00,01,HIPMATCH,x,1,2026/11/27 10:00:00",
    HEAD.format(kind="TRAFFIC", sub="end") + '"unclosed',
    "1,2026/11/27 10:00:00,01,TRAFFIC,end,1,not a time,10.1.1.5",
    '1,2026/11/27 10:00:00,"01,TRAFFIC,x',
])
def test_refused(text: str) -> None:
    with pytest.raises(ParseError) as info:
        pan(text)
    assert info.value.parser == "panos"
