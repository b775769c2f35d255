"""Loading rule folders (problems with path and reason, the compiled-rule cache) and the
``rules check`` / ``hunt`` commands, with rules and logs written by the tests."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from ironwatch.cli.main import main
from ironwatch.detect import load_rules
from ironwatch.detect.loader import CACHE_FILE

GOOD = """\
title: Sudo to root shell
id: 0a0a0a0a-1111-4222-8333-444444444444
status: experimental
level: medium
tags: [attack.privilege-escalation, attack.t1548.003]
logsource: {product: linux, service: sudo}
detection:
    keywords: ['COMMAND=/bin/bash']
    condition: keywords
"""
BROKEN = "title: broken\nlogsource: {product: windows}\ndetection:\n    condition: nothing\n"
PLACEHOLDER = """\
title: Admin share from non-admin
id: 0b0b0b0b-1111-4222-8333-444444444444
status: test
level: low
logsource: {product: windows, service: security}
detection:
    sel:
        EventID: 5140
        SubjectUserName|expand: '%admins%'
    condition: not sel
"""
CLOUD = """\
title: Cloud thing
id: 0c0c0c0c-1111-4222-8333-444444444444
status: test
level: low
logsource: {product: aws, service: cloudtrail}
detection:
    sel: {eventName: x}
    condition: sel
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    for name, text in {"good.yml": GOOD, "broken.yml": BROKEN, "ph.yml": PLACEHOLDER, "cloud.yaml": CLOUD}.items():
        (d / name).write_text(text)
    (d / "README.md").write_text("not a rule")
    return d


def test_every_problem_has_path_kind_and_reason(rules_dir: Path) -> None:
    rs = load_rules([rules_dir])
    assert [r["title"] for r in rs.rules] == ["Sudo to root shell"]
    problems = {Path(p.path).name: p for p in rs.problems}
    assert set(problems) == {"broken.yml", "ph.yml", "cloud.yaml"}
    assert problems["broken.yml"].kind == "invalid"
    assert problems["ph.yml"].kind == "placeholder" and "%admins%" in problems["ph.yml"].reason
    assert problems["cloud.yaml"].kind == "logsource"


def test_placeholders_make_a_rule_runnable(rules_dir: Path) -> None:
    rs = load_rules([rules_dir], placeholders={"admins": ["adm-*"]})
    assert "Admin share from non-admin" in [r["title"] for r in rs.rules]


def test_cache_is_used_and_falls_back_on_mismatch(rules_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = load_rules([rules_dir], cache_dir=cache)
    assert first.cached_files == 0 and (cache / CACHE_FILE).is_file()
    second = load_rules([rules_dir], cache_dir=cache)
    assert second.cached_files == second.files == 4
    assert second.rules == first.rules and second.problems == first.problems
    # another engine version in the header: ignored, recompiled, rewritten
    doc = orjson.loads((cache / CACHE_FILE).read_bytes())
    doc["header"]["engine"] = -1
    (cache / CACHE_FILE).write_bytes(orjson.dumps(doc))
    assert load_rules([rules_dir], cache_dir=cache).cached_files == 0
    (cache / CACHE_FILE).write_bytes(b"\x00garbage")
    assert load_rules([rules_dir], cache_dir=cache).rules == first.rules
    # one changed file: only it is recompiled
    (rules_dir / "good.yml").write_text(GOOD.replace("medium", "high"))
    third = load_rules([rules_dir], cache_dir=cache)
    assert third.cached_files == 3 and third.rules[0]["level"] == "high"
    # changed settings (placeholder values) are part of the key
    assert load_rules([rules_dir], placeholders={"admins": ["a"]}, cache_dir=cache).cached_files == 0


def test_rules_check_exit_codes(rules_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["rules", "check", str(rules_dir), "--output", "json", *data]) == 1
    out, err = capsys.readouterr()
    rows = [orjson.loads(line) for line in out.splitlines()]
    assert {Path(r["path"]).name for r in rows} == {"broken.yml", "ph.yml", "cloud.yaml"}
    assert "1 rules can run, 3 cannot" in err
    assert main(["rules", "check", str(rules_dir / "good.yml"), *data]) == 0


def test_hunt_reports_one_record_per_match(rules_dir: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "auth.log"
    log.write_text(
        "Nov 27 10:00:00 jump01 sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash\n"
        "Nov 27 10:00:01 jump01 sudo:   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls\n"
        "Nov 27 10:00:02 jump01 cron[12]: COMMAND=/bin/bash is not sudo\n")
    code = main(["hunt", str(log), "--rules", str(rules_dir), "--no-progress", "--output", "json",
                 "--data-dir", str(tmp_path / "data")])
    assert code == 0
    rows = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["rule_id"], r["record_id"], r["level"]) for r in rows] == \
        [("0a0a0a0a-1111-4222-8333-444444444444", 1, "medium")]
    assert rows[0]["file"] == str(log) and rows[0]["rule_title"] == "Sudo to root shell"
