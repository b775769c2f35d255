"""The CLI commands: each takes the parsed arguments and settings and returns an exit code."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..config import Settings, iter_settings
from ..core.access import local_actor
from ..errors import IronwatchError, ServerNotRunning
from ..timeutil import parse_time_arg
from .access_commands import CLI_SOURCE, on_server_or_store
from .client import call
from .output import emit, emit_mapping

if TYPE_CHECKING:
    from ..core.access import AccessService
    from ..store.hot import EventStore

SEARCH_COLUMNS = ("@timestamp", "host.name", "event.dataset", "log.source.address", "message")
DEAD_COLUMNS = ("received", "listener", "source_address", "reason", "original")


def serve(args: argparse.Namespace, s: Settings) -> int:
    from ..supervisor import Supervisor

    for flag, section, name in (("http", s.http, "listen"), ("syslog_udp", s.syslog, "udp"),
                                ("syslog_tcp", s.syslog, "tcp"), ("syslog_tls", s.syslog, "tls")):
        value = getattr(args, flag)
        if value is not None:
            setattr(section, name, value)
    if args.workers is not None:
        s.pipeline.workers = args.workers
    from ..config import validate
    validate(s)
    return Supervisor(s).serve()


def _with_store(s: Settings) -> Any:
    from ..store.hot import DB_FILE, EventStore

    if not (s.data_path / DB_FILE).exists():
        raise IronwatchError(f"no Ironwatch store in {s.data_path} (start `ironwatch serve` or import first)")
    return EventStore(s.data_path, s.store, read_only=True)


def check_input_format(name: str) -> None:
    """``ConfigError`` naming the known formats unless ``name`` is a record or file format."""
    from ..intake.files import FILE_FORMATS
    from ..parsers.registry import check_format

    if name not in FILE_FORMATS:
        check_format(name)


def import_(args: argparse.Namespace, s: Settings) -> int:
    from ..proc import tune_gc
    from .importer import run_import

    check_input_format(args.input_format)
    tune_gc()
    result = run_import(s, args.paths, args.input_format, show_progress=not args.no_progress)
    emit_mapping(result, args.output)
    return 0


def search(args: argparse.Namespace, s: Settings) -> int:
    from_us = parse_time_arg(args.start) if args.start else parse_time_arg("-24h")
    to_us = parse_time_arg(args.end) if args.end else None
    events = on_server_or_store(
        s, "search", lambda store, access: _search_offline(store, access, args.query, from_us, to_us, args.limit),
        query=args.query, from_us=from_us, to_us=to_us, limit=args.limit)
    emit(events, args.output, None if args.output == "json" else SEARCH_COLUMNS)
    return 0


def _search_offline(store: EventStore, access: AccessService, query: str, from_us: int | None, to_us: int | None,
                    limit: int) -> list[dict[str, Any]]:
    """Search the store directly, recorded in the audit trail as the socket's search is."""
    from ..store.hot import search_events

    try:
        found: list[dict[str, Any]] = search_events(store, query, from_us, to_us, limit)
    except IronwatchError as exc:
        access.record(local_actor(), CLI_SOURCE, "search", None, "failure", {"query": query, "error": str(exc)})
        raise
    access.record(local_actor(), CLI_SOURCE, "search", None, "success",
                  {"query": query, "from": from_us, "to": to_us, "limit": limit, "results": len(found)})
    return found


SOURCE_COLUMNS = ("host", "format", "sender", "first_seen", "last_seen", "events", "events_per_second",
                  "parse_error_rate", "skew_last_s", "skew_p50", "skew_p95", "silent_since")


def _offline_sources(store: Any, s: Settings) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = store.health.report(s.selfmon, store.cursor())
    return rows


def status(args: argparse.Namespace, s: Settings) -> int:
    try:
        result = call(s.data_path, "status")
    except ServerNotRunning:
        store = _with_store(s)
        t = store.totals()
        result = {"server": "stopped", "events_stored": t["events"], "wal_committed_offset": t["watermark"],
                  "dead_letters": t["dead_letters"] - t["dead_letters_replayed"], "segments": t["segments"],
                  "store_bytes": t["size_bytes"], "sources": _offline_sources(store, s)}
        store.close()
    if args.output == "json":
        emit_mapping(result, args.output)
        return 0
    sources = result.pop("sources", [])
    result["sources"] = len(sources)
    result["sources_silent"] = sum(1 for src in sources if src["silent_since"])
    detection = result.pop("detection", None) or {}
    top_rules = detection.pop("top_rules", [])
    result.update({f"sigma_{k}": v for k, v in detection.items()})
    emit_mapping(result, args.output)
    if args.output == "table" and sources:
        emit(sources, "table", SOURCE_COLUMNS, title="Sources")
    if args.output == "table" and top_rules:
        emit(top_rules, "table", ("rule_id", "evaluations", "matches", "time_ms"), title="Sigma rules (most time)")
    return 0


def sources(args: argparse.Namespace, s: Settings) -> int:
    try:
        rows = call(s.data_path, "sources")
    except ServerNotRunning:
        store = _with_store(s)
        rows = _offline_sources(store, s)
        store.close()
    emit(rows, args.output, None if args.output == "json" else SOURCE_COLUMNS)
    return 0


def deadletter(args: argparse.Namespace, s: Settings) -> int:
    from ..store.hot import list_dead_letters

    if args.action == "list":
        try:
            rows = call(s.data_path, "deadletter.list", limit=args.limit, include_replayed=args.all)
        except ServerNotRunning:
            store = _with_store(s)
            rows = list_dead_letters(store, args.limit, args.all)
            store.close()
        emit(rows, args.output, None if args.output == "json" else DEAD_COLUMNS)
        return 0
    result = on_server_or_store(
        s, "deadletter.replay", lambda store, access: _replay_offline(store, access, s, args.limit), limit=args.limit)
    emit_mapping(result, args.output)
    return 0


def _replay_offline(store: EventStore, access: AccessService, s: Settings, limit: int) -> dict[str, int]:
    """Replay on the store directly, recorded in the audit trail as the socket's replay is."""
    from ..core.replay import replay_dead_letters

    result = replay_dead_letters(store, s, limit)
    access.record(local_actor(), CLI_SOURCE, "deadletter.replay", None, "success", dict(result))
    return result


def wal(args: argparse.Namespace, s: Settings) -> int:
    from ..intake.wal import verify_wal

    batches, end, head = verify_wal(s.data_path / "wal")
    emit_mapping({"batches": batches, "end_offset": end, "head": head.hex(), "verified": True}, args.output)
    return 0


def key(args: argparse.Namespace, s: Settings) -> int:
    from ..store.integrity import Signer

    pub = s.data_path / "keys" / Signer.PUBLIC
    if not pub.exists():
        raise IronwatchError(f"no signing key in {s.data_path} yet (it is created at first `ironwatch serve`)")
    print(pub.read_text(), end="")
    return 0


def config_docs(args: argparse.Namespace, s: Settings) -> int:
    print(settings_markdown(), end="")
    return 0


def settings_markdown() -> str:
    lines = ["# Configuration reference", "",
             "Ironwatch reads `--config FILE` or, if present, `DATA/ironwatch.yaml`. Unknown keys are errors.",
             "Generated by `ironwatch config docs`; a test keeps this page in step with the code.", "",
             "| setting | default | meaning |", "|---|---|---|"]
    for name, default, help_text in iter_settings():
        d = "`[]`" if default == [] else f"`{default!r}`" if isinstance(default, str) else f"`{default}`"
        lines.append(f"| `{name}` | {d} | {help_text} |")
    return "\n".join(lines) + "\n"
