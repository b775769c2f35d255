"""Real BSD syslog files (loghub Linux and OpenSSH): every line parses, and parses right.

The expectations come, at test time, from loghub's own ``*_structured.csv`` next to each
log: month, day and time, host, process and pid, and the message content. Nothing derived
from the corpus is committed here. The files carry no year, so receipt is set to the last
day of a fixed year and every line must land in that year.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import detect_syslog_format, parse
from ironwatch.parsers.rfc3164 import Rfc3164Parser
from ironwatch.timeutil import from_us, parse_time_arg

pytestmark = pytest.mark.corpus

YEAR = 2005
CTX = ParseContext(received_us=parse_time_arg(f"{YEAR}-12-31T23:00:00Z"))
PARSER = Rfc3164Parser()
# sysklogd writes "syslogd 1.4.1: restart." — loghub calls the component "syslogd 1.4.1",
# Ironwatch takes the program name and leaves the version out
_VERSIONED = re.compile(r"(\S+) \d+(?:\.\d+)+")


@dataclass(frozen=True)
class Expected:
    month: str
    day: int
    clock: str
    host: str
    process: str
    pid: int | None
    content: str


def read_case(log: Path, columns: dict[str, str]) -> list[tuple[bytes, Expected]]:
    """Pairs each log line with what loghub's structured CSV says about it."""
    lines = log.read_bytes().split(b"\n")
    with log.with_name(log.name + "_structured.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2000

    def column(row: dict[str, str], name: str) -> str:
        return row.get(columns[name], columns[name])

    cases = []
    for row in rows:
        line = lines[int(row["LineId"]) - 1].rstrip(b"\r")
        process = column(row, "process")
        versioned = _VERSIONED.fullmatch(process)
        pid = column(row, "pid")
        cases.append((line, Expected(
            month=column(row, "month"), day=int(column(row, "day")), clock=row["Time"],
            host=column(row, "host"), process=versioned.group(1) if versioned else process,
            pid=int(pid) if pid else None, content=row["Content"])))
    return cases


# loghub's column names differ per data set ("Level" holds the host in Linux_2k); a value
# that is not a column name is a constant for the whole file
DATASETS = {
    "Linux": ("loghub/Linux/Linux_2k.log", {"month": "Month", "day": "Date", "host": "Level",
                                            "process": "Component", "pid": "PID"}),
    "OpenSSH": ("loghub/OpenSSH/OpenSSH_2k.log", {"month": "Date", "day": "Day",
                                                  "host": "Component", "process": "sshd",
                                                  "pid": "Pid"}),
}


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_line_parses_right(corpus: Path, dataset: str) -> None:
    relative, columns = DATASETS[dataset]
    cases = read_case(corpus / relative, columns)
    wrong: list[str] = []
    for line, expected in cases:
        fmt, auto_event = parse(line, CTX)
        event = PARSER.parse(line, CTX)
        assert fmt == detect_syslog_format(line) == "rfc3164"
        # the registry adds the fields of programs it knows (sshd, su, PAM: see linux.py)
        assert {k: auto_event[k] for k in event} == event
        when = from_us(event["@timestamp"])
        got = (when.year, when.strftime("%b"), when.day, when.strftime("%H:%M:%S"),
               event.get("host.name"), event.get("process.name"), event.get("process.pid"),
               event.get("message", "").strip())
        want = (YEAR, expected.month, expected.day, expected.clock, expected.host,
                expected.process, expected.pid, expected.content.strip())
        if got != want:
            wrong.append(f"{line!r}\n   got  {got}\n   want {want}")
    assert not wrong, f"{len(wrong)} of {len(cases)} lines differ:\n" + "\n".join(wrong[:10])
