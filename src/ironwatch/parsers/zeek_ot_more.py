"""ICSNPP logs → ``ot.*``, second half: BACnet, OPC UA, HART-IP, C37.118 and PROFINET.

The same rules as ``zeek_ot`` (whose helpers these mappers use). OPC UA, HART-IP and
C37.118 write one log per service or frame kind, so their logs are found by prefix
(``opcua_binary_*``, ``hart_ip_*``, ``synchrophasor_*``) as well as by exact name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..event import Event
from .zeek_ot import (
    Mapper,
    Record,
    code_of,
    direction,
    outcome,
    put,
    set_ot,
    text,
    values_of,
)
from .zeek_ot_codes import (
    BACNET,
    DIAGNOSTIC,
    DISCOVERY,
    HART_COMMAND_WORDS,
    HART_MESSAGES,
    OPCUA,
    OPCUA_LOGS,
    OPCUA_MESSAGES,
    OTHER,
    PROFINET,
    READ,
    SESSION,
    SYNCHROPHASOR_COMMANDS,
    norm,
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BACNET_KIND = {"confirmed_request": "request", "unconfirmed_request": "request",
                "simple_ack": "response", "complex_ack": "response", "error_pdu": "response",
                "reject_pdu": "response", "abort_pdu": "response", "segment_ack": "response"}
_PROFINET_RPC = frozenset({"ping", "working", "no_call_response_to_ping", "cancel_request",
                           "cancel_acknowledge", "fault", "reject"})


# --- BACnet ------------------------------------------------------------------------------

def bacnet_service(name: str | None) -> tuple[int | None, str]:
    """(service choice, operation) of a BACnet service as the ICSNPP logs name it."""
    if not name:
        return None, OTHER
    key = norm(name).removeprefix("error:_").removeprefix("error_")
    for suffix in ("_request", "_ack"):
        key = key.removesuffix(suffix)
    entry = BACNET.get(key)
    if entry is not None:
        return entry
    return None, DISCOVERY if "network" in key else OTHER


def _bacnet(record: Record, event: Event) -> None:
    service = text(record, "pdu_service")
    code, operation = bacnet_service(service)
    pdu_type = norm(text(record, "pdu_type") or "")
    set_ot(event, "bacnet", operation, code, service,
           _BACNET_KIND.get(pdu_type) or direction(record))
    result = text(record, "result_code")
    if result or pdu_type in ("error_pdu", "reject_pdu", "abort_pdu"):
        outcome(event, None, result or pdu_type)


def _bacnet_discovery(record: Record, event: Event) -> None:
    service = text(record, "pdu_service")
    code, _ = bacnet_service(service)
    asking = service is not None and norm(service).startswith("who")
    set_ot(event, "bacnet", DISCOVERY, code, service, "request" if asking else "response")
    put(event, "ot.unit_id", record.get("device_id_number"))
    put(event, "ot.object.type", text(record, "object_type"))
    put(event, "ot.address", text(record, "instance_number"))
    put(event, "ot.device.vendor", text(record, "vendor"))
    put(event, "ot.device.name", text(record, "object_name"))


def _bacnet_property(record: Record, event: Event) -> None:
    service = text(record, "pdu_service")
    code, operation = bacnet_service(service)
    key = norm(service or "")
    is_error = key.startswith("error")
    kind = "response" if is_error or key.endswith("_ack") else "request"
    set_ot(event, "bacnet", operation, code, service, kind)
    put(event, "ot.object.type", text(record, "object_type"))
    put(event, "ot.address", text(record, "instance_number"))
    put(event, "ot.object.property", text(record, "property"))
    put(event, "ot.values", values_of(record.get("value")))
    if is_error:
        outcome(event, None, service)


def _bacnet_device_control(record: Record, event: Event) -> None:
    service = text(record, "pdu_service")
    code, operation = bacnet_service(service)
    result = text(record, "result")
    set_ot(event, "bacnet", operation, code, service, "response" if result else "request")
    put(event, "ot.function.subfunction", text(record, "device_state"))
    if result:
        outcome(event, result, text(record, "result_code"))


# --- OPC UA ------------------------------------------------------------------------------

def opcua_service(name: str) -> tuple[str, str]:
    """(service name, operation) of ``ReadRequest``/``ReadResponse``/``Read``…"""
    service = name.removesuffix("Request").removesuffix("Response")
    return service, OPCUA.get(_CAMEL.sub("_", service).lower(), OTHER)


def node_id(record: Record, prefix: str) -> str | None:
    """An OPC UA node id from ICSNPP's flattened ``<prefix>_namespace_idx``/``_numeric``…
    fields, written as OPC UA's text form (``ns=1;s=the.answer``)."""
    for field, kind in (("numeric", "i"), ("string", "s"), ("guid", "g"), ("opaque", "b")):
        value = text(record, f"{prefix}_{field}")
        if value is not None:
            namespace = text(record, f"{prefix}_namespace_idx")
            return f"ns={namespace};{kind}={value}" if namespace else f"{kind}={value}"
    return None


def _opcua_binary(record: Record, event: Event) -> None:
    message = text(record, "msg_type") or ""
    service = (text(record, "req_identifier_str") or text(record, "identifier_str")
               or text(record, "res_identifier_str"))
    if message.upper() == "MSG" and service:
        name, operation = opcua_service(service)
        code = record.get("req_identifier", record.get("identifier"))
        set_ot(event, "opcua", operation, code if isinstance(code, int) else None, name,
               direction(record))
    else:
        set_ot(event, "opcua", OPCUA_MESSAGES.get(message.lower(), OTHER), None,
               message or None, direction(record))
    if message.upper() == "ERR":
        outcome(event, None, text(record, "reason") or text(record, "error") or "ERR")


def _opcua_service_log(record: Record, event: Event, service: str, operation: str) -> None:
    set_ot(event, "opcua", operation, None, service, direction(record))
    put(event, "ot.address", node_id(record, "node_id"))
    put(event, "ot.object.property", text(record, "attribute_id_str"))
    put(event, "user.name", text(record, "ext_obj_user_name"))
    status = text(record, "sub_code_str")
    if status:
        bad = norm(text(record, "severity_str") or "") not in ("severity_good", "good", "")
        outcome(event, status, status if bad else None)


@lru_cache(maxsize=256)
def _opcua_log(path: str) -> Mapper:
    suffix = path.removeprefix("opcua_binary_")
    match = max((key for key in OPCUA_LOGS if suffix == key or suffix.startswith(key + "_")),
                key=len, default=None)
    service, operation = OPCUA_LOGS[match] if match else \
        ("".join(part.capitalize() for part in suffix.split("_")), OTHER)

    def mapper(record: Record, event: Event) -> None:
        _opcua_service_log(record, event, service, operation)
    return mapper


# --- HART-IP -----------------------------------------------------------------------------

def hart_command(name: str) -> str:
    """The operation of a HART command by its name (``Read Primary Variable`` → read)."""
    key = norm(name)
    for word, operation in HART_COMMAND_WORDS:
        if word in key:
            return operation
    return OTHER


_HART_KIND = {"request": "request", "response": "response", "publish": "notification",
              "nak": "response"}


def _hart_ip_general(record: Record, event: Event) -> None:
    message = text(record, "header_message_id")
    command = text(record, "token_passing_pdu_command_number")
    kind = _HART_KIND.get(norm(text(record, "header_message_type_message_type")
                               or text(record, "header_message_type") or ""))
    if command:
        operation = READ if kind == "notification" else hart_command(command)
    else:
        operation = HART_MESSAGES.get(norm(message or ""), OTHER)
    set_ot(event, "hart_ip", operation, None, command or message, kind)
    put(event, "ot.unit_id", record.get("token_passing_pdu_address_v4"))
    outcome(event, text(record, "header_status_code"))


def _hart_ip_direct_pdu(record: Record, event: Event) -> None:
    command = text(record, "direct_pdu_command_command_number")
    set_ot(event, "hart_ip", hart_command(command) if command else OTHER, None, command,
           direction(record))


def _hart_ip_session_record(record: Record, event: Event) -> None:
    # session records are what a Read Audit Log response lists
    set_ot(event, "hart_ip", DIAGNOSTIC, None, "Read Audit Log", direction(record))


_HART_IDENTITY = (("manufacturer_identification_code", "ot.device.vendor"),
                  ("expanded_device_type", "ot.device.model"), ("device_id", "ot.device.serial"),
                  ("software_revision_level", "ot.device.firmware"))
_HART_COMMON = frozenset({"ts", "uid", "proto", "is_orig", "source_h", "source_p",
                          "destination_h", "destination_p"})


def _hart_ip_commands(record: Record, event: Event) -> None:
    # one column group per command; the first group with a value names the command
    command = None
    for field in record:
        if field in _HART_COMMON or field.startswith("id.") or field.endswith("link_id"):
            continue
        command = re.split(r"_(?:response|request)(?:_|$)", field, maxsplit=1)[0]
        break
    set_ot(event, "hart_ip", hart_command(command) if command else OTHER, None, command,
           direction(record))
    prefix = "read_unique_identifier_response_"
    for field, ot in _HART_IDENTITY:
        put(event, ot, text(record, prefix + field))


# --- IEEE C37.118 synchrophasor ----------------------------------------------------------

def _synchrophasor(record: Record, event: Event) -> None:
    set_ot(event, "synchrophasor", OTHER)
    put(event, "network.transport", text(record, "proto"))


def _synchrophasor_cmd(record: Record, event: Event) -> None:
    command = text(record, "command")
    code, operation = SYNCHROPHASOR_COMMANDS.get(norm(command or ""), (None, OTHER))
    set_ot(event, "synchrophasor", operation, code, command, "request")
    put(event, "network.transport", text(record, "proto"))


def _synchrophasor_frames(record: Record, event: Event) -> None:
    frame = text(record, "frame_type")
    is_data = frame is not None and norm(frame).startswith("data")
    set_ot(event, "synchrophasor", READ, None, frame, "notification" if is_data else "response")
    put(event, "network.transport", text(record, "proto"))
    put(event, "ot.unit_id", record.get("data_source_id"))
    put(event, "ot.device.name", text(record, "station_name"))


# --- PROFINET IO CM ----------------------------------------------------------------------

def _profinet(record: Record, event: Event) -> None:
    name = text(record, "operation_num") or text(record, "operation")
    code, operation = PROFINET.get(norm(name or ""), (code_of(name), OTHER))
    packet = norm(text(record, "packet_type") or "")
    if packet in _PROFINET_RPC:
        operation = SESSION
    kind = "request" if packet == "request" else "response" if packet else direction(record)
    set_ot(event, "profinet_io_cm", operation, code, name, kind)
    put(event, "network.transport", text(record, "proto"))
    if packet in ("fault", "reject"):
        outcome(event, None, text(record, "packet_type"))


MAPPERS: dict[str, Mapper] = {
    "bacnet": _bacnet, "bacnet_discovery": _bacnet_discovery,
    "bacnet_property": _bacnet_property, "bacnet_device_control": _bacnet_device_control,
    "opcua_binary": _opcua_binary,
    "hart_ip": _hart_ip_general, "hart_ip_general": _hart_ip_general,
    "hart_ip_direct_pdu_command": _hart_ip_direct_pdu,
    "hart_ip_session_record": _hart_ip_session_record,
    "hart_ip_universal_commands": _hart_ip_commands,
    "hart_ip_common_commands": _hart_ip_commands,
    "synchrophasor": _synchrophasor, "synchrophasor_cmd": _synchrophasor_cmd,
    "profinet_io_cm": _profinet, "profinet_dce_rpc": _profinet,
}


def prefix_mapper(path: str) -> Mapper | None:
    """The mapper of a log found by prefix (one log per service or frame kind)."""
    if path.startswith("opcua_binary_"):
        return _opcua_log(path)
    if path.startswith("synchrophasor_"):
        return _synchrophasor_frames
    if path.startswith("hart_ip_"):
        return _hart_ip_commands
    return None


__all__ = ["MAPPERS", "bacnet_service", "hart_command", "node_id", "opcua_service",
           "prefix_mapper"]
