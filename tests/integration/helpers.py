"""Small tools the integration tests share: polling, the server's memory, syslog lines."""

from __future__ import annotations

import os
import resource
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

import psutil

from ironwatch.cli.client import call

from .server import ServerProcess

T = TypeVar("T")


def wait_for(fetch: Callable[[], T], ok: Callable[[T], bool], timeout: float, interval: float = 0.2,
             what: str = "condition") -> T:
    """Call ``fetch`` until ``ok`` holds for its value; AssertionError with the last value otherwise."""
    deadline = time.monotonic() + timeout
    value = fetch()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout:g}s; last value: {_short(value)}")
        time.sleep(interval)
        value = fetch()
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 2000 else text[:2000] + "…"


def search_until(server: ServerProcess, query: str, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """``ironwatch search`` (the CLI) until it returns at least ``count`` events."""
    return wait_for(lambda: server.search(query), lambda evs: len(evs) >= count, timeout,
                    what=f"{count} events for {query!r}")


def rpc_search(server: ServerProcess, query: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The search the CLI runs, through the same local socket, without a process start per poll."""
    result: list[dict[str, Any]] = call(server.data_dir, "search", query=query, from_us=0, to_us=None, limit=limit)
    return result


def rpc_status(server: ServerProcess) -> dict[str, Any]:
    result: dict[str, Any] = call(server.data_dir, "status")
    return result


def group_rss(server: ServerProcess) -> int:
    """Resident bytes of every process in the server's process group."""
    total = 0
    for pid in server.pids():
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total


class RssSampler:
    """Samples ``group_rss`` in the background; ``peak`` is the largest sum seen."""

    def __init__(self, server: ServerProcess, interval: float = 0.25) -> None:
        self.server = server
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, group_rss(self.server))
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)


def rfc5424(message: str, host: str = "testhost", app: str = "testapp", pri: int = 13, msgid: str = "-") -> bytes:
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"<{pri}>1 {ts} {host} {app} - {msgid} - {message}".encode()


def octet_frame(msg: bytes) -> bytes:
    return b"%d %s" % (len(msg), msg)


def raise_nofile(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def worker_pids(server: ServerProcess) -> list[int]:
    out = []
    for pid in server.pids():
        try:
            cmd = " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            continue
        if "ironwatch.proc worker" in cmd:
            out.append(pid)
    return out


def wait_group_gone(server: ServerProcess, timeout: float = 15) -> None:
    """After ``kill9``: every member of the group has exited (locks and ports released)."""
    pgid = server.proc.pid if server.proc else -1

    def alive() -> list[int]:
        found = []
        for p in psutil.process_iter():
            try:
                if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p.pid)
            except (ProcessLookupError, psutil.Error):
                continue
        return found

    wait_for(alive, lambda pids: not pids, timeout, interval=0.05, what="server process group exit")
