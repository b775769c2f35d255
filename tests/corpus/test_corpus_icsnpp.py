"""Every CISA ICSNPP baseline log row parses, with its ``ot.*`` fields.

The baselines are btest outputs, canonicalised for diffing: times are masked as
``XXXXXXXXXX.XXXXXX``, some files are sorted (so ``#close`` comes before the data), and many
drivers ran ``zeek-cut`` over the log, which drops the header and some columns (link ids,
uids, times; conn.log keeps only its tuple, proto and service). Everything is fixed at test
time, nothing derived from the corpus is committed:

* masked times become one fixed time and ``#close`` lines are dropped;
* a log with a header goes through ``ZeekTsvFramer`` as ``ironwatch import`` would;
* a header-less log takes its field names and types from a sibling log of the same name
  anywhere in the corpus, else from the field table in its folder's README, else from
  ``UPSTREAM`` below (names from ICSNPP's Zeek record definitions, for the logs whose
  READMEs point at source files instead; types are then read off the values). Where
  even that is missing (HART-IP's per-command logs of 250+ columns) the ICSNPP prefix is
  named and the rest numbered. Columns the btest drivers cut are then dropped (``CUTS``)
  until the names fit the row.

Each row must give an event of its log's dataset; each OT row an ``ot.protocol`` and an
``ot.operation`` of the schema, and, where the log has them, the function name and the
true source address the row itself holds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.zeek import NO_HEADER_FORMAT, ZeekTsvFramer
from ironwatch.parsers.zeek_ot_codes import OPERATIONS

pytestmark = pytest.mark.corpus

FIXED_TIME = b"1795773600.000000"
CTX = ParseContext(received_us=1_795_780_800_000_000)
NOT_OT = frozenset({"conn", "files"})
ID = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p"
ICSNPP = f"{ID} is_orig source_h source_p destination_h destination_p"
_NODE = "node_id_encoding_mask node_id_namespace_idx node_id_numeric node_id_string" \
        " node_id_guid node_id_opaque"
_HDR = "node_id_type node_id_namespace_idx node_id_numeric node_id_string node_id_guid" \
       " node_id_opaque"
UPSTREAM = {name: names.split() for name, names in {
    # Zeek's own modbus.log (base/protocols/modbus/main.zeek)
    "modbus": f"{ID} tid unit func pdu_type exception",
    # icsnpp-opcua-binary scripts/types.zeek, OPCUA_Binary::Info_Log
    "opcua_binary": f"{ID} msg_type is_final total_size error reason version rcv_buf_size"
                    " snd_buf_size max_msg_size max_chunk_cnt endpoint_url sec_channel_id"
                    " sec_policy_uri_len sec_policy_uri snd_cert_len snd_cert rcv_cert_len"
                    " rcv_cert request_id req_opcua_link_id req_msg_size req_seq_number"
                    " req_encoding_mask req_namespace_idx req_identifier req_identifier_str"
                    f" {' '.join('req_hdr_' + n for n in _HDR.split())} req_hdr_timestamp"
                    " req_hdr_request_handle req_hdr_return_diag req_hdr_audit_entry_id"
                    " req_hdr_timeout_hint req_hdr_add_hdr_type_id req_hdr_add_hdr_enc_mask"
                    " res_opcua_link_id res_msg_size res_seq_number res_encoding_mask"
                    " res_namespace_idx res_identifier res_identifier_str res_hdr_timestamp"
                    " res_hdr_request_handle status_code_link_id res_hdr_service_diag_encoding"
                    " res_hdr_add_hdr_type_id res_hdr_add_hdr_enc_mask",
    # write-types.zeek, read-types.zeek, statuscode-diagnostic-types.zeek,
    # activate-session-types.zeek
    "opcua_binary_write": f"{ICSNPP} opcua_link_id {_NODE} attribute_id attribute_id_str"
                          " index_range data_value_encoding_mask req_status_code_link_id"
                          " source_timestamp source_pico_sec server_timestamp server_pico_sec"
                          " write_results_variant_metadata_link_id res_status_code_link_id"
                          " diag_info_link_id",
    "opcua_binary_read_nodes_to_read": f"{ICSNPP} nodes_to_read_link_id {_NODE} attribute_id"
                                       " attribute_id_str index_range data_encoding_name_idx"
                                       " data_encoding_name",
    "opcua_binary_status_code_detail": f"{ICSNPP} status_code_link_id source source_str"
                                       " source_level status_code severity severity_str"
                                       " sub_code sub_code_str structure_changed"
                                       " semantics_changed info_type info_type_str limit_bits"
                                       " limit_bits_str overflow historian_bits"
                                       " historian_bits_str historianPartial"
                                       " historianExtraData historianMultiValue",
    "opcua_binary_activate_session": f"{ICSNPP} opcua_link_id client_algorithm client_signature"
                                     " client_software_cert_link_id opcua_locale_link_id"
                                     " ext_obj_type_id_encoding_mask ext_obj_type_id_namespace_idx"
                                     " ext_obj_type_id_numeric ext_obj_type_id_string"
                                     " ext_obj_type_id_guid ext_obj_type_id_opaque"
                                     " ext_obj_type_id_str ext_obj_encoding ext_obj_policy_id"
                                     " ext_obj_user_name ext_obj_password"
                                     " ext_obj_encryption_algorithom ext_obj_certificate_data"
                                     " ext_obj_token_data user_token_algorithm"
                                     " user_token_signature server_nonce status_code_link_id"
                                     " activate_session_diag_info_link_id",
    # icsnpp-hart-ip scripts/hart_ip_types.zeek
    "hart_ip_general": f"{ID} proto command_number_link_id direct_pdu_command_link_id"
                       " session_log_record_link_id message_packet_bytes header_version"
                       " header_message_type_reserved header_message_type_message_type"
                       " header_message_id header_status_code header_sequence_number"
                       " header_length session_initiate_master_type"
                       " session_initiate_inactivity_close_timer"
                       " token_passing_pdu_delimiter_address_type"
                       " token_passing_pdu_delimiter_expansion_bytes"
                       " token_passing_pdu_delimiter_physical_layer_type"
                       " token_passing_pdu_delimiter_frame_type token_passing_pdu_address_v4"
                       " token_passing_pdu_address_v6 token_passing_pdu_command_number"
                       " token_passing_pdu_byte_count token_passing_pdu_check_byte"
                       " token_passing_pdu_contents_data_data"
                       " token_passing_pdu_contents_response_response_code"
                       + "".join(f" token_passing_pdu_contents_response_device_status_{i}"
                                 for i in range(8))
                       + "".join(f" direct_pdu_device_status_{i}" for i in range(8))
                       + "".join(f" direct_pdu_extended_status_{i}" for i in range(7))
                       + "".join(f" read_audit_log_{i}" for i in range(9)),
    "hart_ip_direct_pdu_command": f"{ID} proto direct_pdu_command_link_id command_number_link_id"
                                  " direct_pdu_command_data_data"
                                  " direct_pdu_command_command_number"
                                  " direct_pdu_command_byte_count"
                                  " direct_pdu_contents_response_response_code",
    "hart_ip_session_record": f"{ID} proto session_log_record_link_id"
                              + "".join(f" session_log_record_{i}" for i in range(17)),
}.items()}
#: the first log field each ``ot.function.name`` must repeat
FUNCTION_COLUMN = {"modbus": "func", "modbus_detailed": "func", "dnp3_control": "function_code",
                   "s7comm": "function_name", "s7comm_plus": "function_name", "cip": "cip_service",
                   "enip": "enip_command", "bacnet": "pdu_service", "bacnet_property": "pdu_service",
                   "cotp": "pdu_name", "synchrophasor_cmd": "command",
                   "profinet_io_cm": "operation_num"}


def _drop(pattern: str) -> Callable[[list[str]], list[str]]:
    return lambda names: [n for n in names if not re.fullmatch(pattern, n)]


#: what the btest drivers cut, tried in order until the names fit the row
CUTS: tuple[Callable[[list[str]], list[str]], ...] = (
    lambda names: names,
    _drop(r".*link_id|packet_correlation_id"),
    _drop(r".*link_id|packet_correlation_id|ts|uid"),
    _drop(r"tid|unit|pdu_type"),
    lambda names: [n for n in names if n in ("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
                                             "proto", "service")],
)
_README_TYPES = {"address": "addr", "conn_id": "conn_id"}


def _type(text: str) -> str:
    m = re.fullmatch(r"(set|vector)(?: of |<)\s*(\w+)>?", text.strip())
    return f"{m.group(1)}[{m.group(2)}]" if m else _README_TYPES.get(text.strip(), text.strip())


@cache
def readme_tables(readme: Path) -> dict[str, list[tuple[str, str]]]:
    """``{log name: [(field, type)]}`` from the field tables of an ICSNPP README."""
    tables: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#+ .*\((\w+)\.log\)", line)
        if m:
            current = m.group(1)
            tables.setdefault(current, [])
        elif line.startswith("#") and not line.startswith("####"):
            current = None
        elif current and line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            row = (cells[0], _type(cells[1])) if len(cells) >= 2 else ("Field", "")
            # a log documented twice (bacnet.log: APDU and NPDU) lists its fields twice
            if row[0] != "Field" and not set(row[0]) <= set("-: ") and row not in tables[current]:
                tables[current].append(row)
    return tables


def _expand(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, ztype in fields:
        if ztype == "conn_id":
            out += [("id.orig_h", "addr"), ("id.orig_p", "port"), ("id.resp_h", "addr"),
                    ("id.resp_p", "port")]
        else:
            out.append((name, ztype))
    return out


def _value_type(name: str, column: list[str]) -> str:
    values = {v for v in column if v not in ("-", "(empty)")}
    if name == "ts":
        return "time"
    for ztype, pattern in (("bool", r"[TF]"), ("count", r"\d+"), ("int", r"-?\d+"),
                           ("double", r"-?\d+\.\d+|nan|-?inf")):
        if values and all(re.fullmatch(pattern, v) for v in values):
            return ztype
    return "string"


def _generic(rows: list[list[str]]) -> list[str]:
    first = rows[0]
    names = ID.split()
    if len(first) > 6 and first[6] in ("T", "F"):
        names = ICSNPP.split()
    elif len(first) > 6 and first[6] in ("tcp", "udp"):
        names.append("proto")
    return names + [f"column_{i}" for i in range(len(names), len(first))]


def reconstruct(corpus: Path, log: Path, rows: list[list[str]]) -> str:
    """The header a header-less baseline log lost, fitted to its rows."""
    name, width = log.stem, len(rows[0])
    candidates: list[list[tuple[str, str]]] = []
    for sibling in sorted(corpus.glob(f"icsnpp/*/*/baseline/*/{log.name}")):
        text = sibling.read_text(encoding="utf-8")
        header = dict(line.split("\t", 1) for line in text.splitlines()
                      if line.startswith(("#fields", "#types")))
        if "#fields" in header and "#types" in header:
            candidates.append(list(zip(header["#fields"].split("\t"), header["#types"].split("\t"))))
            break
    table = readme_tables(log.parents[3] / "README.md").get(name)
    if table:
        candidates.append(_expand(table))
    if name in UPSTREAM:
        candidates.append([(n, "") for n in UPSTREAM[name]])
    candidates.append([(n, "") for n in _generic(rows)])
    for fields in candidates:
        types = dict(fields)
        for cut in CUTS:
            names = cut([n for n, _ in fields])
            if len(names) == width:
                columns = list(zip(*rows))
                zeek_types = [types[n] or _value_type(n, list(columns[i]))
                              for i, n in enumerate(names)]
                return "\n".join(["#separator \\x09", "#set_separator\t,",
                                  "#empty_field\t(empty)", "#unset_field\t-", f"#path\t{name}",
                                  "\t".join(["#fields", *names]), "\t".join(["#types", *zeek_types])])
    raise AssertionError(f"no field list fits the {width} columns of {log}")


def baseline_logs(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("icsnpp/*/*/baseline/*/*.log"))


def records(corpus: Path, log: Path) -> list[tuple[str, bytes]]:
    """(pinned format, line) of every row of a baseline log, as the import would pin it."""
    lines = [line.replace(b"XXXXXXXXXX.XXXXXX", FIXED_TIME)
             for line in log.read_bytes().split(b"\n") if not line.startswith(b"#close")]
    if any(line.startswith(b"#fields") for line in lines):
        return [(fmt, line) for fmt, group in ZeekTsvFramer().feed(lines) for line in group]
    rows = [line for line in lines if line and not line.startswith(b"#")]
    if not rows:
        return []
    header = reconstruct(corpus, log, [r.decode().split("\t") for r in rows])
    return [(f"zeek\n{header}", row) for row in rows]


def test_every_baseline_row_parses_with_ot_fields(corpus: Path) -> None:
    logs = baseline_logs(corpus)
    assert len(logs) >= 200, "the ICSNPP corpus is incomplete"
    seen: Counter[str] = Counter()
    for log in logs:
        name = log.stem
        for fmt, line in records(corpus, log):
            assert fmt != NO_HEADER_FORMAT, log
            used, ev = parse(line, CTX, fmt)
            assert used == "zeek" and ev["event.dataset"] == f"zeek.{name}", (log, line)
            seen[name] += 1
            if name in NOT_OT:
                assert "ot.protocol" not in ev
                continue
            assert ev["ot.protocol"] and ev["ot.operation"] in OPERATIONS, (log, line)
            function = ev.get(f"zeek.{name}.{FUNCTION_COLUMN.get(name)}")
            if function:
                assert ev["ot.function.name"] == function, (log, line)
            if f"zeek.{name}.source_h" in ev:
                assert ev["source.ip"] == ev[f"zeek.{name}.source_h"], (log, line)
    # every log kind of the corpus was read, and the big ones in full
    assert len(seen) >= 55 and seen["bacnet_property"] > 10_000 and seen["opcua_binary"] > 100


def test_operation_classes_found_in_the_corpus(corpus: Path) -> None:
    """The corpus exercises most classes; each found where its protocol puts it."""
    found: set[tuple[str, str]] = set()
    for log in baseline_logs(corpus):
        if log.stem in NOT_OT or log.stem.startswith("synchrophasor_data"):
            continue
        for fmt, line in records(corpus, log):
            ev = parse(line, CTX, fmt)[1]
            found.add((ev["ot.protocol"], ev["ot.operation"]))
    for expected in [("modbus", "read"), ("modbus", "write"), ("modbus", "diagnostic"),
                     ("modbus", "discovery"), ("s7comm", "program_upload"),
                     ("s7comm", "mode_change"), ("s7comm", "session"), ("dnp3", "control"),
                     ("dnp3", "read"), ("cip", "read"), ("cip", "write"), ("enip", "discovery"),
                     ("bacnet", "mode_change"), ("bacnet", "control"), ("bacnet", "discovery"),
                     ("opcua", "write"), ("opcua", "session"), ("opcua", "discovery"),
                     ("hart_ip", "session"), ("synchrophasor", "control"),
                     ("profinet_io_cm", "write"), ("profinet_io_cm", "control")]:
        assert expected in found, expected
