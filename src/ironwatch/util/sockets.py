"""Local Unix-socket plumbing shared by the intake, the core and the CLI.

Sockets live in ``DATA/run/`` with mode 0600, so reaching one already proves the caller may
read the data directory; the peer's uid (SO_PEERCRED) names who is acting (``local:<user>``).
Messages are JSON lines; a request may be followed by ``length`` raw bytes.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import socket
import struct
from pathlib import Path
from typing import Any

import orjson


def run_dir(data_dir: Path) -> Path:
    d = data_dir / "run"
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    return d


def peer_user(sock: socket.socket | None) -> str:
    """``local:<user name>`` of the process at the other end of a Unix socket."""
    if sock is None:
        return "local:unknown"
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        try:
            return "local:" + pwd.getpwuid(uid).pw_name
        except KeyError:
            return f"local:uid{uid}"
    except OSError:
        return "local:unknown"


async def start_unix_server(path: Path, handler: Any) -> asyncio.AbstractServer:
    if path.exists() or path.is_symlink():
        path.unlink()
    old = os.umask(0o177)
    try:
        server = await asyncio.start_unix_server(handler, path=str(path), limit=1 << 20)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return server


async def write_json(writer: asyncio.StreamWriter, obj: Any) -> None:
    writer.write(orjson.dumps(obj, default=str) + b"\n")
    await writer.drain()


async def read_json(reader: asyncio.StreamReader) -> Any:
    line = await reader.readline()
    if not line:
        return None
    return orjson.loads(line)


async def serve_requests(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                         on_request: Any) -> None:
    """Answer JSON-line requests on one connection until it closes.

    A malformed request gets ``{"ok": false, "error": ...}`` and ends the connection; a
    vanished peer ends it quietly. The writer is always closed.
    """
    try:
        while True:
            req = await read_json(reader)
            if req is None:
                break
            await on_request(req)
    except (asyncio.IncompleteReadError, ValueError) as exc:
        try:
            await write_json(writer, {"ok": False, "error": f"bad request: {exc}"})
        except ConnectionError:
            pass
    except ConnectionError:
        pass
    finally:
        writer.close()


def encode_records(records: list[bytes]) -> bytes:
    """Length-prefixed framing for bodies whose records may contain newlines (EVTX XML, auditd)."""
    return b"".join(struct.pack("<I", len(r)) + r for r in records)


def decode_records(body: bytes) -> list[bytes]:
    out, pos, n = [], 0, len(body)
    while pos + 4 <= n:
        (ln,) = struct.unpack_from("<I", body, pos)
        out.append(body[pos + 4: pos + 4 + ln])
        pos += 4 + ln
    if pos != n:
        raise ValueError("truncated record framing")
    return out
