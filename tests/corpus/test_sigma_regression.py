"""SigmaHQ's regression data: every case's sample matches its rule as many times as the case
says, or is a listed, hand-checked exception (``regression_exceptions.yml``).

The whole SigmaHQ rule set is loaded once per session (through the compiled-rule cache, kept
in the system temporary directory between sessions) and every case's EVTX file is read with
Ironwatch's own Windows parser, so routing, field mapping and semantics are all exercised.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from ironwatch.detect import SigmaEngine, load_rules
from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.windows import read_evtx

pytestmark = pytest.mark.corpus

HERE = Path(__file__).resolve().parent
RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-compliance")
EXCEPTIONS = yaml.safe_load((HERE / "regression_exceptions.yml").read_text())
CTX = ParseContext(received_us=0)


def sigma_cache_dir() -> Path:
    return Path(os.environ.get("IRONWATCH_TEST_SIGMA_CACHE",
                               Path(tempfile.gettempdir()) / f"ironwatch-test-sigma-cache-{os.getuid()}"))


@pytest.fixture(scope="session")
def sigmahq_engine(corpus: Path) -> SigmaEngine:
    root = corpus / "sigmahq"
    ruleset = load_rules([root / f for f in RULE_FOLDERS], cache_dir=sigma_cache_dir())
    return ruleset.engine()


def _cases() -> list[Any]:
    from tests.conftest import corpus_dir

    root = corpus_dir() / "sigmahq" / "regression_data"
    out = []
    for info in sorted(root.rglob("info.yml")) if root.is_dir() else []:
        data = yaml.safe_load(info.read_text())
        rule_id = data["rule_metadata"][0]["id"]
        for test in data.get("regression_tests_info") or []:
            if test.get("type") == "evtx":
                case = str(info.parent.relative_to(root))
                out.append(pytest.param(rule_id, case, test.get("match_count"), test["path"], id=case))
    return out


def _matches(engine: SigmaEngine, evtx: Path, rule_id: str) -> list[int]:
    events = [parse(xml, CTX, "winxml")[1] for xml, _ in read_evtx(evtx) if xml is not None]
    return [events[d.index]["winlog.record_id"] for d in engine.match_batch(events) if d.rule.id == rule_id]


def test_there_are_cases(corpus: Path) -> None:
    assert len(_cases()) >= 200


def test_exceptions_are_few_and_checked() -> None:
    assert len(EXCEPTIONS) <= 5
    for exc in EXCEPTIONS:
        assert set(exc) == {"rule_id", "case", "expected_match_count", "record_ids", "reason"}
        assert len(exc["reason"]) > 80


@pytest.mark.parametrize(("rule_id", "case", "match_count", "path"), _cases())
def test_regression_case(sigmahq_engine: SigmaEngine, corpus: Path, rule_id: str, case: str,
                         match_count: int | None, path: str) -> None:
    records = _matches(sigmahq_engine, corpus / "sigmahq" / path, rule_id)
    listed = [e for e in EXCEPTIONS if e["rule_id"] == rule_id and e["case"] == case]
    if listed:
        assert match_count == listed[0]["expected_match_count"]
        assert sorted(records) == sorted(listed[0]["record_ids"])
    elif match_count is None:  # the case states no count: the sample must match
        assert records
    else:
        assert len(records) == match_count, f"records {records}"
