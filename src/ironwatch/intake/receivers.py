"""Syslog receivers: UDP (drained per wake-up), TCP and TLS (framing per connection).

Receivers only move bytes: they cut messages (``framing``) and hand them to the intake's
``accept``; they never parse. UDP reads the socket until it is empty on every wake-up with
a large kernel buffer (a DatagramProtocol loses half the datagrams under load), and the
kernel's own drop count for the socket is read from ``/proc/net/udp``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import TYPE_CHECKING

from .framing import StreamFramer

if TYPE_CHECKING:
    from .server import Intake


def _fmt_addr(addr: object) -> str:
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(addr or "")


class SyslogUdpReceiver:
    def __init__(self, intake: "Intake", host: str, port: int, rcvbuf: int, max_bytes: int) -> None:
        self.intake = intake
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE (root)
        except OSError:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((host, port))
        self.sock.setblocking(False)
        self.address = self.sock.getsockname()
        self.max_bytes = max_bytes
        self._inode = self._socket_inode()
        self._kernel_drops_seen = 0

    def _socket_inode(self) -> int:
        return os.fstat(self.sock.fileno()).st_ino

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.add_reader(self.sock.fileno(), self._drain)

    def _drain(self) -> None:
        recv = self.sock.recvfrom
        msgs: list[tuple[bytes, str]] = []
        bufsize = 65535
        try:
            for _ in range(100_000):
                data, addr = recv(bufsize)
                msgs.append((data, _fmt_addr(addr)))
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            pass
        if msgs:
            self.intake.accept_datagrams(msgs, self.max_bytes)

    def kernel_drops(self) -> int:
        """New kernel drops on this socket since the last call (from /proc/net/udp[6])."""
        if not self._inode:
            return 0
        total = 0
        for name in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                with open(name) as f:
                    next(f)
                    for line in f:
                        cols = line.split()
                        if len(cols) > 12 and cols[9] == str(self._inode):
                            total = int(cols[-1])
            except (OSError, StopIteration, ValueError):
                continue
        new = max(0, total - self._kernel_drops_seen)
        self._kernel_drops_seen = total
        return new

    def close(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.remove_reader(self.sock.fileno())
        self.sock.close()


class SyslogStreamProtocol(asyncio.Protocol):
    """One TCP or TLS connection."""

    def __init__(self, intake: "Intake", listener: str, max_bytes: int) -> None:
        self.intake = intake
        self.listener = listener
        self.address = ""
        self.transport: asyncio.Transport | None = None
        self.last_activity = time.monotonic()
        self.framer = StreamFramer(max_bytes, self._oversize)

    def _oversize(self, head: bytes, length: int) -> None:
        self.intake.accept_oversize(self.listener, self.address, head, length)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.address = _fmt_addr(transport.get_extra_info("peername"))
        if not self.intake.register(self):
            transport.abort()

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        msgs = self.framer.feed(data)
        if msgs:
            self.intake.accept(self.listener, self.address, msgs, len(data))

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        msgs = self.framer.flush()
        if msgs:
            self.intake.accept(self.listener, self.address, msgs, 0)
        self.intake.unregister(self)
