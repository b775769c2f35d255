"""Linux authentication messages in syslog: what sshd, sudo, su, PAM, useradd… say, as ECS.

After an RFC 3164/5424 parse the registry hands an event whose ``process.name`` is in
``ENRICHERS`` to that program's function, which reads ``message`` and adds fields in place:
``event.category/type/action/outcome``, ``user.name`` (who acted, or the account the
message is about when it names no actor), ``user.target.name`` and ``user.effective.name``
(whom su/sudo switched to, the account an IAM change is about), ``source.ip``/``.port``,
``group.*``, ``process.command_line``/``process.working_directory`` (sudo) and Elastic's
``system.auth.*`` details (ssh method and key, sudo tty and error, PAM module and service).
Every line of these programs gets ``event.dataset`` ``system.auth``; a message of an
unknown shape keeps its syslog fields only. ``pam_<module>(<service>:<type>): …`` is read
whichever program logs it, as is the old ``sshd(pam_unix)`` program form; audispd's and
journald's ``audit`` lines are read as auditd records.

Each known shape is one anchored, precompiled regex whose named groups say where its
values go (``_apply``); a program's table is looked up by the message's first word, so an
enricher costs a dict lookup and one or two matches. Messages are untrusted text: patterns
are linear, values are copied as text, and an enricher never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..errors import ParseError
from ..event import Event
from . import auditd
from .cef import valid_ip

Enricher = Callable[[Event], None]
#: (pattern, event.action, outcome): outcome "success", "failure", None, "preauth" (failure
#: when the connection ended before authentication) or "failed?" (failure when the
#: ``failed`` group matched)
_Shape = tuple[re.Pattern[str], str, str | None]

#: event.action → event.category and event.type
_SHAPE_TABLE = """
ssh_login authentication,session start          ssh_login_failed authentication start
ssh_invalid_user authentication info            ssh_login_denied authentication info
ssh_login_postponed authentication info         ssh_max_auth_exceeded authentication info
ssh_auth_timeout authentication info            ssh_connection_opened network connection,start
ssh_connection_closed authentication,network end   ssh_disconnected authentication,network end
ssh_disconnect_received network end             ssh_connection_error network connection,error
ssh_connection_dropped network connection,denied   ssh_no_identification network connection,error
ssh_kex_failed network connection,error         ssh_negotiation_failed network connection,error
ssh_reverse_mapping_failed network info         ssh_session_started session start
ssh_session_closed session end                  ssh_server_started process start
ssh_server_stopped process end                  authentication_failed authentication start
user_unknown authentication info                account_locked authentication info
account_expired authentication info             session_opened session start
session_closed session end                      session_logged_out session end
sudo_command process start                      user_switched authentication,session start
login authentication,session start              login_failed authentication start
password_changed iam user,change                password_expiry_changed iam user,change
user_created iam user,creation                  user_changed iam user,change
user_locked iam user,change                     user_unlocked iam user,change
user_deleted iam user,deletion                  group_created iam group,creation
group_changed iam group,change                  group_password_changed iam group,change
group_deleted iam group,deletion                group_member_added iam group,change
group_member_removed iam group,change
"""
_WORDS = _SHAPE_TABLE.split()
SHAPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    _WORDS[i]: (tuple(_WORDS[i + 1].split(",")), tuple(_WORDS[i + 2].split(",")))
    for i in range(0, len(_WORDS), 3)
}
_PREAUTH_WHO = frozenset({"authenticating user", "invalid user"})
#: named group → field it fills (text as found); ip, host, port, … are handled in _apply
_TEXT_FIELDS = {"method": "system.auth.ssh.method", "signature": "system.auth.ssh.signature",
                "verdict": "system.auth.ssh.event", "reason": "event.reason",
                "domain": "source.domain", "group": "group.name", "gid": "group.id",
                "uid": "user.target.id", "session": "system.auth.session.id",
                "home": "system.auth.useradd.home", "shell": "system.auth.useradd.shell"}


def _mark(event: Event, action: str, outcome: str | None) -> None:
    category, types = SHAPES[action]
    event["event.action"] = action
    event["event.category"] = list(category)
    event["event.type"] = list(types)
    if outcome:
        event["event.outcome"] = outcome


def _ip(text: str) -> str | None:
    return _cached_ip(text) if len(text) <= 45 else None  # no address is longer


@lru_cache(maxsize=4096)
def _cached_ip(text: str) -> str | None:
    return valid_ip(text)  # the same scanners' addresses repeat: cache the verdict


def _user(event: Event, name: str | None, field: str = "user.name") -> None:
    if name:
        event[field] = name
        related = event.setdefault("related.user", [])
        if isinstance(related, list) and name not in related:
            related.append(name)


def _apply(m: re.Match[str], action: str, outcome: str | None, event: Event) -> None:
    """Fills the event from a matched shape: named groups say which field gets what."""
    values = {k: v for k, v in m.groupdict().items() if v is not None}
    if outcome == "preauth":
        preauth = "pre" in values or values.get("who") in _PREAUTH_WHO
        outcome = "failure" if preauth else "success"
    elif outcome == "failed?":
        outcome = "failure" if "failed" in values else "success"
    _mark(event, action, outcome)
    _user(event, "root" if "root" in values else values.get("user"))
    _user(event, values.get("target"), "user.target.name")
    if "switch" in values:  # su/sudo: the account switched to runs the command
        _user(event, values["switch"], "user.target.name")
        event["user.effective.name"] = values["switch"]
    for group, field in _TEXT_FIELDS.items():
        if values.get(group):
            event[field] = values[group]
    host = values.get("host") or values.get("ip")
    if host:
        ip = _ip(host.strip("[]"))
        if ip is not None:
            event["source.ip"], event["related.ip"] = ip, [ip]
        elif "host" in values:
            event["source.domain"] = host
    port = values.get("port") or values.get("port2")
    if port and "source.ip" in event and int(port) <= 65535:
        event["source.port"] = int(port)
    if "invalid" in values:
        event["system.auth.ssh.invalid_user"] = True
    if SHAPES[action][0] == ("iam",) and "user.name" not in event and "user.target.name" in event:
        _user(event, event["user.target.name"])  # as Elastic's system.auth: the account
        if "user.target.id" in event:
            event["user.id"] = event["user.target.id"]


def _match(shapes: tuple[_Shape, ...], message: str, event: Event) -> bool:
    for pattern, action, outcome in shapes:
        m = pattern.match(message)
        if m is not None:
            _apply(m, action, outcome, event)
            return True
    return False


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL)


# --- sshd --------------------------------------------------------------------------------

_WHO = r"(?:(?P<who>authenticating user|invalid user|user) (?P<user>.*?) )?"
_IP = r"(?P<ip>[0-9A-Fa-f.:]{2,45})"
_PORT = r"(?: port (?P<port>\d{1,5}))?"
_PRE = r"(?P<pre> \[preauth\])?$"
#: somewhere later in the text: "from|with|by|for|host <ip>[ port <n>]" (an unreadable ip is left)
_PEER = (r"(?:.*? (?:from|with|by|for|host) \[?(?P<ip>[0-9A-Fa-f.:]{2,45})\]?"
         r"(?:[: ]port (?P<port>\d{1,5})|:(?P<port2>\d{1,5}))?)?")
_LOGIN_TAIL = (r" (?P<method>\S+) for (?P<invalid>invalid user )?(?P<user>.*?) from (?P<host>\S+)"
               r" port (?P<port>\d{1,5})(?: \w+)?(?:: (?P<signature>.*))?$")
_INVALID = _c(r"(?:Invalid user|input_userauth_request: invalid user) (?P<invalid>)(?P<user>.*?)"
              r"(?: from (?P<host>\S+)" + _PORT + r")?" + _PRE)
_RECEIVED = _c(r"Received disconnect from (?P<host>\S+?)(?: port (?P<port>\d{1,5}))?: ?\d+: "
               r"(?P<reason>.*?)" + _PRE)

_SSHD: dict[str, tuple[_Shape, ...]] = {
    "Accepted": ((_c(r"(?P<verdict>Accepted)" + _LOGIN_TAIL), "ssh_login", "success"),),
    "Failed": ((_c(r"(?P<verdict>Failed)" + _LOGIN_TAIL), "ssh_login_failed", "failure"),),
    "Invalid": ((_INVALID, "ssh_invalid_user", "failure"),),
    "input_userauth_request:": ((_INVALID, "ssh_invalid_user", "failure"),),
    "Connection": (
        (_c(r"Connection closed by " + _WHO + _IP + _PORT + _PRE), "ssh_connection_closed",
         "preauth"),
        (_c(r"Connection reset by " + _WHO + _IP + _PORT + _PRE), "ssh_connection_error",
         "failure"),
        (_c(r"Connection from (?P<host>\S+) port (?P<port>\d{1,5}) on "),
         "ssh_connection_opened", None)),
    "Disconnected": ((_c(r"Disconnected from " + _WHO + _IP + _PORT + _PRE), "ssh_disconnected",
                      "preauth"),),
    "Received": ((_RECEIVED, "ssh_disconnect_received", "preauth"),
                 (_c(r"Received signal \d+; terminating"), "ssh_server_stopped", "success")),
    "Disconnecting": ((_c(r"Disconnecting " + _WHO + _IP + _PORT + r": Too many authentication"),
                       "ssh_max_auth_exceeded", "failure"),),
    "Disconnecting:": ((_c(r"Disconnecting: Too many authentication failures(?: for "
                           r"(?:invalid user )?(?P<user>.*?))?" + _PRE),
                        "ssh_max_auth_exceeded", "failure"),),
    "maximum": ((_c(r"maximum authentication attempts exceeded for (?:invalid user )?"
                    r"(?P<user>.*?) from (?P<host>\S+) port (?P<port>\d{1,5})"),
                 "ssh_max_auth_exceeded", "failure"),),
    "Did": ((_c(r"Did not receive identification string from (?P<host>\S+)" + _PORT),
             "ssh_no_identification", "failure"),),
    "reverse": ((_c(r"reverse mapping checking getaddrinfo for (?P<domain>\S+) \[(?P<ip>[^\]]+)\]"
                    r" failed"), "ssh_reverse_mapping_failed", "failure"),),
    "Address": ((_c(r"Address (?P<ip>\S+) maps to (?P<domain>[^,\s]+), but this does not map"),
                 "ssh_reverse_mapping_failed", "failure"),),
    "User": ((_c(r"User (?P<user>\S+) (?:from (?P<host>\S+) )?not allowed because"),
              "ssh_login_denied", "failure"),),
    "ROOT": ((_c(r"ROOT LOGIN REFUSED FROM (?P<root>)(?P<host>\S+)"), "ssh_login_denied",
              "failure"),),
    "Postponed": ((_c(r"Postponed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from "
                      r"(?P<host>\S+) port (?P<port>\d{1,5})"), "ssh_login_postponed", None),),
    "Starting": ((_c(r"Starting session: .*? for (?P<user>.*?) from (?P<host>\S+) port "
                     r"(?P<port>\d{1,5})"), "ssh_session_started", "success"),),
    "Close": ((_c(r"Close session: user (?P<user>.*?) from (?P<host>\S+) port (?P<port>\d{1,5})"),
               "ssh_session_closed", "success"),),
    "PAM": ((_c(r"PAM service\("), "ssh_max_auth_exceeded", "failure"),),
    "PAM:": ((_c(r"PAM: Authentication failure for (?:illegal user |invalid user )?(?P<user>\S+)"
                 r"(?: from (?P<host>\S+))?"), "authentication_failed", "failure"),),
    "Server": ((_c(r"Server listening on"), "ssh_server_started", "success"),),
    "Timeout": ((_c(r"Timeout before authentication" + _PEER), "ssh_auth_timeout", "failure"),),
    "kex_exchange_identification:": ((_c(r"\S+" + _PEER), "ssh_kex_failed", "failure"),),
    "Protocol": ((_c(r"Protocol major versions differ" + _PEER), "ssh_kex_failed", "failure"),),
    "banner": ((_c(r"banner exchange:" + _PEER), "ssh_kex_failed", "failure"),),
    "Bad": ((_c(r"Bad protocol version" + _PEER), "ssh_kex_failed", "failure"),),
    "Unable": ((_c(r"Unable to negotiate" + _PEER), "ssh_negotiation_failed", "failure"),),
    "Write": ((_c(r"Write failed" + _PEER), "ssh_connection_error", "failure"),),
    "Read": ((_c(r"Read (?:error|from socket failed)" + _PEER), "ssh_connection_error",
              "failure"),),
    "drop": ((_c(r"drop connection #\d+" + _PEER), "ssh_connection_dropped", "failure"),),
}
_REPEATED = _c(r"message repeated \d+ times: \[ ?(.*?)\]?$")
_PAM_MORE = _c(r"PAM \d+ more authentication failures?;(.*)$")


def _first_word(message: str) -> str:
    space = message.find(" ", 0, 40)
    return message[:space] if space > 0 else message


def _sshd(message: str, event: Event) -> None:
    word = _first_word(message)
    if word in ("error:", "fatal:"):  # the same shapes, logged as errors
        message = message[len(word) + 1:]
        word = _first_word(message)
    shapes = _SSHD.get(word)
    if shapes is not None and _match(shapes, message, event):
        return
    if word == "message" and (m := _REPEATED.match(message)) is not None:
        if not m.group(1).startswith("message"):
            _sshd(m.group(1), event)
    elif word == "PAM" and (m := _PAM_MORE.match(message)) is not None:
        _pam_auth_failure(m.group(1), event)


# --- PAM -----------------------------------------------------------------------------------

_PAM = re.compile(r"(pam_[\w-]{1,32})\(([^:()\s]{1,64}):(\w{1,16})\): ?(.*)$", re.DOTALL)
_PAM_OPENED = re.compile(r"session opened for user ([^\s(]+)(?:\(uid=(\d+)\))?"
                         r"(?: by ([^\s(]*)(?:\(uid=\d+\))?)?")
_PAM_SHAPES: tuple[_Shape, ...] = (
    (_c(r"session closed for user (?P<user>[^\s(]+)"), "session_closed", "success"),
    (_c(r"check pass; user unknown"), "user_unknown", "failure"),
    (_c(r"password changed for (?P<target>\S+)"), "password_changed", "success"),
    (_c(r"(?:auth could not identify password for|bad username) \[(?P<user>.*?)\]"),
     "authentication_failed", "failure"),
    (_c(r"received for user (?P<user>\S+): (?!0 )\d+ \("), "authentication_failed", "failure"),
    (_c(r"Consecutive login failures for user (?P<user>\S+) account temporarily locked"),
     "account_locked", "failure"),
    (_c(r"user (?P<user>\S+) \(\d+\) tally \d+, deny \d+"), "account_locked", "failure"),
    (_c(r"Tally overflowed for user (?P<user>\S+)"), "account_locked", "failure"),
    (_c(r"requirement .*? not met by user \"?(?P<user>[^\s\"]+)"), "authentication_failed",
     "failure"),
    (_c(r"(?:account (?P<user>\S+) has expired|expired password for user (?P<target>\S+))"),
     "account_expired", "failure"),
)
_SWITCHING = frozenset({"su", "su-l", "sudo", "sudo-i", "runuser", "runuser-l", "pkexec"})
_KV = re.compile(r"(\w+)=(\S*)")


def _pam_message(message: str, event: Event) -> None:
    m = _PAM.match(message)
    if m is not None:
        module, service, facility, body = m.groups()
        _pam_body(module, service, facility, body, event)


def _pam_body(module: str, service: str, facility: str | None, body: str, event: Event) -> None:
    event["system.auth.pam.module"] = module
    event["system.auth.pam.service"] = service
    if facility:
        event["system.auth.pam.type"] = facility
    if body.startswith("authentication failure;"):
        _pam_auth_failure(body[23:], event)
    elif (m := _PAM_OPENED.match(body)) is not None:
        user, uid, by = m.groups()
        _mark(event, "session_opened", "success")
        if by and by != "LOGIN" and (service in _SWITCHING or by != user):
            _user(event, by)  # su/sudo: "for user root(uid=0) by operator1(uid=1000)"
            _user(event, user, "user.target.name")
            event["user.effective.name"] = user
            if uid:
                event["user.target.id"] = uid
        else:
            _user(event, user)
            if uid:
                event["user.id"] = uid
    else:
        _match(_PAM_SHAPES, body, event)


def _pam_auth_failure(text: str, event: Event) -> None:
    _mark(event, "authentication_failed", "failure")
    values = dict(_KV.findall(text))
    user, ruser = values.get("user"), values.get("ruser")
    if ruser and user and ruser != user:  # su/sudo: ruser asks to become user
        _user(event, ruser)
        _user(event, user, "user.target.name")
    else:
        _user(event, user or ruser or values.get("logname"))
    host = values.get("rhost")
    if host:
        ip = _ip(host)
        if ip is None:
            event["source.domain"] = host
        else:
            event["source.ip"], event["related.ip"] = ip, [ip]


# --- sudo, su, login -----------------------------------------------------------------------

def _sudo(message: str, event: Event) -> None:
    """``operator1 : [error ; ]TTY=pts/0 ; PWD=/home ; USER=root ; [X=… ; ]COMMAND=…``"""
    head, sep, rest = message.strip().partition(" : ")
    if not sep or " " in head or ("TTY=" not in rest and "USER=" not in rest):
        return
    command_at = rest.find("COMMAND=")
    values: dict[str, str] = {}
    error = None
    for part in (rest[:command_at] if command_at >= 0 else rest).split(" ; "):
        key, equals, value = part.strip().partition("=")
        if equals and key.isupper():
            values[key] = value
        elif part.strip() and error is None:
            error = part.strip()  # "3 incorrect password attempts", "user NOT in sudoers"
    _mark(event, "sudo_command", "failure" if error else "success")
    _user(event, head)
    if values.get("USER"):
        _user(event, values["USER"], "user.target.name")
        event["user.effective.name"] = values["USER"]
    if "PWD" in values:
        event["process.working_directory"] = values["PWD"]
    if "TTY" in values:
        event["system.auth.sudo.tty"] = values["TTY"]
    if command_at >= 0:
        event["process.command_line"] = rest[command_at + 8:]
    if error:
        event["system.auth.sudo.error"] = error


_SU: tuple[_Shape, ...] = (
    (_c(r"(?P<failed>FAILED SU )?\(to (?P<switch>\S+)\) (?P<user>\S+) on "), "user_switched",
     "failed?"),
    (_c(r"(?:Successful|(?P<failed>FAILED)) su for (?P<switch>\S+) by (?P<user>\S+)"),
     "user_switched", "failed?"),
    (_c(r"(?:\+|(?P<failed>-)) \S+ (?P<user>[^\s:]+):(?P<switch>\S+)$"), "user_switched",
     "failed?"),
)
_LOGIN: tuple[_Shape, ...] = (
    (_c(r"ROOT LOGIN +(?:ON|on) (?P<root>)"), "login", "success"),
    (_c(r"LOGIN ON '?[^'\s]+'? BY '?(?P<user>[^'\s]+?)'?(?: FROM '?(?P<host>[^'\s]+?)'?)?$"),
     "login", "success"),
    (_c(r"(?:FAILED LOGIN \(?\d+\)? (?:FROM|on)|TOO MANY LOGIN TRIES \(\d+\) on) '?[^'\s]+?'?"
        r" FOR '?(?P<user>[^'\s,]+?)'?(?:,|$)"), "login_failed", "failure"),
)


# --- shadow-utils: useradd, usermod, userdel, groupadd, groupdel, gpasswd, passwd, chage ---

_SHADOW: tuple[_Shape, ...] = (
    (_c(r"new user: name=(?P<target>[^,]*), UID=(?P<uid>\d+), GID=(?P<gid>\d+), "
        r"home=(?P<home>[^,]*), shell=(?P<shell>[^,]*)"), "user_created", "success"),
    (_c(r"(?:new group|group added to /etc/(?:group|gshadow)): name=(?P<group>[^,]*)"
        r"(?:, GID=(?P<gid>\d+))?"), "group_created", "success"),
    (_c(r"add '(?P<target>[^']*)' to (?:shadow )?group '(?P<group>[^']*)'"), "group_member_added",
     "success"),
    (_c(r"delete '(?P<target>[^']*)' from (?:shadow )?group '(?P<group>[^']*)'"),
     "group_member_removed", "success"),
    (_c(r"user (?P<target>\S+) added by (?P<user>\S+) to group (?P<group>\S+)"),
     "group_member_added", "success"),
    (_c(r"user (?P<target>\S+) removed by (?P<user>\S+) from group (?P<group>\S+)"),
     "group_member_removed", "success"),
    (_c(r"delete user '(?P<target>[^']*)'"), "user_deleted", "success"),
    (_c(r"removed (?:shadow )?group '(?P<group>[^']*)'"), "group_deleted", "success"),
    (_c(r"group '(?P<group>[^']*)' removed"), "group_deleted", "success"),
    (_c(r"change user '(?P<target>[^']*)' password"), "password_changed", "success"),
    (_c(r"lock user '(?P<target>[^']*)' password"), "user_locked", "success"),
    (_c(r"unlock user '(?P<target>[^']*)' password"), "user_unlocked", "success"),
    (_c(r"change user name '[^']*' to '(?P<target>[^']*)'"), "user_changed", "success"),
    (_c(r"(?:change|move) user '(?P<target>[^']*)' "), "user_changed", "success"),
    (_c(r"password (?:for|of) '(?P<target>[^']*)' changed by '(?P<user>[^']*)'"),
     "password_changed", "success"),
    (_c(r"password changed for (?P<target>\S+)"), "password_changed", "success"),
    (_c(r"password of group (?P<group>\S+) changed by (?P<user>\S+)"), "group_password_changed",
     "success"),
    (_c(r"members of group (?P<group>\S+) set by (?P<user>\S+)"), "group_changed", "success"),
    (_c(r"group changed in /etc/\w+ \(group (?P<group>[^/\s]+)"), "group_changed", "success"),
    (_c(r"changed? password expiry for (?P<target>\S+)"), "password_expiry_changed", "success"),
    (_c(r"failed adding user '(?P<target>[^']*)'"), "user_created", "failure"),
)


_LOGIND: tuple[_Shape, ...] = (
    (_c(r"New session (?P<session>\S+) of user (?P<user>\S+?)\.?$"), "session_opened", "success"),
    (_c(r"Removed session (?P<session>\S+?)\."), "session_closed", "success"),
    (_c(r"Session (?P<session>\S+) logged out\."), "session_logged_out", "success"),
)


# --- auditd records relayed through syslog --------------------------------------------

_NUMERIC_AUDIT = _c(r"type=(\d{4}) (audit\(.*)$")
_JOURNAL_AUDIT = _c(r"([A-Z][A-Z0-9_]{2,39}) (.*)$")


def _audit(event: Event) -> None:
    """A record from audispd/audisp-syslog (``[node=… ]type=… msg=audit(…): …``), the
    kernel's numeric form (``type=1400 audit(…): …``) or journald (``USER_LOGIN pid=…``)."""
    message = event.get("message")
    if not isinstance(message, str):
        return
    try:
        if message.startswith(("type=", "node=")):
            if (m := _NUMERIC_AUDIT.match(message)) is not None:
                number = m.group(1)
                name = auditd.TYPE_NAMES.get(int(number), f"UNKNOWN[{number}]")
                message = f"type={name} msg={m.group(2)}"
            found = auditd.event_of([auditd.parse_record(message)])
        elif (m := _JOURNAL_AUDIT.match(message)) and m.group(1) in auditd.TYPE_NUMBERS:
            found = auditd.event_of([auditd.record_from_body(m.group(1), m.group(2))])
            del found["@timestamp"], found["auditd.sequence"]  # journald gives neither
        else:
            return
    except ParseError:
        return  # not a record after all: the message stays text
    host = found.pop("host.name", None)
    if host and "host.name" not in event:
        event["host.name"] = host
    event.update(found)


# --- registry --------------------------------------------------------------------------

_Handler = Callable[[str, Event], None]


def _enricher(handler: _Handler | None) -> Enricher:
    def enrich(event: Event) -> None:
        message = event.get("message")
        pam = isinstance(message, str) and message.startswith("pam_")
        if handler is None and not pam:
            return  # cron's own lines ("(root) CMD …") are not about authentication
        event["event.module"], event["event.dataset"] = "system", "system.auth"
        if isinstance(message, str):
            if pam:
                _pam_message(message, event)
            elif handler is not None:
                handler(message, event)
    return enrich


def _old_pam(service: str) -> Enricher:
    """``sshd(pam_unix)[pid]: authentication failure; …`` (Linux-PAM before 0.99)."""
    def enrich(event: Event) -> None:
        message = event.get("message")
        event["event.module"], event["event.dataset"] = "system", "system.auth"
        if isinstance(message, str):
            _pam_body("pam_unix", service, None, message.strip(), event)
    return enrich


def _matcher(shapes: tuple[_Shape, ...]) -> _Handler:
    def handle(message: str, event: Event) -> None:
        _match(shapes, message, event)
    return handle


_shadow = _matcher(_SHADOW)


#: programs and what reads their own lines (None: only their PAM lines are read)
_PROGRAMS: dict[str, _Handler | None] = {
    "sshd": _sshd, "sshd-session": _sshd, "sshd-auth": _sshd, "sudo": _sudo,
    "su": _matcher(_SU), "login": _matcher(_LOGIN), "passwd": _shadow, "chpasswd": _shadow,
    "useradd": _shadow, "usermod": _shadow, "userdel": _shadow, "groupadd": _shadow,
    "groupdel": _shadow, "groupmod": _shadow, "gpasswd": _shadow, "chage": _shadow,
    "systemd-logind": _matcher(_LOGIND), "runuser": None, "polkitd": None, "gdm-password": None,
    "lightdm": None, "vsftpd": None, "cron": None, "CRON": None, "crond": None,
}
#: syslog program name (``process.name``) → function adding ECS fields read from its message
ENRICHERS: dict[str, Enricher] = {name: _enricher(handler) for name, handler in _PROGRAMS.items()}
ENRICHERS.update({f"{name}(pam_unix)": _old_pam(name)
                  for name in ("sshd", "su", "login", "gdm", "sudo", "passwd", "crond", "vsftpd")})
ENRICHERS.update(dict.fromkeys(("audispd", "audisp-syslog", "audit"), _audit))

__all__ = ["ENRICHERS", "SHAPES", "Enricher"]
