"""Suricata EVE: ECS mapping per event type, the JSON flavour's claim, times and refusals."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ParseError
from ironwatch.event import Event
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.suricata import FLAVOURS, PARSERS, SEVERITY
from ironwatch.timeutil import parse_time_arg

CTX = ParseContext(received_us=parse_time_arg("2026-11-27T12:00:00Z"),
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "ids-cell4" else "UTC"))
PARSER = PARSERS[0]
FLAVOUR = FLAVOURS[0]
BASE: dict[str, Any] = {"timestamp": "2026-11-27T10:14:03.512345+0100", "flow_id": 1234567,
                        "in_iface": "eth1", "src_ip": "10.20.3.17", "src_port": 50211,
                        "dest_ip": "10.20.1.5", "dest_port": 502, "proto": "TCP",
                        "host": "ids-cell4", "community_id": "1:abc="}


def eve(**fields: Any) -> Event:
    return PARSER.parse(orjson.dumps({**BASE, **fields}), CTX)


def reason(raw: bytes) -> str:
    with pytest.raises(ParseError) as info:
        PARSER.parse(raw, CTX)
    assert info.value.parser == "suricata"
    return str(info.value.reason)


ALERT = {"action": "allowed", "gid": 1, "signature_id": 9000101, "rev": 3,
         "signature": "OT Modbus write to PLC from outside cell", "category": "Policy Violation",
         "severity": 1}


def test_alert() -> None:
    event = eve(event_type="alert", alert=ALERT, app_proto="modbus")
    assert event["@timestamp"] == parse_time_arg("2026-11-27T09:14:03.512345Z")
    assert event["event.kind"] == "alert" and event["event.type"] == ["allowed"]
    assert event["event.category"] == ["network", "intrusion_detection"]
    assert (event["rule.id"], event["rule.name"], event["rule.category"], event["rule.version"]) == (
        "9000101", ALERT["signature"], "Policy Violation", "3")
    assert event["message"] == ALERT["signature"] and event["event.severity"] == 8
    assert (event["source.ip"], event["source.port"]) == ("10.20.3.17", 50211)
    assert (event["destination.ip"], event["destination.port"]) == ("10.20.1.5", 502)
    assert event["network.transport"] == "tcp" and event["network.protocol"] == "modbus"
    assert event["network.community_id"] == "1:abc=" and event["related.ip"] == [
        "10.20.3.17", "10.20.1.5"]
    assert event["observer.hostname"] == "ids-cell4" and event["observer.product"] == "Suricata"
    assert event["observer.ingress.interface.name"] == "eth1"
    assert event["event.module"] == "suricata" and event["event.dataset"] == "suricata.eve"
    assert event["suricata.eve.alert.signature_id"] == 9000101
    assert event["suricata.eve.flow_id"] == 1234567 and event["suricata.eve.proto"] == "TCP"


@pytest.mark.parametrize(("severity", "level"), [(1, 8), (2, 6), (3, 3), (4, 1), (255, 1)])
def test_severity_scale(severity: int, level: int) -> None:
    assert eve(event_type="alert", alert={**ALERT, "severity": severity})["event.severity"] == level
    assert SEVERITY[1] > SEVERITY[2] > SEVERITY[3]


def test_blocked_alert_is_denied() -> None:
    assert eve(event_type="alert", alert={**ALERT, "action": "blocked"})["event.type"] == ["denied"]


def test_flow() -> None:
    event = eve(event_type="flow", app_proto="failed", flow={
        "pkts_toserver": 4, "pkts_toclient": 3, "bytes_toserver": 300, "bytes_toclient": 200,
        "start": "2026-11-27T10:13:00.000000+0100", "end": "2026-11-27T10:14:00.500000+0100",
        "state": "closed", "reason": "timeout"})
    assert event["event.kind"] == "event" and event["event.type"] == ["connection", "end"]
    assert (event["source.bytes"], event["destination.bytes"], event["network.bytes"]) == (300, 200, 500)
    assert (event["source.packets"], event["network.packets"]) == (4, 7)
    assert event["event.start"] == parse_time_arg("2026-11-27T09:13:00Z")
    assert event["event.duration"] == 60_500_000_000 and "network.protocol" not in event
    assert event["suricata.eve.flow.reason"] == "timeout"


def test_dns_v1_query_and_v2_answers() -> None:
    query = eve(event_type="dns", proto="UDP", dest_port=53,
                dns={"type": "query", "id": 4711, "rrname": "hist01.plant.local", "rrtype": "A"})
    assert query["dns.question.name"] == "hist01.plant.local" and query["dns.question.type"] == "A"
    assert query["dns.id"] == "4711" and query["dns.type"] == "query"
    assert query["event.type"] == ["protocol"] and query["network.transport"] == "udp"
    answer = eve(event_type="dns", dns={
        "version": 2, "type": "answer", "id": 4711, "rcode": "NOERROR", "rrname": "hist01.plant.local",
        "rrtype": "A", "rd": True, "ra": True, "answers": [
            {"rrname": "hist01.plant.local", "rrtype": "A", "ttl": 300, "rdata": "10.20.1.20"},
            {"rrname": "hist01.plant.local", "rrtype": "TXT", "ttl": 300, "rdata": "x"}]})
    assert answer["dns.answers"] == [
        {"name": "hist01.plant.local", "type": "A", "data": "10.20.1.20", "ttl": 300},
        {"name": "hist01.plant.local", "type": "TXT", "data": "x", "ttl": 300}]
    assert answer["dns.resolved_ip"] == ["10.20.1.20"] and answer["dns.response_code"] == "NOERROR"
    assert answer["dns.header_flags"] == ["RD", "RA"]
    assert answer["suricata.eve.dns.answers"][0]["rdata"] == "10.20.1.20"


def test_dns_grouped_and_v3_queries() -> None:
    grouped = eve(event_type="dns", dns={"type": "answer", "grouped": {"AAAA": ["fd00::5"]}})
    assert grouped["dns.resolved_ip"] == ["fd00::5"]
    v3 = eve(event_type="dns", dns={"version": 3, "queries": [{"rrname": "mes01", "rrtype": "SRV"}]})
    assert v3["dns.question.name"] == "mes01" and v3["dns.question.type"] == "SRV"


def test_http() -> None:
    event = eve(event_type="http", dest_port=80, http={
        "hostname": "hist01.plant.local", "url": "/api/tags?name=FIC101&from=-1h",
        "http_user_agent": "curl/8.5", "http_method": "GET", "protocol": "HTTP/1.1",
        "status": 200, "length": 512, "http_refer": "http://hmi/", "http_content_type": "text/json"})
    assert event["event.category"] == ["network", "web"] and event["url.path"] == "/api/tags"
    assert event["url.query"] == "name=FIC101&from=-1h" and event["url.domain"] == "hist01.plant.local"
    assert event["http.request.method"] == "GET" and event["http.response.status_code"] == 200
    assert event["http.version"] == "1.1" and event["user_agent.original"] == "curl/8.5"
    assert event["http.response.body.bytes"] == 512 and event["destination.domain"] == "hist01.plant.local"
    assert event["http.request.referrer"] == "http://hmi/"


def test_tls() -> None:
    event = eve(event_type="tls", dest_port=443, tls={
        "subject": "CN=mes01.plant.local", "issuerdn": "CN=Plant CA", "serial": "2C:A6:E0",
        "fingerprint": "22:0e:91:8f", "sni": "mes01.plant.local", "version": "TLS 1.2",
        "notbefore": "2026-01-01T00:00:00", "notafter": "2028-01-01T00:00:00",
        "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865", "string": "771,..."},
        "ja3s": {"hash": "f4febc55ea12b31ae17cfb7e614afda8"}})
    assert (event["tls.version"], event["tls.version_protocol"]) == ("1.2", "tls")
    assert event["tls.server.subject"] == "CN=mes01.plant.local"
    assert event["tls.server.issuer"] == "CN=Plant CA"
    assert event["tls.server.x509.serial_number"] == "2CA6E0"
    assert event["tls.server.hash.sha1"] == "220E918F"
    assert event["tls.client.server_name"] == event["destination.domain"] == "mes01.plant.local"
    assert event["tls.server.not_after"] == parse_time_arg("2028-01-01T00:00:00Z")
    assert event["tls.client.ja3"] == "e7d705a3286e19ea42f587b344ee6865"
    assert event["tls.server.ja3s"] == "f4febc55ea12b31ae17cfb7e614afda8"
    assert eve(event_type="tls", tls={"version": "SSLv3"})["tls.version_protocol"] == "ssl"


def test_fileinfo_anomaly_and_others() -> None:
    info = eve(event_type="fileinfo", fileinfo={
        "filename": "/recipes/batch 7.csv", "size": 2048, "sha256": "ab" * 32, "md5": "cd" * 16})
    assert info["file.name"] == "batch 7.csv" and info["file.path"] == "/recipes/batch 7.csv"
    assert info["file.size"] == 2048 and info["file.hash.sha256"] == "ab" * 32
    assert info["event.category"] == ["network", "file"]
    anomaly = eve(event_type="anomaly", anomaly={"type": "applayer", "event": "INVALID_RECORD"})
    assert anomaly["event.action"] == anomaly["message"] == "INVALID_RECORD"
    ssh = eve(event_type="ssh", ssh={"client": {"software_version": "OpenSSH_9.6"}})
    assert ssh["suricata.eve.ssh.client.software_version"] == "OpenSSH_9.6"
    assert ssh["event.type"] == ["protocol"]
    stats = PARSER.parse(orjson.dumps({"timestamp": "2026-11-27T10:00:00.000000+0000",
                                       "event_type": "stats", "stats": {"uptime": 60}}), CTX)
    assert stats["event.kind"] == "metric" and stats["suricata.eve.stats.uptime"] == 60
    assert "event.category" not in stats


def test_zone_less_time_uses_the_sensor_zone() -> None:
    event = eve(event_type="flow", timestamp="2026-11-27T10:14:03.000000")
    assert event["@timestamp"] == parse_time_arg("2026-11-27T09:14:03Z")
    assert event["event.timezone"] == "Europe/Berlin"


def test_flavour_claims_only_eve_records() -> None:
    assert FLAVOUR.claims({**BASE, "event_type": "alert"})
    assert FLAVOUR.claims({"timestamp": "t", "event_type": "flow", "flow_id": 1})
    assert not FLAVOUR.claims({"timestamp": "t", "event_type": "stats", "stats": {}})
    assert not FLAVOUR.claims({"event_type": "alert", "src_ip": "1.2.3.4"})
    assert not FLAVOUR.claims({"@timestamp": "t", "src_ip": "1.2.3.4", "message": "x"})
    with pytest.raises(ParseError):
        FLAVOUR.from_document({**BASE, "event_type": 7}, CTX)


def test_json_lines_go_through_the_flavour() -> None:
    fmt, event = parse(orjson.dumps({**BASE, "event_type": "alert", "alert": ALERT}), CTX)
    assert fmt == "suricata" and event["rule.id"] == "9000101"
    fmt, event = parse(b'{"timestamp":"2026-11-27T10:00:00Z","event_type":"x","msg":"hi"}', CTX)
    assert fmt == "json"


@pytest.mark.parametrize(("raw", "expected"), [
    (b"not json", "invalid JSON"),
    (b"[1, 2]", "not an object"),
    (b'{"timestamp": "2026-11-27T10:00:00Z"}', "no 'event_type'"),
    (b'{"event_type": "alert"}', "no 'timestamp'"),
    (b'{"event_type": "alert", "timestamp": 1795770000}', "no 'timestamp'"),
    (b'{"event_type": "alert", "timestamp": "yesterday"}', "not an ISO 8601 time"),
    (b'{"event_type": "alert", "timestamp": "2026-13-27T10:00:00Z"}', "invalid date"),
    (b'{"event_type": "alert", "timestamp": "2026-11-27T10:00:00Z", "x": '
     + b'{"a": ' * 70 + b"1" + b"}" * 70 + b"}", "nested deeper"),
])
def test_refusals(raw: bytes, expected: str) -> None:
    assert expected in reason(raw)


def test_unusual_values_are_kept_but_not_mapped() -> None:
    event = eve(event_type="alert", src_port=70000, dest_port="502", proto=17,
                alert={"signature_id": "x", "severity": True, "signature": 5})
    assert "source.port" not in event and "destination.port" not in event
    assert event["network.transport"] == "udp" and "rule.id" not in event
    assert "event.severity" not in event and "rule.name" not in event
    assert event["suricata.eve.src_port"] == 70000


JSON_INT = st.integers(-(2**63), 2**63 - 1)
JSON_VALUE = st.one_of(st.none(), st.booleans(), JSON_INT, st.text(max_size=30),
                       st.lists(JSON_INT, max_size=3),
                       st.dictionaries(st.sampled_from(["rrname", "rdata", "url", "status", "x"]),
                                       st.one_of(JSON_INT, st.text(max_size=8)), max_size=3))
KEYS = st.sampled_from(["timestamp", "event_type", "src_ip", "dest_port", "alert", "dns", "http",
                        "tls", "flow", "fileinfo", "proto", "vlan", "host"])


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.one_of(
    st.binary(max_size=200),
    st.integers(0, 400).map(lambda n: orjson.dumps({**BASE, "event_type": "alert",
                                                    "alert": ALERT})[:n]),
    st.dictionaries(KEYS, JSON_VALUE).map(orjson.dumps),
    st.dictionaries(KEYS, JSON_VALUE).map(
        lambda d: orjson.dumps({**d, "timestamp": BASE["timestamp"], "event_type": "alert"}))))
def test_only_parse_errors(raw: bytes) -> None:
    try:
        event = PARSER.parse(raw, CTX)
    except ParseError as exc:
        assert exc.reason and exc.parser == "suricata"
        return
    assert isinstance(event["@timestamp"], int)
    assert all(not isinstance(value, dict) for value in event.values())
