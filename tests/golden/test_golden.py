"""Golden files: every ``<format>/<case>.input`` parses to exactly its ``.expected.json``.

Each input is one message's bytes (with ``<case>.options`` the pinned format's options, e.g.
a Zeek TSV header). The expected file records the format the registry
detects for it, and either the fields (with the time also spelled out, for the reader) or
the ``ParseError`` reason. ``pytest --regen-golden`` rewrites the expected files from the
current parsers; review the diff before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import PARSERS, detect_syslog_format, parse
from ironwatch.timeutil import iso, parse_time_arg

HERE = Path(__file__).resolve().parent
BERLIN_HOST = "plcgw-03"
RECEIVED_US = parse_time_arg("2026-11-27T12:00:00Z")


def zone_for_host(host: str | None) -> ZoneInfo:
    return ZoneInfo("Europe/Berlin" if host == BERLIN_HOST else "UTC")


CTX = ParseContext(received_us=RECEIVED_US, zone_for_host=zone_for_host)
INPUTS = sorted(HERE.glob("*/*.input"))


def outcome(fmt: str, raw: bytes) -> dict[str, Any]:
    result: dict[str, Any] = {"format": fmt.partition("\n")[0], "detected": detect_syslog_format(raw)}
    try:
        _, fields = parse(raw, CTX, fmt)
    except ParseError as exc:
        result["error"] = exc.reason
        return result
    result["time"] = iso(fields["@timestamp"])
    result["fields"] = fields
    normalized: dict[str, Any] = orjson.loads(orjson.dumps(result))
    return normalized


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_golden(path: Path, regen_golden: bool) -> None:
    expected_path = path.with_name(path.stem + ".expected.json")
    # a format whose records are not readable alone (Zeek TSV) takes its options from a file
    options = path.with_suffix(".options")
    fmt = path.parent.name + ("\n" + options.read_text().rstrip("\n") if options.exists() else "")
    actual = outcome(fmt, path.read_bytes())
    if regen_golden:
        expected_path.write_bytes(
            orjson.dumps(actual, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    assert expected_path.exists(), f"{expected_path.name} missing: run pytest --regen-golden"
    assert actual == orjson.loads(expected_path.read_bytes())


def test_every_format_has_enough_cases() -> None:
    for fmt in PARSERS:
        assert len(list((HERE / fmt).glob("*.input"))) >= 8, fmt


def test_no_expected_file_without_input() -> None:
    for expected in HERE.glob("*/*.expected.json"):
        stem = expected.name.removesuffix(".expected.json")
        assert expected.with_name(stem + ".input").exists(), f"stale {expected}"
