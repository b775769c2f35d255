"""``ironwatch``: every command takes ``--data-dir`` and ``--config``; output is ``--output``.

While ``ironwatch serve`` runs, commands go through its Unix socket in the data directory
(allowed by the directory's file permissions, identified as ``local:<user>``); without a
server they open the data directory themselves.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

from .. import __version__
from ..config import Settings, load_settings
from ..errors import IronwatchError
from .output import FORMATS



def _common(p: argparse.ArgumentParser, output: bool = True) -> None:
    p.add_argument("--data-dir", default=os.environ.get("IRONWATCH_DATA", "./data"),
                   help="data directory (default ./data or $IRONWATCH_DATA)")
    p.add_argument("--config", help="YAML configuration file (default DATA/ironwatch.yaml if present)")
    if output:
        p.add_argument("--output", choices=FORMATS, default="table", help="table, json (one object per line) or csv")


def _formats() -> str:
    from ..intake.files import FILE_FORMATS
    from ..parsers.registry import ENVELOPES, PARSERS

    return ("auto (detect per file, then per record) or one of: "
            + ", ".join(sorted([*PARSERS, *ENVELOPES, *FILE_FORMATS])))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="ironwatch", description="Ironwatch SIEM for industrial plants.")
    ap.add_argument("--version", action="version", version=f"ironwatch {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="run intake, pipeline workers and core (HTTPS API, syslog listeners)")
    _common(p, output=False)
    p.add_argument("--http", metavar="ADDR", help="API address HOST:PORT or PORT (default 127.0.0.1:8080)")
    p.add_argument("--syslog-udp", metavar="ADDR", help="syslog UDP address (default 127.0.0.1:5514; '' disables)")
    p.add_argument("--syslog-tcp", metavar="ADDR", help="syslog TCP address (default 127.0.0.1:5514; '' disables)")
    p.add_argument("--syslog-tls", metavar="ADDR", help="syslog TLS address (default 127.0.0.1:6514; '' disables)")
    p.add_argument("--workers", type=int, help="pipeline worker processes (default: cores - 1)")

    p = sub.add_parser("import", help="import log files and directories (format detected per file: EVTX, Zeek, auditd, "
                                      "JSON, Windows XML, syslog and vendor formats; gzip read transparently)")
    _common(p)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    p.add_argument("--input-format", default="auto", help=_formats())
    p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("parse", help="print what the server would store for each record of a file (checks a new source)")
    _common(p)
    p.set_defaults(output="json")
    p.add_argument("path", metavar="FILE", help="a file (gzip read transparently) or - for standard input")
    p.add_argument("--input-format", default="auto", help=_formats())

    p = sub.add_parser("search", help="search stored events (field:value and free text, all must match)")
    _common(p)
    p.add_argument("query", nargs="?", default="", help='e.g. host.name:plc-gw-01 "login failed" -event.outcome:success')
    p.add_argument("--from", dest="start", help="earliest @timestamp: RFC 3339, epoch seconds or -15m (default -24h)")
    p.add_argument("--to", dest="end", help="latest @timestamp (default now)")
    p.add_argument("--limit", type=int, default=100, help="most events to return, newest first (default 100)")

    p = sub.add_parser("status", help="listeners, throughput, WAL offsets, dead letters, drops, store size, sources")
    _common(p)

    p = sub.add_parser("sources", help="source health: per host and format, first/last seen, rate, parse errors, "
                                       "clock skew, silence")
    _common(p)

    p = sub.add_parser("deadletter", help="inspect and replay records that failed to parse")
    dsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    d = dsub.add_parser("list", help="list dead letters, newest first")
    _common(d)
    d.add_argument("--limit", type=int, default=100)
    d.add_argument("--all", action="store_true", help="include dead letters already replayed")
    d = dsub.add_parser("replay", help="re-run dead letters through the current parsers")
    _common(d)
    d.add_argument("--limit", type=int, default=100_000)

    p = sub.add_parser("wal", help="write-ahead log maintenance")
    wsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    w = wsub.add_parser("verify", help="verify every WAL batch checksum and the hash chain")
    _common(w)

    p = sub.add_parser("key", help="Ironwatch's Ed25519 signing key")
    ksub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    k = ksub.add_parser("export", help="print the public key (PEM) for auditors")
    _common(k, output=False)

    from .access_commands import add_parsers
    add_parsers(sub, _common)

    from .detect_commands import add_parsers as add_detect
    add_detect(sub, _common)

    from .simulate_command import add_parser as add_simulate
    add_simulate(sub, _common)

    p = sub.add_parser("config", help="configuration reference")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = csub.add_parser("docs", help="print the configuration reference as Markdown")
    _common(c, output=False)
    return ap


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, args.data_dir)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import (
        access_commands,
        commands,
        detect_commands,
        parse_command,
        simulate_command,
    )

    handlers: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "serve": commands.serve, "import": commands.import_, "search": commands.search,
        "status": commands.status, "sources": commands.sources, "deadletter": commands.deadletter, "wal": commands.wal,
        "key": commands.key, "config": commands.config_docs, "user": access_commands.user,
        "token": access_commands.token, "audit": access_commands.audit, "parse": parse_command.run,
        "simulate": simulate_command.run, "rules": detect_commands.rules, "hunt": detect_commands.hunt,
        "detections": detect_commands.detections,
    }
    try:
        settings = _settings(args)
        return handlers[args.command](args, settings)
    except IronwatchError as exc:
        print(f"ironwatch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0



if __name__ == "__main__":
    sys.exit(main())
