"""Real authentication logs (loghub OpenSSH and Linux): the enrichers read what sshd, su and
PAM said.

Coverage thresholds are measured on these files (every sshd line of OpenSSH_2k and every
``sshd(pam_unix)``/``su(pam_unix)`` line of Linux_2k is read today); the values are checked
against the message text itself, at test time: an address, port or user name written in the
message must be the one in the fields, and the verdict must follow the message's words.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from ironwatch.event import Event
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.timeutil import parse_time_arg

pytestmark = pytest.mark.corpus

CTX = ParseContext(received_us=parse_time_arg("2005-12-31T23:00:00Z"))
#: share of lines of enriched programs that must get event.action and event.outcome
MIN_COVERAGE = {"OpenSSH": 0.99, "Linux": 0.99}
FILES = {"OpenSSH": "loghub/OpenSSH/OpenSSH_2k.log", "Linux": "loghub/Linux/Linux_2k.log"}

_FROM_PORT = re.compile(r" from (\d+\.\d+\.\d+\.\d+) port (\d+)")
_FOR_USER = re.compile(r"(?:Accepted|Failed) \S+ for (?:invalid user )?(\S+) from ")
_RHOST = re.compile(r"rhost=(\S+)")
_SESSION_USER = re.compile(r"session (?:opened|closed) for user (\S+)")
_FAILURE_WORDS = ("Failed ", "Invalid user", "authentication failure", "Too many authentication",
                  "check pass; user unknown", "Did not receive identification")


def events(corpus: Path, dataset: str) -> list[Event]:
    lines = (corpus / FILES[dataset]).read_bytes().split(b"\n")
    return [parse(line, CTX)[1] for line in lines if line.strip()]


def enriched(found: list[Event]) -> list[Event]:
    return [event for event in found if event.get("event.dataset") == "system.auth"]


@pytest.mark.parametrize("dataset", sorted(FILES))
def test_coverage(corpus: Path, dataset: str) -> None:
    found = enriched(events(corpus, dataset))
    programs = Counter(event["process.name"] for event in found)
    read = [event for event in found if "event.action" in event and "event.outcome" in event]
    assert len(read) >= MIN_COVERAGE[dataset] * len(found), programs
    if dataset == "OpenSSH":
        assert programs == {"sshd": 2000}
    else:
        assert programs["sshd(pam_unix)"] > 600 and programs["su(pam_unix)"] > 150


@pytest.mark.parametrize("dataset", sorted(FILES))
def test_values_agree_with_the_message(corpus: Path, dataset: str) -> None:
    wrong: list[str] = []
    for event in enriched(events(corpus, dataset)):
        message: str = event["message"]
        expected: dict[str, object] = {}
        if (m := _FROM_PORT.search(message)) is not None:
            expected.update({"source.ip": m.group(1), "source.port": int(m.group(2))})
        if (m := _FOR_USER.search(message)) is not None:
            expected["user.name"] = m.group(1)
        if (m := _SESSION_USER.search(message)) is not None:
            expected["user.name"] = m.group(1)
        if (m := _RHOST.search(message)) is not None and m.group(1):
            field = "source.ip" if re.fullmatch(r"[\d.]+", m.group(1)) else "source.domain"
            expected[field] = m.group(1)
        if message.startswith("Accepted "):
            expected["event.outcome"] = "success"
        elif any(words in message for words in _FAILURE_WORDS):
            expected["event.outcome"] = "failure"
        got = {key: event.get(key) for key in expected}
        if got != expected:
            wrong.append(f"{message!r}\n   got  {got}\n   want {expected}")
    assert not wrong, f"{len(wrong)} lines differ:\n" + "\n".join(wrong[:10])


def test_actions_by_message_shape(corpus: Path) -> None:
    actions = Counter(event.get("event.action") for event in enriched(events(corpus, "OpenSSH")))
    for action in ("ssh_login", "ssh_login_failed", "ssh_invalid_user", "authentication_failed",
                   "session_opened", "session_closed", "ssh_disconnect_received",
                   "ssh_max_auth_exceeded", "ssh_no_identification", "ssh_reverse_mapping_failed",
                   "ssh_connection_closed", "user_unknown"):
        assert actions[action] > 0, action
    assert actions["ssh_login_failed"] > 300 and actions["ssh_invalid_user"] > 100
