"""ICSNPP (and Zeek's own Modbus/DNP3) logs → Ironwatch's ``ot.*`` namespace, ot schema 1.

One mapper per log reads the record's original field names (as ICSNPP's READMEs and
record definitions spell them) and sets ``ot.protocol``, ``ot.operation`` (the class from
``zeek_ot_codes``), ``ot.function.*``, ``ot.message_type`` and, where the log has them,
``ot.unit_id``, ``ot.address``, ``ot.object.*``, ``ot.quantity``, ``ot.values``,
``ot.status``, ``ot.exception`` and ``ot.device.*``. docs/ot.md defines every field; the
per-log rules for fields besides the operation are written next to each mapper. This
module (Modbus, DNP3, S7comm, COTP, EtherNet/IP-CIP) and ``zeek_ot_more`` (BACnet, OPC UA,
HART-IP, C37.118, PROFINET) share the helpers below; ``zeek_ecs`` picks a log's mapper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..event import Event
from .zeek_ot_codes import (
    CIP_COMMON,
    CIP_NAMED,
    CONTROL,
    COTP_SESSION,
    DIAGNOSTIC,
    DISCOVERY,
    DNP3,
    ENIP,
    ENIP_BY_CODE,
    MODBUS,
    MODBUS_BY_CODE,
    MODBUS_DIAG_MODE_CHANGE,
    MODBUS_MEI,
    MODBUS_OBJECTS,
    OTHER,
    READ,
    S7_JOB,
    S7_PI,
    S7_SET_CLOCK,
    S7_SZL_IDENTITY,
    S7_USERDATA,
    S7PLUS,
    SESSION,
    WRITE,
    norm,
)

Record = dict[str, Any]
Mapper = Callable[[Record, Event], None]

_UNKNOWN_CODE = re.compile(r"(?:unknown_?)?(\d{1,5})")
_NOT_AN_ERROR = frozenset({"", "-", "success", "no_error", "0x00", "0x0000", "good"})


# --- shared helpers ------------------------------------------------------------------------

def text(record: Record, field: str) -> str | None:
    """A field as non-empty text (numbers become their decimal text), else ``None``."""
    value = record.get(field)
    if value is None or value == "" or isinstance(value, (list, bool)):
        return None
    return value if isinstance(value, str) else str(value)


def code_of(value: Any) -> int | None:
    """``0x1d``, ``29`` or 29 as an int; ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value:
        try:
            return int(value, 16) if value[:2].lower() == "0x" else int(value)
        except ValueError:
            return None
    return None


def values_of(value: Any) -> list[str] | None:
    """A field's value(s) as ``ot.values`` (a list of text), ``None`` when there are none."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def set_ot(event: Event, protocol: str, operation: str, code: int | None = None,
           name: str | None = None, message_type: str | None = None) -> None:
    """The fields every OT record gets; ``event.action`` is the protocol's function name."""
    event["event.category"] = ["network"]
    event["event.type"] = ["protocol"]
    event["network.protocol"] = protocol
    event["ot.protocol"] = protocol
    event["ot.operation"] = operation
    if code is not None:
        event["ot.function.code"] = code
    if name:
        event["ot.function.name"] = name
        event["event.action"] = name
    if message_type:
        event["ot.message_type"] = message_type


def put(event: Event, field: str, value: Any) -> None:
    """``event[field] = value`` unless the value is missing or empty."""
    if value is not None and value != "" and value != []:
        event[field] = value


def outcome(event: Event, status: str | None, exception: str | None = None) -> None:
    """``ot.status``, and ``ot.exception`` + ``event.outcome`` from a response status."""
    if status:
        event["ot.status"] = status
    failed = exception if exception else (status if status and norm(status)
                                          not in _NOT_AN_ERROR else None)
    if failed:
        event["ot.exception"] = failed
        event["event.outcome"] = "failure"
    elif status:
        event["event.outcome"] = "success"


def direction(record: Record) -> str | None:
    """``request``/``response`` from ICSNPP's ``is_orig`` (the originator asks)."""
    is_orig = record.get("is_orig")
    return None if is_orig is None else ("request" if is_orig else "response")


# --- Modbus ------------------------------------------------------------------------------

def modbus_function(func: str | None) -> tuple[int | None, str, bool]:
    """(code, operation, is an exception response) of a Zeek Modbus function name."""
    if not func:
        return None, OTHER, False
    key = norm(func)
    exception = key.endswith("_exception")
    key = key.removesuffix("_exception")
    entry = MODBUS.get(key)
    if entry is not None:
        return entry[0], entry[1], exception
    m = _UNKNOWN_CODE.fullmatch(key)
    if m is not None:
        code = int(m.group(1))
        known = MODBUS_BY_CODE.get(code & 0x7F)
        return code & 0x7F, known[1] if known else OTHER, exception or code > 0x80
    return None, OTHER, exception


_MODBUS_KIND = {"req": "request", "request": "request", "resp": "response",
                "response": "response"}


def _modbus(record: Record, event: Event) -> None:
    get = record.get
    func = get("func")
    code, operation, is_exception = modbus_function(func if isinstance(func, str) else None)
    subfunction = get("request_subfunction_code") or get("mei_type")
    if subfunction and isinstance(subfunction, str):
        if code == 8 and norm(subfunction) in MODBUS_DIAG_MODE_CHANGE:
            operation = "mode_change"
        elif code == 43:
            operation = MODBUS_MEI.get(norm(subfunction), OTHER)
        event["ot.function.subfunction"] = subfunction
    kind = get("pdu_type") or get("request_response") or get("network_direction")
    set_ot(event, "modbus", operation, code, func,
           _MODBUS_KIND.get(norm(kind)) if isinstance(kind, str) else direction(record))
    unit = get("unit", get("uint"))
    put(event, "ot.unit_id", unit if isinstance(unit, int) else code_of(unit))
    if code in MODBUS_OBJECTS:
        event["ot.object.type"] = MODBUS_OBJECTS[code]
    address = get("address", get("write_start_address"))
    if address is not None:
        event["ot.address"] = str(address)
    put(event, "ot.quantity", get("quantity"))
    if "and_mask" in record or "or_mask" in record:
        put(event, "ot.values", values_of([get("and_mask"), get("or_mask")]))
    else:
        put(event, "ot.values", _register_values(record))
    exception = get("exception") or get("exception_code")
    if exception or is_exception:
        outcome(event, None, str(exception) if exception else "exception")
    if "object_id" in record:
        _modbus_identity(record, event)


def _register_values(record: Record) -> list[str] | None:
    for field in ("request_values", "write_registers", "response_values", "read_registers"):
        value = record.get(field)
        if not value:
            continue
        if isinstance(value, str) and "," in value:
            value = value.split(",")
        return values_of(value)
    return None


_MODBUS_IDENTITY = {"vendorname": "ot.device.vendor", "productcode": "ot.device.model",
                    "majorminorrevision": "ot.device.firmware", "productname": "ot.device.product",
                    "modelname": "ot.device.model"}


def _modbus_identity(record: Record, event: Event) -> None:
    name, value = text(record, "object_id"), text(record, "object_value")
    if name and value:
        field = _MODBUS_IDENTITY.get(norm(name).replace("_", ""))
        if field is not None:
            event["ot.operation"] = DISCOVERY
            event[field] = value


# --- DNP3 --------------------------------------------------------------------------------

def dnp3_function(name: str | None) -> tuple[int | None, str]:
    entry = DNP3.get(norm(name)) if name else None
    return entry if entry is not None else (None, OTHER)


def _dnp3(record: Record, event: Event) -> None:
    request, reply = text(record, "fc_request"), text(record, "fc_reply")
    code, operation = dnp3_function(request or reply)
    kind = None
    if not request and reply:
        kind = "notification" if norm(reply) == "unsolicited_response" else "response"
    set_ot(event, "dnp3", operation, code, request or reply, kind)


def _dnp3_control(record: Record, event: Event) -> None:
    func = text(record, "function_code")
    code, _ = dnp3_function(func)
    response = func is not None and norm(func) == "response"
    set_ot(event, "dnp3", CONTROL, code, func, "response" if response else "request")
    put(event, "ot.object.type", text(record, "block_type"))
    put(event, "ot.address", text(record, "index_number"))
    put(event, "ot.values", [v for v in (text(record, "trip_control_code"),
                                         text(record, "operation_type")) if v])
    outcome(event, text(record, "status_code"))


def _dnp3_objects(record: Record, event: Event) -> None:
    func = text(record, "function_code")
    code, operation = dnp3_function(func)
    is_response = func is not None and norm(func).endswith("response")
    set_ot(event, "dnp3", READ if is_response else operation, code, func,
           "response" if is_response else "request")
    put(event, "ot.object.type", text(record, "object_type"))
    put(event, "ot.address", text(record, "range_low"))
    put(event, "ot.quantity", record.get("object_count"))


# --- S7comm, S7comm-plus, COTP -----------------------------------------------------------

_S7_ROSCTR = {"job_request": "request", "job": "request", "ack_data": "response",
              "ack": "response"}
_S7_TRANSFER = {"request_download": 0x1A, "download_block": 0x1B, "download_ended": 0x1C,
                "start_upload": 0x1D, "upload": 0x1E, "end_upload": 0x1F}


def _s7comm(record: Record, event: Event) -> None:
    code = code_of(record.get("function_code"))
    name = text(record, "function_name")
    sub_code, sub_name = text(record, "subfunction_code"), text(record, "subfunction_name")
    rosctr = norm(text(record, "rosctr_name") or "")
    if record.get("rosctr_code") == 7 or rosctr == "user_data":
        group, kind = (code or 0) & 0x0F, (code or 0) >> 4
        operation = S7_USERDATA.get(group, OTHER)
        if group == 7 and sub_name and norm(sub_name) in S7_SET_CLOCK:
            operation = WRITE
        message_type = {4: "request", 8: "response", 0: "notification"}.get(kind)
    else:
        operation = S7_JOB.get(code, OTHER) if code is not None else OTHER
        if code == 0x28 and sub_code:
            operation = S7_PI.get(norm(sub_code), CONTROL)
        message_type = _S7_ROSCTR.get(rosctr)
    set_ot(event, "s7comm", operation, code, name, message_type)
    put(event, "ot.function.subfunction", sub_name or sub_code)
    error = text(record, "error_class")
    if error:
        detail = text(record, "error_code")
        outcome(event, error, None if norm(error) in _NOT_AN_ERROR
                else f"{error} ({detail})" if detail else error)


def _s7comm_upload_download(record: Record, event: Event) -> None:
    name = text(record, "function_name")
    code = code_of(record.get("function_code"))
    if code is None and name:
        code = _S7_TRANSFER.get(norm(name))
    operation = S7_JOB.get(code, OTHER) if code is not None else OTHER
    rosctr = record.get("rosctr")
    kind = _S7_ROSCTR.get(norm(rosctr)) if isinstance(rosctr, str) else \
        {1: "request", 3: "response"}.get(rosctr) if isinstance(rosctr, int) else None
    set_ot(event, "s7comm", operation, code, name, kind or direction(record))
    put(event, "ot.object.type", text(record, "block_type"))
    put(event, "ot.address", text(record, "block_number") or text(record, "filename"))


def _s7comm_read_szl(record: Record, event: Event) -> None:
    szl = code_of(record.get("szl_id"))
    operation = DISCOVERY if szl in S7_SZL_IDENTITY else DIAGNOSTIC
    method = norm(text(record, "method") or "")
    set_ot(event, "s7comm", operation, None, "Read SZL",
           method if method in ("request", "response") else direction(record))
    put(event, "ot.address", text(record, "szl_id"))
    put(event, "ot.object.type", text(record, "szl_id_name"))
    outcome(event, text(record, "return_code_name"))


def _s7comm_known_devices(record: Record, event: Event) -> None:
    set_ot(event, "s7comm", DISCOVERY, None, None, "response")
    put(event, "ot.device.name", text(record, "automation_system_name"))
    put(event, "ot.device.product", text(record, "module_name"))
    put(event, "ot.device.serial", text(record, "module_serial"))


def _s7comm_plus(record: Record, event: Event) -> None:
    opcode = norm(text(record, "opcode_name") or "")
    name = text(record, "function_name")
    operation = S7PLUS.get(norm(name)) if name else None
    if operation is None:
        operation = READ if opcode == "notification" else OTHER
    set_ot(event, "s7comm_plus", operation, code_of(record.get("function_code")), name,
           opcode if opcode in ("request", "response", "notification") else direction(record))


def _cotp(record: Record, event: Event) -> None:
    code = code_of(record.get("pdu_code"))
    set_ot(event, "cotp", SESSION if code in COTP_SESSION else OTHER, code,
           text(record, "pdu_name"), direction(record))


# --- EtherNet/IP and CIP ------------------------------------------------------------------

def _enip(record: Record, event: Event) -> None:
    code = code_of(record.get("enip_command_code"))
    name = text(record, "enip_command")
    operation = ENIP_BY_CODE.get(code) if code is not None else None
    if operation is None:
        entry = ENIP.get(norm(name)) if name else None
        operation = entry[1] if entry else OTHER
    set_ot(event, "enip", operation, code, name, direction(record))
    outcome(event, text(record, "enip_status"))


def _cip(record: Record, event: Event) -> None:
    code = code_of(record.get("cip_service_code"))
    name = text(record, "cip_service")
    operation = CIP_NAMED.get(norm(name)) if name else None
    if operation is None:
        operation = CIP_COMMON.get(code & 0x7F, OTHER) if code is not None else OTHER
    kind = norm(text(record, "direction") or "")
    set_ot(event, "cip", operation, code, name,
           kind if kind in ("request", "response") else direction(record))
    class_name = text(record, "class_name")
    put(event, "ot.object.type", class_name if class_name and class_name != "unknown"
        else text(record, "class_id"))
    put(event, "ot.address", text(record, "instance_id"))
    put(event, "ot.object.property", text(record, "attribute_id"))
    status = text(record, "cip_status")
    extended = text(record, "cip_extended_status")
    outcome(event, status, f"{status} ({extended})" if extended and status else None)


def _cip_io(record: Record, event: Event) -> None:
    set_ot(event, "cip", OTHER, None, None, "notification")
    put(event, "ot.address", text(record, "connection_id"))
    put(event, "ot.values", values_of(record.get("io_data")))


def _cip_identity(record: Record, event: Event) -> None:
    set_ot(event, "cip", DISCOVERY, 0x63, "List Identity", "response")
    for field, ot in (("vendor_name", "ot.device.vendor"), ("product_name", "ot.device.product"),
                      ("device_type_name", "ot.device.type"), ("revision", "ot.device.firmware"),
                      ("serial_number", "ot.device.serial")):
        put(event, ot, text(record, field))


MAPPERS: dict[str, Mapper] = {
    "modbus": _modbus, "modbus_detailed": _modbus, "modbus_mask_write_register": _modbus,
    "modbus_read_write_multiple_registers": _modbus,
    "modbus_read_device_identification": _modbus,
    "dnp3": _dnp3, "dnp3_control": _dnp3_control, "dnp3_objects": _dnp3_objects,
    "dnp3_read_objects": _dnp3_objects,
    "s7comm": _s7comm, "s7comm_upload_download": _s7comm_upload_download,
    "s7comm_read_szl": _s7comm_read_szl, "s7comm_known_devices": _s7comm_known_devices,
    "s7comm_plus": _s7comm_plus, "cotp": _cotp,
    "enip": _enip, "cip": _cip, "cip_io": _cip_io, "cip_identity": _cip_identity,
}


__all__ = ["MAPPERS", "code_of", "direction", "modbus_function", "outcome", "put", "set_ot",
           "text", "values_of"]
