"""Real Windows events: EVTX files, the evtx crate's renderings, SigmaHQ's pairs, OTRF JSON.

Everything is read in place and every expectation is computed at test time:

- SigmaHQ's regression cases hold the same events as ``.evtx`` and as ``.json``; matched by
  ``EventRecordID`` they give the same ``winlog.*`` fields. The ``.json`` files were written
  by an exporter that trims trailing blanks, and a few were edited by hand in letter case
  only, so values are compared as Sigma compares them: case-insensitively, trailing blanks
  aside. Against the crate's own JSON rendering of the same files the match is exact.
- Every hayabusa sample is read without a crash; records read plus records that failed is
  what the crate itself counts; every record parses, the fast path agrees with ElementTree,
  and ``winlog.record_id`` is the record's ``System/EventRecordID``.
- The evtx project's corrupt samples give the record counts its own tests expect.
- OTRF (Mordor) zipped JSON lines are recognised as Windows JSON and parse.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import pytest
from evtx import PyEvtxParser

from ironwatch.parsers import evtx_file
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.windows import WinJsonParser, WinXmlParser, read_evtx

pytestmark = pytest.mark.corpus

CTX = ParseContext(received_us=1_795_780_800_000_000)
XML, JSON = WinXmlParser(), WinJsonParser()
_RECORD_ID = re.compile(r"<EventRecordID>(\d+)</EventRecordID>")


def crate_counts(path: Path) -> tuple[int, int]:
    """(records, failures) as the crate itself reports them, reading with ``next()``."""
    records = PyEvtxParser(str(path)).records()
    ok = failed = 0
    while True:
        try:
            next(records)
            ok += 1
        except StopIteration:
            return ok, failed
        except RuntimeError:
            failed += 1


def json_objects(path: Path) -> Iterator[dict[str, Any]]:
    """The (pretty-printed, concatenated) JSON objects of a SigmaHQ ``.json`` file."""
    text, decoder, pos = path.read_text(encoding="utf-8"), json.JSONDecoder(), 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        document, pos = decoder.raw_decode(text, pos)
        yield document


def winlog(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k.startswith("winlog.")}


def sigma_form(value: Any) -> Any:
    if isinstance(value, str):
        return value.rstrip().casefold()
    return [sigma_form(v) for v in value] if isinstance(value, list) else value


def sigma_cases(corpus: Path) -> list[Path]:
    cases = sorted((corpus / "sigmahq" / "regression_data").rglob("*.evtx"))
    assert len(cases) > 150
    return cases


def test_sigmahq_evtx_and_json_give_the_same_winlog_fields(corpus: Path) -> None:
    compared = 0
    wrong: list[str] = []
    for evtx_path in sigma_cases(corpus):
        by_record: dict[int, dict[str, Any]] = {}
        for raw, error in read_evtx(evtx_path):
            assert raw is not None, f"{evtx_path.name}: {error}"
            event = XML.parse(raw, CTX)
            by_record[event["winlog.record_id"]] = event
        for document in json_objects(evtx_path.with_suffix(".json")):
            raw = orjson.dumps(document)
            fmt, from_json = parse(raw, CTX, "json")  # a generic JSON input recognises it
            assert fmt == "winjson" and from_json == JSON.parse(raw, CTX)
            from_xml = by_record.pop(from_json["winlog.record_id"])
            a, b = winlog(from_xml), winlog(from_json)
            if a.keys() != b.keys() or any(sigma_form(a[k]) != sigma_form(b[k]) for k in a):
                wrong.append(f"{evtx_path.name} #{from_json['winlog.record_id']}: " + str(
                    {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)}))
            compared += 1
        assert not by_record, f"{evtx_path.name}: records without a JSON twin {sorted(by_record)}"
    assert compared > 200 and not wrong, "\n".join(wrong[:5])


def crate_json_matches_xml(path: Path) -> int:
    """Parses every record of a file from the crate's XML and from its JSON rendering."""
    xml = PyEvtxParser(str(path)).records()
    rendered = PyEvtxParser(str(path)).records_json()
    count = 0
    for as_xml, as_json in zip(xml, rendered, strict=True):
        from_xml = XML.parse(as_xml["data"].encode(), CTX)
        assert JSON.parse(as_json["data"].encode(), CTX) == from_xml, (path.name, count)
        count += 1
    return count


def test_the_crates_xml_and_json_renderings_parse_alike(corpus: Path) -> None:
    files = sigma_cases(corpus)[::4] + sorted(
        (corpus / "hayabusa-sample-evtx").rglob("*.evtx"))[::3]
    assert sum(crate_json_matches_xml(path) for path in files) > 5000


def test_every_hayabusa_sample_reads_and_parses(corpus: Path) -> None:
    files = sorted((corpus / "hayabusa-sample-evtx").rglob("*.evtx"))
    assert len(files) > 300
    total = slow = 0
    for path in files:
        read = failed = 0
        for raw, error in read_evtx(path):
            if raw is None:
                assert error
                failed += 1
                continue
            read += 1
            event = XML.parse(raw, CTX)
            text = raw.decode()
            tree = evtx_file.read_tree(text)
            fast = evtx_file.read_fast(text)
            slow += fast is None
            assert fast is None or fast == tree, (path.name, read)
            record_id = _RECORD_ID.search(text)
            assert event.get("winlog.record_id") == (record_id and int(record_id.group(1)))
        assert (read, failed) == crate_counts(path), path.name
        total += read
    assert total > 15_000
    assert slow < total / 100, f"{slow} of {total} records missed the fast path"


def expected_counts(corpus: Path) -> list[tuple[str, int, int | None]]:
    """(file, records, failures or None for "some") from the collector's table."""
    table = corpus / "evtx-parser-edge-cases" / "EXPECTED_RECORD_COUNTS.tsv"
    rows = csv.reader((line for line in table.open(encoding="utf-8")
                       if line.strip() and not line.startswith("#")), delimiter="\t")
    return [(row[0], int(row[1]), int(row[2]) if row[2].isdigit() else None) for row in rows]


def test_evtx_edge_cases_give_the_expected_record_counts(corpus: Path) -> None:
    samples = corpus / "evtx-parser-edge-cases" / "samples"
    checked = 0
    for name, records, failures in expected_counts(corpus):
        path = samples / name
        if not path.exists():
            continue  # the collector left out files of 4 MiB and more
        results = list(read_evtx(path))
        read = sum(raw is not None for raw, _ in results)
        failed = len(results) - read
        if failures is None:  # "336 = ok+err iterations"
            assert (read + failed, failed > 0) == (records, True), name
        else:
            assert (read, failed) == (records, failures), name
        for raw, _ in results:
            if raw is not None:
                XML.parse(raw, CTX)
        checked += 1
    assert checked >= 12


def otrf_lines(corpus: Path, per_file: int) -> Iterator[tuple[str, bytes]]:
    root = corpus / "otrf-security-datasets" / "datasets" / "atomic" / "windows"
    zips = sorted(root.rglob("*.zip"))
    assert len(zips) >= 16
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as lines:
                    for line in islice(lines, per_file):
                        if line.strip():
                            yield path.name, line


def test_otrf_json_lines_are_windows_events(corpus: Path) -> None:
    datasets: set[str] = set()
    count = 0
    for name, line in otrf_lines(corpus, 400):
        fmt, event = parse(line, CTX, "json")
        assert fmt == "winjson", name
        assert event["winlog.event_id"].isdigit() and event.get("winlog.channel"), name
        assert event["winlog.computer_name"] == event["host.name"]
        assert not any(k.startswith("winlog.event_data.") and k[18:] in (
            "EventTime", "SourceModuleName", "Hostname", "EventID") for k in event), name
        datasets.add(event["event.dataset"])
        count += 1
    assert count > 5000
    assert {"windows.security", "windows.sysmon_operational",
            "windows.powershell_operational"} <= datasets
