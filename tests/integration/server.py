"""A real ``ironwatch serve`` for integration tests: its own data dir, free ports, own process group."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from ..conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def ironwatch_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "ironwatch.cli.main", *args]


class ServerProcess:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, config: str | None = None,
                 workers: int = 1) -> None:
        self.data_dir = data_dir
        self.http = free_port()
        self.udp = free_port(socket.SOCK_DGRAM)
        self.tcp = free_port()
        self.tls = free_port()
        self.env = {**os.environ, **(env or {})}
        self.config = config
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"{data_dir.name}-serve.log"

    def start(self, timeout: float = 60) -> "ServerProcess":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.config is not None:
            (self.data_dir / "ironwatch.yaml").write_text(self.config)
        args = ironwatch_cmd("serve", "--data-dir", str(self.data_dir), "--http", f"127.0.0.1:{self.http}",
                             "--syslog-udp", f"127.0.0.1:{self.udp}", "--syslog-tcp", f"127.0.0.1:{self.tcp}",
                             "--syslog-tls", f"127.0.0.1:{self.tls}", "--workers", str(self.workers))
        logf = open(self.log, "ab")
        # a restart on the same data dir appends to the same log: look only at this start's part
        log_start = logf.tell()
        self.proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True, cwd=ROOT)
        logf.close()  # the child has its own copy
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"serve exited {self.proc.returncode}: {self.log.read_text()[-3000:]}")
            if b"ingest token file" in self.log.read_bytes()[log_start:]:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"serve did not start: {self.log.read_text()[-3000:]}")

    @property
    def token(self) -> str:
        return (self.data_dir / "ingest.token").read_text().strip()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = ironwatch_cmd(*args[:1], "--data-dir", str(self.data_dir), *args[1:]) if args[0] not in ("deadletter", "wal", "rules") \
            else ironwatch_cmd(*args[:2], "--data-dir", str(self.data_dir), *args[2:])
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"{cmd} failed {r.returncode}: {r.stderr}")
        return r

    def search(self, query: str = "", limit: int = 100_000, start: str = "0") -> list[dict[str, Any]]:
        out = self.cli("search", query, "--output", "json", "--limit", str(limit), "--from", start).stdout
        return [orjson.loads(line) for line in out.splitlines() if line.strip()]

    def status(self) -> dict[str, Any]:
        return orjson.loads(self.cli("status", "--output", "json").stdout)  # type: ignore[no-any-return]

    def wait_stored(self, n: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        st: dict[str, Any] = {}
        while time.monotonic() < deadline:
            st = self.status()
            if st["events_stored"] >= n and st["wal_backlog_bytes"] == 0:
                return st
            time.sleep(0.3)
        raise AssertionError(f"expected {n} events stored, status: {st}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill9()

    def kill9(self) -> None:
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(30)
            # the group's other members may outlive the leader for a moment
            time.sleep(0.3)

    def pids(self) -> list[int]:
        import psutil
        if not self.proc:
            return []
        return [p.pid for p in psutil.process_iter() if _pgid(p.pid) == self.proc.pid]


def _pgid(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return -1
