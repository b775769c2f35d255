"""Zeek parser behaviour the golden files do not spell out one rule at a time.

The fixtures are a plant cell: PLC 10.20.3.17, HMI 10.20.1.5, historian 10.20.2.10
polling it, engineering workstation 10.20.1.21. ``render_tsv``/``render_json`` write a
typed record the way Zeek's ASCII and JSON writers do, so one record can be read both ways
(the differential tests) and hypothesis can make records of any content.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ParseError
from ironwatch.parsers import zeek
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse, parse_json
from ironwatch.parsers.zeek import (
    NO_HEADER_FORMAT,
    ZeekJsonFlavour,
    ZeekParser,
    ZeekTsvFramer,
    build_event,
    looks_like_zeek_tsv,
    loop_reader,
    read_header,
    unrolled_reader,
    zeek_path_from_filename,
)
from ironwatch.parsers.zeek_ot_codes import OPERATIONS

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
T0 = 1_795_773_600_123_456        # 2026-11-27T10:00:00.123456Z
CTX = ParseContext(received_us=RECEIVED)
PARSER = ZeekParser()
FLAVOUR = ZeekJsonFlavour()
PLC, HMI, HISTORIAN, EWS = "10.20.3.17", "10.20.1.5", "10.20.2.10", "10.20.1.21"
Schema = list[tuple[str, str]]
ID = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
      ("id.resp_h", "addr"), ("id.resp_p", "port")]
ICSNPP = [*ID, ("is_orig", "bool"), ("source_h", "addr"), ("source_p", "port"),
          ("destination_h", "addr"), ("destination_p", "port")]


# --- writing records as Zeek does ----------------------------------------------------------

def header(path: str | None, schema: Schema, sep: str = "\t", set_sep: str = ",",
           empty: str = "(empty)", unset: str = "-") -> str:
    lines = [f"#separator \\x{ord(sep):02x}", f"#set_separator{sep}{set_sep}",
             f"#empty_field{sep}{empty}", f"#unset_field{sep}{unset}"]
    if path:
        lines.append(f"#path{sep}{path}")
    lines += ["#open\t2026-11-27-10-00-00".replace("\t", sep),
              sep.join(["#fields", *(name for name, _ in schema)]),
              sep.join(["#types", *(ztype for _, ztype in schema)])]
    return "\n".join(lines)


def escape(text: str, specials: str) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in "\\" + specials
                   else f"\\x{b:02x}" for b in text.encode())


def render_value(value: Any, ztype: str, sep: str, set_sep: str) -> str:
    if value is None:
        return "-"
    if ztype.startswith(("set[", "vector[")):
        inner = ztype[ztype.index("[") + 1:-1]
        return ",".join(render_value(v, inner, sep, sep + set_sep) for v in value) \
            if value else "(empty)"
    if ztype == "time":
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"
    if ztype in ("interval", "double"):
        return repr(value)
    if ztype == "bool":
        return "T" if value else "F"
    if isinstance(value, int):
        return str(value)
    if value == "":
        return "(empty)"
    return "\\x2d" if value == "-" else escape(value, sep + set_sep)


def render_tsv(record: dict[str, Any], schema: Schema, sep: str = "\t") -> bytes:
    return sep.join(render_value(record.get(name), ztype, sep, ",")
                    for name, ztype in schema).encode()


def render_json(path: str | None, record: dict[str, Any], schema: Schema) -> bytes:
    document: dict[str, Any] = {"_path": path} if path else {}
    for name, ztype in schema:
        value = record.get(name)
        if value is not None:
            document[name] = value / 1e6 if ztype == "time" else value
    return orjson.dumps(document)


def tsv(path: str, schema: Schema, record: dict[str, Any]) -> dict[str, Any]:
    ctx = ParseContext(received_us=RECEIVED, options=header(path, schema))
    return PARSER.parse(render_tsv(record, schema), ctx)


def from_json(path: str, schema: Schema, record: dict[str, Any]) -> dict[str, Any]:
    return PARSER.parse(render_json(path, record, schema), CTX)


# --- plant fixtures: (path, schema, typed record) -----------------------------------------

CONN = [*ID, ("proto", "enum"), ("service", "string"), ("duration", "interval"),
        ("orig_bytes", "count"), ("resp_bytes", "count"), ("conn_state", "string"),
        ("local_orig", "bool"), ("local_resp", "bool"), ("missed_bytes", "count"),
        ("history", "string"), ("orig_pkts", "count"), ("orig_ip_bytes", "count"),
        ("resp_pkts", "count"), ("resp_ip_bytes", "count"), ("tunnel_parents", "set[string]")]
POLL = {"ts": T0, "uid": "CPlc17Hist0001", "id.orig_h": HISTORIAN, "id.orig_p": 50211,
        "id.resp_h": PLC, "id.resp_p": 502}
MODBUS_DETAILED = [*ID, ("tid", "count"), ("unit", "count"), ("func", "string"),
                   ("address", "count"), ("quantity", "count"), ("request_values", "vector[count]"),
                   ("response_values", "vector[count]"), ("matched", "bool"),
                   ("exception_code", "string"), ("mei_type", "string")]
FIXTURES: list[tuple[str, Schema, dict[str, Any]]] = [
    ("conn", CONN, {**POLL, "proto": "tcp", "service": "modbus", "duration": 0.012345,
                    "orig_bytes": 120, "resp_bytes": 240, "conn_state": "SF", "local_orig": True,
                    "local_resp": True, "missed_bytes": 0, "history": "ShADadFf", "orig_pkts": 6,
                    "orig_ip_bytes": 440, "resp_pkts": 5, "resp_ip_bytes": 508,
                    "tunnel_parents": []}),
    ("dns", [*ID, ("proto", "enum"), ("trans_id", "count"), ("query", "string"),
             ("qtype_name", "string"), ("rcode_name", "string"), ("RD", "bool"),
             ("answers", "vector[string]"), ("TTLs", "vector[interval]")],
     {**POLL, "id.resp_h": "10.20.0.53", "id.resp_p": 53, "proto": "udp", "trans_id": 4711,
      "query": "historian.plant.local", "qtype_name": "A", "rcode_name": "NOERROR", "RD": True,
      "answers": [HISTORIAN], "TTLs": [300.0]}),
    ("modbus_detailed", MODBUS_DETAILED,
     {**POLL, "id.orig_h": EWS, "tid": 17, "unit": 1, "func": "WRITE_MULTIPLE_REGISTERS",
      "address": 40100, "quantity": 3, "request_values": [1500, 0, 65535], "matched": True}),
    ("s7comm", [*ICSNPP, ("rosctr_name", "string"), ("function_code", "string"),
                ("function_name", "string"), ("subfunction_code", "string")],
     {**POLL, "id.orig_h": EWS, "id.resp_p": 102, "is_orig": True, "source_h": EWS,
      "source_p": 50211, "destination_h": PLC, "destination_p": 102,
      "rosctr_name": "Job-Request", "function_code": "0x29", "function_name": "PLC Stop"}),
    ("opcua_binary_write", [*ICSNPP, ("node_id_namespace_idx", "count"),
                            ("node_id_string", "string"), ("attribute_id_str", "string")],
     {**POLL, "id.orig_h": HMI, "id.resp_p": 4840, "is_orig": True, "source_h": HMI,
      "source_p": 50211, "destination_h": PLC, "destination_p": 4840, "node_id_namespace_idx": 2,
      "node_id_string": "Line4.Setpoint\tmax", "attribute_id_str": "Value"}),
]


@pytest.mark.parametrize(("path", "schema", "record"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_tsv_and_json_of_the_same_record_normalize_identically(
        path: str, schema: Schema, record: dict[str, Any]) -> None:
    assert tsv(path, schema, record) == from_json(path, schema, record)


# --- values and types --------------------------------------------------------------------

def test_types_become_python_values() -> None:
    path, schema, record = FIXTURES[0]
    ev = tsv(path, schema, record)
    assert ev["@timestamp"] == T0 == ev["zeek.conn.ts"]
    assert ev["zeek.conn.id.orig_p"] == 50211 and ev["zeek.conn.duration"] == 0.012345
    assert ev["zeek.conn.local_orig"] is True and ev["zeek.conn.tunnel_parents"] == []
    assert ev["event.dataset"] == "zeek.conn" and ev["event.module"] == "zeek"


def test_escapes_sets_empty_and_unset() -> None:
    schema = [("ts", "time"), ("s", "string"), ("e", "string"), ("u", "string"),
              ("tags", "set[string]"), ("v", "vector[count]"), ("none", "set[string]")]
    line = ("1795773600.123456\ta\\x09b\\x2c\\xc3\\xa4\\xd2\t(empty)\t-\tx\\x2cy,z\t1,2\t(empty)")
    ev = PARSER.parse(line.encode(), ParseContext(RECEIVED, options=header("t", schema)))
    assert ev["zeek.t.s"] == "a\tb,ä\\xd2"      # not UTF-8: stays as Zeek spells it
    assert ev["zeek.t.e"] == "" and "zeek.t.u" not in ev
    assert ev["zeek.t.tags"] == ["x,y", "z"] and ev["zeek.t.v"] == [1, 2]
    assert ev["zeek.t.none"] == []


def test_other_separators_and_markers() -> None:
    schema = [("ts", "time"), ("a", "string"), ("b", "set[count]"), ("c", "count")]
    options = header("t", schema, sep="|", set_sep=";", empty="EMPTY", unset="NA")
    ev = PARSER.parse(b"1795773600.5|x\\x7cy|1;2|NA", ParseContext(RECEIVED, options=options))
    assert ev["@timestamp"] == 1_795_773_600_500_000
    assert ev["zeek.t.a"] == "x|y" and ev["zeek.t.b"] == [1, 2] and "zeek.t.c" not in ev


def test_header_without_types_reads_text_and_the_time() -> None:
    options = "#separator \\x09\n#path\tmodbus\n#fields\tts\tfunc\tunit"
    ev = PARSER.parse(b"1795773600.123456\tREAD_COILS\t1", ParseContext(RECEIVED, options=options))
    assert ev["@timestamp"] == T0 and ev["zeek.modbus.unit"] == "1"
    assert ev["ot.operation"] == "read" and ev["ot.unit_id"] == 1


@pytest.mark.parametrize(("line", "options", "reason"), [
    (b"1795773600.1\tx", "", "without its #fields header"),
    (b"1795773600.1\tx", "#separator \\x09\n#path\tconn", "without its #fields header"),
    (b"1795773600.1", header("t", [("ts", "time"), ("a", "count")]), "has 1 fields"),
    (b"1795773600.1\tX", header("t", [("ts", "time"), ("a", "bool")]), "field 'a'"),
    (b"1795773600.1\t1x", header("t", [("ts", "time"), ("a", "count")]), "field 'a'"),
    (b"yesterday\t1", header("t", [("ts", "time"), ("a", "count")]), "field 'ts'"),
    (b"#close\t2026", header("t", [("ts", "time"), ("a", "count")]), "header line"),
    (b"1\t2", "#fields\tts\ta\n#types\ttime", "1 #types"),
    (b"1\t2", header("bad path", [("ts", "time"), ("a", "count")]), "not a log name"),
])
def test_unreadable_lines_name_the_reason(line: bytes, options: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason) as info:
        PARSER.parse(line, ParseContext(RECEIVED, options=options))
    assert info.value.parser == "zeek"


def test_read_header_spells_out_the_markers() -> None:
    h = read_header(header("dnp3", [("ts", "time"), ("fc_request", "string")], sep="|"))
    assert (h.separator, h.set_separator, h.empty_field, h.unset_field) == ("|", ",", "(empty)", "-")
    assert h.path == "dnp3" and h.fields == ("ts", "fc_request")


# --- files: framing, names, detection ----------------------------------------------------

def _file(path: str, schema: Schema, records: list[dict[str, Any]]) -> list[bytes]:
    return [line.encode() for line in header(path, schema).split("\n")] + \
        [render_tsv(r, schema) for r in records] + [b"#close\t2026-11-27-11-00-00"]


def test_framer_pins_each_header_and_switches_on_concatenated_logs() -> None:
    conn = _file("conn", CONN, [FIXTURES[0][2]] * 2)
    modbus = _file("modbus_detailed", MODBUS_DETAILED, [FIXTURES[2][2]])
    framer = ZeekTsvFramer()
    groups = framer.feed(conn[:9]) + framer.feed([b"\n".join(conn[9:10]) + b"\r\n", *conn[10:]])
    groups += framer.feed(modbus)
    assert [len(lines) for _, lines in groups] == [1, 1, 1]  # the feed boundary splits a group
    formats = [fmt for fmt, _ in groups]
    assert formats[0] == formats[1] != formats[2]
    assert formats[0] == "zeek\n" + header("conn", CONN) and groups[1][1][0].endswith(b"(empty)")
    for fmt, lines in groups:
        for line in lines:
            _, ev = parse(line, CTX, fmt)
            assert ev["event.dataset"] in ("zeek.conn", "zeek.modbus_detailed")


def test_framer_dead_letters_lines_without_a_header() -> None:
    conn = _file("conn", CONN, [FIXTURES[0][2]])
    groups = ZeekTsvFramer().feed([b"stray line", *conn, b"after close"])
    assert [fmt for fmt, _ in groups] == [NO_HEADER_FORMAT, "zeek\n" + header("conn", CONN),
                                          NO_HEADER_FORMAT]
    assert groups[0][1] == [b"stray line"] and groups[2][1] == [b"after close"]


def test_file_detection_and_log_names() -> None:
    assert looks_like_zeek_tsv(b"#separator \\x09\n#set_separator\t,")
    assert looks_like_zeek_tsv(b"\xef\xbb\xbf#separator \\x09")
    assert not looks_like_zeek_tsv(b'{"ts":1}') and not looks_like_zeek_tsv(b"#fields\tts")
    for name, path in [("conn.log", "conn"), ("conn.00:00:00-01:00:00.log.gz", "conn"),
                       ("/var/zeek/2026-11-27/modbus_detailed.log", "modbus_detailed"),
                       ("dnp3.2026-11-27-10-00-00.log", "dnp3"), ("s7comm.log.1", "s7comm"),
                       ("notes.txt", None), ("conn.log.tar", None), ("", None)]:
        assert zeek_path_from_filename(name) == path, name


# --- JSON ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("document", "claimed"), [
    ({"ts": 1.5, "uid": "CHhAvVGS1DHFjwGM9", "id.orig_h": HMI}, True),
    ({"ts": 1.5, "_path": "modbus", "func": "READ_COILS"}, True),
    ({"ts": 1.5, "id": {"orig_h": HMI, "resp_h": PLC}}, True),
    ({"ts": 1.5, "fuid": "FhwjYM0FvE3qnYn2j"}, True),
    ({"timestamp": "2026-11-27T10:00:00Z", "event_type": "alert", "src_ip": HMI}, False),
    ({"ts": 1.5, "event_type": "flow", "id.orig_h": HMI}, False),
    ({"@timestamp": "2026-11-27T10:00:00Z", "winlog": {"event_id": 4624}}, False),
    ({"ts": 1.5, "uid": 1000, "user": "opr"}, False),
    ({"ts": "2026-11-27", "uid": "u-17", "msg": "batch started"}, False),
])
def test_json_flavour_claims_only_zeek(document: dict[str, object], claimed: bool) -> None:
    assert FLAVOUR.claims(document) is claimed


def test_json_through_the_registry_and_path_sources() -> None:
    doc = {"ts": 1795773600.123456, "uid": "CPlc17Hist0001", "id.orig_h": HISTORIAN,
           "id.orig_p": 50211, "id.resp_h": PLC, "id.resp_p": 502, "proto": "tcp",
           "conn_state": "SF", "_write_ts": 1795773601.0}
    used, ev = parse_json(orjson.dumps(doc), CTX)
    assert used == "zeek" and ev["event.dataset"] == "zeek.conn" and ev["@timestamp"] == T0
    assert "zeek.conn._write_ts" not in ev and ev["network.transport"] == "tcp"
    _, ev = parse(orjson.dumps({**doc, "_path": "conn_long"}), CTX, "json")
    assert ev["event.dataset"] == "zeek.conn_long"
    ctx = ParseContext(RECEIVED, options="#path\tmodbus")
    assert PARSER.parse(b'{"ts": 1, "func": "READ_COILS"}', ctx)["event.dataset"] == "zeek.modbus"
    # fields of more than one log, or of none: zeek.unknown
    assert PARSER.parse(b'{"ts": 1, "query": "x", "trans_id": 1, "conn_state": "S0"}',
                        CTX)["event.dataset"] == "zeek.unknown"


@pytest.mark.parametrize(("value", "us"), [
    (1795773600.123456, T0), ("2026-11-27T10:00:00.123456Z", T0), (1795773600123, T0 - 456),
    ("1795773600.123456", T0), (1795773600, T0 - 123456)])
def test_json_time_spellings(value: object, us: int) -> None:
    assert PARSER.parse(orjson.dumps({"ts": value, "_path": "weird"}), CTX)["@timestamp"] == us


@pytest.mark.parametrize("raw", [b'{"ts": true, "_path": "conn"}', b'{"ts": "noon", "_path": "x"}',
                                 b'[1, 2]', (b'{"ts": 1, "_path": "conn", "orig_ip_bytes": "a",'
                                             b' "resp_ip_bytes": 1}'),
                                 b'{"ts": 1e300, "_path": "conn"}'])
def test_bad_json_is_a_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        PARSER.parse(raw, CTX)


# --- ECS of the standard logs ------------------------------------------------------------

def test_conn_to_ecs() -> None:
    ev = tsv(*FIXTURES[0])
    assert (ev["source.ip"], ev["source.port"], ev["destination.ip"], ev["destination.port"]) == \
        (HISTORIAN, 50211, PLC, 502)
    assert ev["network.transport"] == "tcp" and ev["network.protocol"] == "modbus"
    assert ev["event.duration"] == 12_345_000 and ev["network.direction"] == "internal"
    assert ev["network.bytes"] == 948 and ev["network.packets"] == 11
    assert ev["event.category"] == ["network"] and ev["related.ip"] == [HISTORIAN, PLC]


def _build(path: str, **fields: Any) -> dict[str, Any]:
    return build_event(path, {"ts": T0, **{k.replace("__", "."): v for k, v in fields.items()}}, CTX)


def test_dns_http_ssl_notice_weird_dhcp_files() -> None:
    dns = tsv(*FIXTURES[1])
    assert dns["dns.question.name"] == "historian.plant.local" and dns["dns.resolved_ip"] == [HISTORIAN]
    assert dns["dns.header_flags"] == ["RD"] and dns["dns.type"] == "answer"
    http = _build("http", method="GET", host="hist01", uri="/api/tags?name=FIC101",
                  status_code=200, user_agent="curl/8", resp_mime_types=["application/json"])
    assert (http["url.path"], http["url.query"], http["http.response.status_code"]) == \
        ("/api/tags", "name=FIC101", 200)
    assert http["http.response.mime_type"] == "application/json" and http["url.domain"] == "hist01"
    ssl = _build("ssl", version="TLSv12", server_name="hist01.plant.local", established=True)
    assert (ssl["tls.version"], ssl["tls.version_protocol"]) == ("1.2", "tls")
    assert ssl["tls.client.server_name"] == "hist01.plant.local"
    notice = _build("notice", note="Scan::Port_Scan", msg="10.20.9.9 scanned 40 ports", src="10.20.9.9")
    assert notice["event.kind"] == "alert" and notice["rule.name"] == "Scan::Port_Scan"
    assert notice["source.ip"] == "10.20.9.9" and notice["message"].endswith("40 ports")
    weird = _build("weird", name="bad_TCP_checksum", addl="", notice=False)
    assert weird["rule.name"] == weird["message"] == "bad_TCP_checksum"
    dhcp = _build("dhcp", client_addr="10.20.3.40", mac="00:1b:1b:aa:bb:cc", msg_types=["ACK"])
    assert dhcp["client.ip"] == "10.20.3.40" and dhcp["client.mac"] == "00-1B-1B-AA-BB-CC"
    files = _build("files", fuid="FhwjYM0FvE3qnYn2j", filename="OB1.mc7", total_bytes=4096,
                   sha256="ab" * 32, tx_hosts=[EWS], rx_hosts=[PLC])
    assert files["file.name"] == "OB1.mc7" and files["file.size"] == 4096
    assert files["source.ip"] == EWS and files["file.hash.sha256"] == "ab" * 32


def test_icsnpp_true_direction_wins_over_the_connection_tuple() -> None:
    ev = _build("cotp", id__orig_h=EWS, id__orig_p=50100, id__resp_h=PLC, id__resp_p=102,
                is_orig=False, source_h=PLC, source_p=102, destination_h=EWS, destination_p=50100,
                pdu_code="0x0d", pdu_name="CC Connection Confirm")
    assert (ev["source.ip"], ev["destination.ip"], ev["ot.message_type"]) == (PLC, EWS, "response")
    assert ev["zeek.cotp.id.orig_h"] == EWS and ev["ot.operation"] == "session"


# --- ot.operation per protocol -----------------------------------------------------------

OPERATION_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("modbus", {"func": "READ_HOLDING_REGISTERS"}, "read"),
    ("modbus", {"func": "READ_INPUT_REGISTERS"}, "read"),
    ("modbus", {"func": "WRITE_SINGLE_COIL"}, "write"),
    ("modbus", {"func": "WRITE_MULTIPLE_REGISTERS_EXCEPTION", "exception": "ILLEGAL_DATA_ADDRESS"}, "write"),
    ("modbus", {"func": "MASK_WRITE_REGISTER"}, "write"),
    ("modbus", {"func": "READ_WRITE_MULTIPLE_REGISTERS"}, "write"),
    ("modbus_detailed", {"func": "DIAGNOSTICS", "request_subfunction_code": "Return Query Data"}, "diagnostic"),
    ("modbus_detailed", {"func": "DIAGNOSTICS", "request_subfunction_code": "Restart Communications Option"}, "mode_change"),
    ("modbus_detailed", {"func": "ENCAP_INTERFACE_TRANSPORT", "mei_type": "Read Device Identification"}, "discovery"),
    ("modbus", {"func": "REPORT_SLAVE_ID"}, "discovery"),
    ("modbus", {"func": "unknown-90"}, "other"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x04", "function_name": "Read Variable"}, "read"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x05", "function_name": "Write Variable"}, "write"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x1a", "function_name": "Request Download"}, "program_download"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x1d", "function_name": "Start Upload"}, "program_upload"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x29", "function_name": "PLC Stop"}, "mode_change"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x28", "subfunction_code": "P_PROGRAM"}, "mode_change"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0x28", "subfunction_code": "_INSE"}, "program_download"),
    ("s7comm", {"rosctr_code": 7, "function_code": "0x44", "subfunction_name": "Read SZL"}, "diagnostic"),
    ("s7comm", {"rosctr_code": 7, "function_code": "0x47", "subfunction_name": "Set Clock"}, "write"),
    ("s7comm", {"rosctr_name": "Job-Request", "function_code": "0xf0"}, "session"),
    ("s7comm_upload_download", {"function_name": "Download Block"}, "program_download"),
    ("s7comm_read_szl", {"szl_id": "0x0011"}, "discovery"),
    ("s7comm_read_szl", {"szl_id": "0x0424"}, "diagnostic"),
    ("s7comm_plus", {"opcode_name": "Request", "function_name": "Set Variable"}, "write"),
    ("s7comm_plus", {"opcode_name": "Notification"}, "read"),
    ("cotp", {"pdu_code": "0x0e"}, "session"),
    ("dnp3", {"fc_request": "READ", "fc_reply": "RESPONSE"}, "read"),
    ("dnp3", {"fc_request": "DIRECT_OPERATE"}, "control"),
    ("dnp3", {"fc_request": "OPERATE"}, "control"),
    ("dnp3", {"fc_request": "COLD_RESTART"}, "mode_change"),
    ("dnp3", {"fc_request": "WARM_RESTART"}, "mode_change"),
    ("dnp3", {"fc_request": "WRITE"}, "write"),
    ("dnp3", {"fc_request": "DISABLE_UNSOLICITED"}, "control"),
    ("dnp3", {"fc_reply": "UNSOLICITED_RESPONSE"}, "read"),
    ("dnp3_control", {"function_code": "SELECT", "block_type": "Control Relay Output Block"}, "control"),
    ("dnp3_objects", {"function_code": "RESPONSE", "object_type": "Binary Input"}, "read"),
    ("enip", {"enip_command_code": "0x63", "enip_command": "List Identity"}, "discovery"),
    ("enip", {"enip_command_code": "0x65", "enip_command": "Register Session"}, "session"),
    ("cip", {"cip_service_code": "0x0e", "cip_service": "Get Attribute Single"}, "read"),
    ("cip", {"cip_service_code": "0x10", "cip_service": "Set Attribute Single"}, "write"),
    ("cip", {"cip_service_code": "0x05", "cip_service": "Reset"}, "mode_change"),
    ("cip", {"cip_service_code": "0x4c", "cip_service": "Read Tag"}, "read"),
    ("cip", {"cip_service_code": "0x4d", "cip_service": "Write Tag"}, "write"),
    ("cip", {"cip_service_code": "0x54", "cip_service": "Forward Open"}, "session"),
    ("cip_identity", {"vendor_name": "Rockwell Automation/Allen-Bradley"}, "discovery"),
    ("bacnet", {"pdu_type": "CONFIRMED_REQUEST", "pdu_service": "write_property"}, "write"),
    ("bacnet", {"pdu_type": "CONFIRMED_REQUEST", "pdu_service": "read_property"}, "read"),
    ("bacnet", {"pdu_type": "CONFIRMED_REQUEST", "pdu_service": "reinitialize_device"}, "mode_change"),
    ("bacnet", {"pdu_type": "CONFIRMED_REQUEST", "pdu_service": "device_communication_control"}, "control"),
    ("bacnet", {"pdu_type": "UNCONFIRMED_REQUEST", "pdu_service": "who_is"}, "discovery"),
    ("bacnet_property", {"pdu_service": "write-property"}, "write"),
    ("bacnet_device_control", {"pdu_service": "reinitialize_device", "device_state": "coldstart"}, "mode_change"),
    ("opcua_binary", {"msg_type": "MSG", "req_identifier_str": "WriteRequest"}, "write"),
    ("opcua_binary", {"msg_type": "MSG", "identifier_str": "CallRequest"}, "control"),
    ("opcua_binary", {"msg_type": "MSG", "req_identifier_str": "GetEndpointsRequest"}, "discovery"),
    ("opcua_binary", {"msg_type": "HEL"}, "session"),
    ("opcua_binary_write", {}, "write"),
    ("opcua_binary_read_nodes_to_read", {}, "read"),
    ("opcua_binary_create_session_user_token", {}, "session"),
    ("opcua_binary_status_code_detail", {"sub_code_str": "Good", "severity_str": "Severity_Good"}, "other"),
    ("hart_ip_general", {"header_message_id": "Session Initiate", "header_message_type_message_type": "Request"}, "session"),
    ("hart_ip_general", {"header_message_id": "Token Passing PDU",
                         "token_passing_pdu_command_number": "Read Primary Variable"}, "read"),
    ("hart_ip_general", {"header_message_id": "Token Passing PDU",
                         "token_passing_pdu_command_number": "Read Unique Identifier"}, "discovery"),
    ("hart_ip_direct_pdu_command", {"direct_pdu_command_command_number": "Perform Device Reset"}, "mode_change"),
    ("hart_ip_universal_commands", {"write_polling_address_polling_address_device": 3}, "write"),
    ("synchrophasor_cmd", {"command": "Data off"}, "control"),
    ("synchrophasor_cmd", {"command": "Send CFG-2"}, "read"),
    ("synchrophasor_data", {"frame_type": "Data"}, "read"),
    ("profinet_io_cm", {"packet_type": "Request", "operation_num": "Write"}, "write"),
    ("profinet_io_cm", {"packet_type": "Request", "operation_num": "Connect"}, "session"),
    ("profinet_io_cm", {"packet_type": "Request", "operation_num": "Control"}, "control"),
]


@pytest.mark.parametrize(("path", "fields", "operation"), OPERATION_CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(OPERATION_CASES)])
def test_operation_class(path: str, fields: dict[str, Any], operation: str) -> None:
    ev = build_event(path, {"ts": T0, "id.orig_h": EWS, "id.resp_h": PLC, **fields}, CTX)
    assert ev["ot.operation"] == operation and operation in OPERATIONS
    assert ev["ot.protocol"] and ev["network.protocol"] == ev["ot.protocol"]


def test_ot_detail_fields() -> None:
    mb = tsv(*FIXTURES[2])
    assert (mb["ot.function.code"], mb["ot.unit_id"], mb["ot.address"], mb["ot.quantity"]) == \
        (16, 1, "40100", 3)
    assert mb["ot.values"] == ["1500", "0", "65535"] and mb["ot.object.type"] == "holding_register"
    s7 = tsv(*FIXTURES[3])
    assert (s7["ot.function.code"], s7["ot.message_type"], s7["event.action"]) == (0x29, "request", "PLC Stop")
    ua = tsv(*FIXTURES[4])
    assert ua["ot.address"] == "ns=2;s=Line4.Setpoint\tmax" and ua["ot.object.property"] == "Value"
    exc = _build("modbus", func="READ_HOLDING_REGISTERS_EXCEPTION", exception="ILLEGAL_DATA_ADDRESS")
    assert exc["ot.exception"] == "ILLEGAL_DATA_ADDRESS" and exc["event.outcome"] == "failure"
    ident = _build("cip_identity", vendor_name="Rockwell Automation/Allen-Bradley",
                   product_name="1756-L85E/B", revision="33.11", serial_number="0x00524d8e")
    assert (ident["ot.device.vendor"], ident["ot.device.product"], ident["ot.device.firmware"],
            ident["ot.device.serial"]) == ("Rockwell Automation/Allen-Bradley", "1756-L85E/B",
                                           "33.11", "0x00524d8e")
    bac = _build("bacnet_discovery", pdu_service="i-am", device_id_number=4012, vendor="Siemens")
    assert bac["ot.unit_id"] == 4012 and bac["ot.message_type"] == "response"


# --- generated records: differential and robustness -------------------------------------

_TEXT = st.text(st.characters(exclude_characters="\\", exclude_categories=["Cs"]), max_size=12)
_TYPED: dict[str, st.SearchStrategy[Any]] = {
    "string": _TEXT, "addr": st.ip_addresses().map(str), "port": st.integers(0, 65535),
    "count": st.integers(0, 2**64 - 1), "int": st.integers(-2**63, 2**63 - 1),
    "double": st.floats(allow_nan=False, allow_infinity=False), "interval": st.floats(0, 1e6),
    "bool": st.booleans(), "time": st.integers(0, 4_102_444_800_000_000),
    # a set holding just "" is written "(empty)" like the empty set: Zeek cannot tell them apart
    "set[string]": st.lists(_TEXT.filter(bool), max_size=4), "vector[count]": st.lists(st.integers(0, 2**32), max_size=4),
}
GENERATED = [("ts", "time"), ("uid", "string"), ("id.orig_h", "addr"), ("id.orig_p", "port"),
             ("id.resp_h", "addr"), ("id.resp_p", "port"), ("func", "string"),
             ("unit", "count"), ("address", "count"), ("offset", "int"), ("scale", "double"),
             ("rtt", "interval"), ("matched", "bool"), ("tags", "set[string]"),
             ("request_values", "vector[count]"), ("exception_code", "string")]
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = {name: draw(st.none() | _TYPED[ztype]) for name, ztype in GENERATED}
    record["ts"] = draw(_TYPED["time"])
    return record


@SETTINGS
@given(record=records(), path=st.sampled_from(["modbus_detailed", "conn", "mystery"]))
def test_generated_records_agree_as_tsv_and_json(record: dict[str, Any], path: str) -> None:
    as_tsv = tsv(path, GENERATED, record)
    assert as_tsv == from_json(path, GENERATED, record)
    for name, _ in GENERATED:
        value = record[name]
        assert as_tsv.get(f"zeek.{path}.{name}") == value or (
            value is not None and isinstance(value, float) and math.isclose(
                as_tsv[f"zeek.{path}.{name}"], value))


@SETTINGS
@given(record=records(), path=st.sampled_from(["modbus_detailed", None]))
def test_unrolled_and_loop_readers_agree(record: dict[str, Any], path: str | None) -> None:
    h = read_header(header(path, GENERATED))
    keys = tuple(f"zeek.{path}.{f}" for f in h.fields) if path else None
    args = (h.fields, keys, h.converters, h.empty_field, h.unset_field)
    values = render_tsv(record, GENERATED).decode().split("\t")
    assert unrolled_reader(*args)(values) == loop_reader(*args)(values)


def test_wide_headers_are_read_by_the_loop() -> None:
    schema = [("ts", "time"), *((f"slot{i}", "count") for i in range(700))]
    record = {"ts": T0, **{f"slot{i}": i for i in range(0, 700, 7)}}
    ev = tsv("hart_ip_universal_commands", schema, record)
    assert ev["zeek.hart_ip_universal_commands.slot693"] == 693
    assert "zeek.hart_ip_universal_commands.slot1" not in ev and ev["ot.protocol"] == "hart_ip"


_LINE = render_tsv(FIXTURES[2][2], MODBUS_DETAILED)
_HEADER = header("modbus_detailed", MODBUS_DETAILED)


@SETTINGS
@given(raw=st.binary(max_size=300) | st.integers(0, len(_LINE)).map(lambda n: _LINE[:n]),
       options=st.sampled_from(["", _HEADER]) | st.text(max_size=200))
def test_any_input_is_an_event_or_a_parse_error(raw: bytes, options: str) -> None:
    try:
        ev = PARSER.parse(raw, ParseContext(RECEIVED, options=options))
    except ParseError as exc:
        assert exc.reason and exc.parser == "zeek"
        return
    assert isinstance(ev["@timestamp"], int)
    assert not any(isinstance(v, dict) for v in ev.values())


@SETTINGS
@given(document=st.dictionaries(
    st.sampled_from(["ts", "_path", "uid", "id.orig_h", "id.orig_p", "func", "unit",
                     "fc_request", "pdu_service", "msg_type", "cip_service_code", "orig_ip_bytes",
                     "resp_ip_bytes", "duration", "answers", "id", "address"]),
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.lists(st.integers() | st.text(max_size=4), max_size=3)
    | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2), max_size=10))
def test_any_json_document_is_an_event_or_a_parse_error(document: dict[str, Any]) -> None:
    try:
        ev = PARSER.parse(orjson.dumps(document), CTX)
    except (ParseError, orjson.JSONEncodeError):
        return
    assert isinstance(ev["@timestamp"], int)


def test_zeek_is_registered() -> None:
    assert zeek.PARSERS[0].name == "zeek" and zeek.FLAVOURS[0].name == "zeek"
    _, ev = parse(_LINE, CTX, "zeek\n" + _HEADER)
    assert ev["ot.operation"] == "write" and ev["source.ip"] == EWS
