"""Differential test: Ironwatch's Sigma matches equal pySigma's SQLite backend's, rule by rule.

Over the hayabusa sample EVTX files (read with Ironwatch's Windows parser), every Windows
rule of the SigmaHQ set that Ironwatch can run is matched twice:

* by ``SigmaEngine.match_batch``;
* by the SQL ``pysigma-backend-sqlite`` converts the same rule file to (``Reference``), run on
  one SQLite table of the same events.

The table's columns are the Sigma field names the rules use, each filled through the engine's
own field map (``WINDOWS_FIELDS``: ``EventID`` → ``winlog.event_id``, other names →
``winlog.event_data.*`` or ``winlog.user_data.*``; Defender's spaced names also without their
spaces), plus a keyword column holding every value of the event (the backend's
``fulltext_field``) for field-less rules. The backend has no logsource routing of its own, so
each query is restricted to the rows Ironwatch's routing table gives the rule's logsource.
Both sides thus see the same events and the same field resolution: the comparison tests
matching semantics.

The sets of matched ``(file, EventRecordID)`` must be equal for every rule, except the rules of
``KNOWN_DIFFERENCES`` (each explained in ``docs/detection.md``, "Differences from the pySigma
SQLite backend"), which must still differ, so the table cannot go stale. Rules the backend
cannot convert are counted by reason, not failures. Converted SQL is cached per rule-file hash
next to the regression test's compiled-rule cache.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    FieldFunctionTransformation,
    ValueListPlaceholderTransformation,
)
from sigma.rule import SigmaRule

from ironwatch.detect import SigmaEngine, load_rules
from ironwatch.detect.compiler import compile_rule
from ironwatch.detect.engine import despaced
from ironwatch.detect.logsources import SYSMON, WINDOWS_FIELDS, resolve
from ironwatch.detect.matcher import keyword_texts, texts
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.windows import read_evtx

pytestmark = pytest.mark.corpus

RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance")
TABLE = "logs"
#: reference-only columns: the keyword text, and the routing keys (channel, event id)
KEYWORDS, CHANNEL, EVENT_ID = "iw_keywords", "iw_channel", "iw_event_id"
#: joins the texts of a list value (unnamed ``Data``) and the values in the keyword column
JOIN = "\n"
CACHE_FILE = "sqlite-reference.cache.json"
CTX = ParseContext(received_us=0)
#: values for the ``%placeholder%`` names of SigmaHQ's Windows placeholder rules: the same
#: lists go to Ironwatch's loader and to the backend's pipeline (ValueListPlaceholderTransformation)
PLACEHOLDERS: dict[str, list[str]] = {
    "Administrators": ["Administrator", "*adm*"], "Admins_Workstations": ["*ADMIN*", "WIN-*"],
    "DomainControllers": ["*DC*"], "ServerSystems": ["*SRV*", "*SERVER*"], "Workstations": ["WIN-*", "*PC*"],
    "dc_ip_addresses": ["10.0.0.1", "192.168.*"], "dc_machine_accounts": ["*DC*$"],
    "domain_controller_hostnames": ["*DC*"], "internal_domains": ["*.local", "*.lab"],
    "legit_ips": ["10.*", "127.0.0.1"], "userdomain": ["*"],
}

RuleKey = tuple[str, str]  # (rule file path, rule id)
Identity = tuple[str, int]  # (EVTX file relative to the corpus folder, EventRecordID)

#: rule id → why Ironwatch and the SQLite reference disagree on the hayabusa sample (each a
#: documented semantic difference, docs/detection.md "Differences from the pySigma SQLite
#: backend"). Empty: all 2,854 compared rules agree on the sample.
KNOWN_DIFFERENCES: dict[str, str] = {}

#: The documented differences the sample does not exercise, each shown on one event of our own:
#: name → (detection, Sysmon 1 event data, Ironwatch matches, the reference matches, reason).
SEMANTIC_DIFFERENCES: dict[str, tuple[str, dict[str, Any], bool, bool, str]] = {
    "non-ascii-case": ("sel: {Image|contains: 'ÄPP'}", {"Image": "c:\\äpp.exe"}, True, False,
                       "Ironwatch folds case with Unicode lower(); SQLite's LIKE and NOCASE fold ASCII only"),
    "numeric-compare": ("sel: {Count|gt: 9}", {"Count": "10"}, True, False,
                        "Ironwatch compares |gt/|lt numerically; a TEXT column compares the digits as text"),
    "hex-number": ("sel: {Count|gte: 16}", {"Count": "0x10"}, True, False,
                   "Ironwatch reads 0x… event values as numbers for |lt/|gt, as Windows renders many of them"),
    "list-value": ("sel: {Data: 'a'}", {"Data": ["a", "b"]}, True, False,
                   "a list value (unnamed Data) matches when any element does; one SQL column holds the joined text"),
    "ipv6-spelling": ("sel: {IP|cidr: '2001:db8::/32'}", {"IP": "2001:0db8::1"}, True, False,
                      "Ironwatch parses the address; the backend matches the prefixes pySigma spells out"),
}


def windows_rules(corpus: Path) -> list[dict[str, Any]]:
    """The Windows rules Ironwatch can run: the whole set through the regression test's cache,
    and the placeholder folder again with ``PLACEHOLDERS`` (cached in a folder of its own)."""
    root = corpus / "sigmahq"
    rules = load_rules([root / f for f in RULE_FOLDERS], cache_dir=sigma_cache_dir()).rules
    expanded = load_rules([root / "rules-placeholder"], placeholders=PLACEHOLDERS,
                          cache_dir=sigma_cache_dir() / "differential-placeholders").rules
    seen = {(r["path"], r["id"]) for r in rules}
    rules += [r for r in expanded if (r["path"], r["id"]) not in seen]
    return [r for r in rules if (r["logsource"].get("product") or "") == "windows"]


def sigma_cache_dir() -> Path:
    """The regression test's compiled-rule cache directory (shared, kept between sessions)."""
    return Path(os.environ.get("IRONWATCH_TEST_SIGMA_CACHE",
                               Path(tempfile.gettempdir()) / f"ironwatch-test-sigma-cache-{os.getuid()}"))


@dataclass
class WindowsEvents:
    """Parsed Windows events and, index for index, their (file, EventRecordID)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    identity: list[Identity] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)


def read_windows_events(root: Path) -> WindowsEvents:
    """Every record of every EVTX file under ``root`` that Ironwatch's parsers read."""
    out = WindowsEvents()
    for path in sorted(root.rglob("*.evtx")):
        name = str(path.relative_to(root))
        try:
            records = list(read_evtx(path))
        except Exception:  # noqa: BLE001 - a file the reader refuses is left out of both sides
            out.skipped_files.append(name)
            continue
        for position, (xml, _) in enumerate(records):
            if xml is None:
                continue
            try:
                ev = parse(xml, CTX, "winxml")[1]
            except Exception:  # noqa: BLE001, S112 - an unreadable record is left out of both sides
                continue
            record_id = ev.get("winlog.record_id")
            out.events.append(ev)
            # a record without an EventRecordID is named by its negative position in the file
            out.identity.append((name, -1 - position if record_id is None else int(record_id)))
    return out


def _field_names(node: list[Any], out: set[str]) -> None:
    kind = node[0]
    if kind == "field":
        out.add(node[1])
        for value in node[3]:
            if value[0] == "fieldref":
                out.add(value[1])
    elif kind == "not":
        _field_names(node[1], out)
    elif kind in ("and", "or"):
        for child in node[1]:
            _field_names(child, out)


def rule_fields(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every Sigma field name the compiled rules compare (fieldref targets included)."""
    names: set[str] = set()
    for rule in rules:
        for node in rule["detections"].values():
            _field_names(node, names)
    return sorted(names)


def _column_text(value: Any) -> str | None:
    if value is None:
        return None
    return JOIN.join(texts(value)) if isinstance(value, (list, tuple)) else texts(value)[0]


def column(name: str | None) -> str:
    """The SQLite column of a Sigma field name. SQLite's names are case-insensitive and rules
    use names differing only in case (``Payload``/``payload``), which Ironwatch reads as two
    fields; a digest of the exact name keeps them apart (the backend's pipeline renames)."""
    return "f_" + hashlib.sha256(str(name).encode()).hexdigest()[:16]


def reference_pipeline() -> ProcessingPipeline:
    """Field names → ``column`` names, placeholders → ``PLACEHOLDERS``."""
    return ProcessingPipeline(name="ironwatch differential", vars=dict(PLACEHOLDERS), items=[
        ProcessingItem(ValueListPlaceholderTransformation(), identifier="placeholders"),
        ProcessingItem(FieldFunctionTransformation({}, column), identifier="columns"),
    ])


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str, value: Any) -> bool:
    return value is not None and _regex(pattern).search(str(value)) is not None


def route_clause(rule: Mapping[str, Any]) -> str:
    """SQL restricting rows to the events Ironwatch routes the rule's logsource to."""
    ls = rule["logsource"]
    parts: list[str] = []
    for target in resolve(ls.get("product"), ls.get("category"), ls.get("service")):
        if target.fields != WINDOWS_FIELDS:
            raise ValueError(f"{rule['path']}: target {target.name} does not use the Windows field map")
        if target.route.kind == "product":
            return f"{CHANNEL} IS NOT NULL"  # every Windows event (as ``engine.route_keys``)
        channels: dict[str, set[str]] = {}
        for channel, event_id in target.route.keys:
            channels.setdefault(channel, set()).add(event_id)
        for channel, ids in sorted(channels.items()):
            literal = "'" + channel.replace("'", "''") + "'"
            if "" in ids:
                parts.append(f"{CHANNEL} = {literal}")
            else:
                id_list = ", ".join(f"'{i}'" for i in sorted(ids))
                parts.append(f"({CHANNEL} = {literal} AND {EVENT_ID} IN ({id_list}))")
    return " OR ".join(parts) or "0"


def _reason(exc: BaseException) -> str:
    """A short, stable reason for counting: the exception type and its message's gist."""
    message = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", str(exc).splitlines()[0] if str(exc) else "")
    return f"{type(exc).__name__}: {message[:120]}"


def convert_file(data: bytes) -> dict[str, dict[str, Any]]:
    """Rule id → ``{"queries": [WHERE clause…]}`` or ``{"problem": reason}`` for one rule file."""
    backend = sqliteBackend(reference_pipeline(), fulltext_field=KEYWORDS, table=TABLE)  # type: ignore[no-untyped-call]
    prefix = f"SELECT * FROM {TABLE} WHERE "
    out: dict[str, dict[str, Any]] = {}
    collection = SigmaCollection.from_yaml(data, collect_errors=True)
    for rule in collection.rules:
        if not isinstance(rule, SigmaRule) or not rule.id:
            continue
        try:
            queries = backend.convert_rule(rule)  # type: ignore[no-untyped-call]
        except Exception as exc:  # noqa: BLE001 - any conversion failure is counted, not fatal
            out[str(rule.id)] = {"problem": _reason(exc)}
            continue
        wheres = []
        for query in queries:
            if not (isinstance(query, str) and query.startswith(prefix)):
                raise ValueError(f"unexpected SQLite backend output: {query!r:.200}")
            wheres.append(query[len(prefix):])
        out[str(rule.id)] = {"queries": wheres} if wheres else {"problem": "no query produced"}
    return out


def _cache_header() -> dict[str, Any]:
    return {"pysigma": importlib.metadata.version("pysigma"),
            "backend": importlib.metadata.version("pysigma-backend-sqlite"),
            "keywords": KEYWORDS, "table": TABLE, "placeholders": PLACEHOLDERS, "columns": column("x")}


class Reference:
    """pySigma's SQLite backend over one table of the events, with Ironwatch's routing and
    field map: conversion (``convert_s``), table build (``load_s``) and queries (``query_s``)
    are timed separately."""

    def __init__(self, rules: Sequence[Mapping[str, Any]], events: WindowsEvents,
                 cache_dir: Path | None = None) -> None:
        self.rules = list(rules)
        self.events = events
        self.cache_path = None if cache_dir is None else cache_dir / CACHE_FILE
        #: rule → WHERE clauses (alternatives) and routing clause
        self.queries: dict[RuleKey, tuple[list[str], str]] = {}
        #: rule → why the backend could not convert it (or its SQL failed to run)
        self.problems: dict[RuleKey, str] = {}
        self.convert_s = self.load_s = self.query_s = 0.0
        self.cached_files = 0

    def problem_counts(self) -> dict[str, int]:
        return dict(Counter(self.problems.values()).most_common())

    def convert(self) -> None:
        start = time.perf_counter()
        header = _cache_header()
        cached: dict[str, Any] = {}
        if self.cache_path is not None and self.cache_path.is_file():
            document = orjson.loads(self.cache_path.read_bytes())
            if isinstance(document, dict) and document.get("header") == header:
                cached = document.get("files") or {}
        entries: dict[str, Any] = {}
        by_file: dict[str, list[Mapping[str, Any]]] = {}
        for rule in self.rules:
            by_file.setdefault(rule["path"], []).append(rule)
        for path, rules in sorted(by_file.items()):
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            converted = cached.get(digest)
            if converted is None:
                converted = convert_file(data)
            else:
                self.cached_files += 1
            entries[digest] = converted
            for rule in rules:
                key = (rule["path"], rule["id"])
                found = converted.get(rule["id"])
                if found is None:
                    self.problems[key] = "rule not found by the backend's parse"
                elif "problem" in found:
                    self.problems[key] = found["problem"]
                else:
                    self.queries[key] = (found["queries"], route_clause(rule))
        if self.cache_path is not None and self.cached_files != len(entries):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps({"header": header, "files": entries}))
            tmp.replace(self.cache_path)
        self.convert_s = time.perf_counter() - start

    def connect(self) -> sqlite3.Connection:
        """An in-memory table of the events: one TEXT COLLATE NOCASE column per Sigma field."""
        start = time.perf_counter()
        fields = rule_fields(self.rules)
        con = sqlite3.connect(":memory:")
        con.create_function("regexp", 2, _regexp, deterministic=True)
        columns = [KEYWORDS, CHANNEL, EVENT_ID, *map(column, fields)]
        if len(set(columns)) != len(columns):
            raise ValueError("two Sigma field names share a column")
        con.execute(f"CREATE TABLE {TABLE} ({', '.join(c + ' TEXT COLLATE NOCASE' for c in columns)})")
        getters = [WINDOWS_FIELDS.keys(f) for f in fields]

        def rows() -> Iterator[list[str | None]]:
            for raw in self.events.events:
                ev = despaced(raw) if any(" " in k for k in raw) else raw
                channel, event_id = ev.get("winlog.channel"), ev.get("winlog.event_id")
                row: list[str | None] = [JOIN.join(keyword_texts(ev)),
                                         channel.lower() if isinstance(channel, str) else None,
                                         "" if event_id is None else str(event_id)]
                for keys in getters:
                    value = None
                    for key in keys:
                        value = ev.get(key)
                        if value is not None:
                            break
                    row.append(_column_text(value))
                yield row

        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {TABLE} VALUES ({marks})", rows())
        con.execute(f"CREATE INDEX route ON {TABLE} ({CHANNEL}, {EVENT_ID})")
        con.commit()
        self.load_s = time.perf_counter() - start
        return con

    def run(self) -> dict[RuleKey, set[Identity]]:
        """Matched (file, EventRecordID) per converted rule."""
        if not self.queries and not self.problems:
            self.convert()
        con = self.connect()
        start = time.perf_counter()
        out: dict[RuleKey, set[Identity]] = {}
        identity = self.events.identity
        for key, (wheres, route) in self.queries.items():
            found: set[Identity] = set()
            try:
                for where in wheres:
                    sql = f"SELECT rowid FROM {TABLE} WHERE ({route}) AND ({where})"
                    found.update(identity[rowid - 1] for (rowid,) in con.execute(sql))
            except sqlite3.Error as exc:
                self.problems[key] = f"SQLite refused the query: {_reason(exc)}"
                continue
            out[key] = found
        for key in self.problems:
            self.queries.pop(key, None)
        self.query_s = time.perf_counter() - start
        con.close()
        return out


@pytest.fixture(scope="module")
def compared(corpus: Path) -> dict[str, Any]:
    windows = windows_rules(corpus)
    events = read_windows_events(corpus / "hayabusa-sample-evtx")
    ours: dict[RuleKey, set[Identity]] = {}
    for d in SigmaEngine(windows).match_batch(events.events):
        ours.setdefault((d.rule.path, d.rule.id), set()).add(events.identity[d.index])
    reference = Reference(windows, events, cache_dir=sigma_cache_dir())
    theirs = reference.run()
    return {"rules": windows, "ours": ours, "theirs": theirs, "reference": reference, "events": events}


Disagreement = tuple[int, int, list[Identity], list[Identity]]


def disagreements(compared: Mapping[str, Any]) -> dict[str, Disagreement]:
    """Rule id → (our count, the reference's, a few records only we match, a few only it does)."""
    out: dict[str, Disagreement] = {}
    ours, theirs = compared["ours"], compared["theirs"]
    for key, ref in theirs.items():
        mine = ours.get(key, set())
        if mine != ref:
            out[key[1]] = (len(mine), len(ref), sorted(mine - ref)[:5], sorted(ref - mine)[:5])
    return out


def test_reference_runs_most_rules(compared: dict[str, Any]) -> None:
    reference: Reference = compared["reference"]
    assert len(compared["events"].events) > 15_000
    assert len(reference.queries) >= 0.9 * len(compared["rules"]), reference.problem_counts()
    print(f"\n{len(reference.queries)} of {len(compared['rules'])} rules compared; "
          f"not convertible: {reference.problem_counts()}", file=sys.stderr)


def test_matches_equal_the_sqlite_reference(compared: dict[str, Any]) -> None:
    unexplained = {rid: v for rid, v in disagreements(compared).items() if rid not in KNOWN_DIFFERENCES}
    assert not unexplained, unexplained


def test_known_differences_are_current(compared: dict[str, Any]) -> None:
    found = disagreements(compared)
    stale = sorted(set(KNOWN_DIFFERENCES) - set(found))
    assert not stale, f"these rules no longer differ; remove them from KNOWN_DIFFERENCES: {stale}"
    assert len(KNOWN_DIFFERENCES) <= 10
    assert all(len(reason) > 60 for reason in KNOWN_DIFFERENCES.values())


def _probe_rule(name: str, index: int, detection: str, folder: Path) -> dict[str, Any]:
    rule_id = f"00000000-0000-4000-8000-{index:012d}"
    text = (f"title: differential probe {name}\nid: {rule_id}\nstatus: test\nlevel: low\n"
            "logsource: {product: windows, category: process_creation}\n"
            f"detection:\n    {detection}\n    condition: sel\n")
    path = folder / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return compile_rule(SigmaRule.from_yaml(text), str(path), {})


def test_documented_semantic_differences(tmp_path: Path) -> None:
    rules, events = [], WindowsEvents()
    for index, (name, (detection, data, _, _, _)) in enumerate(SEMANTIC_DIFFERENCES.items()):
        rules.append(_probe_rule(name, index, detection, tmp_path))
        ev = {"winlog.channel": SYSMON, "winlog.event_id": 1, "winlog.record_id": index}
        ev.update({f"winlog.event_data.{k}": v for k, v in data.items()})
        events.events.append(ev)
        events.identity.append((name, index))
    theirs = Reference(rules, events).run()
    ours: dict[RuleKey, set[Identity]] = {}
    for d in SigmaEngine(rules).match_batch(events.events):
        ours.setdefault((d.rule.path, d.rule.id), set()).add(events.identity[d.index])
    for index, (rule, (name, (_, _, we, they, _))) in enumerate(zip(rules, SEMANTIC_DIFFERENCES.items())):
        key = (rule["path"], rule["id"])
        assert ((name, index) in ours.get(key, set()), (name, index) in theirs[key]) == (we, they), name


def test_the_sample_exercises_the_rules(compared: dict[str, Any]) -> None:
    theirs = compared["theirs"]
    assert sum(len(v) for v in theirs.values()) > 1000
    assert sum(1 for v in theirs.values() if v) > 100
