"""Talking to a running server over its Unix sockets (``run/core.sock``, ``run/intake.sock``)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import orjson

from ..errors import RemoteError, ServerNotRunning


def _connect(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        s.close()
        raise ServerNotRunning(f"no server answers on {path}") from exc
    except PermissionError as exc:
        s.close()
        raise PermissionError(f"no permission to use {path}: run as the user who owns the data directory") from exc
    return s


def server_running(data_dir: Path) -> bool:
    try:
        call(data_dir, "ping")
        return True
    except ServerNotRunning:
        return False


def call(data_dir: Path, op: str, **args: Any) -> Any:
    """One request to the core; returns its result or raises ``RemoteError``."""
    with _connect(data_dir / "run" / "core.sock") as s:
        f = s.makefile("rwb")
        f.write(orjson.dumps({"op": op, "args": args}) + b"\n")
        f.flush()
        line = f.readline()
    if not line:
        raise RemoteError("the server closed the connection without answering")
    reply = orjson.loads(line)
    if not reply.get("ok"):
        raise RemoteError(str(reply.get("error")))
    return reply.get("result")


class IntakeConnection:
    """A kept-open connection to the intake for streaming an import."""

    def __init__(self, data_dir: Path) -> None:
        self.sock = _connect(data_dir / "run" / "intake.sock")
        self.f = self.sock.makefile("rwb")

    def ingest(self, body: bytes, listener: str, fmt: str, framing: str = "lines",
               chunks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Append records durably; ``chunks`` splits a records-framed body into several
        (listener, format, count) groups acknowledged together."""
        head: dict[str, Any] = {"op": "ingest", "listener": listener, "format": fmt, "address": "",
                                "framing": framing, "length": len(body)}
        if chunks is not None:
            head["chunks"] = chunks
        self.f.write(orjson.dumps(head) + b"\n")
        self.f.write(body)
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise ServerNotRunning("intake closed the connection")
        reply: dict[str, Any] = orjson.loads(line)
        return reply

    def close(self) -> None:
        self.f.close()
        self.sock.close()
