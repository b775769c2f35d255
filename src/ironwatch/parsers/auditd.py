"""Linux audit (auditd) events: records of one serial grouped, read, and mapped to ECS.

An audit event is the records sharing ``msg=audit(<seconds>.<ms>:<serial>)``: ``SYSCALL``
with its ``EXECVE``, ``CWD``, ``PATH``… and ``PROCTITLE``, closed by ``EOE``, or one
user-space record (``USER_LOGIN``, ``SERVICE_START``…). ``AuditGrouper`` puts the lines of
an ``audit.log`` back together (events interleave); the ``auditd`` parser reads one event
(records joined by ``\\n``), with or without ``node=`` and in the ENRICHED format
(interpreted values after ``\\x1d``). Output follows auditbeat/go-libaudit:
``auditd.message_type`` (primary record, lower case), ``auditd.sequence``,
``auditd.records``, ``auditd.result``, ``auditd.data.*`` (the primary record's fields over
its ``SYSCALL``'s; ``auid``/``ses`` 4294967295 read ``unset``; arch and x86_64 syscalls by
name), ``auditd.paths``, ``auditd.interpreted.*``, ECS ``process.*``, ``user.*``,
``group.*``, ``file.*``, ``source``/``destination``, ``event.*`` and ``tags`` (rule keys).
Values auditd hex-encoded (``proctitle``, ``exe``, ``cwd``, ``name``, ``cmd``…) are decoded.
"""

from __future__ import annotations

import errno
import re
import sys
from typing import NamedTuple

from ..errors import ParseError
from ..event import Event
from ._auditd_tables import ARCHES, SYSCALL_SHAPES, SYSCALLS_X86_64, TYPE_NAMES, TYPE_NUMBERS, TYPE_SHAPES
from ._syslog_common import MAX_US, fraction_us
from .base import ParseContext, Parser
from .cef import valid_ip

NAME = "auditd"
UNSET = "4294967295"


_ERRNO = errno.errorcode if sys.platform == "linux" else {}  # audit exit codes are Linux's

#: fields auditd writes hex-encoded when they hold a space, quote or control character
HEX_FIELDS = frozenset({"acct", "cmd", "comm", "cwd", "data", "dir", "exe", "file", "key",
                        "name", "ocomm", "path", "proctitle", "vm", "watch", "new-disk",
                        "old-disk", "new-fs", "old-fs", "new-rng", "old-rng", "root_dir",
                        "sauid", "grp", "new_group", "old_group"})
_UNSET_FIELDS = frozenset({"auid", "old-auid", "ses", "old-ses", "new-ses"})
_RESULT = {"yes": "success", "success": "success", "1": "success",
           "no": "fail", "failed": "fail", "0": "fail"}

_HEADER = re.compile(r"(?:node=(\S{1,255}) )?type=([A-Z0-9_]{1,40}|UNKNOWN\[\d{1,6}\]) "
                     r"msg=audit\((\d{1,12})\.(\d{1,9}):(\d{1,20})\):? ?", re.ASCII)
_KV = re.compile(r"""([A-Za-z_][\w-]*(?:\[\d{1,6}\])?)=("[^"]*"|'[^']*'|[^\s"']*)""", re.ASCII)
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+", re.ASCII)
_EXECVE_ARG = re.compile(r"a(\d{1,6})(?:\[(\d{1,6})\])?", re.ASCII)
_AVC = re.compile(r"avc:\s+(\w+)\s+\{\s*([^}]*?)\s*\}", re.ASCII)


class AuditRecord(NamedTuple):
    """One audit record, its values decoded (``fields``) and ENRICHED ones (``interpreted``)."""

    node: str | None
    type: str
    stamp: str            # "<seconds>.<ms>:<serial>", the event's identity
    time_us: int
    serial: int
    fields: dict[str, str]
    interpreted: dict[str, str]


def is_single_record(name: str) -> bool:
    """Whether a record of this type is a whole event (libauparse's rule: user-space types
    1100-1299 and 2100-2999, ``USER``, ``KERNEL``); others wait for their ``EOE``."""
    number = int(name[8:-1]) if name.startswith("UNKNOWN[") else TYPE_NUMBERS.get(name)
    return number is not None and (1100 <= number < 1300 or 2100 <= number < 3000
                                   or number in (1005, 2000))


def parse_record(line: str) -> AuditRecord:
    """One record line; raises ``ParseError`` when it is not an audit record."""
    raw, _, enriched = line.partition("\x1d")
    m = _HEADER.match(raw)
    if m is None:
        raise ParseError(f"not an audit record (no 'type=… msg=audit(…):'): {line[:60]!r}",
                         parser=NAME)
    node, rtype, seconds, fraction, serial = m.groups()
    time_us = int(seconds) * 1_000_000 + fraction_us(fraction)
    if time_us >= MAX_US:
        raise ParseError(f"audit time {seconds} is after 9999", parser=NAME)
    body = raw[m.end():]
    fields = read_fields(body, rtype)
    if rtype == "AVC" and (avc := _AVC.search(body)) is not None:
        fields["seresult"], fields["seperms"] = avc.group(1), avc.group(2)
    interpreted = {k.lower(): v.strip('"') for k, v in _KV.findall(enriched)}
    return AuditRecord(node, rtype, f"{seconds}.{fraction}:{serial}", time_us, int(serial),
                       fields, interpreted)


def record_from_body(rtype: str, body: str) -> AuditRecord:
    """A record without its ``msg=audit(…)`` stamp (as journald relays it): no time, serial 0."""
    return AuditRecord(None, rtype, "", 0, 0, read_fields(body, rtype), {})


def read_fields(text: str, rtype: str, fields: dict[str, str] | None = None) -> dict[str, str]:
    """The ``key=value`` fields of a record body, decoded; ``msg='…'`` nests more of them."""
    fields = {} if fields is None else fields
    for key, value in _KV.findall(text):
        if value[:1] in ("'", '"'):
            if key == "msg" and value[0] == "'":  # user-space records: their own fields
                read_fields(value[1:-1], rtype, fields)
            else:
                fields[key] = value[1:-1]
            continue
        value = value.rstrip(",")  # old user-space form: "(hostname=?, addr=?, …)"
        if value.endswith(")") and "(" not in value:
            value = value[:-1]
        if value in ("?", "(null)", ""):
            continue
        if (key in HEX_FIELDS or (rtype == "EXECVE" and _EXECVE_ARG.fullmatch(key))) \
                and _HEX.fullmatch(value):
            text_value = bytes.fromhex(value).decode("utf-8", "replace")
            if key == "key":  # several rule keys are joined by \x01
                text_value = text_value.replace("\x01", ",")
            elif key != "proctitle":  # proctitle's NULs separate the arguments
                text_value = text_value.replace("\x00", "")
            fields[key] = text_value
        else:
            fields[key] = "unset" if key in _UNSET_FIELDS and value == UNSET else value
    return fields


class AuditdParser:
    """Reads one audit event: its records, of one serial, joined by newlines."""

    name = NAME

    def parse(self, raw: bytes, ctx: ParseContext) -> Event:
        lines = [line for line in raw.decode("utf-8", "replace").split("\n") if line.strip()]
        if not lines:
            raise ParseError("empty audit event", parser=NAME)
        records = [parse_record(line.rstrip("\r")) for line in lines]
        first = records[0]
        for record in records[1:]:
            if (record.stamp, record.node) != (first.stamp, first.node):
                raise ParseError(f"records of different events in one: audit({first.stamp})"
                                 f" and audit({record.stamp})", parser=NAME)
        return event_of(records)


def event_of(records: list[AuditRecord]) -> Event:
    """The ECS event of the records of one audit event (at least one)."""
    first = records[0]
    primary = next((r for r in records if r.type not in _AUXILIARY), first)
    syscall = next((r for r in records if r.type == "SYSCALL"), None)
    data = dict(syscall.fields) if syscall is not None else {}
    names = dict(syscall.interpreted) if syscall is not None else {}
    data.update(primary.fields)
    names.update(primary.interpreted)
    event: Event = {"@timestamp": first.time_us, "event.module": "auditd",
                    "event.dataset": "auditd.log", "auditd.sequence": first.serial,
                    "auditd.message_type": primary.type.lower(),
                    "auditd.records": [r.type.lower() for r in records]}
    if first.node:
        event["host.name"] = first.node
    res, success = data.pop("res", ""), data.pop("success", "")
    result = _RESULT.get(res or success)
    if result:
        event["auditd.result"] = result
        event["event.outcome"] = "success" if result == "success" else "failure"
    _name_numbers(data)
    event.update({f"auditd.data.{key}": value for key, value in data.items()})
    event.update({f"auditd.interpreted.{key}": value for key, value in names.items()})
    _map_process(records, data, event)
    _map_user(primary.type, data, names, event)
    _map_paths(records, event)
    _map_socket(records, data.get("syscall", ""), event)
    if primary.type == "SYSCALL":
        syscall_name = data.get("syscall", "")
        shape = SYSCALL_SHAPES.get(syscall_name, (["process"], ["info"], syscall_name))
    else:
        shape = TYPE_SHAPES.get(primary.type, (["process"], ["info"], primary.type.lower()))
    event["event.kind"] = "alert" if primary.type.startswith("ANOM_") else "event"
    event["event.category"], event["event.type"] = list(shape[0]), list(shape[1])
    if shape[2]:
        event["event.action"] = shape[2]
    keys = [k for k in data.get("key", "").split(",") if k]
    if keys:
        event["tags"] = keys
    return event


def _name_numbers(data: dict[str, str]) -> None:
    arch = data.get("arch")
    if arch is not None:
        data["arch"] = ARCHES.get(arch.lower(), arch)
        if data["arch"] == "x86_64" and "syscall" in data:
            data["syscall"] = SYSCALLS_X86_64.get(data["syscall"], data["syscall"])
    code = data.get("exit", "")
    number = _number(code[1:]) if code.startswith("-") else None
    if number is not None and number in _ERRNO:
        data["errno"] = _ERRNO[number]
    subj = data.get("subj")
    if subj and subj.count(":") >= 3:  # SELinux user:role:type:level[:categories]
        for name, value in zip(("user", "role", "domain", "level", "category"),
                               subj.split(":", 4)):
            data[f"subj_{name}"] = value


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 10 else None


def _map_process(records: list[AuditRecord], data: dict[str, str], event: Event) -> None:
    pid, ppid = _number(data.get("pid")), _number(data.get("ppid"))
    if pid is not None:
        event["process.pid"] = pid
    if ppid is not None:
        event["process.ppid"] = event["process.parent.pid"] = ppid
    exe = data.get("exe")
    if exe:
        event["process.executable"] = exe
    name = data.get("comm") or (exe.rsplit("/", 1)[-1] if exe else "")
    if name:
        event["process.name"] = name
    args: list[str] = []
    for record in records:
        if record.type == "CWD" and "cwd" in record.fields:
            event["process.working_directory"] = record.fields["cwd"]
        elif record.type == "EXECVE":
            args = _execve_args(record.fields)
        elif record.type == "PROCTITLE" and record.fields.get("proctitle"):
            title = record.fields["proctitle"].rstrip("\x00").split("\x00")
            event["process.title"] = " ".join(title)
            args = args or title
    if args:
        event["process.args"] = args
        event["process.args_count"] = len(args)
        event["process.command_line"] = " ".join(args)
    if "cmd" in data:  # USER_CMD: what sudo ran, where
        event["process.command_line"] = data["cmd"]
        if "cwd" in data:
            event["process.working_directory"] = data["cwd"]


def _execve_args(fields: dict[str, str]) -> list[str]:
    parts: dict[int, dict[int, str]] = {}
    for key, value in fields.items():
        m = _EXECVE_ARG.fullmatch(key)
        if m is not None:  # a1[0], a1[1]…: one long argument written in chunks
            parts.setdefault(int(m.group(1)), {})[int(m.group(2) or 0)] = value
    return ["".join(chunks[i] for i in sorted(chunks)) for _, chunks in sorted(parts.items())]


_IAM_USER = frozenset({"ADD_USER", "DEL_USER", "USER_MGMT", "USER_CHAUTHTOK", "ACCT_LOCK",
                       "ACCT_UNLOCK", "CHUSER_ID", "USER_ROLE_CHANGE"})
_IAM_GROUP = frozenset({"ADD_GROUP", "DEL_GROUP", "GRP_MGMT", "GRP_CHAUTHTOK", "CHGRP_ID"})


def _map_user(rtype: str, data: dict[str, str], names: dict[str, str], event: Event) -> None:
    """The acting user is the process's (``uid``, ``euid``, login ``auid``) except in login
    and session records, where ``acct`` is the account logging in; an IAM record's
    ``acct``/``id`` is the account or group it changes."""
    acct, account_id = data.get("acct"), data.get("id")
    if acct and acct.startswith("("):  # "(invalid user)", "(unknown)"
        acct = None
    if rtype in _IAM_USER or rtype in _IAM_GROUP or not acct:
        _id_and_name(event, "user", data.get("uid"), names.get("uid"))
    else:
        _id_and_name(event, "user", account_id, acct)
    _id_and_name(event, "user.effective", data.get("euid"), names.get("euid"))
    _id_and_name(event, "user.audit", data.get("auid"), names.get("auid"))
    if rtype in _IAM_GROUP:
        _id_and_name(event, "group", account_id, acct)
    else:
        _id_and_name(event, "group", data.get("gid"), names.get("gid"))
    if rtype in _IAM_USER:
        _id_and_name(event, "user.target", account_id, acct)
    if rtype in _IAM_USER or rtype in _IAM_GROUP:
        return  # their hostname/addr name the machine the change was made on
    addr = valid_ip(data.get("addr"))
    if addr is not None:
        event["source.ip"] = addr
    host = data.get("hostname")
    if host and host != data.get("addr") and valid_ip(host) is None:
        event["source.domain"] = host


def _id_and_name(event: Event, prefix: str, uid: str | None, name: str | None) -> None:
    if uid and uid.isascii() and uid.isdigit() and uid != UNSET:
        event[f"{prefix}.id"] = uid
    if name and name not in ("?", "unset"):
        event[f"{prefix}.name"] = name


def _map_paths(records: list[AuditRecord], event: Event) -> None:
    paths = [r.fields for r in records if r.type == "PATH"]
    if not paths:
        return
    event["auditd.paths"] = paths
    chosen = next((p for p in paths if p.get("name") and p.get("nametype", p.get("objtype"))
                   not in ("PARENT", "UNKNOWN")), None)
    if chosen is None:
        return
    path = chosen["name"]
    cwd = event.get("process.working_directory")
    if not path.startswith("/") and isinstance(cwd, str):
        path = cwd.rstrip("/") + "/" + path
    event["file.path"] = path
    event["file.name"] = path.rstrip("/").rsplit("/", 1)[-1] or path
    for field, key in (("file.inode", "inode"), ("file.uid", "ouid"), ("file.gid", "ogid"),
                       ("file.device", "dev")):
        if key in chosen:
            event[field] = chosen[key]
    mode = chosen.get("mode", "")
    if len(mode) >= 4 and mode.isdigit():
        event["file.mode"] = mode[-4:]


def _map_socket(records: list[AuditRecord], syscall: str, event: Event) -> None:
    saddr = next((r.fields.get("saddr") for r in records if r.type == "SOCKADDR"), None)
    if not saddr or not _HEX.fullmatch(saddr):
        return
    raw = bytes.fromhex(saddr)
    family = int.from_bytes(raw[:2], "little")
    port = str(int.from_bytes(raw[2:4], "big"))
    if family == 2 and len(raw) >= 8:
        socket = {"family": "ipv4", "port": port, "addr": ".".join(str(b) for b in raw[4:8])}
    elif family == 10 and len(raw) >= 24:
        address = valid_ip(":".join(raw[i:i + 2].hex() for i in range(8, 24, 2)))
        socket = {"family": "ipv6", "port": port, "addr": address or ""}
    elif family == 1:
        socket = {"family": "unix", "path": raw[2:].split(b"\0", 1)[0].decode("utf-8", "replace")}
    else:
        socket = {"family": "netlink" if family == 16 else str(family)}
    event.update({f"auditd.data.socket.{key}": value for key, value in socket.items()})
    side = _SOCKET_SIDE.get(syscall)
    if side and socket.get("addr"):
        event[f"{side}.ip"], event[f"{side}.port"] = socket["addr"], int(port)


_SOCKET_SIDE = {"connect": "destination", "sendto": "destination", "sendmsg": "destination",
                "accept": "source", "accept4": "source", "recvfrom": "source",
                "recvmsg": "source"}
#: records that only accompany a primary one (``SYSCALL`` or the first other record)
_AUXILIARY = frozenset({"CWD", "PATH", "PROCTITLE", "EXECVE", "SOCKADDR", "EOE", "OBJ_PID",
                        "BPRM_FCAPS", "MMAP", "CAPSET", "FD_PAIR", "IPC", "IPC_SET_PERM",
                        "MQ_OPEN", "MQ_SENDRECV", "MQ_NOTIFY", "MQ_GETSETATTR", "SOCKETCALL",
                        "KERN_MODULE", "OPENAT2", "AVC_PATH", "NETFILTER_PKT", "URINGOP"})

MAX_OPEN_EVENTS = 64
#: records in one event before it is cut (bounds memory on a runaway serial)
MAX_RECORDS = 4096
_HEAD = re.compile(rb"(?:node=(\S{1,255}) )?type=([A-Z0-9_]{1,40}|UNKNOWN\[\d{1,6}\]) "
                   rb"msg=audit\((\d{1,12}\.\d{1,9}:\d{1,20})\)", re.ASCII)


class AuditGrouper:
    """Puts the records of each audit event back together, for file import.

    ``feed`` takes lines (without their newline) and returns the events they complete,
    each as its records joined by ``b"\\n"``; ``flush`` returns the rest at the end of the
    input, in order of their first record. An event is complete at its ``EOE`` record, at
    once when its type stands alone (``is_single_record``), or when ``MAX_OPEN_EVENTS``
    newer events are open. A line that is not an audit record comes back alone, as its
    own event, so the parser refuses it with a reason and nothing is lost; blank lines
    are skipped.
    """

    def __init__(self) -> None:
        self._open: dict[tuple[bytes | None, bytes], list[bytes]] = {}

    def feed(self, lines: list[bytes]) -> list[bytes]:
        done: list[bytes] = []
        for line in lines:
            line = line.rstrip(b"\r\n")
            if not line.strip():
                continue
            m = _HEAD.match(line)
            if m is None:
                done.append(line)
                continue
            node, rtype, stamp = m.groups()
            key = (node, stamp)
            records = self._open.get(key)
            if records is None:
                if len(self._open) >= MAX_OPEN_EVENTS:  # the oldest open event is complete
                    done.append(b"\n".join(self._open.pop(next(iter(self._open)))))
                records = self._open[key] = []
            records.append(line)
            name = rtype.decode()
            if name == "EOE" or is_single_record(name) or len(records) >= MAX_RECORDS:
                done.append(b"\n".join(self._open.pop(key)))
        return done

    def flush(self) -> list[bytes]:
        done = [b"\n".join(records) for records in self._open.values()]
        self._open.clear()
        return done


def looks_like_auditd(head: bytes) -> bool:
    """Whether a file starting with ``head`` is an audit log: its first line is a record."""
    for line in head.split(b"\n", 8)[:8]:
        if line.strip():
            return _HEAD.match(line.strip()) is not None
    return False


PARSERS: tuple[Parser, ...] = (AuditdParser(),)

__all__ = ["ARCHES", "NAME", "PARSERS", "TYPE_NAMES", "TYPE_NUMBERS", "AuditGrouper",
           "AuditRecord", "AuditdParser", "event_of", "is_single_record", "looks_like_auditd",
           "parse_record", "read_fields", "record_from_body"]
