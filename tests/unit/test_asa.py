"""Cisco ASA/FTD parser: one case per message id in the extraction table, and the envelope."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.asa import AsaParser
from ironwatch.parsers.base import ParseContext

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "plcgw-03" else "UTC"))
PARSER = AsaParser()


def asa(text: str) -> dict[str, object]:
    return PARSER.parse(text.encode(), CTX)


@pytest.mark.parametrize(("text", "expected"), [
    ("%ASA-4-106023: Deny udp src ot:10.20.1.9/5353 dst dmz:10.40.0.2/53 by access-group \"OT_IN\" [0x0, 0x0]",
     {"event.action": "deny", "event.type": ["denied"], "event.outcome": "failure", "rule.name": "OT_IN",
      "network.transport": "udp", "source.port": 5353, "destination.ip": "10.40.0.2"}),
    ("%ASA-4-106023: Deny icmp src ot:10.20.1.9 dst dmz:10.40.0.2 (type 8, code 0) by access-group \"OT_IN\" [0x0, 0x0]",
     {"source.ip": "10.20.1.9", "destination.ip": "10.40.0.2", "network.transport": "icmp", "rule.name": "OT_IN"}),
    ("%ASA-2-106001: Inbound TCP connection denied from 10.30.8.41/51000 to 10.20.1.5/502 flags SYN  on interface outside",
     {"event.action": "deny", "observer.ingress.interface.name": "outside", "destination.port": 502}),
    ("%ASA-2-106006: Deny inbound UDP from 10.30.8.41/5000 to 10.20.1.5/161 on interface outside",
     {"network.transport": "udp", "destination.port": 161, "event.outcome": "failure"}),
    ("%ASA-2-106007: Deny inbound UDP from 10.30.8.41/53 to 10.20.1.5/53 due to DNS Query",
     {"source.port": 53, "event.type": ["denied"]}),
    ("%ASA-6-106015: Deny TCP (no connection) from 10.20.1.5/502 to 10.30.8.41/51000 flags RST  on interface ot-cell4",
     {"source.ip": "10.20.1.5", "observer.ingress.interface.name": "ot-cell4"}),
    ("%ASA-6-302015: Built outbound UDP connection 41 for dmz:10.40.0.2/123 (10.40.0.2/123) to ot:10.20.1.9/123 (203.0.113.9/123)",
     {"event.action": "connection-built", "network.direction": "outbound", "cisco.asa.connection_id": "41"}),
    ("%ASA-6-302016: Teardown UDP connection 41 for dmz:10.40.0.2/123 to ot:10.20.1.9/123 duration 1:00:02 bytes 96",
     {"event.type": ["end"], "event.duration": 3602 * 10**9, "network.bytes": 96}),
    ("%ASA-6-305012: Teardown dynamic TCP translation from ot:10.20.1.9/5000 to outside:203.0.113.17/40000 duration 0:00:30",
     {"event.action": "translation-teardown", "source.nat.ip": "203.0.113.17", "source.nat.port": 40000}),
    ("%ASA-6-113004: AAA user authentication Successful : server =  10.50.0.5 : user = opr2",
     {"event.category": ["authentication"], "event.outcome": "success", "user.name": "opr2"}),
    ("%ASA-2-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.50.0.5 : user = opr2 : user IP = 10.30.8.41",
     {"event.outcome": "failure", "source.ip": "10.30.8.41", "event.reason": "AAA failure"}),
    ("%ASA-6-605005: Login permitted from 10.50.0.20/50100 to ot-mgmt:10.50.0.1/https for user \"netops\"",
     {"event.outcome": "success", "user.name": "netops", "source.port": 50100}),
    ("%ASA-6-611101: User authentication succeeded: IP address: 10.50.0.20, Uname: netops",
     {"event.action": "logged-in", "user.name": "netops", "source.ip": "10.50.0.20"}),
    ("%ASA-6-611102: User authentication failed: IP = 10.30.8.41, Uname: root",
     {"event.action": "logon-failed", "user.name": "root", "source.ip": "10.30.8.41"}),
    ("%ASA-5-111008: User 'netops' executed the 'write memory' command.",
     {"event.category": ["configuration"], "user.name": "netops", "cisco.asa.command_line": "write memory"}),
    ("%ASA-7-710005: UDP request discarded from 10.20.1.9/137 to ot-cell4:10.20.1.255/137",
     {"event.action": "deny", "destination.port": 137}),
])
def test_message_ids_map_to_ecs(text: str, expected: dict[str, object]) -> None:
    ev = asa(text)
    for key, value in expected.items():
        assert ev[key] == value, key


def test_header_fields_and_unknown_ids() -> None:
    ev = asa("<187>Nov 27 2026 10:00:00 fw-asa-ot01 : %ASA-3-999999: something new")
    assert ev["event.code"] == ev["cisco.asa.message_id"] == "999999"
    assert ev["event.severity"] == ev["cisco.asa.severity"] == 3
    assert (ev["observer.vendor"], ev["observer.product"]) == ("Cisco", "ASA")
    assert ev["message"] == "something new" and "event.action" not in ev
    assert asa("%FTD-6-106100: x")["observer.product"] == "FTD"


def test_text_that_does_not_fit_its_id_keeps_only_the_message() -> None:
    ev = asa("%ASA-4-106023: Deny (wording of a future release)")
    assert ev["message"] == "Deny (wording of a future release)" and "source.ip" not in ev


def test_time_comes_from_the_header_else_receipt() -> None:
    assert asa("%ASA-6-199018: x")["@timestamp"] == RECEIVED
    berlin = asa("<166>Nov 27 2026 11:00:00 plcgw-03 : %ASA-6-199018: x")
    assert berlin["@timestamp"] == RECEIVED - 2 * 3600 * 10**6


def test_payload_is_the_first_marker() -> None:
    ev = asa("<166>Nov 27 2026 10:00:00 fw : %ASA-6-199018: quoting %ASA-4-106023: x")
    assert ev["event.code"] == "199018"


@pytest.mark.parametrize("text", ["ASA-6-106023: x", "%ASA-6-10602: x", "%PIX-6-106023: x", ""])
def test_refused(text: str) -> None:
    with pytest.raises(ParseError) as info:
        asa(text)
    assert info.value.parser == "asa"
