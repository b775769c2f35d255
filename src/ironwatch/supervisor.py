"""``ironwatch serve``: start the core, the intake and the workers, and keep them running.

Order matters: the core first (it owns the store and the sockets workers connect to), then
the intake (listeners), then the workers. A process that dies is restarted (with back-off
if it keeps dying); a restarted worker's unfinished batches are redone by the core without
duplicates. On SIGTERM/SIGINT the intake stops first (flushing the WAL), then the workers,
then the core. All processes share the supervisor's process group.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .config import Settings, parse_addr
from .errors import ServerBusy
from .proc import save_settings
from .tlscert import ensure_self_signed, fingerprint
from .util.sockets import run_dir


@dataclass
class Child:
    name: str
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started: float = 0.0
    failures: list[float] = field(default_factory=list)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.args)
        self.started = time.monotonic()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_path
        self.run = self.data_dir / "run"
        self._stop = False
        self._lock_fd = -1

    def _lock(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        run_dir(self.data_dir)
        self._lock_fd = os.open(self.run / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ServerBusy(f"another ironwatch serve is running on {self.data_dir}") from exc
        os.ftruncate(self._lock_fd, 0)
        os.write(self._lock_fd, str(os.getpid()).encode())

    def _child(self, role: str, *extra: str) -> Child:
        settings_file = str(self.run / "settings.json")
        name = role if not extra else f"{role}-{extra[-1]}"
        return Child(name, [sys.executable, "-m", "ironwatch.proc", role, "--settings", settings_file, *extra])

    def _wait_for(self, child: Child, marker: Path, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not marker.exists():
            if not child.alive():
                raise SystemExit(f"ironwatch: {child.name} failed to start (exit {child.proc.returncode if child.proc else '?'})")
            if time.monotonic() > deadline:
                raise SystemExit(f"ironwatch: {child.name} did not become ready in {timeout:.0f}s")
            time.sleep(0.05)

    def _banner(self) -> None:
        listeners = orjson.loads((self.run / "intake.listeners.json").read_bytes())
        scheme = "https" if self.settings.http.tls else "http"
        print(f"ironwatch: serving {self.data_dir}", flush=True)
        host, port = parse_addr(self.settings.http.listen)
        print(f"  console    {scheme}://{host}:{port}/   (log in; first start: see admin.password)", flush=True)
        print(f"  API        {scheme}://{host}:{port}/api/v1/", flush=True)
        for name, addr in listeners.items():
            print(f"  {name:<10} {addr}", flush=True)
        print(f"  workers    {self.settings.worker_count()}", flush=True)
        print(f"  ingest token file {self.data_dir / 'ingest.token'}", flush=True)

    def serve(self) -> int:
        self._lock()
        cert, _key, created = ensure_self_signed(self.data_dir)
        if created or not self.settings.http.cert:
            print(f"ironwatch: TLS certificate {cert} SHA-256 fingerprint {fingerprint(cert)}", flush=True)
        save_settings(self.settings, self.run / "settings.json")
        for stale in ("core.ready", "intake.listeners.json"):
            (self.run / stale).unlink(missing_ok=True)
        core = self._child("core")
        intake = self._child("intake")
        workers = [self._child("worker", "--slot", str(i)) for i in range(self.settings.worker_count())]
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        core.start()
        self._wait_for(core, self.run / "core.ready")
        intake.start()
        self._wait_for(intake, self.run / "intake.listeners.json")
        for w in workers:
            w.start()
        self._banner()
        children = [core, intake, *workers]
        while not self._stop:
            time.sleep(0.2)
            for c in children:
                if not c.alive() and not self._stop:
                    self._restart(c)
        self._shutdown(intake, workers, core)
        return 0

    def _restart(self, c: Child) -> None:
        now = time.monotonic()
        c.failures = [t for t in c.failures if now - t < 60] + [now]
        code = c.proc.returncode if c.proc else None
        print(f"ironwatch: {c.name} exited ({code}); restarting", file=sys.stderr, flush=True)
        if len(c.failures) > 5:
            time.sleep(min(10.0, 0.5 * len(c.failures)))
        c.restarts += 1
        if c.name == "core":
            (self.run / "core.ready").unlink(missing_ok=True)
        c.start()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stop = True

    def _shutdown(self, intake: Child, workers: list[Child], core: Child) -> None:
        for group in ([intake], workers, [core]):
            for c in group:
                if c.alive() and c.proc is not None:
                    c.proc.send_signal(signal.SIGTERM)
            for c in group:
                if c.proc is not None:
                    try:
                        c.proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        c.proc.kill()
        print("ironwatch: stopped", flush=True)
