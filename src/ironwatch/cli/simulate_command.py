"""``ironwatch simulate``: a simulated plant's logs, as files (``--out``) or sent live (``--to``).

The simulation itself lives in ``ironwatch.simulate``; this module reads the arguments,
picks the sink and prints a summary (stderr) and, for files, where the manifest is.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import Settings
from ..errors import IronwatchError
from ..simulate.clock import parse_duration, parse_start
from ..simulate.engine import DEFAULT_RATE, DEFAULT_START, Simulation, SimulationConfig
from ..simulate.plant import TIME_ZONE


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: Callable[..., None]) -> None:
    p = sub.add_parser("simulate", help="simulate a plant's logs (~60 assets, IT, DMZ and OT) as files or live traffic")
    common(p, output=False)
    p.add_argument("--seed", type=int, default=0, help="random seed: same seed and arguments, same bytes (default 0)")
    p.add_argument("--duration", default="1h", help="simulated time: 90s, 10m, 24h, 30d (default 1h)")
    p.add_argument("--rate", type=float, default=DEFAULT_RATE,
                   help=f"events per second over all sources (default {DEFAULT_RATE:g}); also the live send rate")
    p.add_argument("--start", default=DEFAULT_START,
                   help=f"simulated start, RFC 3339 or local time in {TIME_ZONE} (default {DEFAULT_START}, a Monday)")
    sink = p.add_mutually_exclusive_group(required=True)
    sink.add_argument("--out", metavar="DIR", help="write one file per source and format under DIR")
    sink.add_argument("--to", metavar="URL", help="send live: syslog://HOST:PORT or https://HOST:PORT")
    p.add_argument("--token-file", help="file holding the ingest token (for --to https://)")
    p.add_argument("--ca-file", help="CA certificate (PEM) to verify the server with (for --to https://)")
    p.add_argument("--insecure", action="store_true", help="do not verify the server's certificate (self-signed)")
    p.add_argument("--octet-counting", action="store_true", help="RFC 6587 octet counting instead of newlines (syslog)")


def _config(args: argparse.Namespace, json_mode: bool) -> SimulationConfig:
    try:
        start = parse_start(args.start, TIME_ZONE)
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise IronwatchError(f"simulate: {exc}") from exc
    if args.rate <= 0:
        raise IronwatchError("simulate: --rate must be positive")
    return SimulationConfig(seed=args.seed, start_us=start, duration_us=duration, rate=args.rate, json_mode=json_mode)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.out:
        from ..simulate.output import write_files

        manifest = write_files(Simulation(_config(args, False)), Path(args.out))
        seconds = manifest.pop("_seconds")
        total = manifest["events_total"]
        print(f"ironwatch simulate: {total} events in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} events/s) "
              f"to {args.out} (manifest.json lists the deliberate dead letters)", file=sys.stderr)
        return 0
    from ..simulate import live

    url: str = args.to
    if url.startswith("syslog://"):
        sent = live.send_syslog(Simulation(_config(args, False)), url, args.rate, args.octet_counting)
    elif url.startswith("https://"):
        if not args.token_file:
            raise IronwatchError("simulate: --to https:// needs --token-file")
        token = Path(args.token_file).read_text().strip()
        sent = live.send_https(Simulation(_config(args, True)), url, args.rate, token, args.ca_file, args.insecure,
                               lambda m: print(f"ironwatch simulate: {m}", file=sys.stderr))
    else:
        raise IronwatchError(f"simulate: --to {url}: expected syslog://HOST:PORT or https://HOST:PORT")
    print(f"ironwatch simulate: sent {sent} events to {url}", file=sys.stderr)
    return 0
