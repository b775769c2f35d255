"""ECS fields of Zeek records: the connection tuple of every log, and the standard logs.

Every Zeek log gets ``source.*``/``destination.*`` from its ``id.*`` tuple; ICSNPP logs also
write the true sender of each message as ``source_h``/``source_p``/``destination_h``/
``destination_p`` (Zeek's ``id`` keeps the connection's originator even for responses), and
those win when present. ``conn``, ``dns``, ``dhcp``, ``http``, ``ssl``, ``notice``,
``weird`` and ``files`` are mapped as Elastic's Zeek module maps them; ICSNPP logs go to
``zeek_ot``. This module also names the JSON fields that are times (JSON carries no types)
and infers a JSON record's log path from its field set when the writer left it out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..event import Event
from . import zeek_ot, zeek_ot_more

Record = dict[str, Any]
Mapper = Callable[[Record, Event], None]

#: fields of type ``time`` in the logs Ironwatch maps, read as times from JSON too
TIME_FIELDS = frozenset({
    "ts", "header_time_stamp", "req_hdr_timestamp", "res_hdr_timestamp", "source_timestamp",
    "server_timestamp", "sec_token_created_at", "browse_view_description_timestamp",
    "variant_data_value_time", "certificate.not_valid_before", "certificate.not_valid_after",
})

_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}", re.ASCII)
_DIRECTIONS = {(True, True): "internal", (True, False): "outbound", (False, True): "inbound",
               (False, False): "external"}
_TLS_VERSIONS = {"TLSv10": ("tls", "1.0"), "TLSv11": ("tls", "1.1"), "TLSv12": ("tls", "1.2"),
                 "TLSv13": ("tls", "1.3"), "SSLv2": ("ssl", "2.0"), "SSLv3": ("ssl", "3.0"),
                 "DTLSv10": ("dtls", "1.0"), "DTLSv12": ("dtls", "1.2"),
                 "DTLSv13": ("dtls", "1.3")}


def _copy(record: Record, event: Event, pairs: tuple[tuple[str, str], ...]) -> None:
    for field, ecs in pairs:
        value = record.get(field)
        if value is not None and value != "":
            event[ecs] = value


def _mac(value: Any) -> str | None:
    return value.upper().replace(":", "-") if isinstance(value, str) and value else None


def endpoints(record: Record, event: Event) -> None:
    """``source.*``/``destination.*``/``related.ip`` of any Zeek record."""
    src = record.get("source_h")
    if src is not None:
        src_port, dst, dst_port = (record.get("source_p"), record.get("destination_h"),
                                   record.get("destination_p"))
    else:
        src, src_port, dst, dst_port = (record.get("id.orig_h"), record.get("id.orig_p"),
                                        record.get("id.resp_h"), record.get("id.resp_p"))
    if src is not None:
        event["source.ip"] = src
    if src_port is not None:
        event["source.port"] = src_port
    if dst is not None:
        event["destination.ip"] = dst
    if dst_port is not None:
        event["destination.port"] = dst_port
    if src is not None and dst is not None:
        event["related.ip"] = [src] if src == dst else [src, dst]
    elif src is not None or dst is not None:
        event["related.ip"] = [src if src is not None else dst]


def _conn(record: Record, event: Event) -> None:
    get = record.get
    event["event.category"] = ["network"]
    event["event.type"] = ["connection", "end"]
    _copy(record, event, _CONN_FIELDS)
    service = get("service")
    if service:
        event["network.protocol"] = service.split(",", 1)[0].lower()
    duration = get("duration")
    if isinstance(duration, float) and math.isfinite(duration):
        event["event.duration"] = round(duration * 1e9)
    orig, resp = get("orig_ip_bytes"), get("resp_ip_bytes")
    if orig is not None and resp is not None:
        event["network.bytes"] = orig + resp
    orig, resp = get("orig_pkts"), get("resp_pkts")
    if orig is not None and resp is not None:
        event["network.packets"] = orig + resp
    local = (get("local_orig"), get("local_resp"))
    if isinstance(local[0], bool) and isinstance(local[1], bool):
        event["network.direction"] = _DIRECTIONS[(local[0], local[1])]
    if "orig_l2_addr" in record or "resp_l2_addr" in record:
        for field, ecs in (("orig_l2_addr", "source.mac"), ("resp_l2_addr", "destination.mac")):
            mac = _mac(get(field))
            if mac:
                event[ecs] = mac


_CONN_FIELDS = (("proto", "network.transport"), ("orig_bytes", "source.bytes"),
                ("resp_bytes", "destination.bytes"), ("orig_pkts", "source.packets"),
                ("resp_pkts", "destination.packets"), ("community_id", "network.community_id"))


def _dns(record: Record, event: Event) -> None:
    event["event.category"] = ["network"]
    event["event.type"] = ["connection", "info", "protocol"]
    event["network.protocol"] = "dns"
    _copy(record, event, (("proto", "network.transport"), ("trans_id", "dns.id"),
                          ("query", "dns.question.name"), ("qclass_name", "dns.question.class"),
                          ("qtype_name", "dns.question.type"),
                          ("rcode_name", "dns.response_code")))
    flags = [flag for flag in ("AA", "TC", "RD", "RA") if record.get(flag) is True]
    if flags:
        event["dns.header_flags"] = flags
    answers = record.get("answers")
    if isinstance(answers, list) and answers:
        event["dns.answers.data"] = answers
        event["dns.resolved_ip"] = [a for a in answers if isinstance(a, str)
                                    and (_IPV4.fullmatch(a) or ":" in a)] or None
        if event["dns.resolved_ip"] is None:
            del event["dns.resolved_ip"]
        ttls = record.get("TTLs")
        if isinstance(ttls, list) and ttls:
            event["dns.answers.ttl"] = ttls
    event["dns.type"] = "answer" if "rcode" in record or answers else "query"


def _http(record: Record, event: Event) -> None:
    event["event.category"] = ["network", "web"]
    event["event.type"] = ["connection", "info", "protocol"]
    event["network.protocol"] = "http"
    _copy(record, event, (("method", "http.request.method"), ("host", "url.domain"),
                          ("uri", "url.original"), ("referrer", "http.request.referrer"),
                          ("version", "http.version"), ("user_agent", "user_agent.original"),
                          ("request_body_len", "http.request.body.bytes"),
                          ("response_body_len", "http.response.body.bytes"),
                          ("status_code", "http.response.status_code"),
                          ("username", "url.username")))
    uri = record.get("uri")
    if isinstance(uri, str) and uri:
        path, question, query = uri.partition("?")
        event["url.path"] = path
        if question:
            event["url.query"] = query
    for field, ecs in (("orig_mime_types", "http.request.mime_type"),
                       ("resp_mime_types", "http.response.mime_type")):
        types = record.get(field)
        if isinstance(types, list) and types:
            event[ecs] = types[0]


def _ssl(record: Record, event: Event) -> None:
    event["event.category"] = ["network"]
    event["event.type"] = ["connection", "protocol"]
    event["network.protocol"] = "tls"
    version = _TLS_VERSIONS.get(record.get("version") or "")
    if version is not None:
        event["tls.version_protocol"], event["tls.version"] = version
    _copy(record, event, (("cipher", "tls.cipher"), ("curve", "tls.curve"),
                          ("resumed", "tls.resumed"), ("established", "tls.established"),
                          ("server_name", "tls.client.server_name"),
                          ("next_protocol", "tls.next_protocol"), ("subject", "tls.server.subject"),
                          ("issuer", "tls.server.issuer"), ("client_subject", "tls.client.subject"),
                          ("client_issuer", "tls.client.issuer"), ("ja3", "tls.client.ja3"),
                          ("ja3s", "tls.server.ja3s")))


def _dhcp(record: Record, event: Event) -> None:
    event["event.category"] = ["network"]
    event["event.type"] = ["connection", "info", "protocol"]
    event["network.protocol"] = "dhcp"
    event["network.transport"] = "udp"
    _copy(record, event, (("client_addr", "client.ip"), ("server_addr", "server.ip"),
                          ("domain", "client.domain")))
    if "client.ip" not in event and record.get("assigned_addr"):
        event["client.ip"] = record["assigned_addr"]
    mac = _mac(record.get("mac"))
    if mac:
        event["client.mac"] = mac


def _notice(record: Record, event: Event) -> None:
    event["event.kind"] = "alert"
    event["event.category"] = ["intrusion_detection"]
    event["event.type"] = ["info"]
    _copy(record, event, (("note", "rule.name"), ("msg", "message"),
                          ("proto", "network.transport")))
    if "source.ip" not in event and record.get("src"):
        event["source.ip"] = record["src"]
    if "destination.ip" not in event and record.get("dst"):
        event["destination.ip"] = record["dst"]
        if record.get("p") is not None:
            event["destination.port"] = record["p"]


def _weird(record: Record, event: Event) -> None:
    event["event.kind"] = "alert"
    event["event.category"] = ["network"]
    event["event.type"] = ["info"]
    name = record.get("name")
    if isinstance(name, str) and name:
        event["rule.name"] = name
        addl = record.get("addl")
        event["message"] = f"{name}: {addl}" if addl else name


def _files(record: Record, event: Event) -> None:
    event["event.category"] = ["file"]
    event["event.type"] = ["info"]
    _copy(record, event, (("filename", "file.name"), ("mime_type", "file.mime_type"),
                          ("md5", "file.hash.md5"), ("sha1", "file.hash.sha1"),
                          ("sha256", "file.hash.sha256")))
    size = record.get("total_bytes", record.get("seen_bytes"))
    if size is not None:
        event["file.size"] = size
    for field, ecs in (("tx_hosts", "source.ip"), ("rx_hosts", "destination.ip")):
        hosts = record.get(field)
        if ecs not in event and isinstance(hosts, list) and len(hosts) == 1:
            event[ecs] = hosts[0]


STANDARD: dict[str, Mapper] = {"conn": _conn, "dns": _dns, "http": _http, "ssl": _ssl,
                               "dhcp": _dhcp, "notice": _notice, "weird": _weird,
                               "files": _files}
#: every log with a mapper of its own; ``zeek_ot_more.prefix_mapper`` finds the rest
MAPPERS: dict[str, Mapper] = {**STANDARD, **zeek_ot.MAPPERS, **zeek_ot_more.MAPPERS}


def map_record(path: str, record: Record, event: Event) -> None:
    """Add the ECS (and, for ICSNPP logs, ``ot.*``) fields of a record of log ``path``."""
    endpoints(record, event)
    mapper = MAPPERS.get(path) or zeek_ot_more.prefix_mapper(path)
    if mapper is not None:
        mapper(record, event)


#: (log path, fields it always writes, fields it never writes): a JSON record without
#: ``_path`` is of the one log whose rule its field set meets, if exactly one does
INFERENCE: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = tuple(
    (path, frozenset(need.split()), frozenset(never.split())) for path, need, never in (
        ("conn", "conn_state", ""),
        ("dns", "trans_id query", ""),
        ("http", "trans_depth request_body_len", "call_id"),
        ("ssl", "resumed established", ""),
        ("dhcp", "msg_types", ""),
        ("notice", "note", ""),
        ("weird", "name notice", "note"),
        ("files", "fuid seen_bytes", ""),
        ("modbus", "func", ("matched and_mask write_start_address conformity_level_code"
                            " request_values address")),
        ("modbus_detailed", "func matched", ""),
        ("modbus_mask_write_register", "and_mask or_mask", ""),
        ("modbus_read_write_multiple_registers", "write_start_address read_start_address", ""),
        ("modbus_read_device_identification", "conformity_level_code", ""),
        ("dnp3", "fc_request", ""),
        ("dnp3", "fc_reply", ""),
        ("dnp3_control", "block_type trip_control_code", ""),
        ("dnp3_objects", "object_type range_low function_code", ""),
        ("s7comm", "rosctr_code", ""),
        ("s7comm_plus", "opcode_name", ""),
        ("s7comm_read_szl", "szl_id", ""),
        ("s7comm_upload_download", "blocklength", ""),
        ("s7comm_known_devices", "module_serial", ""),
        ("cotp", "pdu_code pdu_name", ""),
        ("enip", "enip_command", ""),
        ("cip", "cip_service", ""),
        ("cip_io", "io_data", ""),
        ("cip_identity", "vendor_name device_type_name", ""),
        ("bacnet", "bvlc_function", ""),
        ("bacnet_discovery", "device_id_number", ""),
        ("bacnet_property", "property instance_number", ""),
        ("bacnet_device_control", "device_state", ""),
        ("opcua_binary", "msg_type is_final", ""),
        ("hart_ip_general", "header_message_id header_status_code", ""),
        ("synchrophasor", "data_stream_id frame_size_min", ""),
        ("synchrophasor_cmd", "command frame_type", ""),
        ("profinet_io_cm", "operation_num rpc_version", ""),
    ))


def infer_path(fields: Iterable[str]) -> str | None:
    """The log path a record with these fields must be from, or ``None`` if not one."""
    present = frozenset(fields)
    found = {path for path, need, never in INFERENCE
             if need <= present and not never & present}
    return found.pop() if len(found) == 1 else None


__all__ = ["INFERENCE", "MAPPERS", "STANDARD", "TIME_FIELDS", "endpoints", "infer_path", "map_record"]
