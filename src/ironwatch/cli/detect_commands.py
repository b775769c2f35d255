"""``ironwatch rules …``, ``ironwatch detections`` and ``ironwatch hunt``.

``rules check`` loads rule folders exactly as the pipeline workers do and lists every rule
that cannot run, with its path and the reason; the exit code is 1 when there is one.
``rules list|enable|disable|level|reload`` and ``detections`` go through the running
server's socket (acting as ``local:<user>``, audited), else work on the store directly;
``rules test`` runs one rule file or folder over log files (``hunt``).
``hunt`` runs the same engine over files (EVTX, JSON lines, Zeek, syslog…), framed by
``FileReader`` and parsed by the registered parsers as ``ironwatch import`` would, and
prints one record per match. Compiled rules are cached under the data directory when it
exists (``DATA/cache``), so a second run skips pySigma's parsing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from ..config import Settings
from ..core.access import local_actor
from ..core.rules import DETECTION_COLUMNS, LEVELS, RULE_COLUMNS, RuleService
from ..detect import RoutingOptions, RuleSet, SigmaEngine, load_rules
from ..errors import ConfigError, IronwatchError, ParseError
from ..intake.files import FileReader, iter_files
from ..parsers.base import ParseContext
from ..parsers.registry import parse
from ..timeutil import iso, now_us, parse_time_arg
from .access_commands import CLI_SOURCE
from .output import emit, emit_mapping

BATCH = 5_000
HUNT_COLUMNS = ("rule_id", "rule_title", "level", "file", "record_id", "timestamp", "host")
CHECK_COLUMNS = ("path", "kind", "rule_id", "reason")


def add_parsers(sub: Any, common: Callable[..., None]) -> None:
    """The ``rules`` and ``hunt`` subcommands (``common`` adds --data-dir, --config, --output)."""
    p = sub.add_parser("rules", help="Sigma rules: list, check, enable, disable, level, reload, test")
    rsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = rsub.add_parser("check", help="load rules and list every rule that cannot run, with path and reason")
    common(c)
    c.add_argument("paths", nargs="+", metavar="PATH", help="rule files or folders")
    _engine_options(c)
    c = rsub.add_parser("list", help="configured rules with state (enabled, level) and counters")
    common(c)
    for action, text in (("enable", "run a disabled rule again"), ("disable", "stop running a rule")):
        c = rsub.add_parser(action, help=f"{text} (audited; workers reload)")
        common(c)
        c.add_argument("rule_id", metavar="RULE_ID")
    c = rsub.add_parser("level", help="override a rule's level (audited; workers reload)")
    common(c)
    c.add_argument("rule_id", metavar="RULE_ID")
    c.add_argument("level", choices=(*LEVELS, "default"), help="the new level, or default to remove the override")
    c = rsub.add_parser("reload", help="make the workers reload the rule folders (new and changed files)")
    common(c)
    c = rsub.add_parser("test", help="run one rule file or folder over log files and print the matches")
    common(c)
    c.add_argument("rule", metavar="RULE", help="a rule file or folder")
    c.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories")
    c.add_argument("--input-format", default="auto", help="auto (default) or a format name, as for import")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    _engine_options(c)

    d = sub.add_parser("detections", help="stored Sigma detections, newest first")
    common(d)
    d.add_argument("--rule", dest="rule_id", metavar="RULE_ID", help="only this rule")
    d.add_argument("--level", choices=LEVELS, help="only this level")
    d.add_argument("--host", help="only this host.name")
    d.add_argument("--from", dest="start", help="earliest receipt time: RFC 3339, epoch seconds or -15m")
    d.add_argument("--to", dest="end", help="latest receipt time")
    d.add_argument("--limit", type=int, default=100)

    h = sub.add_parser("hunt", help="run Sigma rules over log files offline (EVTX, JSON lines, Zeek, syslog)")
    common(h)
    h.add_argument("paths", nargs="+", metavar="PATH", help="log files or directories")
    h.add_argument("--rules", action="append", required=True, metavar="DIR", help="rule folder (repeatable)")
    h.add_argument("--input-format", default="auto", help="auto (default) or a format name, as for import")
    h.add_argument("--no-progress", action="store_true", help="no progress bar")
    _engine_options(h)


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--placeholders", metavar="FILE",
                   help="YAML mapping of %%placeholder%% names to lists of values, for rules using |expand")
    p.add_argument("--security-4688", action="store_true",
                   help="also run process_creation rules on Security 4688 events (NewProcessName read as Image…)")


def _placeholders(path: str | None) -> dict[str, list[str]]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read placeholders: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise ConfigError(f"{path}: placeholders must be a mapping of names to lists of values")
    return {str(k): [str(x) for x in v] for k, v in data.items()}


def _load(args: argparse.Namespace, settings: Settings, paths: list[str]) -> RuleSet:
    data_dir = Path(args.data_dir)
    cache = data_dir / "cache" if data_dir.is_dir() else None
    try:
        return load_rules(paths, _placeholders(args.placeholders), cache_dir=cache,
                          options=RoutingOptions(security_4688_as_process_creation=args.security_4688))
    except FileNotFoundError as exc:
        raise IronwatchError(str(exc)) from exc


def _managed(s: Settings, op: str, offline: Callable[[RuleService], Any], **kwargs: Any) -> Any:
    """``op`` on the running server, or ``offline(rules)`` on the store when none runs."""
    from .access_commands import on_server_or_store

    return on_server_or_store(s, op, lambda store, access: offline(RuleService(s, store, access)), **kwargs)


def rules(args: argparse.Namespace, settings: Settings) -> int:
    me, src = local_actor(), CLI_SOURCE
    if args.action == "list":
        emit(_managed(settings, "rules.list", lambda r: r.listing()), args.output,
             None if args.output == "json" else RULE_COLUMNS)
        return 0
    if args.action in ("enable", "disable", "level"):
        enabled = None if args.action == "level" else args.action == "enable"
        level = None if args.action != "level" else ("" if args.level == "default" else args.level)
        result = _managed(settings, "rules.set",
                          lambda r: r.set_state(me, src, r.lookup(args.rule_id), enabled, level),
                          rule_id=args.rule_id, enabled=enabled, level=level)
        emit_mapping(result, args.output)
        return 0
    if args.action == "reload":
        emit_mapping(_managed(settings, "rules.reload", lambda r: r.reload(me, src)), args.output)
        return 0
    if args.action == "test":
        args.rules = [args.rule]
        return hunt(args, settings)
    ruleset = _load(args, settings, args.paths)
    rows = [{"path": p.path, "kind": p.kind, "rule_id": p.rule_id, "reason": p.reason} for p in ruleset.problems]
    if rows:
        emit(rows, args.output, CHECK_COLUMNS, title="rules that cannot run")
    kinds = Counter(p.kind for p in ruleset.problems)
    detail = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    print(f"{ruleset.files} files, {len(ruleset.rules)} rules can run, {len(ruleset.problems)} cannot"
          + (f" ({detail})" if detail else ""), file=sys.stderr)
    return 1 if ruleset.problems else 0


def detections(args: argparse.Namespace, settings: Settings) -> int:
    from_us = parse_time_arg(args.start) if args.start else None
    to_us = parse_time_arg(args.end) if args.end else None
    rows = _managed(settings, "detections",
                    lambda r: r.detections(args.limit, args.rule_id, args.level, args.host, from_us, to_us),
                    limit=args.limit, rule_id=args.rule_id, level=args.level, host=args.host,
                    from_us=from_us, to_us=to_us)
    emit(rows, args.output, None if args.output == "json" else DETECTION_COLUMNS)
    return 0


def _events(reader: FileReader, fmt: str, ctx: ParseContext) -> Iterator[tuple[list[tuple[int, dict[str, Any]]], int | None]]:
    """(batch of (record number in file, event), file position) for one file."""
    number = 0
    for groups, pos in reader:
        batch: list[tuple[int, dict[str, Any]]] = []
        for group in groups:
            for record in group.records:
                number += 1
                if group.fmt.startswith("!"):
                    continue
                try:
                    _, event = parse(record, ctx, group.fmt or fmt)
                except ParseError:
                    continue
                batch.append((number, event))
        yield batch, pos


def _time(value: Any) -> Any:
    return iso(value) if isinstance(value, int) else value


def _row(engine_match: Any, event: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    record_id = event.get("winlog.record_id", number)
    return {"rule_id": engine_match.rule.id, "rule_title": engine_match.rule.title, "level": engine_match.rule.level,
            "file": str(path), "record_id": record_id, "timestamp": _time(event.get("@timestamp")),
            "host": event.get("host.name"), "tags": list(engine_match.rule.tags),
            "matched_fields": engine_match.matched_fields}


def _hunt_file(engine: SigmaEngine, path: Path, fmt: str, progress: Progress, task: Any, base: int,
               rows: list[dict[str, Any]]) -> int:
    ctx = ParseContext(received_us=now_us())
    reader = FileReader(path, fmt)
    progress.update(task, description=f"{path.name[:36]} ({reader.kind})")
    count = 0
    for batch, pos in _events(reader, fmt, ctx):
        events = [ev for _, ev in batch]
        for d in engine.match_batch(events):
            number, event = batch[d.index]
            rows.append(_row(d, event, path, number))
        count += len(batch)
        if pos is not None:
            progress.update(task, completed=base + pos)
    return count


def hunt(args: argparse.Namespace, settings: Settings) -> int:
    ruleset = _load(args, settings, args.rules)
    err = Console(stderr=True, highlight=False)
    if ruleset.problems:
        err.print(f"{len(ruleset.problems)} rules cannot run (see: ironwatch rules check)", markup=False)
    engine = ruleset.engine()
    files = list(iter_files(args.paths))
    rows: list[dict[str, Any]] = []
    events = 0
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, disable=args.no_progress, transient=True) as progress:
        task = progress.add_task("hunt", total=sum(f.stat().st_size for f in files))
        done = 0
        for path in files:
            events += _hunt_file(engine, path, args.input_format, progress, task, done, rows)
            done += path.stat().st_size
            progress.update(task, completed=done)
    if args.output != "table":
        emit(rows, args.output, HUNT_COLUMNS if args.output == "csv" else None)
    elif rows:
        emit(rows, "table", HUNT_COLUMNS, title="detections")
    err.print(f"{events} events in {len(files)} files, {len(ruleset.rules)} rules, {len(rows)} detections",
              markup=False)
    return 0


__all__ = ["add_parsers", "detections", "hunt", "rules"]
