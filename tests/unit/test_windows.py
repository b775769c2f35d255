"""Windows events: every input shape gives the same ``winlog.*`` fields, and the ECS mapping.

Events are described once (``Spec``) and rendered the ways they arrive: the ``evtx`` crate's
XML layout (the fast path), Windows' own compact XML (ElementTree), the crate's JSON,
Winlogbeat and NXLog. Hypothesis generates events to hold the fast path to ElementTree and
XML to JSON, and throws broken input at both parsers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.errors import ParseError
from ironwatch.parsers import evtx_file
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import detect_syslog_format, parse, parse_json
from ironwatch.parsers.windows import (
    EVTX_MAGIC,
    FLAVOURS,
    PARSERS,
    WinJsonParser,
    WinXmlParser,
    json_shape,
)
from ironwatch.parsers.windows_ecs import MAPPINGS, channel_dataset, keyword_names

RECEIVED = 1_795_780_800_000_000  # 2026-11-27T12:00:00Z
CTX = ParseContext(received_us=RECEIVED,
                   zone_for_host=lambda h: ZoneInfo("Europe/Berlin" if h == "HIST01" else "UTC"))
XML, JSON = WinXmlParser(), WinJsonParser()
SECURITY = ("Microsoft-Windows-Security-Auditing", "54849625-5478-4994-A5BA-3E3B0328C30D",
            "Security")
SYSMON = ("Microsoft-Windows-Sysmon", "5770385F-C22A-43E0-BF4C-06F5698FFBD9",
          "Microsoft-Windows-Sysmon/Operational")
POWERSHELL = ("Microsoft-Windows-PowerShell", "A0C1853B-5C40-4B15-8766-3CF1C58F985A",
              "Microsoft-Windows-PowerShell/Operational")
SCM = ("Service Control Manager", "555908D1-A6D7-4695-8E1E-26931D2012F4", "System")
EVENTLOG = ("Microsoft-Windows-Eventlog", "FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148", "Security")


@dataclass
class Spec:
    """One Windows event, to be rendered in each shape."""

    event_id: str = "4624"
    source: tuple[str, str, str] = SECURITY
    data: list[tuple[str, str]] = field(default_factory=list)
    user_data: tuple[str, list[tuple[str, str]]] | None = None
    computer: str = "DC01.plant.local"
    time: str = "2026-11-27T08:15:02.123456Z"
    record_id: str = "918273"
    level: str = "0"
    task: str = "12544"
    opcode: str = "0"
    keywords: str = "0x8020000000000000"
    version: str = "2"
    pid: str = "652"
    tid: str = "4488"
    sid: str | None = None
    activity: str | None = "{1C2D3E4F-0A1B-2C3D-4E5F-60718293A4B5}"


def _esc(text: str, quote: str = "") -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace(quote, "&quot;" if quote == '"' else "&apos;") if quote else text


def crate_xml(s: Spec) -> str:
    """The layout the evtx crate renders every record in."""
    provider, guid, channel = s.source
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">', "  <System>",
             f'    <Provider Name="{provider}" Guid="{guid}">', "    </Provider>",
             f"    <EventID>{s.event_id}</EventID>", f"    <Version>{s.version}</Version>",
             f"    <Level>{s.level}</Level>", f"    <Task>{s.task}</Task>",
             f"    <Opcode>{s.opcode}</Opcode>", f"    <Keywords>{s.keywords}</Keywords>",
             f'    <TimeCreated SystemTime="{s.time}">', "    </TimeCreated>",
             f"    <EventRecordID>{s.record_id}</EventRecordID>",
             f'    <Correlation ActivityID="{s.activity}">' if s.activity else "    <Correlation>",
             "    </Correlation>", f'    <Execution ProcessID="{s.pid}" ThreadID="{s.tid}">',
             "    </Execution>", f"    <Channel>{channel}</Channel>",
             f"    <Computer>{_esc(s.computer)}</Computer>",
             f'    <Security UserID="{s.sid}">' if s.sid else "    <Security>", "    </Security>",
             "  </System>"]
    if s.user_data is not None:
        name, leaves = s.user_data
        lines += ["  <UserData>", f'    <{name} xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">']
        lines += [f"      <{k}>{_esc(v)}</{k}>" for k, v in leaves]
        lines += [f"    </{name}>", "  </UserData>"]
    elif s.data:
        lines.append("  <EventData>")
        lines += [f'    <Data Name="{_esc(k, chr(34))}">{_esc(v)}</Data>' if k
                  else f"    <Data>{_esc(v)}</Data>" for k, v in s.data]
        lines.append("  </EventData>")
    return "\n".join([*lines, "</Event>", ""])


def windows_xml(s: Spec, rendering: str = "") -> str:
    """Windows' own compact rendering (wevtutil, WEF), with single quotes and empty tags."""
    provider, guid, channel = s.source
    system = (f"<Provider Name='{provider}' Guid='{{{guid}}}'/><EventID>{s.event_id}</EventID>"
              f"<Version>{s.version}</Version><Level>{s.level}</Level><Task>{s.task}</Task>"
              f"<Opcode>{s.opcode}</Opcode><Keywords>{s.keywords}</Keywords>"
              f"<TimeCreated SystemTime='{s.time}'/><EventRecordID>{s.record_id}</EventRecordID>"
              + (f"<Correlation ActivityID='{s.activity}'/>" if s.activity else "<Correlation/>")
              + f"<Execution ProcessID='{s.pid}' ThreadID='{s.tid}'/><Channel>{channel}</Channel>"
              f"<Computer>{_esc(s.computer)}</Computer>"
              + (f"<Security UserID='{s.sid}'/>" if s.sid else "<Security/>"))
    if s.user_data is not None:
        name, leaves = s.user_data
        body = f"<UserData><{name} xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"
        body += "".join(f"<{k}>{_esc(v)}</{k}>" for k, v in leaves) + f"</{name}></UserData>"
    else:
        body = "<EventData>" + "".join(
            f"<Data Name='{_esc(k, chr(39))}'>{_esc(v)}</Data>" if k else f"<Data>{_esc(v)}</Data>"
            for k, v in s.data) + "</EventData>"
    return ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
            f"<System>{system}</System>{body}{rendering}</Event>")


def crate_json(s: Spec) -> dict[str, Any]:
    """The evtx crate's JSON rendering of the same record."""
    provider, guid, channel = s.source
    unnamed = [v for k, v in s.data if not k]
    event_data: dict[str, Any] = {k: v for k, v in s.data if k}
    if unnamed:
        event_data["Data"] = {"#text": unnamed if len(unnamed) > 1 else unnamed[0]}
    event: dict[str, Any] = {"System": {
        "Provider": {"#attributes": {"Name": provider, "Guid": guid}},
        "EventID": int(s.event_id), "Version": int(s.version), "Level": int(s.level),
        "Task": int(s.task), "Opcode": int(s.opcode), "Keywords": s.keywords,
        "TimeCreated": {"#attributes": {"SystemTime": s.time}},
        "EventRecordID": int(s.record_id),
        "Correlation": {"#attributes": {"ActivityID": s.activity}} if s.activity else None,
        "Execution": {"#attributes": {"ProcessID": int(s.pid), "ThreadID": int(s.tid)}},
        "Channel": channel, "Computer": s.computer,
        "Security": {"#attributes": {"UserID": s.sid}} if s.sid else None}}
    if s.user_data is not None:
        name, leaves = s.user_data
        event["UserData"] = {name: {"#attributes": {"xmlns": "urn:x"}, **dict(leaves)}}
    elif s.data:
        event["EventData"] = event_data
    return {"Event": event}


def winlogbeat(s: Spec, task: str, keywords: list[str]) -> dict[str, Any]:
    provider, guid, channel = s.source
    winlog: dict[str, Any] = {
        "channel": channel, "provider_name": provider, "provider_guid": "{" + guid + "}",
        "event_id": s.event_id, "record_id": s.record_id, "computer_name": s.computer,
        "task": task, "opcode": "Info", "keywords": keywords, "version": int(s.version),
        "process": {"pid": int(s.pid), "thread": {"id": int(s.tid)}}, "api": "wineventlog",
        "activity_id": s.activity, "event_data": dict(s.data)}
    if s.sid:
        winlog["user"] = {"identifier": s.sid, "name": "SYSTEM", "domain": "NT AUTHORITY"}
    return {"@timestamp": s.time[:23] + "Z", "winlog": winlog, "log": {"level": "information"},
            "agent": {"type": "winlogbeat", "version": "8.19.3", "name": "eng-ws01"},
            "event": {"created": "2026-11-27T08:15:03Z", "code": s.event_id}, "ecs": {"version": "8.0"}}


def nxlog(s: Spec, task: str) -> dict[str, Any]:
    provider, guid, channel = s.source
    doc: dict[str, Any] = {
        "EventTime": "2026-11-27 09:15:02", "Hostname": s.computer, "Keywords": int(s.keywords, 16) - (1 << 64),
        "EventType": "AUDIT_SUCCESS", "SeverityValue": 2, "Severity": "INFO", "EventID": int(s.event_id),
        "SourceName": provider, "ProviderGuid": "{" + guid + "}", "Version": int(s.version),
        "Task": int(s.task), "OpcodeValue": int(s.opcode), "RecordNumber": int(s.record_id),
        "ActivityID": s.activity, "ExecutionProcessID": int(s.pid), "ThreadID": int(s.tid),
        "Channel": channel, "Category": task, "Opcode": "Info", "EventReceivedTime": "2026-11-27 09:15:03",
        "SourceModuleName": "eventlog", "SourceModuleType": "im_msvistalog"}
    doc.update(s.data)
    return doc


def sysmon(event_id: str, data: list[tuple[str, str]]) -> Spec:
    return Spec(event_id=event_id, source=SYSMON, data=data, computer="ENG-WS01.plant.local",
                level="4", task=event_id, keywords="0x8000000000000000", version="5")


def winlog(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k.startswith("winlog.")}


LOGON = Spec(data=[("SubjectUserSid", "S-1-5-18"), ("SubjectUserName", "DC01$"),
                   ("SubjectDomainName", "PLANT"), ("SubjectLogonId", "0x3e7"),
                   ("TargetUserSid", "S-1-5-21-1004336348-1177238915-682003330-1104"),
                   ("TargetUserName", "operator1"), ("TargetDomainName", "PLANT"),
                   ("TargetLogonId", "0x8a21f3"), ("LogonType", "10"),
                   ("LogonProcessName", "User32 "), ("AuthenticationPackageName", "Negotiate"),
                   ("WorkstationName", "ENG-WS01"), ("LogonGuid", "{00000000-0000-0000-0000-000000000000}"),
                   ("TransmittedServices", "-"), ("LmPackageName", "-"), ("KeyLength", "0"),
                   ("ProcessId", "0x2f4"), ("ProcessName", "C:\\Windows\\System32\\svchost.exe"),
                   ("IpAddress", "10.20.1.15"), ("IpPort", "0"), ("ImpersonationLevel", "%%1833"),
                   ("RestrictedAdminMode", "-"), ("VirtualAccount", "%%1843"),
                   ("ElevatedToken", "%%1842"), ("TargetOutboundUserName", "-")])
RENDERED = ("<RenderingInfo Culture='en-US'><Message>An account was successfully logged on."
            "</Message><Level>Information</Level><Task>Logon</Task><Opcode>Info</Opcode>"
            "<Channel>Security</Channel><Provider>Microsoft Windows security auditing.</Provider>"
            "<Keywords><Keyword>Audit Success</Keyword></Keywords></RenderingInfo>")


# --- the same event in every shape ---------------------------------------------------------

def test_crate_layout_is_read_by_the_fast_path_and_matches_elementtree() -> None:
    text = crate_xml(LOGON)
    fast = evtx_file.read_fast(text)
    assert fast is not None and fast == evtx_file.read_tree(text)


def test_fast_layout_groups_are_the_system_fields_in_order() -> None:
    groups = evtx_file._FAST.groupindex
    assert sorted(groups, key=groups.__getitem__) == list(evtx_file.System._fields)


def test_crate_xml_windows_xml_and_crate_json_give_the_same_event() -> None:
    from_crate = XML.parse(crate_xml(LOGON).encode(), CTX)
    assert XML.parse(windows_xml(LOGON).encode(), CTX) == from_crate
    assert JSON.parse(orjson.dumps(crate_json(LOGON)), CTX) == from_crate


def test_winlog_fields_of_an_evtx_record() -> None:
    ev = XML.parse(crate_xml(replace(LOGON, sid="S-1-5-18")).encode(), CTX)
    assert winlog(ev) | {"winlog.event_data.LogonType": "10"} == winlog(ev)
    assert {k: ev[k] for k in ev if k.startswith("winlog.") and ".event_data." not in k} == {
        "winlog.channel": "Security", "winlog.provider_name": SECURITY[0],
        "winlog.provider_guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
        "winlog.event_id": "4624", "winlog.record_id": 918273,
        "winlog.computer_name": "DC01.plant.local", "winlog.task": "12544",
        "winlog.opcode": "Info", "winlog.keywords": ["Audit Success"],
        "winlog.level": "information", "winlog.version": 2, "winlog.process.pid": 652,
        "winlog.process.thread.id": 4488, "winlog.user.identifier": "S-1-5-18",
        "winlog.activity_id": "{1C2D3E4F-0A1B-2C3D-4E5F-60718293A4B5}",
        "winlog.logon.type": "RemoteInteractive", "winlog.logon.id": "0x8a21f3"}
    assert ev["@timestamp"] == 1_795_767_302_123_456
    assert (ev["host.name"], ev["event.code"], ev["event.provider"]) == (
        "DC01.plant.local", "4624", SECURITY[0])
    assert (ev["event.module"], ev["event.dataset"], ev["log.level"]) == (
        "windows", "windows.security", "information")
    assert ev["winlog.event_data.LogonProcessName"] == "User32 "  # trailing blank kept


def test_rendering_info_gives_names_and_message_like_winlogbeat() -> None:
    ev = XML.parse(windows_xml(LOGON, RENDERED).encode(), CTX)
    assert ev["winlog.task"] == "Logon" and ev["winlog.opcode"] == "Info"
    assert ev["winlog.keywords"] == ["Audit Success"] and ev["message"].startswith("An account")
    beat = JSON.parse(orjson.dumps(winlogbeat(LOGON, "Logon", ["Audit Success"])), CTX)
    only_beat = {"winlog.api"}  # what Winlogbeat adds about itself
    assert {k: v for k, v in winlog(beat).items() if k not in only_beat} == winlog(ev)
    assert beat["@timestamp"] == 1_795_767_302_123_000  # Winlogbeat writes milliseconds
    assert beat["agent.type"] == "winlogbeat" and "event.created" not in beat
    assert {k: beat[k] for k in ("event.action", "user.name", "source.ip")} == {
        "event.action": "logged-in", "user.name": "operator1", "source.ip": "10.20.1.15"}


def test_nxlog_gives_the_same_winlog_fields() -> None:
    ev = XML.parse(windows_xml(LOGON, RENDERED).encode(), CTX)
    flat = JSON.parse(orjson.dumps(nxlog(replace(LOGON, computer="HIST01"), "Logon")), CTX)
    expected = winlog(ev) | {"winlog.computer_name": "HIST01"}
    assert winlog(flat) == expected
    assert flat["@timestamp"] == 1_795_767_302_000_000  # 09:15:02 Berlin time
    assert flat["event.timezone"] == "Europe/Berlin"


def test_nxlog_time_fields_and_user_names() -> None:
    doc = nxlog(LOGON, "Logon") | {"AccountName": "SYSTEM", "Domain": "NT AUTHORITY",
                                   "AccountType": "User", "UserID": "S-1-5-18",
                                   "TimeCreated": "2026-11-27T08:15:02.5Z", "tags": ["plant"]}
    ev = JSON.parse(orjson.dumps(doc), CTX)
    assert ev["@timestamp"] == 1_795_767_302_500_000 and "event.timezone" not in ev
    assert (ev["winlog.user.name"], ev["winlog.user.domain"], ev["winlog.user.type"]) == (
        "SYSTEM", "NT AUTHORITY", "User")
    assert ev["tags"] == ["plant"] and "winlog.event_data.AccountName" not in ev
    assert "winlog.event_data.SeverityValue" not in ev and "winlog.event_data.EventTime" not in ev


def test_json_values_become_the_text_windows_renders() -> None:
    spec = sysmon("3", [("Initiated", "true")])
    doc = crate_json(spec)
    doc["Event"]["EventData"] = {"Initiated": True, "SourcePort": 50211, "RuleName": None,
                                 "Data": {"#text": ["a", "b"]}, "Binary": None}
    ev = JSON.parse(orjson.dumps(doc), CTX)
    assert ev["winlog.event_data.Initiated"] == "true"
    assert ev["winlog.event_data.SourcePort"] == "50211"
    assert ev["winlog.event_data.RuleName"] == "" and ev["winlog.event_data.Binary"] == ""
    assert ev["winlog.event_data.Data"] == ["a", "b"]


def test_unnamed_data_binary_and_empty_values() -> None:
    spec = Spec(event_id="1000", source=("Application Error", "", "Application"),
                data=[("", "historian.exe"), ("", "10.4.2.1"), ("", "")])
    text = crate_xml(spec).replace('Guid="">', ">").replace(
        "  </EventData>", "    <Binary>4E006C00</Binary>\n  </EventData>")
    ev = XML.parse(text.encode(), CTX)
    assert ev["winlog.event_data.Data"] == ["historian.exe", "10.4.2.1", ""]
    assert ev["winlog.event_data.Binary"] == "4E006C00"
    one = XML.parse(crate_xml(replace(spec, data=[("", "x"), ("Path", "")])).encode(), CTX)
    assert one["winlog.event_data.Data"] == "x" and one["winlog.event_data.Path"] == ""


def test_empty_element_of_the_crate_is_empty_and_line_ends_follow_xml() -> None:
    text = crate_xml(Spec(data=[("A", "x"), ("B", "y\r\nz"), ("C", "\n")])).replace(
        '<Data Name="A">x</Data>', '<Data Name="A">\n    </Data>')
    ev = XML.parse(text.encode(), CTX)
    assert (ev["winlog.event_data.A"], ev["winlog.event_data.B"], ev["winlog.event_data.C"]) == (
        "", "y\nz", "\n")


def test_user_data_is_flattened_with_its_element_name() -> None:
    spec = Spec(event_id="1102", source=EVENTLOG, task="104", keywords="0x4020000000000000",
                user_data=("LogFileCleared", [("SubjectUserSid", "S-1-5-21-1-2-3-500"),
                                              ("SubjectUserName", "plantadmin"),
                                              ("SubjectDomainName", "PLANT"),
                                              ("SubjectLogonId", "0x99e3d")]))
    text = crate_xml(spec)
    assert evtx_file.read_fast(text) == evtx_file.read_tree(text) is not None
    ev = XML.parse(text.encode(), CTX)
    assert ev["winlog.user_data.xml_name"] == "LogFileCleared"
    assert ev["winlog.user_data.SubjectUserName"] == "plantadmin"
    assert JSON.parse(orjson.dumps(crate_json(spec)), CTX) == ev
    assert XML.parse(windows_xml(spec).encode(), CTX) == ev


def test_nested_user_data_with_attributes_and_repeats() -> None:
    xml = ("<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
           "<Provider Name='P'/><EventID>70</EventID><Computer>ENG-WS01</Computer></System>"
           "<UserData><Op xmlns='urn:x'><Cert fileRef='a.cer' subject='ENG-WS01'/>"
           "<Apps><App>a</App><App>b</App></Apps><Result value='0'>ok</Result></Op></UserData>"
           "</Event>")
    ev = XML.parse(xml.encode(), CTX)
    assert {k[17:]: v for k, v in ev.items() if k.startswith("winlog.user_data.")} == {
        "xml_name": "Op", "Cert.fileRef": "a.cer", "Cert.subject": "ENG-WS01",
        "Apps.App": ["a", "b"], "Result.value": "0", "Result": "ok"}
    doc = {"Event": {"System": {"Provider": {"#attributes": {"Name": "P"}}, "EventID": 70,
                                "Computer": "ENG-WS01"},
                     "UserData": {"Op": {"#attributes": {"xmlns": "urn:x"},
                                         "Cert": {"#attributes": {"fileRef": "a.cer",
                                                                  "subject": "ENG-WS01"}},
                                         "Apps": {"App": "a", "App_1": "b"},
                                         "Result": {"#attributes": {"value": 0}, "#text": "ok"}}}}}
    assert JSON.parse(orjson.dumps(doc), CTX) == ev | {"@timestamp": RECEIVED}


def test_xmltodict_and_separate_attribute_json_shapes() -> None:
    xd = {"Event": {"System": {"Provider": {"@Name": SYSMON[0]}, "EventID": "11",
                               "TimeCreated": {"@SystemTime": "2026-11-27T08:00:00Z"},
                               "Channel": SYSMON[2], "Computer": "ENG-WS01"},
                    "EventData": {"Data": [{"@Name": "TargetFilename", "#text": "C:\\x.s7p"},
                                           {"@Name": "Image", "#text": "C:\\step7.exe"}]}}}
    ev = JSON.parse(orjson.dumps(xd), CTX)
    assert ev["file.path"] == "C:\\x.s7p" and ev["file.extension"] == "s7p"
    sep = {"Event": {"System": {"Provider_attributes": {"Name": SYSMON[0]}, "Provider": None,
                                "EventID": 11, "Channel": SYSMON[2], "Computer": "ENG-WS01",
                                "TimeCreated_attributes": {"SystemTime": "2026-11-27T08:00:00Z"}},
                     "EventData": {"TargetFilename": "C:\\x.s7p", "Image": "C:\\step7.exe"}}}
    assert JSON.parse(orjson.dumps(sep), CTX) == ev


# --- the ECS mapping, one event id at a time ----------------------------------------------

def _event(spec: Spec) -> dict[str, Any]:
    event: dict[str, Any] = XML.parse(crate_xml(spec).encode(), CTX)
    return event


SUBJECT = [("SubjectUserSid", "S-1-5-21-1-2-3-500"), ("SubjectUserName", "plantadmin"),
           ("SubjectDomainName", "PLANT"), ("SubjectLogonId", "0x3e7")]
TARGET = [("TargetSid", "S-1-5-21-1-2-3-1107"), ("TargetUserName", "operator2"),
          ("TargetDomainName", "PLANT")]
CASES: list[tuple[Spec, dict[str, Any]]] = [
    (LOGON, {"event.category": ["authentication"], "event.type": ["start"],
             "event.action": "logged-in", "event.outcome": "success", "user.name": "operator1",
             "user.domain": "PLANT", "user.id": "S-1-5-21-1004336348-1177238915-682003330-1104",
             "source.ip": "10.20.1.15", "source.domain": "ENG-WS01", "process.pid": 756,
             "process.name": "svchost.exe", "related.user": ["operator1"],
             "related.ip": ["10.20.1.15"], "winlog.logon.type": "RemoteInteractive"}),
    (replace(LOGON, event_id="4625", keywords="0x8010000000000000", data=[
        ("TargetUserName", "operator1"), ("TargetDomainName", "PLANT"), ("Status", "0xc000006d"),
        ("SubStatus", "0xc000006a"), ("LogonType", "3"), ("IpAddress", "::ffff:10.20.9.44"),
        ("IpPort", "50211"), ("ProcessId", "0x0"), ("ProcessName", "-")]),
     {"event.action": "logon-failed", "event.outcome": "failure", "source.ip": "10.20.9.44",
      "source.port": 50211, "event.reason": "wrong password", "winlog.logon.type": "Network",
      "process.pid": None, "process.executable": None}),
    (replace(LOGON, event_id="4634", data=[("TargetUserName", "operator1"),
                                           ("TargetDomainName", "PLANT"), ("LogonType", "2")]),
     {"event.type": ["end"], "event.action": "logged-out", "winlog.logon.type": "Interactive"}),
    (replace(LOGON, event_id="4648", data=[*SUBJECT, ("TargetUserName", "svc_hist"),
                                           ("TargetDomainName", "PLANT"),
                                           ("TargetServerName", "HIST01"), ("IpAddress", "-"),
                                           ("IpPort", "-")]),
     {"event.action": "logged-in-explicit", "user.name": "plantadmin",
      "user.target.name": "svc_hist", "destination.domain": "HIST01", "source.ip": None,
      "related.user": ["plantadmin", "svc_hist"]}),
    (replace(LOGON, event_id="4672", data=[*SUBJECT, ("PrivilegeList", "SeDebugPrivilege")]),
     {"event.category": ["iam"], "event.type": ["admin"], "event.action": "logged-in-special",
      "user.name": "plantadmin", "winlog.logon.id": "0x3e7"}),
    (replace(LOGON, event_id="4720", data=[*TARGET, *SUBJECT]),
     {"event.type": ["user", "creation"], "event.action": "added-user-account",
      "user.name": "plantadmin", "user.target.name": "operator2",
      "user.target.id": "S-1-5-21-1-2-3-1107"}),
    (replace(LOGON, event_id="4722", data=[*TARGET, *SUBJECT]),
     {"event.action": "enabled-user-account", "user.target.domain": "PLANT"}),
    (replace(LOGON, event_id="4724", data=[*TARGET, *SUBJECT]),
     {"event.action": "reset-password", "event.type": ["user", "change"]}),
    (replace(LOGON, event_id="4728", data=[
        ("MemberName", "CN=Operator\\, Two,OU=OT,DC=plant,DC=local"),
        ("MemberSid", "S-1-5-21-1-2-3-1107"), ("TargetUserName", "OT-Engineers"),
        ("TargetDomainName", "PLANT"), ("TargetSid", "S-1-5-21-1-2-3-1201"), *SUBJECT]),
     {"event.action": "added-member-to-group", "group.name": "OT-Engineers",
      "group.id": "S-1-5-21-1-2-3-1201", "user.target.name": "Operator, Two",
      "user.target.id": "S-1-5-21-1-2-3-1107"}),
    (replace(LOGON, event_id="4732", data=[("MemberName", "-"), ("MemberSid", "S-1-5-21-1-2-3-1107"),
                                           ("TargetUserName", "Administrators"),
                                           ("TargetDomainName", "Builtin"), *SUBJECT]),
     {"event.type": ["group", "change"], "group.name": "Administrators",
      "group.domain": "Builtin", "user.target.name": None}),
    (replace(LOGON, event_id="4740", data=[("TargetUserName", "operator1"),
                                           ("TargetDomainName", "HMI-07"), *SUBJECT]),
     {"event.action": "locked-out-user-account", "user.target.name": "operator1"}),
    (replace(LOGON, event_id="4688", data=[
        *SUBJECT, ("NewProcessId", "0x1a2c"), ("NewProcessName", "C:\\Windows\\System32\\cmd.exe"),
        ("TokenElevationType", "%%1936"), ("ProcessId", "0x9c4"),
        ("CommandLine", "cmd.exe /c whoami"), ("ParentProcessName", "C:\\Siemens\\TIA.exe")]),
     {"event.category": ["process"], "event.action": "created-process", "process.pid": 6700,
      "process.name": "cmd.exe", "process.command_line": "cmd.exe /c whoami",
      "process.parent.pid": 2500, "process.parent.name": "TIA.exe", "user.name": "plantadmin"}),
    (replace(LOGON, event_id="4697", data=[*SUBJECT, ("ServiceName", "histsvc"),
                                           ("ServiceFileName", "C:\\hist\\svc.exe")]),
     {"event.category": ["configuration"], "event.type": ["creation"],
      "event.action": "service-installed", "service.name": "histsvc"}),
    (Spec(event_id="7045", source=SCM, sid="S-1-5-21-1-2-3-500", keywords="0x8080000000000000",
          data=[("ServiceName", "PSEXESVC"), ("ImagePath", "%SystemRoot%\\PSEXESVC.exe"),
                ("ServiceType", "user mode service"), ("StartType", "demand start"),
                ("AccountName", "LocalSystem")]),
     {"event.action": "service-installed", "service.name": "PSEXESVC",
      "user.id": "S-1-5-21-1-2-3-500", "event.dataset": "windows.system",
      "winlog.keywords": ["Classic"]}),
    (Spec(event_id="1102", source=EVENTLOG, user_data=("LogFileCleared", SUBJECT)),
     {"event.action": "audit-log-cleared", "user.name": "plantadmin", "user.domain": "PLANT",
      "user.id": "S-1-5-21-1-2-3-500"}),
    (Spec(event_id="104", source=(EVENTLOG[0], EVENTLOG[1], "System"),
          user_data=("LogFileCleared", [("SubjectUserName", "plantadmin"),
                                        ("SubjectDomainName", "PLANT"), ("Channel", "System"),
                                        ("BackupPath", "")])),
     {"event.action": "log-cleared", "user.name": "plantadmin",
      "winlog.user_data.BackupPath": ""}),
    (sysmon("1", [
        ("RuleName", "-"), ("UtcTime", "2026-11-27 08:15:02.100"),
        ("ProcessGuid", "{5D2A0B1C-0001-0002-0003-000000000D00}"), ("ProcessId", "4460"),
        ("Image", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
        ("OriginalFileName", "PowerShell.EXE"), ("CommandLine", "powershell -nop -enc SQBFAFgA"),
        ("CurrentDirectory", "C:\\Users\\operator1\\"), ("User", "PLANT\\operator1"),
        ("Hashes", "SHA1=AB,MD5=CD,SHA256=EF,IMPHASH=01"), ("ParentProcessId", "812"),
        ("ParentImage", "C:\\Windows\\explorer.exe"), ("ParentCommandLine", "explorer.exe")]),
     {"event.module": "sysmon", "event.dataset": "windows.sysmon_operational",
      "event.action": "process-created", "process.pid": 4460, "process.name": "powershell.exe",
      "process.entity_id": "{5D2A0B1C-0001-0002-0003-000000000D00}",
      "process.command_line": "powershell -nop -enc SQBFAFgA", "process.parent.pid": 812,
      "process.parent.name": "explorer.exe", "process.hash.sha256": "ef",
      "process.pe.imphash": "01", "process.pe.original_file_name": "PowerShell.EXE",
      "user.name": "operator1", "user.domain": "PLANT", "event.outcome": None}),
    (sysmon("3", [
        ("Image", "C:\\Program Files\\Historian\\hist.exe"), ("User", "NT AUTHORITY\\SYSTEM"),
        ("Protocol", "tcp"), ("Initiated", "true"), ("SourceIsIpv6", "false"),
        ("SourceIp", "10.20.1.15"), ("SourceHostname", "HIST01.plant.local"),
        ("SourcePort", "50211"), ("DestinationIp", "10.30.8.41"), ("DestinationPort", "502")]),
     {"event.category": ["network"], "event.type": ["connection", "start"],
      "network.transport": "tcp", "network.direction": "egress", "network.type": "ipv4",
      "source.ip": "10.20.1.15", "destination.ip": "10.30.8.41", "destination.port": 502,
      "source.domain": "HIST01.plant.local", "related.ip": ["10.20.1.15", "10.30.8.41"]}),
    (sysmon("11", [("Image", "C:\\Siemens\\TIA.exe"),
                                              ("TargetFilename", "D:\\Projects\\Line4.ap17")]),
     {"event.category": ["file"], "file.path": "D:\\Projects\\Line4.ap17",
      "file.name": "Line4.ap17", "file.directory": "D:\\Projects", "file.extension": "ap17"}),
    (sysmon("13", [
        ("EventType", "SetValue"), ("Image", "C:\\Windows\\regedit.exe"),
        ("TargetObject", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\histsvc\\Start"),
        ("Details", "DWORD (0x00000002)")]),
     {"event.category": ["registry"], "registry.hive": "HKLM",
      "registry.key": "SYSTEM\\CurrentControlSet\\Services\\histsvc", "registry.value": "Start",
      "registry.data.strings": ["DWORD (0x00000002)"]}),
    (sysmon("22", [
        ("QueryName", "updates.vendor.example"), ("QueryStatus", "0"),
        ("QueryResults", "type:  5 cdn.example;::ffff:192.0.2.10;192.0.2.11;"),
        ("Image", "C:\\hist\\updater.exe")]),
     {"event.action": "dns-query", "dns.question.name": "updates.vendor.example",
      "dns.resolved_ip": ["192.0.2.10", "192.0.2.11"], "event.outcome": "success",
      "network.protocol": "dns"}),
    (Spec(event_id="4103", source=POWERSHELL, level="4", task="106", keywords="0x0", data=[
        ("ContextInfo", ("        Severity = Informational\r\n        Host Application = "
                         "powershell.exe -c Get-Process\r\n        Command Name = Get-Process\r\n"
                         "        Command Type = Cmdlet\r\n        User = PLANT\\operator1\r\n")),
        ("UserData", ""), ("Payload", "CommandInvocation(Get-Process)")]),
     {"event.module": "powershell", "event.dataset": "windows.powershell_operational",
      "event.action": "pipeline-executed", "process.command_line": "powershell.exe -c Get-Process",
      "powershell.command.name": "Get-Process", "powershell.command.type": "Cmdlet",
      "user.name": "operator1", "user.domain": "PLANT", "winlog.keywords": None}),
    (Spec(event_id="4104", source=POWERSHELL, level="5", task="2", data=[
        ("MessageNumber", "1"), ("MessageTotal", "3"), ("ScriptBlockText", "Get-Service hist*"),
        ("ScriptBlockId", "{7c3e9f0a-1111-2222-3333-444455556666}"), ("Path", "")]),
     {"event.action": "script-block-logged", "powershell.file.script_block_text":
      "Get-Service hist*", "powershell.sequence": 1, "powershell.total": 3, "file.path": None,
      "log.level": "verbose"}),
]


@pytest.mark.parametrize(("spec", "expected"), CASES,
                         ids=[f"{c[0].source[0].split('-')[-1]}-{c[0].event_id}" for c in CASES])
def test_ecs_mapping(spec: Spec, expected: dict[str, Any]) -> None:
    ev = _event(spec)
    assert {k: ev.get(k) for k in expected} == expected
    assert JSON.parse(orjson.dumps(crate_json(spec)), CTX) == ev


def test_every_mapped_event_id_has_a_case() -> None:
    covered = {(c[0].source[0], c[0].event_id) for c in CASES} | {(SECURITY[0], "4647")}
    assert set(MAPPINGS) == covered


def test_ids_repeat_across_providers_so_the_provider_decides() -> None:
    other = _event(Spec(event_id="1", source=("Microsoft-Windows-Kernel-General", "A", "System")))
    assert "event.action" not in other and other["event.dataset"] == "windows.system"


@pytest.mark.parametrize(("channel", "module", "dataset"), [
    ("Security", "windows", "windows.security"), ("ForwardedEvents", "windows", "windows.forwarded"),
    ("Microsoft-Windows-TaskScheduler/Operational", "windows",
     "windows.microsoft_windows_taskscheduler_operational"),
    ("Windows PowerShell", "powershell", "windows.powershell"), ("", "windows", "windows.unknown")])
def test_channel_dataset(channel: str, module: str, dataset: str) -> None:
    assert channel_dataset(channel) == (module, dataset)


@pytest.mark.parametrize(("mask", "names"), [
    ("0x8020000000000000", ("Audit Success",)), ("0x8010000000000000", ("Audit Failure",)),
    ("0x80000000000000", ("Classic",)), ("-9214364837600034816", ("Audit Success",)),
    ("0x8000000000000000", ()), ("zz", ())])
def test_keyword_names(mask: str, names: tuple[str, ...]) -> None:
    assert keyword_names(mask) == names


# --- refusals and hostile input -------------------------------------------------------------

@pytest.mark.parametrize(("raw", "words"), [
    (b"", "not well-formed"), (b"<Event", "not well-formed"), (b"hello", "not well-formed"),
    (b"<Events><Event/></Events>", "root element is <Events>"),
    (b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'/>", "no <System>"),
    (b"<Event><System><EventID>abc</EventID></System></Event>", "EventID is not a number"),
    (b"<Event><System><Provider Name='x'/></System></Event>", "EventID is not a number"),
    (b"<Event><System><EventID>4624</EventID><TimeCreated SystemTime='yesterday'/></System></Event>",
     "SystemTime is not an ISO 8601 time"),
    ((b"<Event><System><EventID>1</EventID><TimeCreated SystemTime='1969-12-31T23:59:59Z'/>"
      b"</System></Event>"), "outside 1970..9999"),
    (b"\xff\xfeX\x00\x00\xd8", "declares no encoding"),
    ((b"<Event><System><EventID>1</EventID></System><EventData><Data>&nbsp;</Data></EventData>"
      b"</Event>"), "undefined entity"),
])
def test_xml_refusals(raw: bytes, words: str) -> None:
    with pytest.raises(ParseError, match=words) as info:
        XML.parse(raw, CTX)
    assert info.value.parser == "winxml"


@pytest.mark.parametrize("raw", [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
     b"<Event><System><EventID>1</EventID></System><EventData><Data>&lol2;</Data></EventData>"
     b"</Event>"),
    (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<Event><System><EventID>1</EventID></System><EventData><Data>&x;</Data></EventData>"
     b"</Event>"),
    '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE e [<!ENTITY x "y">]><Event/>'.encode("utf-16"),
])
def test_document_type_declarations_are_refused_never_expanded(raw: bytes) -> None:
    with pytest.raises(ParseError, match="document type declaration"):
        XML.parse(raw, CTX)


@pytest.mark.parametrize(("time", "us"), [
    ("2026-11-27T08:15:02.1234567Z", 1_795_767_302_123_456),  # Windows writes 7 digits
    ("2026-11-27T08:15:02Z", 1_795_767_302_000_000), ("2026-11-27T08:15:02.5", 1_795_767_302_500_000),
    ("2026-11-27T09:15:02+01:00", 1_795_767_302_000_000),
    ("1601-01-01T00:00:00.000000Z", RECEIVED),  # FILETIME zero: "not set"
])
def test_system_times(time: str, us: int) -> None:
    assert XML.parse(windows_xml(replace(LOGON, time=time)).encode(), CTX)["@timestamp"] == us


def test_forbidden_characters_pass_both_paths() -> None:
    spec = Spec(data=[("PrivilegeList", "\u01ff\x0f-"), ("Note", "bell\x07 and \ufffe")])
    text = crate_xml(spec)
    assert evtx_file.read_fast(text) == evtx_file.read_tree(text) is not None
    ev = XML.parse(windows_xml(spec).encode(), CTX)
    assert ev["winlog.event_data.PrivilegeList"] == "\u01ff\x0f-"
    assert ev["winlog.event_data.Note"] == "bell\x07 and \ufffe"


def test_utf16_and_declared_legacy_encodings() -> None:
    xml = windows_xml(replace(LOGON, computer="HMI-Ä7"))
    assert XML.parse(xml.encode("utf-16"), CTX)["host.name"] == "HMI-Ä7"
    latin = ('<?xml version="1.0" encoding="iso-8859-1"?>' + xml).encode("latin-1")
    assert XML.parse(latin, CTX)["host.name"] == "HMI-Ä7"


@pytest.mark.parametrize(("raw", "words"), [
    (b"[1]", "not an object"), (b"{", "invalid JSON"), (b'{"event_type":"alert"}', "not Windows JSON"),
    (b'{"winlog":{"event_id":"x"}}', "winlog.event_id is not a number"),
    (b'{"winlog":{"event_id":1},"@timestamp":"soon"}', "@timestamp is not an ISO 8601 time"),
    (b'{"Event":{"System":{"EventID":{"#text":"4x"}}}}', "EventID is not a number"),
    (b'{"EventID":"4624","Hostname":"DC01","Channel":"Security","EventTime":"late"}',
     "EventTime is not an ISO 8601 time"),
])
def test_json_refusals(raw: bytes, words: str) -> None:
    with pytest.raises(ParseError, match=words) as info:
        JSON.parse(raw, CTX)
    assert info.value.parser == "winjson"


# --- registration, detection and the JSON flavour -----------------------------------------

def test_exported_api() -> None:
    assert [p.name for p in PARSERS] == ["winxml", "winjson"]
    assert [f.name for f in FLAVOURS] == ["winjson"] and EVTX_MAGIC == b"ElfFile\x00"


@pytest.mark.parametrize(("doc", "shape"), [
    (winlogbeat(LOGON, "Logon", []), "winlogbeat"), (crate_json(LOGON), "evtx"),
    (nxlog(LOGON, "Logon"), "flat"),
    ({"EventID": 4688, "Hostname": "ENG-WS01", "SourceName": "Microsoft-Windows-Security-Auditing"},
     "flat"),
    ({"timestamp": "2026-11-27T08:00:00Z", "event_type": "alert", "src_ip": "10.0.0.1"}, None),
    ({"ts": 1795773600.1, "uid": "C1", "id.orig_h": "10.20.3.17", "_path": "modbus"}, None),
    ({"@timestamp": "2026-11-27T08:00:00Z", "host": {"name": "hist01"}, "message": "x"}, None),
    ({"EventID": 1, "Channel": "Security"}, None), ({"winlog": "text"}, None),
    ({"Event": {"System": "x"}}, None),
])
def test_flavour_claims_only_windows_shapes(doc: dict[str, Any], shape: str | None) -> None:
    assert json_shape(doc) == shape
    assert FLAVOURS[0].claims(doc) is (shape is not None)


def test_registry_routes_xml_and_json_here() -> None:
    raw = crate_xml(LOGON).encode()
    assert detect_syslog_format(raw) == "winxml"
    assert parse(raw, CTX) == ("winxml", XML.parse(raw, CTX))
    doc = orjson.dumps(winlogbeat(LOGON, "Logon", ["Audit Success"]))
    assert parse_json(doc, CTX) == ("winjson", JSON.parse(doc, CTX))
    assert parse(doc, CTX, "winjson")[1] == JSON.parse(doc, CTX)


# --- properties ---------------------------------------------------------------------------

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
VALID = [crate_xml(c[0]).encode() for c in CASES[:6]] + [
    windows_xml(LOGON, RENDERED).encode(), orjson.dumps(crate_json(LOGON)),
    orjson.dumps(winlogbeat(LOGON, "Logon", ["Audit Success"])), orjson.dumps(nxlog(LOGON, "x"))]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    if draw(st.booleans()):
        return bytes(data[:draw(st.integers(0, len(data)))])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        byte = draw(st.sampled_from(b'<>&;"\'/=x\x00\xff{}[]:,0') | st.integers(0, 255))
        if draw(st.booleans()):
            data.insert(at, byte)
        elif data:
            data[at] = byte
    return bytes(data)


@PROPERTY
@given(raw=st.one_of(st.binary(max_size=300), damaged()))
def test_parsers_raise_only_parse_error(raw: bytes) -> None:
    for parser in PARSERS:
        try:
            event = parser.parse(raw, CTX)
        except ParseError as exc:
            assert exc.reason and exc.parser == parser.name
            continue
        assert isinstance(event["@timestamp"], int) and event["winlog.event_id"].isdigit()
        assert not any(isinstance(v, dict) for v in event.values())


_NAMES = st.text(st.sampled_from("AbcdXyz019_- "), min_size=1, max_size=10).filter(str.strip)
_VALUES = st.one_of(
    st.text(max_size=30), st.sampled_from(["", "-", "\n", "\n    ", "a\r\nb", "]]>", "&amp;",
                                           "x\x01y", "C:\\Siemens\\<TIA>", "\"q\" 'a'"]))
_SPECS = st.builds(
    Spec, event_id=st.sampled_from(["1", "3", "4624", "4688", "7045", "999"]),
    source=st.sampled_from([SECURITY, SYSMON, SCM, POWERSHELL]),
    data=st.lists(st.tuples(st.one_of(st.just(""), _NAMES), _VALUES), max_size=8),
    computer=st.sampled_from(["ENG-WS01", "HIST01.plant.local", "HMI-07"]),
    keywords=st.sampled_from(["0x8020000000000000", "0x0", "0x8010000000000000"]),
    sid=st.one_of(st.none(), st.just("S-1-5-18")),
    activity=st.one_of(st.none(), st.just("{A1B2C3D4-0000-1111-2222-333344445555}")))


@PROPERTY
@given(spec=_SPECS)
def test_fast_path_equals_elementtree_and_xml_equals_json(spec: Spec) -> None:
    text = crate_xml(spec)
    fast = evtx_file.read_fast(text)
    assert fast is not None, "a record in the crate's layout missed the fast path"
    assert fast == evtx_file.read_tree(text)
    ev = XML.parse(text.encode(), CTX)
    assert XML.parse(windows_xml(spec).encode(), CTX) == ev
    unique = len({k for k, _ in spec.data if k}) == len([k for k, _ in spec.data if k])
    if unique:  # JSON objects cannot hold a name twice
        assert JSON.parse(orjson.dumps(crate_json(spec)), CTX) == ev


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3), max_leaves=8)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    return found


@PROPERTY
@given(data=st.data())
def test_any_json_value_anywhere_in_a_windows_shape(data: st.DataObject) -> None:
    doc = orjson.loads(data.draw(st.sampled_from(VALID[-3:])))
    path = data.draw(st.sampled_from(_paths(doc)))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(_JSON_VALUES)
    try:
        event = JSON.parse(orjson.dumps(doc), CTX)
    except ParseError as exc:
        assert exc.parser == "winjson"
        return
    for key in ("host.name", "event.code", "winlog.channel", "winlog.task", "log.level"):
        assert key not in event or isinstance(event[key], str), key
    assert all(isinstance(event.get(k, 0), int) for k in (
        "winlog.record_id", "winlog.version", "winlog.process.pid", "@timestamp"))
