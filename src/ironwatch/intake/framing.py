"""Cutting a TCP/TLS byte stream into syslog messages (RFC 6587).

The framing is chosen per connection from its first frame: ``NONZERO-DIGIT *DIGIT SP <``
(a length, then a syslog PRI) means octet counting (``LEN SP MSG``), anything else newline
framing (LF, with a trailing CR dropped; a NUL also
ends a frame, as some senders use it). If an octet-counted connection sends something that
is not ``digits SP``, the framer falls back to newline framing for the rest of the
connection rather than misreading it. Messages longer than ``max_bytes`` are cut to that
size and reported as oversize; the rest of that frame is skipped.
"""

from __future__ import annotations

from typing import Callable

OCTET, NEWLINE, UNKNOWN = "octet-counting", "newline", "unknown"


def _detect(buf: bytes) -> str:
    """Octet counting needs a nonzero length, a space and a PRI; wait while that is undecided."""
    if not buf[:1].isdigit() or buf[:1] == b"0":
        return NEWLINE
    sp = buf.find(b" ", 0, 11)
    if sp < 0:
        return UNKNOWN if len(buf) < 11 and buf.isdigit() else NEWLINE
    if not buf[:sp].isdigit():
        return NEWLINE
    if len(buf) == sp + 1:
        return UNKNOWN
    return OCTET if buf[sp + 1:sp + 2] == b"<" else NEWLINE


def strip_octet_count(datagram: bytes) -> bytes:
    """``datagram`` without the RFC 6587 length prefix some senders put in front of UDP
    messages too (util-linux ``logger --udp --octet-count``). The prefix is dropped only when it is
    exactly the length of what follows and a PRI follows it, so a message that merely
    starts with digits is left alone."""
    if not datagram[:1].isdigit() or datagram[:1] == b"0":
        return datagram
    sp = datagram.find(b" ", 1, 11)
    if sp < 0 or not datagram[:sp].isdigit():
        return datagram
    body = datagram[sp + 1:]
    return body if body[:1] == b"<" and int(datagram[:sp]) == len(body) else datagram


class StreamFramer:
    __slots__ = ("max_bytes", "mode", "_buf", "_skip", "_on_oversize")

    def __init__(self, max_bytes: int, on_oversize: Callable[[bytes, int], None]) -> None:
        self.max_bytes = max_bytes
        self.mode = UNKNOWN
        self._buf = b""
        self._skip = 0  # bytes of an oversize frame still to discard (octet) or -1: until LF
        self._on_oversize = on_oversize

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf + data if self._buf else data
        if self._skip:
            buf = self._discard(buf)
        if not buf:
            self._buf = b""
            return []
        if self.mode == UNKNOWN:
            self.mode = _detect(buf)
            if self.mode == UNKNOWN:
                self._buf = buf
                return []
        out: list[bytes] = []
        if self.mode == OCTET:
            buf = self._octets(buf, out)
        if self.mode == NEWLINE and buf:
            buf = self._lines(buf, out)
        self._buf = buf
        return out

    def _discard(self, buf: bytes) -> bytes:
        if self._skip > 0:
            n = min(self._skip, len(buf))
            self._skip -= n
            return buf[n:]
        i = buf.find(b"\n")
        if i < 0:
            return b""
        self._skip = 0
        return buf[i + 1:]

    def _octets(self, buf: bytes, out: list[bytes]) -> bytes:
        pos, n = 0, len(buf)
        while pos < n:
            sp = buf.find(b" ", pos, pos + 12)
            if sp < 0:
                if n - pos >= 12 or not buf[pos:].isdigit():
                    self.mode = NEWLINE
                break
            digits = buf[pos:sp]
            if not digits.isdigit():
                self.mode = NEWLINE
                break
            length = int(digits)
            start = sp + 1
            if length > self.max_bytes:
                if n - start < self.max_bytes:
                    break  # keep reading until the whole kept head (max_bytes) has arrived
                self._on_oversize(buf[start:start + self.max_bytes], length)
                available = n - start
                if available >= length:
                    pos = start + length
                    continue
                self._skip = length - available
                return b""
            if n - start < length:
                break
            out.append(buf[start:start + length])
            pos = start + length
            while pos < n and buf[pos] in (10, 13, 0):  # tolerate stray trailers
                pos += 1
        return buf[pos:]

    def _lines(self, buf: bytes, out: list[bytes]) -> bytes:
        if b"\x00" in buf:
            buf = buf.replace(b"\x00", b"\n")
        parts = buf.split(b"\n")
        rest = parts.pop()
        mx = self.max_bytes
        for p in parts:
            if p.endswith(b"\r"):
                p = p[:-1]
            if not p:
                continue
            if len(p) > mx:
                self._on_oversize(p[:mx], len(p))
                continue
            out.append(p)
        if len(rest) > mx:
            self._on_oversize(rest[:mx], len(rest))
            self._skip = -1
            rest = b""
        return rest

    def flush(self) -> list[bytes]:
        """At connection close: a final unterminated newline frame is still a message."""
        rest, self._buf = self._buf, b""
        if self.mode != OCTET and rest.strip(b"\r\n"):
            return [rest.rstrip(b"\r")]
        return []
