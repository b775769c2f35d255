"""Linux authentication enrichers: each message shape, PAM from any program, hostile text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ironwatch.event import Event
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.linux import ENRICHERS, SHAPES
from ironwatch.parsers.registry import enriched_programs, parse
from ironwatch.timeutil import parse_time_arg

CTX = ParseContext(received_us=parse_time_arg("2026-11-27T12:00:00Z"))
IP = "10.20.9.4"


def enrich(program: str, message: str) -> Event:
    event: Event = {"process.name": program, "message": message}
    ENRICHERS[program](event)
    return event


def check(event: Event, expected: dict[str, Any]) -> None:
    got = {key: event.get(key) for key in expected}
    assert got == expected, event


SSHD = [
    ("Accepted publickey for operator1 from 10.20.9.4 port 51522 ssh2: ED25519 SHA256:Xk2b9Q",
     {"event.action": "ssh_login", "event.outcome": "success", "user.name": "operator1",
      "source.ip": IP, "source.port": 51522, "system.auth.ssh.method": "publickey",
      "system.auth.ssh.signature": "ED25519 SHA256:Xk2b9Q", "event.category":
      ["authentication", "session"], "event.type": ["start"]}),
    ("Accepted keyboard-interactive/pam for plantadmin from 10.20.9.4 port 2222 ssh2",
     {"event.action": "ssh_login", "system.auth.ssh.method": "keyboard-interactive/pam",
      "user.name": "plantadmin"}),
    ("Failed password for operator1 from 10.20.9.4 port 51522 ssh2",
     {"event.action": "ssh_login_failed", "event.outcome": "failure", "user.name": "operator1",
      "system.auth.ssh.invalid_user": None}),
    ("Failed password for invalid user plc admin from 10.20.9.4 port 51522 ssh2",
     {"event.action": "ssh_login_failed", "user.name": "plc admin",
      "system.auth.ssh.invalid_user": True}),
    ("Failed publickey for root from 2001:db8::7 port 40022 ssh2: RSA SHA256:abc",
     {"user.name": "root", "source.ip": "2001:db8::7", "system.auth.ssh.signature": "RSA SHA256:abc"}),
    ("Invalid user scada from 10.20.9.4 port 40022",
     {"event.action": "ssh_invalid_user", "event.outcome": "failure", "user.name": "scada",
      "source.port": 40022}),
    ("Connection closed by authenticating user root 10.20.9.4 port 40022 [preauth]",
     {"event.action": "ssh_connection_closed", "event.outcome": "failure", "user.name": "root",
      "source.ip": IP}),
    ("Connection closed by invalid user admin 10.20.9.4 port 40022 [preauth]",
     {"event.outcome": "failure", "user.name": "admin"}),
    ("Connection closed by 10.20.9.4 port 40022",
     {"event.action": "ssh_connection_closed", "event.outcome": "success", "source.port": 40022}),
    ("Connection reset by 10.20.9.4 port 40022 [preauth]",
     {"event.action": "ssh_connection_error", "event.outcome": "failure"}),
    ("Connection from 10.20.9.4 port 40022 on 10.20.1.5 port 22 rdomain \"\"",
     {"event.action": "ssh_connection_opened", "source.ip": IP, "source.port": 40022}),
    ("Disconnected from user operator1 10.20.9.4 port 51522",
     {"event.action": "ssh_disconnected", "event.outcome": "success", "user.name": "operator1"}),
    ("Disconnected from authenticating user root 10.20.9.4 port 51522 [preauth]",
     {"event.action": "ssh_disconnected", "event.outcome": "failure"}),
    ("Received disconnect from 10.20.9.4 port 51522:11: disconnected by user",
     {"event.action": "ssh_disconnect_received", "event.outcome": "success",
      "event.reason": "disconnected by user", "source.port": 51522}),
    (("error: maximum authentication attempts exceeded for invalid user ftp from 10.20.9.4 port 3 ssh2"
     " [preauth]"), {"event.action": "ssh_max_auth_exceeded", "user.name": "ftp", "source.port": 3}),
    (("Disconnecting authenticating user root 10.20.9.4 port 3: Too many authentication failures"
     " [preauth]"), {"event.action": "ssh_max_auth_exceeded", "user.name": "root"}),
    ("error: kex_exchange_identification: Connection closed by remote host",
     {"event.action": "ssh_kex_failed", "event.outcome": "failure", "source.ip": None}),
    ("error: kex_exchange_identification: read: Connection reset by peer",
     {"event.action": "ssh_kex_failed"}),
    ("banner exchange: Connection from 10.20.9.4 port 4: invalid format",
     {"event.action": "ssh_kex_failed", "source.ip": IP, "source.port": 4}),
    ("Unable to negotiate with 10.20.9.4 port 5: no matching key exchange method found.",
     {"event.action": "ssh_negotiation_failed", "source.ip": IP, "source.port": 5}),
    ("Did not receive identification string from 10.20.9.4 port 6",
     {"event.action": "ssh_no_identification", "source.ip": IP, "source.port": 6}),
    ("drop connection #3 from [10.20.9.4]:41000 on [10.20.1.5]:22 past MaxStartups",
     {"event.action": "ssh_connection_dropped", "source.ip": IP, "source.port": 41000}),
    ("fatal: Timeout before authentication for 10.20.9.4 port 7",
     {"event.action": "ssh_auth_timeout", "source.ip": IP}),
    ("User plantadmin from 10.20.9.4 not allowed because not listed in AllowUsers",
     {"event.action": "ssh_login_denied", "user.name": "plantadmin", "source.ip": IP}),
    ("ROOT LOGIN REFUSED FROM 10.20.9.4",
     {"event.action": "ssh_login_denied", "user.name": "root", "source.ip": IP}),
    ("Starting session: shell on pts/0 for operator1 from 10.20.9.4 port 51522 id 0",
     {"event.action": "ssh_session_started", "user.name": "operator1"}),
    ("Server listening on 0.0.0.0 port 22.", {"event.action": "ssh_server_started"}),
    ("Received signal 15; terminating.", {"event.action": "ssh_server_stopped"}),
    ("message repeated 3 times: [ Failed password for root from 10.20.9.4 port 22 ssh2]",
     {"event.action": "ssh_login_failed", "user.name": "root", "source.port": 22}),
    (("reverse mapping checking getaddrinfo for x.example [10.20.9.4] failed - POSSIBLE BREAK-IN"
     " ATTEMPT!"), {"event.action": "ssh_reverse_mapping_failed", "source.domain": "x.example",
                   "source.ip": IP}),
    (("PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.20.9.4"
     "  user=root"), {"event.action": "authentication_failed", "user.name": "root", "source.ip": IP}),
]


@pytest.mark.parametrize(("message", "expected"), SSHD, ids=[m[:40] for m, _ in SSHD])
def test_sshd(message: str, expected: dict[str, Any]) -> None:
    event = enrich("sshd", message)
    check(event, expected)
    assert event["event.dataset"] == "system.auth" and event["event.module"] == "system"
    assert enrich("sshd-session", message)["event.action"] == event["event.action"]


OTHERS = [
    ("sudo", ("operator1 : TTY=pts/0 ; PWD=/home/operator1 ; USER=root ; COMMAND=/usr/bin/systemctl"
     " restart historian"), {
         "event.action": "sudo_command", "event.outcome": "success", "user.name": "operator1",
         "user.target.name": "root", "user.effective.name": "root",
         "process.command_line": "/usr/bin/systemctl restart historian",
         "process.working_directory": "/home/operator1", "system.auth.sudo.tty": "pts/0",
         "event.category": ["process"], "event.type": ["start"]}),
    ("sudo", ("  operator1 : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ;"
     " COMMAND=/bin/sh -c 'a ; b'"), {
         "event.outcome": "failure", "system.auth.sudo.error": "3 incorrect password attempts",
         "process.command_line": "/bin/sh -c 'a ; b'"}),
    ("sudo", "operator1 : user NOT in sudoers ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/id",
     {"event.outcome": "failure", "system.auth.sudo.error": "user NOT in sudoers"}),
    ("sudo", "pam_unix(sudo:session): session opened for user root(uid=0) by operator1(uid=1000)", {
        "event.action": "session_opened", "user.name": "operator1", "user.target.name": "root",
        "user.effective.name": "root", "user.target.id": "0", "system.auth.pam.service": "sudo"}),
    ("sudo", ("pam_unix(sudo:auth): authentication failure; logname=operator1 uid=1000 euid=0"
     " tty=/dev/pts/0 ruser=operator1 rhost=  user=operator1"), {
         "event.action": "authentication_failed", "user.name": "operator1",
         "user.target.name": None, "source.ip": None}),
    ("su", "(to root) operator1 on pts/0", {
        "event.action": "user_switched", "event.outcome": "success", "user.name": "operator1",
        "user.target.name": "root", "user.effective.name": "root"}),
    ("su", "FAILED SU (to root) operator1 on pts/0", {"event.outcome": "failure"}),
    ("su", ("pam_unix(su:auth): authentication failure; logname=operator1 uid=1000 euid=0"
     " tty=/dev/pts/0 ruser=operator1 rhost=  user=root"), {
         "user.name": "operator1", "user.target.name": "root", "event.outcome": "failure"}),
    ("su", "pam_unix(su-l:session): session opened for user plantadmin by operator1(uid=1000)", {
        "user.name": "operator1", "user.target.name": "plantadmin"}),
    ("login", "ROOT LOGIN ON tty1", {"event.action": "login", "user.name": "root"}),
    ("login", "FAILED LOGIN (2) on '/dev/tty1' FOR 'operator1', Authentication failure",
     {"event.action": "login_failed", "user.name": "operator1", "event.outcome": "failure"}),
    ("useradd", ("new user: name=histsvc, UID=1002, GID=1002, home=/home/histsvc, shell=/bin/bash,"
     " from=/dev/pts/0"), {
         "event.action": "user_created", "event.category": ["iam"],
         "event.type": ["user", "creation"], "user.name": "histsvc", "user.id": "1002",
         "user.target.name": "histsvc", "group.id": "1002",
         "system.auth.useradd.shell": "/bin/bash"}),
    ("useradd", "new group: name=histsvc, GID=1002", {
        "event.action": "group_created", "group.name": "histsvc", "group.id": "1002"}),
    ("usermod", "add 'operator1' to group 'plantops'", {
        "event.action": "group_member_added", "user.target.name": "operator1",
        "group.name": "plantops", "event.type": ["group", "change"]}),
    ("usermod", "delete 'operator1' from shadow group 'sudo'", {
        "event.action": "group_member_removed", "group.name": "sudo"}),
    ("usermod", "lock user 'operator1' password", {"event.action": "user_locked"}),
    ("usermod", "change user 'operator1' shell from '/bin/bash' to '/bin/sh'", {
        "event.action": "user_changed", "user.target.name": "operator1"}),
    ("userdel", "delete user 'histsvc'", {"event.action": "user_deleted",
                                          "event.type": ["user", "deletion"]}),
    ("userdel", "removed group 'histsvc' owned by 'histsvc'", {"event.action": "group_deleted",
                                                               "group.name": "histsvc"}),
    ("groupadd", "group added to /etc/group: name=plantops, GID=1003", {
        "event.action": "group_created", "group.id": "1003"}),
    ("groupdel", "group 'plantops' removed from /etc/group", {"event.action": "group_deleted"}),
    ("gpasswd", "user operator1 added by plantadmin to group plantops", {
        "event.action": "group_member_added", "user.name": "plantadmin",
        "user.target.name": "operator1", "group.name": "plantops"}),
    ("passwd", "pam_unix(passwd:chauthtok): password changed for operator1", {
        "event.action": "password_changed", "event.outcome": "success",
        "user.target.name": "operator1", "event.category": ["iam"]}),
    ("chpasswd", "pam_unix(chpasswd:chauthtok): password changed for histsvc", {
        "event.action": "password_changed", "user.target.name": "histsvc"}),
    ("passwd", "password for 'operator1' changed by 'root'", {
        "event.action": "password_changed", "user.name": "root", "user.target.name": "operator1"}),
    ("chage", "changed password expiry for operator1", {"event.action": "password_expiry_changed"}),
    ("systemd-logind", "New session 42 of user operator1.", {
        "event.action": "session_opened", "user.name": "operator1",
        "system.auth.session.id": "42"}),
    ("systemd-logind", "Removed session 42.", {"event.action": "session_closed"}),
    ("sshd", ("pam_faillock(sshd:auth): Consecutive login failures for user plantadmin account"
     " temporarily locked"), {"event.action": "account_locked", "user.name": "plantadmin",
                             "system.auth.pam.module": "pam_faillock"}),
    ("login", "pam_tally2(login:auth): user operator1 (1000) tally 4, deny 3", {
        "event.action": "account_locked", "event.outcome": "failure"}),
    ("CRON", "pam_unix(cron:session): session opened for user root(uid=0) by root(uid=0)", {
        "event.action": "session_opened", "user.name": "root", "user.id": "0",
        "user.target.name": None}),
    ("sshd(pam_unix)", ("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser="
     " rhost=10.20.9.4  user=root"), {
         "event.action": "authentication_failed", "user.name": "root", "source.ip": IP,
         "system.auth.pam.service": "sshd"}),
]


@pytest.mark.parametrize(("program", "message", "expected"), OTHERS,
                         ids=[f"{p}:{m[:30]}" for p, m, _ in OTHERS])
def test_programs(program: str, message: str, expected: dict[str, Any]) -> None:
    check(enrich(program, message), expected)


def test_unknown_shapes_keep_only_the_dataset() -> None:
    event = enrich("sshd", "Authentication refused: bad ownership or modes for directory /home/x")
    assert event == {"process.name": "sshd", "message": event["message"],
                     "event.module": "system", "event.dataset": "system.auth"}
    assert "event.action" not in enrich("sudo", "unable to resolve host hist01")
    assert "event.action" not in enrich("systemd-logind", "Watching system buttons on /dev/input")


def test_every_action_has_a_valid_shape() -> None:
    categories = {"authentication", "session", "iam", "process", "network"}
    types = {"start", "end", "info", "creation", "change", "deletion", "user", "group",
             "connection", "error", "denied"}
    for category, kinds in SHAPES.values():
        assert set(category) <= categories and set(kinds) <= types


def test_registry_enriches_syslog_lines_of_known_programs() -> None:
    fmt, event = parse(b"<38>Nov 27 10:15:30 jump01 sshd[8812]: Accepted password for operator1"
                       b" from 10.20.9.4 port 51522 ssh2", CTX)
    assert fmt == "rfc3164" and event["event.action"] == "ssh_login"
    assert event["host.name"] == "jump01" and event["process.pid"] == 8812
    fmt, event = parse(b"<86>1 2026-11-27T10:00:00Z mes01 sudo - - - plantadmin : TTY=pts/0 ;"
                       b" PWD=/opt/mes ; USER=root ; COMMAND=/usr/bin/id", CTX)
    assert fmt == "rfc5424" and event["user.target.name"] == "root"
    assert {"sshd", "sudo", "su", "useradd", "audispd"} <= enriched_programs()


def test_audit_records_relayed_through_syslog() -> None:
    event: Event = {"process.name": "audispd", "@timestamp": 1, "host.name": "jump01",
                    "message": "node=jump01 type=USER_LOGIN msg=audit(1795774530.120:812): pid=8812"
                               " uid=0 auid=1000 ses=4 msg='op=login id=1000 exe=\"/usr/sbin/sshd\""
                               " hostname=10.20.9.4 addr=10.20.9.4 terminal=/dev/pts/0 res=success'"}
    ENRICHERS["audispd"](event)
    check(event, {"@timestamp": 1795774530120000, "auditd.message_type": "user_login",
                  "auditd.sequence": 812, "event.outcome": "success", "source.ip": IP,
                  "process.name": "sshd", "event.action": "logged-in", "host.name": "jump01"})
    kernel: Event = {"process.name": "audit", "@timestamp": 5,
                     "message": "type=1400 audit(1795774530.120:813): apparmor=\"DENIED\""
                                " operation=\"open\" profile=\"plc-gw\" name=\"/etc/shadow\" pid=4"}
    ENRICHERS["audit"](kernel)
    check(kernel, {"auditd.message_type": "avc", "auditd.data.apparmor": "DENIED", "@timestamp":
                   1795774530120000})
    journald: Event = {"process.name": "audit", "@timestamp": 5,
                       "message": "USER_END pid=7 uid=0 auid=1000 ses=3 msg='op=PAM:session_close"
                                  " acct=\"operator1\" exe=\"/usr/sbin/sshd\" res=success'"}
    ENRICHERS["audit"](journald)
    check(journald, {"@timestamp": 5, "auditd.message_type": "user_end", "user.name": "operator1",
                     "event.action": "ended-session", "auditd.sequence": None})
    plain: Event = {"process.name": "audit", "message": "Audit daemon rotating log files"}
    ENRICHERS["audit"](plain)
    assert plain == {"process.name": "audit", "message": "Audit daemon rotating log files"}


HOSTILE = [
    "Failed password for invalid user <script>alert(1)</script> from 10.20.9.4 port 22 ssh2",
    "Invalid user $(rm -rf /);`id`|nc from 10.20.9.4 port 22",
    "Accepted password for bédié€ from 10.20.9.4 port 22 ssh2",
    "Failed password for invalid user \x00\x1b[31m from 10.20.9.4 port 22 ssh2",
]


@pytest.mark.parametrize("message", HOSTILE)
def test_hostile_user_names_are_kept_as_text(message: str) -> None:
    event = enrich("sshd", message)
    assert event["event.outcome"] in ("success", "failure")
    assert event["user.name"] in message and event["source.ip"] == IP


def test_very_long_messages_are_read_in_linear_time() -> None:
    long_name = "x from y" * 50_000
    event = enrich("sshd", f"Failed password for invalid user {long_name} from {IP} port 22 ssh2")
    assert event["user.name"] == long_name
    enrich("sshd", "Connection closed by " + "authenticating user " * 20_000)
    enrich("sudo", "op : " + "TTY=pts/0 ; " * 20_000)
    enrich("sshd", "error: kex_exchange_identification: " + "from " * 40_000)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(program=st.sampled_from(sorted(ENRICHERS)),
       message=st.one_of(st.text(max_size=200), st.sampled_from([m for m, _ in SSHD]).flatmap(
           lambda m: st.integers(0, len(m)).map(lambda n: m[:n]))),
       prefix=st.sampled_from(["", "pam_unix(sshd:auth): ", "error: ", "message repeated 2 times: [ ",
                               "type=1400 audit(1.2:3): ", "node=x type=SYSCALL msg=audit(1.2:3): "]))
def test_enrichers_never_raise(program: str, message: str, prefix: str) -> None:
    event: Event = {"process.name": program, "message": prefix + message, "@timestamp": 0}
    ENRICHERS[program](event)
    for key, value in event.items():
        assert isinstance(key, str) and not isinstance(value, dict)


def test_enrichers_accept_events_without_a_message() -> None:
    for enricher in ENRICHERS.values():
        event: Event = {"process.name": "x"}
        enricher(event)
        assert "event.action" not in event
