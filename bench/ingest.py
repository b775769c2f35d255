"""Sustained syslog ingest over TCP: Ironwatch against Debian's rsyslog on the same traffic.

For each format (RFC 5424, RFC 3164) the benchmark

1. pre-generates a file of plant-flavoured syslog lines (PLC gateways, historians, HMIs,
   firewalls, domain controllers, engineering workstations), each carrying a unique
   ``seq=NNNNNNNNN`` (not timed), cut into ~256 KiB chunks at line boundaries, the chunks
   dealt round-robin to the ``--connections`` TCP connections;
2. starts a real ``ironwatch serve`` (``tests/integration/server.py``: fresh data dir, free
   ports, own process group) and sends the file over N connections with ``sendfile`` as fast
   as the server reads (or at ``--rate``), looping over each connection's chunks, for
   ``--duration`` seconds. A chunk being sent at the deadline is finished, so every line sent
   is counted exactly;
3. measures what is *stored* (``events_stored`` from the core's status, sampled every
   second) over the steady window ``[warmup, duration]`` — the server applies backpressure
   by pausing reads, so bytes sent say little. Then it waits until the WAL backlog is drained
   and checks that the events stored (minus Ironwatch's own ``ironwatch.self`` events) equal
   the lines sent exactly, and that a few sampled sequence numbers are searchable (through
   ``ironwatch search``) exactly as many times as they were sent, with the right host;
4. runs ``rsyslogd -n`` (imptcp -> omfile writing ``%rawmsg%``, nothing else loaded) on a
   free port and sends the same traffic the same way for the same time, counting lines
   written to its output file.

Each format runs for the full ``--duration`` (with ``--format both`` the run takes about
four times ``--duration`` plus drain time). Prints one JSON object on stdout; progress goes
to stderr. Exit status 0 when every run completed with 0 events lost and the search
spot-checks passed, 1 when a verification failed, 130 when interrupted. Every process it
starts is stopped on exit, Ctrl-C or error.

    .venv/bin/python bench/ingest.py [--duration 300] [--format both] [--connections 4]
                                     [--rate 0] [--keep] [--skip-rsyslog]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.integration.server

from ironwatch import __version__  # noqa: E402
from ironwatch.cli.client import call  # noqa: E402
from ironwatch.errors import IronwatchError  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.integration.server import ServerProcess  # noqa: E402

from plant_traffic import Traffic, generate  # noqa: E402

TARGET_EPS = 100_000
SAMPLE_S = 1.0
PROGRESS_S = 5.0
TIMELINE_S = 10.0
STALL_S = 60.0  # drain: give up after this long without progress
MIN_FREE_BYTES = 5 << 30  # stop sending early below this much free disk (rsyslog writes ~50 GB in 5 min)
SPOT_CHECKS = 5


def log(msg: str) -> None:
    print(f"[ingest {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- sending ---------------------------------------------------------------------------

class Sender(threading.Thread):
    """One TCP connection looping over its own chunks with sendfile; counts whole chunks sent."""

    def __init__(self, port: int, traffic: Traffic, chunk_ids: list[int], sends: list[int],
                 stop: threading.Event, rate: float) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.traffic = traffic
        self.chunk_ids = chunk_ids
        self.sends = sends  # shared per-chunk counters; each chunk belongs to one sender only
        self.stop = stop
        self.rate = rate  # lines/s for this connection; 0 = as fast as possible
        self.lines = 0
        self.error: str | None = None

    def run(self) -> None:
        fd = os.open(self.traffic.path, os.O_RDONLY)
        sock = None
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            sock.settimeout(None)
            out = sock.fileno()
            t0 = time.monotonic()
            while not self.stop.is_set():
                for ci in self.chunk_ids:
                    if self.stop.is_set():
                        break
                    if self.rate:
                        delay = t0 + self.lines / self.rate - time.monotonic()
                        if delay > 0 and self.stop.wait(delay):
                            break
                    off, ln, nl, _ = self.traffic.chunks[ci]
                    pos, end = off, off + ln
                    while pos < end:
                        n = os.sendfile(out, fd, pos, end - pos)
                        if n <= 0:
                            raise ConnectionError("sendfile sent nothing")
                        pos += n
                    self.sends[ci] += 1
                    self.lines += nl
        except BaseException as exc:  # noqa: BLE001 - reported in the result
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            os.close(fd)
            if sock is not None:
                sock.close()


# -- process groups ----------------------------------------------------------------------

class Group:
    """Resource sampling over a process group (peak summed RSS, CPU seconds)."""

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.procs: dict[int, psutil.Process] = {}
        self.cpu: dict[int, float] = {}
        self.peak_rss = 0

    def sample(self) -> tuple[int, float]:
        for p in psutil.process_iter():
            if p.pid not in self.procs:
                try:
                    if os.getpgid(p.pid) == self.pgid:
                        self.procs[p.pid] = p
                except (ProcessLookupError, PermissionError):
                    pass
        rss = 0
        for pid, p in list(self.procs.items()):
            try:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    self.cpu[pid] = t.user + t.system
            except psutil.Error:
                self.procs.pop(pid, None)
        self.peak_rss = max(self.peak_rss, rss)
        return rss, sum(self.cpu.values())

    def alive(self) -> list[int]:
        out = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) == self.pgid:
                    out.append(p.pid)
            except (ProcessLookupError, PermissionError):
                pass
        return out

    def kill(self) -> None:
        """SIGKILL whatever is left in the group (only ever a group this script created)."""
        if self.alive():
            try:
                os.killpg(self.pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def stop_popen(proc: subprocess.Popen[bytes], group: Group | None, timeout: float) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} did not stop within {timeout:.0f} s: SIGKILL to its group")
    if group is not None:
        group.kill()
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


# -- targets ---------------------------------------------------------------------------

class IronwatchTarget:
    name = "ironwatch"
    noun = "stored"

    def __init__(self, workdir: Path, workers: int, config: str | None) -> None:
        self.server = ServerProcess(workdir / "ironwatch-data", workers=workers, config=config)
        self.group: Group | None = None
        self.last: dict[str, Any] = {}
        self.peak_wal_bytes = 0
        self.peak_store_bytes = 0

    def start(self) -> int:
        self.server.start(timeout=120)
        assert self.server.proc is not None
        self.group = Group(self.server.proc.pid)
        return self.server.tcp

    def status(self) -> dict[str, Any]:
        self.last = call(self.server.data_dir, "status")
        self.peak_wal_bytes = max(self.peak_wal_bytes, int(self.last.get("wal_bytes") or 0))
        self.peak_store_bytes = max(self.peak_store_bytes, int(self.last.get("store_bytes") or 0))
        return self.last

    def count(self) -> int:
        return int(self.status()["events_stored"])

    def extra(self) -> str:
        st = self.last
        return f"backlog={st.get('wal_backlog_bytes', 0) / 2**20:.0f}MiB bp={st.get('backpressure')}"

    def self_events(self) -> int:
        return len(call(self.server.data_dir, "search", query="event.dataset:ironwatch.self",
                        from_us=0, to_us=None, limit=10_000_000))

    def drained(self, sent: int) -> bool:
        """Everything sent is stored: events other than Ironwatch's own ``ironwatch.self`` ones."""
        st = self.status()
        return st["events_stored"] >= sent and st["wal_backlog_bytes"] == 0 and \
            st["events_stored"] - self.self_events() >= sent

    def stop(self, timeout: float = 60) -> None:
        if self.server.proc is not None:
            stop_popen(self.server.proc, self.group or Group(self.server.proc.pid), timeout)


class RsyslogTarget:
    name = "rsyslog"
    noun = "written"

    def __init__(self, workdir: Path, binary: str) -> None:
        self.dir = workdir / "rsyslog"
        self.binary = binary
        self.out = self.dir / "out.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.group: Group | None = None
        self._fd: Any = None
        self._lines = 0

    def start(self) -> int:
        (self.dir / "work").mkdir(parents=True, exist_ok=True)
        port = free_port()
        conf = self.dir / "rsyslog.conf"
        conf.write_text(
            f'global(workDirectory="{self.dir / "work"}")\n'
            'module(load="imptcp")\n'
            'template(name="raw" type="string" string="%rawmsg%\\n")\n'
            'ruleset(name="bench") {\n'
            f'  action(type="omfile" file="{self.out}" template="raw")\n'
            '}\n'
            f'input(type="imptcp" port="{port}" address="127.0.0.1" ruleset="bench")\n')
        logf = open(self.dir / "rsyslogd.log", "ab")
        self.proc = subprocess.Popen([self.binary, "-n", "-f", str(conf), "-i", str(self.dir / "rsyslogd.pid")],
                                     stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()
        self.group = Group(self.proc.pid)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rsyslogd exited {self.proc.returncode}: "
                                   f"{(self.dir / 'rsyslogd.log').read_text()[-2000:]}")
            if any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                   for c in psutil.Process(self.proc.pid).net_connections("tcp")):
                return port
            time.sleep(0.1)
        raise RuntimeError("rsyslogd did not listen within 30 s")

    def count(self) -> int:
        """Newlines written so far (read incrementally)."""
        if self._fd is None:
            if not self.out.exists():
                return 0
            self._fd = open(self.out, "rb")
        while True:
            buf = self._fd.read(8 << 20)
            if not buf:
                return self._lines
            self._lines += buf.count(b"\n")

    def extra(self) -> str:
        return ""

    @property
    def lines(self) -> int:
        return self._lines

    def drained(self, sent: int) -> bool:
        return self.count() >= sent

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None:
            stop_popen(self.proc, self.group, timeout)
        if self._fd is not None:
            self.count()
            self._fd.close()
            self._fd = None


# -- one measured run --------------------------------------------------------------------

def measure(target: Any, traffic: Traffic, args: argparse.Namespace, label: str) -> dict[str, Any]:
    """Start ``target``, send for ``args.duration`` s, wait for the drain; the caller stops it."""
    port = target.start()
    base = target.count()
    n = args.connections
    sends = [0] * len(traffic.chunks)
    stop = threading.Event()
    per_conn = args.rate / n if args.rate else 0.0
    senders = [Sender(port, traffic, list(range(i, len(traffic.chunks), n)), sends, stop, per_conn)
               for i in range(n)]
    group: Group = target.group
    samples: list[tuple[float, int, float]] = []  # (t, count, cpu seconds)

    def sample() -> int:
        c = target.count() - base
        _, cpu = group.sample()
        samples.append((time.monotonic(), c, cpu))
        return c

    t0 = time.monotonic()
    sample()
    for s in senders:
        s.start()
    t_warm, t_end = t0 + args.warmup, t0 + args.duration
    next_progress = t0 + PROGRESS_S
    early = ""
    while True:
        now = time.monotonic()
        if now >= t_end:
            break
        time.sleep(min(SAMPLE_S, t_end - now))
        c = sample()
        if time.monotonic() >= next_progress:
            next_progress += PROGRESS_S
            sent = sum(s.lines for s in senders)
            t, prev = samples[-1][0], _at(samples, samples[-1][0] - PROGRESS_S)
            log(f"{label}: t={t - t0:5.1f}s sent={sent:,} {target.noun}={c:,} "
                f"rate={(c - prev[1]) / PROGRESS_S:,.0f}/s rss={group.peak_rss / 2**20:.0f}MiB {target.extra()}")
            if any(s.error for s in senders):
                break
        if shutil.disk_usage(traffic.path.parent).free < MIN_FREE_BYTES:
            early = f"stopped sending at {time.monotonic() - t0:.0f} s: less than {MIN_FREE_BYTES >> 30} GiB disk free"
            log(f"{label}: {early}")
            break
    stop.set()
    t_stop = time.monotonic()
    # finish the chunk in flight on each connection, keep sampling meanwhile
    while any(s.is_alive() for s in senders):
        time.sleep(0.5)
        sample()
        if time.monotonic() - t_stop > max(STALL_S, args.drain_timeout):
            break
    sent = sum(s.lines for s in senders)
    errors = [s.error for s in senders if s.error] + ([early] if early else [])
    hung = sum(s.is_alive() for s in senders)
    if hung:
        errors.append(f"{hung} sender(s) still blocked after the drain timeout")
    log(f"{label}: sending stopped after {t_stop - t0:.1f}s, {sent:,} lines sent; waiting for the drain")

    # drain: until everything sent is stored, or no progress for STALL_S, or the drain timeout
    t_drain0 = time.monotonic()
    last_c, last_change = -1, t_drain0
    drained = False
    next_progress = t_drain0 + PROGRESS_S
    while not hung:
        if target.drained(sent):
            drained = True
            break
        c = sample()
        now = time.monotonic()
        if c != last_c:
            last_c, last_change = c, now
        if now - last_change > STALL_S or now - t_drain0 > args.drain_timeout:
            break
        if now >= next_progress:
            next_progress += PROGRESS_S
            log(f"{label}: draining, {target.noun}={c:,}/{sent:,} {target.extra()}")
        time.sleep(0.5)
    t_drained = time.monotonic()
    sample()

    # the steady window [warmup, end of sending]
    (ta, ca, cpua), (tb, cb, cpub) = _at(samples, t_warm), _at(samples, t_stop)
    eps = (cb - ca) / (tb - ta) if tb > ta else 0.0
    timeline = []
    t = t_warm
    while t + TIMELINE_S <= t_stop + 1e-6:
        a, b = _at(samples, t), _at(samples, t + TIMELINE_S)
        timeline.append(round((b[1] - a[1]) / (b[0] - a[0])))
        t += TIMELINE_S
    return {
        "eps": round(eps),
        "eps_timeline_10s": timeline,
        "window_s": round(tb - ta, 1),
        "cpu_cores_used": round((cpub - cpua) / (tb - ta), 2) if tb > ta else None,
        "sent": sent,
        "sends": sends,
        "drained": drained,
        "drain_s": round(t_drained - t_stop, 1),
        "end_to_end_eps": round(samples[-1][1] / (t_drained - t0)),
        "peak_rss_mib": round(group.peak_rss / 2**20, 1),
        "errors": errors,
    }


def _at(samples: list[tuple[float, int, float]], t: float) -> tuple[float, int, float]:
    """(t, count, cpu) linearly interpolated at ``t`` from the samples."""
    times = [s[0] for s in samples]
    i = bisect.bisect_left(times, t)
    if i <= 0:
        return samples[0]
    if i >= len(samples):
        return samples[-1]
    (t1, c1, p1), (t2, c2, p2) = samples[i - 1], samples[i]
    f = (t - t1) / (t2 - t1) if t2 > t1 else 0.0
    return (t, round(c1 + f * (c2 - c1)), p1 + f * (p2 - p1))


def spot_check(target: IronwatchTarget, traffic: Traffic, sends: list[int], fmt: str) -> dict[str, Any]:
    """Search a few sent sequence numbers: each must be found exactly as often as it was sent."""
    r = random.Random(len(sends))
    sent_chunks = [i for i, k in enumerate(sends) if k]
    checks = []
    for ci in r.sample(sent_chunks, min(SPOT_CHECKS, len(sent_chunks))):
        _, _, nl, first = traffic.chunks[ci]
        seq = first + r.randrange(nl)
        line = traffic.line(seq).decode()
        host = line.split()[3 if fmt == "rfc3164" else 2]  # "<PRI>Mmm dd hh:mm:ss HOST" / "<PRI>1 TS HOST"
        t = time.monotonic()
        hits = target.server.search(f"message:*seq={seq:09d}*", limit=1000, start="0")
        ms = (time.monotonic() - t) * 1000
        ok = len(hits) == sends[ci] and all(h.get("host.name") == host for h in hits)
        checks.append({"seq": seq, "host": host, "expected": sends[ci], "found": len(hits), "ok": ok,
                       "search_ms": round(ms)})
        if not ok:
            log(f"spot check failed for seq {seq}: found {len(hits)}, expected {sends[ci]} (host {host}, "
                f"hosts found {sorted({str(h.get('host.name')) for h in hits})})")
    return {"ok": all(c["ok"] for c in checks) and bool(checks), "checks": checks}


def dir_bytes(path: Path) -> int:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink():
                total += p.stat().st_blocks * 512
        except FileNotFoundError:
            pass
    return total


def run_ironwatch(workdir: Path, traffic: Traffic, args: argparse.Namespace, fmt: str,
                  cleanup: list[Any]) -> dict[str, Any]:
    target = IronwatchTarget(workdir, args.workers, args.config_text)
    cleanup.append(target)
    try:
        m = measure(target, traffic, args, f"{fmt} ironwatch")
        st = target.status()
        self_n = target.self_events()
        stored = st["events_stored"] - self_n
        sent = m["sent"]
        spots = spot_check(target, traffic, m["sends"], fmt) if stored else {"ok": False, "checks": []}
        data_bytes = dir_bytes(target.server.data_dir)
    except BaseException:
        target.stop(timeout=5)  # interrupted or failed: no graceful shutdown of a large backlog
        raise
    target.stop()
    cleanup.remove(target)
    per = max(1, stored)
    return {
        "ironwatch_eps": m["eps"],
        "eps_timeline_10s": m["eps_timeline_10s"],
        "window_s": m["window_s"],
        "sent": sent,
        "stored": stored,
        "lost": max(0, sent - stored),
        "duplicated": max(0, stored - sent),
        "dead_letters": st.get("dead_letters"),
        "self_events": self_n,
        "drained": m["drained"],
        "drain_s": m["drain_s"],
        "end_to_end_eps": m["end_to_end_eps"],
        "store_bytes_per_event": round(st["store_bytes"] / per, 1),
        "wal_bytes_per_event": round(st["wal_durable_offset"] / max(1, sent), 1),
        "data_dir_bytes_per_event": round(data_bytes / per, 1),
        "store_bytes": st["store_bytes"],
        "wal_written_bytes": st["wal_durable_offset"],
        "wal_bytes_end": st["wal_bytes"],
        "wal_bytes_peak": target.peak_wal_bytes,
        "segments": st.get("segments"),
        "peak_rss_mib": m["peak_rss_mib"],
        "cpu_cores_used": m["cpu_cores_used"],
        "searchable": spots,
        "errors": m["errors"],
    }


def run_rsyslog(workdir: Path, traffic: Traffic, args: argparse.Namespace, fmt: str, binary: str,
                cleanup: list[Any]) -> dict[str, Any]:
    target = RsyslogTarget(workdir, binary)
    cleanup.append(target)
    try:
        m = measure(target, traffic, args, f"{fmt} rsyslog")
    except BaseException:
        target.stop(timeout=5)
        raise
    target.stop()
    cleanup.remove(target)
    written = target.lines  # counted to the end of the file when it stopped
    size = target.out.stat().st_size if target.out.exists() else 0
    return {
        "eps": m["eps"],
        "eps_timeline_10s": m["eps_timeline_10s"],
        "sent": m["sent"],
        "written": written,
        "lost": max(0, m["sent"] - written),
        "drain_s": m["drain_s"],
        "bytes_per_event": round(size / max(1, written), 1),
        "peak_rss_mib": m["peak_rss_mib"],
        "cpu_cores_used": m["cpu_cores_used"],
        "errors": m["errors"],
    }


# -- main ------------------------------------------------------------------------------

def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=300, help="seconds of sending per format and target (default 300)")
    ap.add_argument("--warmup", type=float, help="seconds excluded from the steady window (default min(10, duration/5))")
    ap.add_argument("--format", choices=["rfc5424", "rfc3164", "both"], default="both",
                    help="traffic format; both runs each format for the full duration (default both)")
    ap.add_argument("--rate", type=float, default=0, help="events/s over all connections; 0 = as fast as accepted")
    ap.add_argument("--connections", type=int, default=4, help="TCP connections (default 4)")
    ap.add_argument("--lines", type=int, default=2_000_000, help="lines in each pre-generated file (default 2M)")
    ap.add_argument("--workers", type=int, default=0, help="ironwatch pipeline workers (default 0: the server's default)")
    ap.add_argument("--config", help="YAML config for the ironwatch server (copied to its data dir)")
    ap.add_argument("--drain-timeout", type=float, default=3600, help="longest wait for the backlog to drain (s)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (traffic, data dirs, logs)")
    ap.add_argument("--skip-rsyslog", action="store_true", help="do not run the rsyslog reference")
    args = ap.parse_args(argv)
    if args.warmup is None:
        args.warmup = min(10.0, args.duration / 5)
    if not 0 <= args.warmup < args.duration:
        ap.error("--warmup must be below --duration")
    if args.connections < 1 or args.lines < 1000:
        ap.error("need at least 1 connection and 1000 lines")
    args.config_text = Path(args.config).read_text() if args.config else None

    formats = ["rfc5424", "rfc3164"] if args.format == "both" else [args.format]
    rsyslogd = shutil.which("rsyslogd") or next((p for p in ("/usr/sbin/rsyslogd", "/sbin/rsyslogd")
                                                 if os.access(p, os.X_OK)), None)
    if args.skip_rsyslog:
        rsyslog_info: str = "skipped"
    elif rsyslogd is None:
        rsyslog_info = "not installed"
    else:
        v = subprocess.run([rsyslogd, "-v"], capture_output=True, text=True).stdout.split("\n")[0]
        rsyslog_info = " ".join(v.split()[:2])
    cpus = os.cpu_count() or 1
    workers = args.workers or max(1, cpus - 1)
    result: dict[str, Any] = {
        "benchmark": "ingest", "cpus": cpus, "duration_s": args.duration, "warmup_s": args.warmup,
        "per_format": "each format runs for the full duration, ironwatch then rsyslog",
        "connections": args.connections, "rate": args.rate or "max", "lines_per_file": args.lines,
        "workers": workers, "ironwatch": __version__, "rsyslog": rsyslog_info,
        "python": platform.python_version(), "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "formats": {}, "target_eps": TARGET_EPS,
    }
    workdir = Path(tempfile.mkdtemp(prefix="ironwatch-bench-ingest-"))
    cleanup: list[Any] = []
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    code = 0
    try:
        for fmt in formats:
            fdir = workdir / fmt
            fdir.mkdir()
            t = time.monotonic()
            traffic = generate(fdir / f"traffic-{fmt}.log", fmt, args.lines)
            log(f"{fmt}: generated {traffic.lines:,} lines, {traffic.size / 2**20:.0f} MiB, "
                f"{len(traffic.chunks)} chunks in {time.monotonic() - t:.1f}s "
                f"(avg {traffic.size / traffic.lines:.0f} bytes/line)")
            res = run_ironwatch(fdir, traffic, args, fmt, cleanup)
            res["avg_line_bytes"] = round(traffic.size / traffic.lines, 1)
            if not args.keep:
                shutil.rmtree(fdir / "ironwatch-data", ignore_errors=True)
            if rsyslogd and not args.skip_rsyslog:
                rs = run_rsyslog(fdir, traffic, args, fmt, rsyslogd, cleanup)
                res["rsyslog_eps"] = rs["eps"]
                res["ratio"] = round(res["ironwatch_eps"] / rs["eps"], 3) if rs["eps"] else None
                res["rsyslog"] = rs
                if not args.keep:
                    shutil.rmtree(fdir / "rsyslog", ignore_errors=True)
            else:
                res["rsyslog_eps"] = None
                res["ratio"] = None
            res["meets_target"] = res["ironwatch_eps"] >= TARGET_EPS
            result["formats"][fmt] = _ordered(res)
            ok = res["lost"] == 0 and res["duplicated"] == 0 and res["searchable"]["ok"] and not res["errors"]
            log(f"{fmt}: ironwatch {res['ironwatch_eps']:,}/s stored (sustained), rsyslog "
                f"{res['rsyslog_eps'] if res['rsyslog_eps'] is not None else '-'}/s, sent {res['sent']:,}, "
                f"stored {res['stored']:,}, lost {res['lost']:,}, search {'ok' if res['searchable']['ok'] else 'FAILED'}")
            if not ok:
                code = 1
            if not args.keep:
                (fdir / f"traffic-{fmt}.log").unlink(missing_ok=True)
    except KeyboardInterrupt as exc:
        log(f"interrupted ({str(exc) or 'Ctrl-C'}): everything started is stopped")
        result["interrupted"] = True
        code = 130
    except (RuntimeError, IronwatchError, OSError, AssertionError) as exc:
        log(f"failed: {type(exc).__name__}: {exc}")
        result["error"] = f"{type(exc).__name__}: {exc}"
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for target in reversed(cleanup):
            try:
                target.stop(timeout=15)
            except Exception as exc:  # noqa: BLE001
                log(f"stopping {target.name}: {exc}")
        if args.keep:
            log(f"kept {workdir}")
            result["workdir"] = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result["ok"] = code == 0
    result["bench_cpu_s"] = round(sum(os.times()[:2]), 1)  # this script's own CPU (sending, sampling)
    print(json.dumps(result, indent=2))
    return code


def _ordered(res: dict[str, Any]) -> dict[str, Any]:
    first = ["ironwatch_eps", "rsyslog_eps", "ratio", "meets_target", "sent", "stored", "lost",
             "store_bytes_per_event", "wal_bytes_per_event", "peak_rss_mib"]
    return {**{k: res[k] for k in first if k in res}, **{k: v for k, v in res.items() if k not in first}}


if __name__ == "__main__":
    sys.exit(main())
