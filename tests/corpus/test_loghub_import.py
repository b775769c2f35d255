"""Every line of the loghub syslog samples is imported with its host and time (end to end)."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from ironwatch.cli.main import main

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("name,host_col", [("Linux", "Level"), ("OpenSSH", "Component")])
def test_loghub_import(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, host_col: str) -> None:
    log = corpus / "loghub" / name / f"{name}_2k.log"
    rows = list(csv.DictReader(open(log.with_name(log.name + "_structured.csv"), encoding="utf-8")))
    data = str(tmp_path / "data")
    assert main(["import", "--data-dir", data, "--no-progress", "--input-format", "rfc3164", str(log)]) == 0
    capsys.readouterr()
    assert main(["search", "--data-dir", data, "--from", "0", "--limit", "10000", "--output", "json"]) == 0
    events = [orjson.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(events) == len(rows) == 2000
    by_line = {e["event.original"]: e for e in events}
    lines = log.read_text(encoding="utf-8").splitlines()
    for line, row in zip(lines, rows):
        ev = by_line[line.rstrip("\r")]
        assert ev["host.name"] == row[host_col]
        month = row.get("Month") or row.get("Date")
        day = row.get("Date") if row.get("Month") else row.get("Day")
        stamp = ev["@timestamp"]  # received this year, so the inferred year is this year or the last
        assert int(stamp[8:10]) == int(day) and stamp[11:19] == row["Time"], (line, stamp)
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        assert int(stamp[5:7]) == months.index(month) + 1
