"""Function and service tables of the OT protocols: code, name and operation class.

Each table says, per protocol, which function codes or services belong to which ``ot.operation``
class (docs/ot.md defines the classes and repeats these tables for the reader). Names are
keyed as the ICSNPP/Zeek logs spell them, normalized by ``norm`` (lower case, runs of
spaces, dashes and underscores as one ``_``), so ``READ_COILS``, ``read-property`` and
``Get Attribute List`` all look up the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache

READ, WRITE, CONTROL, MODE_CHANGE = "read", "write", "control", "mode_change"
PROGRAM_DOWNLOAD, PROGRAM_UPLOAD, FIRMWARE = "program_download", "program_upload", "firmware"
DIAGNOSTIC, DISCOVERY, SESSION, OTHER = "diagnostic", "discovery", "session", "other"
OPERATIONS = (READ, WRITE, PROGRAM_DOWNLOAD, PROGRAM_UPLOAD, MODE_CHANGE, FIRMWARE, DIAGNOSTIC,
              CONTROL, DISCOVERY, SESSION, OTHER)

_NORM = re.compile(r"[\s_\-/]+")


@lru_cache(maxsize=4096)
def norm(name: str) -> str:
    """``Get Attribute List`` / ``READ_COILS`` / ``read-property`` → ``get_attribute_list``…"""
    return _NORM.sub("_", name.strip().lower()).strip("_")


def _table(rows: str) -> dict[str, tuple[int, str]]:
    """``code name operation`` rows (code decimal or 0x-hex) keyed by normalized name."""
    table: dict[str, tuple[int, str]] = {}
    for row in rows.strip().splitlines():
        code, name, operation = row.split()
        assert operation in OPERATIONS, row
        table[norm(name)] = (int(code, 0), operation)
    return table


#: Modbus function codes by the names Zeek's modbus analyzer gives them
MODBUS = _table("""
1 READ_COILS read
2 READ_DISCRETE_INPUTS read
3 READ_HOLDING_REGISTERS read
4 READ_INPUT_REGISTERS read
5 WRITE_SINGLE_COIL write
6 WRITE_SINGLE_REGISTER write
7 READ_EXCEPTION_STATUS diagnostic
8 DIAGNOSTICS diagnostic
11 GET_COMM_EVENT_COUNTER diagnostic
12 GET_COMM_EVENT_LOG diagnostic
15 WRITE_MULTIPLE_COILS write
16 WRITE_MULTIPLE_REGISTERS write
17 REPORT_SLAVE_ID discovery
20 READ_FILE_RECORD read
21 WRITE_FILE_RECORD write
22 MASK_WRITE_REGISTER write
23 READ_WRITE_MULTIPLE_REGISTERS write
24 READ_FIFO_QUEUE read
43 ENCAP_INTERFACE_TRANSPORT diagnostic
""")
MODBUS_BY_CODE = {code: (name, op) for name, (code, op) in MODBUS.items()}
#: what a Modbus function code addresses (``ot.object.type``)
MODBUS_OBJECTS = {1: "coil", 5: "coil", 15: "coil", 2: "discrete_input",
                  3: "holding_register", 6: "holding_register", 16: "holding_register",
                  22: "holding_register", 23: "holding_register", 4: "input_register",
                  20: "file_record", 21: "file_record", 24: "fifo_queue"}
#: FC 8 sub-functions that change the server's state rather than report it
MODBUS_DIAG_MODE_CHANGE = frozenset({"restart_communications_option",
                                     "force_listen_only_mode"})
#: FC 43 MEI types: 14 identifies the device, 13 tunnels CANopen
MODBUS_MEI = {"read_device_identification": DISCOVERY, "canopen_general_reference": OTHER}

#: S7comm job functions (ROSCTR 1/3) by code
S7_JOB = {0x00: DIAGNOSTIC, 0x04: READ, 0x05: WRITE, 0x1A: PROGRAM_DOWNLOAD,
          0x1B: PROGRAM_DOWNLOAD, 0x1C: PROGRAM_DOWNLOAD, 0x1D: PROGRAM_UPLOAD,
          0x1E: PROGRAM_UPLOAD, 0x1F: PROGRAM_UPLOAD, 0x28: CONTROL, 0x29: MODE_CHANGE,
          0xF0: SESSION}
#: S7comm PI services (function 0x28 "PLC Control") by their normalized service name
#: (``_INSE`` → ``inse``)
S7_PI = {"p_program": MODE_CHANGE, "inse": PROGRAM_DOWNLOAD, "ins2": PROGRAM_DOWNLOAD,
         "dele": PROGRAM_DOWNLOAD, "modu": PROGRAM_DOWNLOAD, "garb": OTHER}
#: S7comm user-data function groups (low nibble of the function code)
S7_USERDATA = {0x1: DIAGNOSTIC, 0x2: READ, 0x3: DISCOVERY, 0x4: DIAGNOSTIC, 0x5: SESSION,
               0x6: OTHER, 0x7: READ}
#: time functions (group 7) that set the clock
S7_SET_CLOCK = frozenset({"set_clock", "set_clock_2"})
#: SZL ids that identify the module (rather than report diagnostics)
S7_SZL_IDENTITY = frozenset({0x0011, 0x0111, 0x001C, 0x011C, 0x0F11, 0x0F1C})
#: S7comm-plus functions by normalized name
S7PLUS = {"explore": DISCOVERY, "create_object": SESSION, "delete_object": SESSION,
          "set_variable": WRITE, "get_variable": READ, "get_link": READ,
          "set_multi_variables": WRITE, "get_multi_variables": READ,
          "begin_sequence": SESSION, "end_sequence": SESSION, "invoke": CONTROL,
          "set_var_sub_streamed": WRITE, "get_var_sub_streamed": READ,
          "get_variables_address": READ, "abort": SESSION, "init_ssl": SESSION,
          "notification": READ}
#: COTP TPDU codes: connection set-up and tear-down
COTP_SESSION = frozenset({0x0E, 0x0D, 0x08, 0x0C})

#: DNP3 application function codes by Zeek's names
DNP3 = _table("""
0 CONFIRM session
1 READ read
2 WRITE write
3 SELECT control
4 OPERATE control
5 DIRECT_OPERATE control
6 DIRECT_OPERATE_NR control
7 IMMED_FREEZE control
8 IMMED_FREEZE_NR control
9 FREEZE_CLEAR control
10 FREEZE_CLEAR_NR control
11 FREEZE_AT_TIME control
12 FREEZE_AT_TIME_NR control
13 COLD_RESTART mode_change
14 WARM_RESTART mode_change
15 INITIALIZE_DATA mode_change
16 INITIALIZE_APPL mode_change
17 START_APPL mode_change
18 STOP_APPL mode_change
19 SAVE_CONFIG write
20 ENABLE_UNSOLICITED control
21 DISABLE_UNSOLICITED control
22 ASSIGN_CLASS write
23 DELAY_MEASURE diagnostic
24 RECORD_CURRENT_TIME diagnostic
25 OPEN_FILE session
26 CLOSE_FILE session
27 DELETE_FILE write
28 GET_FILE_INFO read
29 AUTHENTICATE_FILE session
30 ABORT_FILE session
31 ACTIVATE_CONFIG program_download
32 AUTHENTICATE_REQ session
33 AUTHENTICATE_ERR session
129 RESPONSE other
130 UNSOLICITED_RESPONSE read
131 AUTHENTICATE_RESP session
""")

#: EtherNet/IP encapsulation commands
ENIP = _table("""
0x0000 NOP session
0x0004 List_Services discovery
0x0063 List_Identity discovery
0x0064 List_Interfaces discovery
0x0065 Register_Session session
0x0066 Unregister_Session session
0x006F Send_RR_Data other
0x0070 Send_Unit_Data other
0x0072 Indicate_Status other
0x0073 Cancel other
""")
ENIP_BY_CODE = {code: op for code, op in ENIP.values()}
#: CIP common services (0x01-0x1C mean the same on every class)
CIP_COMMON = {0x01: READ, 0x02: WRITE, 0x03: READ, 0x04: WRITE, 0x05: MODE_CHANGE,
              0x06: MODE_CHANGE, 0x07: MODE_CHANGE, 0x08: WRITE, 0x09: WRITE, 0x0A: OTHER,
              0x0D: WRITE, 0x0E: READ, 0x10: WRITE, 0x11: DISCOVERY, 0x14: OTHER,
              0x15: WRITE, 0x16: WRITE, 0x17: OTHER, 0x18: READ, 0x19: WRITE, 0x1A: WRITE,
              0x1B: WRITE, 0x1C: OTHER}
#: CIP services by name, for class-specific codes (0x4B-0x63) whose meaning needs the class
CIP_NAMED = {"read_tag": READ, "read_tag_fragmented": READ, "write_tag": WRITE,
             "write_tag_fragmented": WRITE, "read_modify_write_tag": WRITE,
             "get_instance_attribute_list": READ, "forward_open": SESSION,
             "large_forward_open": SESSION, "forward_close": SESSION,
             "get_connection_data": READ, "search_connection_data": READ,
             "get_connection_owner": READ, "unconnected_send": OTHER,
             "multiple_service_packet": OTHER, "execute_pccc": OTHER,
             "get_attributes_all": READ, "get_attribute_list": READ,
             "get_attribute_single": READ, "set_attributes_all": WRITE,
             "set_attribute_list": WRITE, "set_attribute_single": WRITE,
             "set_attributes_single": WRITE, "reset": MODE_CHANGE, "start": MODE_CHANGE,
             "stop": MODE_CHANGE, "create": WRITE, "delete": WRITE, "apply_attributes": WRITE,
             "save": WRITE, "restore": WRITE, "find_next_object_instance": DISCOVERY}

#: BACnet services: (service choice within its PDU type, class); confirmed and
#: unconfirmed services share the code space, so the code alone is ambiguous
BACNET = _table("""
0 acknowledge_alarm control
1 confirmed_cov_notification read
2 confirmed_event_notification read
3 get_alarm_summary read
4 get_enrollment_summary read
5 subscribe_cov read
6 atomic_read_file read
7 atomic_write_file write
8 add_list_element write
9 remove_list_element write
10 create_object write
11 delete_object write
12 read_property read
13 read_property_conditional read
14 read_property_multiple read
15 write_property write
16 write_property_multiple write
17 device_communication_control control
18 confirmed_private_transfer other
19 confirmed_text_message other
20 reinitialize_device mode_change
21 vt_open session
22 vt_close session
23 vt_data session
24 authenticate session
25 request_key session
26 read_range read
27 life_safety_operation control
28 subscribe_cov_property read
29 get_event_information read
30 subscribe_cov_property_multiple read
31 confirmed_cov_notification_multiple read
32 confirmed_audit_notification read
33 audit_log_query read
0 i_am discovery
1 i_have discovery
2 unconfirmed_cov_notification read
3 unconfirmed_event_notification read
4 unconfirmed_private_transfer other
5 unconfirmed_text_message other
6 time_synchronization write
7 who_has discovery
8 who_is discovery
9 utc_time_synchronization write
10 write_group write
11 unconfirmed_cov_notification_multiple read
12 unconfirmed_audit_notification read
13 who_am_i discovery
14 you_are discovery
""")

#: OPC UA services by name (without Request/Response)
OPCUA = {
    **dict.fromkeys(("find_servers", "find_servers_on_network", "get_endpoints",
                     "register_server", "register_server2", "browse", "browse_next",
                     "translate_browse_paths_to_node_ids"), DISCOVERY),
    **dict.fromkeys(("create_session", "activate_session", "close_session", "cancel",
                     "open_secure_channel", "close_secure_channel", "register_nodes",
                     "unregister_nodes"), SESSION),
    **dict.fromkeys(("read", "history_read", "query_first", "query_next",
                     "create_monitored_items", "modify_monitored_items", "set_monitoring_mode",
                     "set_triggering", "delete_monitored_items", "create_subscription",
                     "modify_subscription", "set_publishing_mode", "publish", "republish",
                     "transfer_subscriptions", "delete_subscriptions"), READ),
    **dict.fromkeys(("write", "history_update", "add_nodes", "add_references", "delete_nodes",
                     "delete_references"), WRITE),
    "call": CONTROL, "service_fault": OTHER,
}
#: OPC UA transport messages (``msg_type``): everything but MSG is the secure channel
OPCUA_MESSAGES = {"hel": SESSION, "ack": SESSION, "opn": SESSION, "clo": SESSION, "err": OTHER,
                  "rhe": SESSION}
#: ICSNPP's per-service OPC UA logs (after ``opcua_binary_``): the service they detail
OPCUA_LOGS = {"write": ("Write", WRITE), "read": ("Read", READ), "browse": ("Browse", DISCOVERY),
              "get_endpoints": ("GetEndpoints", DISCOVERY),
              "create_session": ("CreateSession", SESSION),
              "activate_session": ("ActivateSession", SESSION),
              "close_session": ("CloseSession", SESSION),
              "opensecure_channel": ("OpenSecureChannel", SESSION),
              "create_subscription": ("CreateSubscription", READ),
              "create_monitored_items": ("CreateMonitoredItems", READ),
              "call": ("Call", CONTROL)}

#: HART-IP message ids (header) that are not a HART command
HART_MESSAGES = {"session_initiate": SESSION, "session_close": SESSION, "keep_alive": SESSION,
                 "read_audit_log": DIAGNOSTIC}
#: HART command names that are not plain reads or writes, by a word they contain
HART_COMMAND_WORDS = (("unique_identifier", DISCOVERY), ("device_reset", MODE_CHANGE),
                      ("self_test", DIAGNOSTIC), ("loop_test", DIAGNOSTIC),
                      ("squawk", DIAGNOSTIC), ("fixed_current", CONTROL),
                      ("reset_configuration_changed", WRITE), ("trim", WRITE),
                      ("set_", WRITE), ("write", WRITE), ("read", READ))

#: IEEE C37.118 commands (CMD frame command word)
SYNCHROPHASOR_COMMANDS = _table("""
1 Data_off control
2 Data_on control
3 Send_HDR read
4 Send_CFG-1 read
5 Send_CFG-2 read
6 Send_CFG-3 read
8 Extended_frame other
""")

#: PROFINET IO context manager operations (DCE/RPC operation number)
PROFINET = _table("""
0 Connect session
1 Release session
2 Read read
3 Write write
4 Control control
5 Read_Implicit read
""")

__all__ = ["BACNET", "CIP_COMMON", "CIP_NAMED", "COTP_SESSION", "DNP3", "ENIP", "ENIP_BY_CODE",
           "HART_COMMAND_WORDS", "HART_MESSAGES", "MODBUS", "MODBUS_BY_CODE", "MODBUS_OBJECTS",
           "OPCUA", "OPCUA_LOGS", "OPCUA_MESSAGES", "OPERATIONS", "PROFINET", "S7PLUS", "S7_JOB",
           "S7_PI", "S7_SZL_IDENTITY", "S7_USERDATA", "SYNCHROPHASOR_COMMANDS", "norm"]
