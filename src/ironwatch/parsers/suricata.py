"""Suricata EVE JSON: one EVE record (alert, flow, dns, http, tls, anomaly, fileinfo…) to ECS.

Every original field is kept, flattened, under ``suricata.eve.*`` (as Elastic's Suricata
module does), and the common ones are mapped to ECS: addresses and ports, ``network.*``,
``rule.*`` and ``event.severity`` for alerts, ``dns.*``, ``url.*``/``http.*``,
``tls.*``, ``file.*``, ``observer.*`` (the sensor). Application-layer objects are mapped
whatever the record's ``event_type``, because an alert carries the ``http``/``tls``/``dns``
object of the transaction that triggered it. ``@timestamp`` is ``timestamp`` with its own
offset; a record without one, or whose time cannot be read, is refused. Other times
(``flow.start``…) are mapped when readable and left in ``suricata.eve.*`` in any case.

The module serves twice: as the ``suricata`` parser (a pinned format, one EVE line) and as
the ``suricata`` JSON flavour that the ``json`` parser hands decoded EVE documents to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


from ..errors import ParseError
from ..event import Event
from ._syslog_common import MAX_US, RFC3339_LENIENT, local_to_utc_us, rfc3339_parts
from .base import JsonFlavour, ParseContext, Parser
from .jsonlines import json_object

NAME = "suricata"
#: deeper nesting than this is refused rather than walked (as the JSON lines parser does)
MAX_DEPTH = 64

#: Suricata's alert severity (1 = highest priority in classification.config) on the 0-10
#: ``event.severity`` scale that CEF/LEEF use here: 1 high, 2 medium, 3 low, 4+ informational
SEVERITY = {1: 8, 2: 6, 3: 3}
INFORMATIONAL = 1
_TRANSPORTS = {"1": "icmp", "6": "tcp", "17": "udp", "47": "gre", "50": "esp",
               "58": "ipv6-icmp", "132": "sctp", "ipv6-icmp": "ipv6-icmp", "icmpv6": "ipv6-icmp"}
#: event_type → (event.kind, event.category, event.type) when it is not an alert
_SHAPE: dict[str, tuple[str, list[str], list[str]]] = {
    "flow": ("event", ["network"], ["connection", "end"]),
    "netflow": ("event", ["network"], ["connection", "end"]),
    "dns": ("event", ["network"], ["protocol"]),
    "http": ("event", ["network", "web"], ["access", "protocol"]),
    "tls": ("event", ["network"], ["protocol"]),
    "ssh": ("event", ["network"], ["protocol"]),
    "smb": ("event", ["network"], ["protocol"]),
    "fileinfo": ("event", ["network", "file"], ["info"]),
    "anomaly": ("event", ["network"], ["info"]),
    "drop": ("event", ["network"], ["denied"]),
    "stats": ("metric", [], ["info"]),
}
_GENERIC = ("event", ["network"], ["protocol"])


class SuricataParser:
    """Reads one EVE JSON line (``--input-format suricata``)."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        document = json_object(raw, NAME, "EVE record")
        if not isinstance(document.get("event_type"), str):
            raise ParseError("not a Suricata EVE record: no 'event_type' text", parser=NAME)
        return eve_event(document, ctx)


class SuricataFlavour:
    """Claims decoded JSON documents that are EVE records (for the ``json`` parser)."""

    name = NAME

    def claims(self, document: dict[str, object]) -> bool:
        return ("event_type" in document and "timestamp" in document
                and ("src_ip" in document or "flow_id" in document or "in_iface" in document))

    def from_document(self, document: dict[str, object], ctx: ParseContext) -> Event:
        if not isinstance(document.get("event_type"), str):
            raise ParseError("EVE 'event_type' is not text", parser=NAME)
        return eve_event(document, ctx)


def eve_event(doc: dict[str, Any], ctx: ParseContext) -> Event:
    """The ECS event of one decoded EVE record (``event_type`` checked to be text)."""
    event_type: str = doc["event_type"]
    event: Event = {"event.module": "suricata", "event.dataset": "suricata.eve",
                    "observer.product": "Suricata", "observer.vendor": "OISF",
                    "observer.type": "ids"}
    _flatten(doc, "suricata.eve.", event, 0)
    stamp = doc.get("timestamp")
    if not isinstance(stamp, str):
        raise ParseError("EVE record has no 'timestamp' text", parser=NAME)
    event["@timestamp"] = _time_us(stamp, _text(doc.get("host")), event, ctx)
    if event_type == "alert":
        kind, category, types = "alert", ["network", "intrusion_detection"], ["allowed"]
    else:
        kind, category, types = _SHAPE.get(event_type, _GENERIC)
    event["event.kind"] = kind
    if category:
        event["event.category"] = list(category)
    event["event.type"] = list(types)
    _map_endpoints(doc, event)
    for key, mapper in _APPLICATION:
        section = doc.get(key)
        if isinstance(section, dict):
            mapper(section, event, ctx)
    return event


def _flatten(obj: dict[str, Any], prefix: str, out: Event, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ParseError(f"JSON objects nested deeper than {MAX_DEPTH} levels", parser=NAME)
    for key, value in obj.items():
        if type(value) is dict:  # decoded JSON: exact types, and this runs per field
            _flatten(value, f"{prefix}{key}.", out, depth + 1)
        else:
            out[prefix + key] = value


def _time_us(text: str, sensor: str | None, event: Event, ctx: ParseContext) -> int:
    m = RFC3339_LENIENT.fullmatch(text.strip())
    if m is None:
        raise ParseError(f"EVE 'timestamp' is not an ISO 8601 time: {text[:40]!r}", parser=NAME)
    wall_us, offset_us = rfc3339_parts(m, NAME)
    if offset_us is None:
        zone = ctx.zone_for_host(sensor)
        event["event.timezone"] = zone.key
        us = local_to_utc_us(wall_us, zone)
    else:
        us = wall_us - offset_us
    if not 0 <= us < MAX_US:
        raise ParseError(f"EVE 'timestamp' is outside 1970..9999: {text[:40]!r}", parser=NAME)
    return us


def _optional_time_us(value: Any) -> int | None:
    """A secondary time (flow start, certificate validity) in µs; None when unreadable."""
    if not isinstance(value, str):
        return None
    m = RFC3339_LENIENT.fullmatch(value.strip())
    if m is None:
        return None
    try:
        wall_us, offset_us = rfc3339_parts(m, NAME)
    except ParseError:
        return None  # an unreadable secondary time stays only in suricata.eve.*
    us = wall_us - (offset_us or 0)
    return us if 0 <= us < MAX_US else None


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _number(value: Any) -> int | None:
    return value if type(value) is int else None  # not bool, which JSON true/false become


def _port(value: Any) -> int | None:
    port = _number(value)
    return port if port is not None and 0 <= port <= 65535 else None


def _map_endpoints(doc: dict[str, Any], event: Event) -> None:
    sensor = _text(doc.get("host"))
    if sensor:
        event["observer.hostname"] = event["observer.name"] = sensor
    iface = _text(doc.get("in_iface"))
    if iface:
        event["observer.ingress.interface.name"] = iface
    related: list[str] = []
    for side, ip_key, port_key in (("source", "src_ip", "src_port"),
                                   ("destination", "dest_ip", "dest_port")):
        ip = _text(doc.get(ip_key))
        if ip:
            event[f"{side}.ip"] = ip
            if ip not in related:
                related.append(ip)
        port = _port(doc.get(port_key))
        if port is not None:
            event[f"{side}.port"] = port
    if related:
        event["related.ip"] = related
    proto = doc.get("proto")
    if isinstance(proto, (str, int)) and not isinstance(proto, bool):
        word = str(proto).lower()
        event["network.transport"] = _TRANSPORTS.get(word, word)
    app = _text(doc.get("app_proto"))
    if app and app not in ("failed", "unknown"):
        event["network.protocol"] = app.lower()
    community = _text(doc.get("community_id"))
    if community:
        event["network.community_id"] = community
    vlan = doc.get("vlan")
    if isinstance(vlan, list) and vlan and _number(vlan[0]) is not None:
        event["network.vlan.id"] = str(vlan[0])


def _map_alert(alert: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    sid = _number(alert.get("signature_id"))
    if sid is not None:
        event["rule.id"] = str(sid)
    name = _text(alert.get("signature"))
    if name:
        event["rule.name"] = event["message"] = name
    category = _text(alert.get("category"))
    if category:
        event["rule.category"] = category
    rev = _number(alert.get("rev"))
    if rev is not None:
        event["rule.version"] = str(rev)
    severity = _number(alert.get("severity"))
    if severity is not None and severity > 0:
        event["event.severity"] = SEVERITY.get(severity, INFORMATIONAL)
    action = _text(alert.get("action"))
    if action and event.get("event.kind") == "alert":
        event["event.type"] = ["denied"] if action in ("blocked", "drop", "reject") else ["allowed"]


def _map_flow(flow: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    to_server = _number(flow.get("bytes_toserver"))
    to_client = _number(flow.get("bytes_toclient"))
    pkts_server = _number(flow.get("pkts_toserver"))
    pkts_client = _number(flow.get("pkts_toclient"))
    for field, value in (("source.bytes", to_server), ("destination.bytes", to_client),
                         ("source.packets", pkts_server), ("destination.packets", pkts_client)):
        if value is not None:
            event[field] = value
    if to_server is not None and to_client is not None:
        event["network.bytes"] = to_server + to_client
    if pkts_server is not None and pkts_client is not None:
        event["network.packets"] = pkts_server + pkts_client
    start, end = _optional_time_us(flow.get("start")), _optional_time_us(flow.get("end"))
    if start is not None:
        event["event.start"] = start
    if end is not None:
        event["event.end"] = end
        if start is not None and end >= start:
            event["event.duration"] = (end - start) * 1000  # ECS: nanoseconds


def _map_netflow(netflow: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    # a netflow record counts one direction only: from source to destination
    for field, key in (("source.bytes", "bytes"), ("source.packets", "pkts"),
                       ("network.bytes", "bytes"), ("network.packets", "pkts")):
        value = _number(netflow.get(key))
        if value is not None:
            event[field] = value
    _map_flow({"start": netflow.get("start"), "end": netflow.get("end")}, event, ctx)


def _map_dns(dns: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    query = dns
    queries = dns.get("queries")  # EVE v3 (Suricata 8): a list of questions
    if isinstance(queries, list) and queries and isinstance(queries[0], dict):
        query = queries[0]
    for field, value in (("dns.question.name", query.get("rrname")),
                         ("dns.question.type", query.get("rrtype")),
                         ("dns.response_code", dns.get("rcode")), ("dns.type", dns.get("type"))):
        if _text(value):
            event[field] = value
    if isinstance(dns.get("id"), int):
        event["dns.id"] = str(dns["id"])
    flags = [flag.upper() for flag in ("aa", "tc", "rd", "ra") if dns.get(flag) is True]
    if flags:
        event["dns.header_flags"] = flags
    answers = _dns_answers(dns)
    if answers:
        event["dns.answers"] = answers
        resolved = [a["data"] for a in answers if a.get("type") in ("A", "AAAA") and "data" in a]
        if resolved:
            event["dns.resolved_ip"] = resolved


def _dns_answers(dns: dict[str, Any]) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    raw = dns.get("answers")  # EVE v2/v3: a list; v1: one answer per record
    items = raw if isinstance(raw, list) else [dns] if "rdata" in dns else []
    for item in items:
        if not isinstance(item, dict):
            continue
        answer = {ecs: item[key] for key, ecs in (("rrname", "name"), ("rrtype", "type"),
                                                  ("rdata", "data"), ("ttl", "ttl"))
                  if key in item and isinstance(item[key], (str, int))}
        if answer:
            answers.append(answer)
    grouped = dns.get("grouped")
    if not answers and isinstance(grouped, dict):
        for rrtype, values in grouped.items():
            if isinstance(values, list):
                answers.extend({"type": rrtype, "data": v} for v in values if isinstance(v, str))
    return answers


def _map_http(http: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    url = _text(http.get("url"))
    if url:
        event["url.original"] = url
        path, _, query = url.partition("?")
        event["url.path"] = path
        if query:
            event["url.query"] = query
    host = _text(http.get("hostname"))
    if host:
        event["url.domain"] = event["destination.domain"] = host
    for field, key in (("http.request.method", "http_method"),
                       ("http.request.referrer", "http_refer"),
                       ("user_agent.original", "http_user_agent"),
                       ("http.response.mime_type", "http_content_type")):
        value = _text(http.get(key))
        if value:
            event[field] = value
    status = _number(http.get("status"))
    text = http.get("status")
    if status is None and type(text) is str and text.isascii() and text.isdigit() and len(text) < 4:
        status = int(text)
    if status is not None:
        event["http.response.status_code"] = status
    length = _number(http.get("length"))
    if length is not None:
        event["http.response.body.bytes"] = length
    protocol = _text(http.get("protocol"))
    if protocol:
        event["http.version"] = protocol.removeprefix("HTTP/")


def _map_tls(tls: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    version = _text(tls.get("version"))
    if version and version != "UNDETERMINED":
        protocol, _, number = version.partition(" ")
        if number:
            event["tls.version_protocol"] = protocol.lower()
            event["tls.version"] = number
        elif version.startswith("SSLv"):
            event["tls.version_protocol"], event["tls.version"] = "ssl", version[4:]
    for field, key in (("tls.server.subject", "subject"), ("tls.server.issuer", "issuerdn"),
                       ("tls.client.server_name", "sni")):
        value = _text(tls.get(key))
        if value:
            event[field] = value
    if "tls.client.server_name" in event:
        event.setdefault("destination.domain", event["tls.client.server_name"])
    serial = _text(tls.get("serial"))
    if serial:
        event["tls.server.x509.serial_number"] = serial.replace(":", "").upper()
    fingerprint = _text(tls.get("fingerprint"))
    if fingerprint:
        event["tls.server.hash.sha1"] = fingerprint.replace(":", "").upper()
    for field, key in (("tls.server.not_before", "notbefore"), ("tls.server.not_after", "notafter")):
        us = _optional_time_us(tls.get(key))
        if us is not None:
            event[field] = us
    for field, key in (("tls.client.ja3", "ja3"), ("tls.server.ja3s", "ja3s")):
        section = tls.get(key)
        if isinstance(section, dict) and _text(section.get("hash")):
            event[field] = section["hash"]


def _map_fileinfo(info: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    name = _text(info.get("filename"))
    if name:
        event["file.path"] = name
        event["file.name"] = name.rstrip("/").rsplit("/", 1)[-1] or name
    size = _number(info.get("size"))
    if size is not None:
        event["file.size"] = size
    for algorithm in ("md5", "sha1", "sha256"):
        value = _text(info.get(algorithm))
        if value:
            event[f"file.hash.{algorithm}"] = value


def _map_anomaly(anomaly: dict[str, Any], event: Event, ctx: ParseContext) -> None:
    name = _text(anomaly.get("event"))
    if name:
        event["event.action"] = event["message"] = name


_Mapper = Callable[[dict[str, Any], Event, ParseContext], None]
#: EVE section → mapper, in the order they apply (a later one may refine an earlier one)
_APPLICATION: tuple[tuple[str, _Mapper], ...] = (
    ("flow", _map_flow), ("netflow", _map_netflow), ("dns", _map_dns), ("http", _map_http),
    ("tls", _map_tls), ("fileinfo", _map_fileinfo), ("anomaly", _map_anomaly),
    ("alert", _map_alert),
)

PARSERS: tuple[Parser, ...] = (SuricataParser(),)
FLAVOURS: tuple[JsonFlavour, ...] = (SuricataFlavour(),)

__all__ = ["FLAVOURS", "NAME", "PARSERS", "SEVERITY", "SuricataFlavour", "SuricataParser",
           "eve_event"]
