"""The segmented, hash-chained write-ahead log between intake and the pipeline.

Layout: ``DATA/wal/<offset:020d>.wal`` files, each named by the global byte offset of its
first batch, so offsets are contiguous across segments and a batch never spans two. A batch
is one group commit::

    magic "IWB3" | payload_len u32 | count u32 | prev_link 32B | link 32B | payload

``link = sha256(prev_link || magic || payload_len || count || payload)`` chains every batch
to the one before, from 32 zero bytes (``store.integrity``). The payload is columnar, so a
worker turns it into Arrow arrays without a per-record loop::

    n_meta u32, n_meta × (listener, format, source address: each u32 len + utf-8)
    meta index   count × u32      which (listener, format, address) each record has
    event ids    count × 16B      UUIDv7
    received     count × i64      receipt time, epoch µs
    hashes       count × 32B      SHA-256 of the original
    offsets      (count+1) × u32  into the data section
    data         the original bytes, concatenated

Identity (``event.id``, hash) is given here, at append. Record ``i`` of the batch starting
at offset ``S`` has the WAL offset ``S + i`` (unique: a batch is longer than its count); a
batch is referred to by its (start, end) offsets. On open the writer verifies the newest
segment and cuts a torn tail left by a crash. A ``format`` starting with ``!`` marks a
record intake already judged unparseable (the text after ``!`` is the dead-letter reason,
e.g. an oversize message). A format may carry options after a newline (a Zeek TSV file's
header), so meta strings have no length limit.

Batches written by earlier versions (magic "IWB2") are read too: their meta strings have
a u8 length (at most 255 bytes, which cut long formats short: the reason for "IWB3").
"""

from __future__ import annotations

import bisect
import fcntl
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, NamedTuple, Sequence

import numpy as np
import pyarrow as pa

from ..errors import WalCorruption, WalError
from ..event import Uuid7Generator
from ..store.integrity import GENESIS

MAGIC = b"IWB3"
#: batch magics this version reads: IWB2 (u8-length meta strings) and IWB3
MAGICS = (b"IWB2", MAGIC)
_HDR = struct.Struct("<4sII32s32s")
HEADER_SIZE = _HDR.size  # 76


class PendingChunk(NamedTuple):
    """Messages from one sender that intake hands the WAL, before they have an identity."""

    listener: str
    fmt: str
    address: str
    received_us: int
    messages: list[bytes]


class WalRecord(NamedTuple):
    offset: int
    event_id: bytes
    received_us: int
    sha256: bytes
    listener: str
    fmt: str
    address: str
    original: bytes


@dataclass(frozen=True)
class BatchHeader:
    start: int
    end: int
    count: int
    prev_link: bytes
    link: bytes


def _segment_name(offset: int) -> str:
    return f"{offset:020d}.wal"


def list_segments(wal_dir: Path) -> list[int]:
    return sorted(int(p.stem) for p in wal_dir.glob("*.wal") if p.stem.isdigit())


def _meta_string(text: str) -> bytes:
    b = text.encode("utf-8", "replace")
    return struct.pack("<I", len(b)) + b


class RecordColumns:
    """Records of one or more WAL batches, column by column (what workers parse)."""

    __slots__ = ("wal_offset", "ids", "received", "sha", "meta", "meta_index", "offsets", "data")

    def __init__(self, wal_offset: np.ndarray, ids: bytes, received: np.ndarray, sha: bytes,
                 meta: list[tuple[str, str, str]], meta_index: np.ndarray, offsets: np.ndarray, data: bytes) -> None:
        self.wal_offset, self.ids, self.received, self.sha = wal_offset, ids, received, sha
        self.meta, self.meta_index, self.offsets, self.data = meta, meta_index, offsets, data

    def __len__(self) -> int:
        return len(self.received)

    def original(self, i: int) -> bytes:
        return self.data[int(self.offsets[i]):int(self.offsets[i + 1])]

    def record(self, i: int) -> WalRecord:
        listener, fmt, address = self.meta[int(self.meta_index[i])]
        return WalRecord(int(self.wal_offset[i]), self.ids[16 * i:16 * i + 16], int(self.received[i]),
                         self.sha[32 * i:32 * i + 32], listener, fmt, address, self.original(i))

    def records(self, indices: Sequence[int] | None = None) -> list[WalRecord]:
        return [self.record(i) for i in (range(len(self)) if indices is None else indices)]

    def originals(self) -> pa.Array:
        offsets = pa.py_buffer(self.offsets.astype(np.int32).tobytes())
        return pa.BinaryArray.from_buffers(pa.binary(), len(self), [None, offsets, pa.py_buffer(self.data)])

    @classmethod
    def from_records(cls, recs: Sequence[WalRecord]) -> "RecordColumns":
        meta: dict[tuple[str, str, str], int] = {}
        index = [meta.setdefault((r.listener, r.fmt, r.address), len(meta)) for r in recs]
        lengths = np.fromiter((len(r.original) for r in recs), dtype=np.int64, count=len(recs))
        return cls(np.fromiter((r.offset for r in recs), dtype=np.uint64, count=len(recs)),
                   b"".join(r.event_id for r in recs),
                   np.fromiter((r.received_us for r in recs), dtype=np.int64, count=len(recs)),
                   b"".join(r.sha256 for r in recs), list(meta), np.asarray(index, dtype=np.int64),
                   np.concatenate(([0], np.cumsum(lengths))), b"".join(r.original for r in recs))

    @classmethod
    def concat(cls, parts: Sequence["RecordColumns"]) -> "RecordColumns":
        if len(parts) == 1:
            return parts[0]
        meta: dict[tuple[str, str, str], int] = {}
        indexes, offsets, base = [], [np.zeros(1, dtype=np.int64)], 0
        for p in parts:
            remap = np.asarray([meta.setdefault(m, len(meta)) for m in p.meta], dtype=np.int64)
            indexes.append(remap[p.meta_index] if len(p) else p.meta_index)
            offsets.append(p.offsets[1:] + base)
            base += len(p.data)
        return cls(np.concatenate([p.wal_offset for p in parts]), b"".join(p.ids for p in parts),
                   np.concatenate([p.received for p in parts]), b"".join(p.sha for p in parts), list(meta),
                   np.concatenate(indexes), np.concatenate(offsets), b"".join(p.data for p in parts))


def encode_batch(chunks: Sequence[PendingChunk], prev_link: bytes, ids: Uuid7Generator) -> tuple[list[bytes], bytes, int]:
    """(the batch as buffers to write in order, its link, record count) for ``chunks``.

    The buffers are written as they are (``os.writev``): joining them first would copy every
    record's bytes once more."""
    meta: dict[tuple[str, str, str], int] = {}
    index_parts, received_parts, messages = [], [], []
    for c in chunks:
        k = meta.setdefault((c.listener, c.fmt, c.address), len(meta))
        index_parts.append(np.full(len(c.messages), k, dtype="<u4"))
        received_parts.append(np.full(len(c.messages), c.received_us, dtype="<i8"))
        messages.extend(c.messages)
    n = len(messages)
    lengths = np.fromiter(map(len, messages), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype="<u4")
    np.cumsum(lengths, out=offsets[1:], dtype=np.int64) if n else None
    sha = hashlib.sha256
    parts = [struct.pack("<I", len(meta)) + b"".join(_meta_string(a) + _meta_string(b) + _meta_string(c)
                                                     for a, b, c in meta),
             np.concatenate(index_parts).tobytes() if n else b"", ids.take(n),
             np.concatenate(received_parts).tobytes() if n else b"",
             b"".join([sha(m).digest() for m in messages]), offsets.tobytes(), b"".join(messages)]
    size = sum(map(len, parts))
    head = struct.pack("<4sII", MAGIC, size, n)
    h = hashlib.sha256(prev_link)
    h.update(head)
    for part in parts:
        h.update(part)
    new_link = h.digest()
    return [_HDR.pack(MAGIC, size, n, prev_link, new_link), *parts], new_link, n


def write_all(fd: int, buffers: list[bytes]) -> int:
    """Writes ``buffers`` in order, however the kernel splits the writes; returns the bytes."""
    views = [memoryview(b) for b in buffers if b]
    total = sum(map(len, views))
    while views:
        n = os.writev(fd, views[:_IOV_MAX])
        while views and n >= len(views[0]):
            n -= len(views[0])
            views.pop(0)
        if n:
            views[0] = views[0][n:]
    return total


#: most buffers one ``writev`` takes (Linux's IOV_MAX)
_IOV_MAX = 1024


def decode_batch(start: int, count: int, payload: bytes, magic: bytes = MAGIC) -> RecordColumns:
    """The records of one batch whose header starts at global offset ``start``."""
    try:
        (n_meta,) = struct.unpack_from("<I", payload, 0)
        pos = 4
        meta: list[tuple[str, str, str]] = []
        wide = magic != b"IWB2"
        for _ in range(n_meta):
            fields = []
            for _ in range(3):
                if wide:
                    (ln,) = struct.unpack_from("<I", payload, pos)
                    pos += 4
                else:
                    ln = payload[pos]
                    pos += 1
                if pos + ln > len(payload):
                    raise ValueError("meta string runs past the payload")
                fields.append(payload[pos:pos + ln].decode("utf-8", "replace"))
                pos += ln
            meta.append((fields[0], fields[1], fields[2]))
        index = np.frombuffer(payload, dtype="<u4", count=count, offset=pos).astype(np.int64)
        pos += 4 * count
        ids = payload[pos:pos + 16 * count]
        pos += 16 * count
        received = np.frombuffer(payload, dtype="<i8", count=count, offset=pos).astype(np.int64)
        pos += 8 * count
        sha = payload[pos:pos + 32 * count]
        pos += 32 * count
        offsets = np.frombuffer(payload, dtype="<u4", count=count + 1, offset=pos).astype(np.int64)
        pos += 4 * (count + 1)
    except (struct.error, IndexError, ValueError) as exc:
        raise WalCorruption(f"batch at {start}: malformed payload ({exc})") from exc
    data = payload[pos:]
    if len(data) != (offsets[-1] if count else 0) or (count and int(index.max()) >= n_meta):
        raise WalCorruption(f"batch at {start}: records overrun the payload")
    return RecordColumns(np.arange(start, start + count, dtype=np.uint64), ids, received, sha, meta, index,
                         offsets, data)


def _check_batch(start: int, hdr: tuple[bytes, int, int, bytes, bytes], payload: bytes,
                 prev_link: bytes | None) -> None:
    magic, length, count, prev, recorded = hdr
    h = hashlib.sha256(prev)
    h.update(struct.pack("<4sII", magic, length, count))
    h.update(payload)
    if h.digest() != recorded:
        raise WalCorruption(f"batch at offset {start}: checksum mismatch")
    if prev_link is not None and prev != prev_link:
        raise WalCorruption(f"batch at offset {start}: chain link does not follow the previous batch")


class WalReader:
    """Random and sequential access to batches; safe while the writer appends."""

    def __init__(self, wal_dir: Path) -> None:
        self.dir = wal_dir
        self._segments: list[int] = []
        self._files: dict[int, BinaryIO] = {}
        self.refresh()

    def refresh(self) -> None:
        self._segments = list_segments(self.dir)

    def _locate(self, offset: int) -> tuple[int, int]:
        """(segment, position in it) of a global offset, by the current segment listing."""
        i = bisect.bisect_right(self._segments, offset) - 1
        if i < 0:
            self.refresh()
            i = bisect.bisect_right(self._segments, offset) - 1
            if i < 0:
                raise WalError(f"offset {offset} is before the oldest WAL segment")
        seg = self._segments[i]
        return seg, offset - seg

    def _read_at(self, offset: int, n: int) -> tuple[int, int, bytes]:
        """Up to ``n`` bytes at a global offset; a short read re-lists segments once, since the
        offset may be the start of a segment created after the last listing."""
        seg, pos = self._locate(offset)
        raw = self._read(seg, pos, n)
        if len(raw) < n:
            self.refresh()
            seg, pos = self._locate(offset)
            raw = self._read(seg, pos, n)
        return seg, pos, raw

    def _read(self, seg: int, pos: int, n: int) -> bytes:
        f = self._files.get(seg)
        if f is None:
            if len(self._files) >= 4:
                self._files.pop(min(self._files)).close()
            f = open(self.dir / _segment_name(seg), "rb")  # noqa: SIM115 - cached handle
            self._files[seg] = f
        f.seek(pos)
        return f.read(n)

    def header_at(self, offset: int, limit: int) -> BatchHeader | None:
        """The batch header at ``offset``, or None when no whole batch ends at or before ``limit``.

        An offset exactly at a segment's end moves to the next segment.
        """
        if offset >= limit:
            return None
        _seg, _pos, raw = self._read_at(offset, HEADER_SIZE)
        if len(raw) < HEADER_SIZE:
            return None
        magic, length, count, prev, link = _HDR.unpack(raw)
        if magic not in MAGICS:
            raise WalCorruption(f"no batch header at WAL offset {offset}")
        end = offset + HEADER_SIZE + length
        return BatchHeader(offset, end, count, prev, link) if end <= limit else None

    def read_batch(self, start: int, verify: bool = True) -> tuple[BatchHeader, RecordColumns]:
        seg, pos, raw = self._read_at(start, HEADER_SIZE)
        if len(raw) < HEADER_SIZE:
            raise WalError(f"no batch at WAL offset {start}")
        hdr = _HDR.unpack(raw)
        if hdr[0] not in MAGICS:
            raise WalCorruption(f"no batch header at WAL offset {start}")
        payload = self._read(seg, pos + HEADER_SIZE, hdr[1])
        if len(payload) != hdr[1]:
            raise WalError(f"batch at WAL offset {start} is incomplete")
        if verify:
            _check_batch(start, hdr, payload, None)
        header = BatchHeader(start, start + HEADER_SIZE + hdr[1], hdr[2], hdr[3], hdr[4])
        return header, decode_batch(start, hdr[2], payload, hdr[0])

    def iter_headers(self, start: int, limit: int) -> Iterator[BatchHeader]:
        off = start
        while True:
            h = self.header_at(off, limit)
            if h is None:
                return
            yield h
            off = h.end

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files.clear()


class WalWriter:
    """The single appender (intake, or an offline import). Holds ``wal/LOCK`` exclusively."""

    def __init__(self, wal_dir: Path, segment_bytes: int = 64 << 20, min_start: int = 0) -> None:
        """``min_start``: where an empty WAL begins (the store's watermark), so that a WAL
        directory wiped while the store kept its data never reuses stored offsets."""
        self.dir = wal_dir
        self.min_start = min_start
        wal_dir.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self._last: list[bytes] = []
        self._lock = os.open(wal_dir / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock)
            raise WalError(f"{wal_dir} is in use by another process") from exc
        self.head = GENESIS
        self.end = 0
        self.batches_recovered = 0
        self.ids = Uuid7Generator()
        self.truncated_bytes = 0
        self._recover()
        self.durable = self.end

    def _recover(self) -> None:
        segments = list_segments(self.dir)
        if not segments:
            self._open_segment(self._start_offset_from_marker())
            return
        seg = segments[-1]
        path = self.dir / _segment_name(seg)
        data = path.read_bytes()
        pos, prev = 0, None
        while pos + HEADER_SIZE <= len(data):
            hdr = _HDR.unpack_from(data, pos)
            if hdr[0] not in MAGICS or pos + HEADER_SIZE + hdr[1] > len(data):
                break
            payload = data[pos + HEADER_SIZE: pos + HEADER_SIZE + hdr[1]]
            try:
                _check_batch(seg + pos, hdr, payload, prev)
            except WalCorruption:
                break
            prev = hdr[4]
            pos += HEADER_SIZE + hdr[1]
            self.batches_recovered += 1
        self.truncated_bytes = len(data) - pos
        if self.truncated_bytes:
            with open(path, "r+b") as f:
                f.truncate(pos)
                os.fsync(f.fileno())
        if prev is None:
            prev = self._head_before(segments)
        self.head = prev
        self.end = seg + pos
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._seg_start = seg

    def _head_before(self, segments: list[int]) -> bytes:
        """Chain head at the end of the previous segment (or the marker, or genesis)."""
        if len(segments) >= 2:
            reader = WalReader(self.dir)
            last = None
            for h in reader.iter_headers(segments[-2], segments[-1]):
                last = h
            reader.close()
            if last is not None:
                return last.link
        marker = self.dir / "HEAD"
        if marker.exists():
            return bytes.fromhex(marker.read_text().split()[1])
        return GENESIS

    def _start_offset_from_marker(self) -> int:
        marker = self.dir / "HEAD"
        if marker.exists():
            off, link_hex = marker.read_text().split()
            self.head = bytes.fromhex(link_hex)
            return max(int(off), self.min_start)
        return self.min_start

    def _open_segment(self, start: int) -> None:
        path = self.dir / _segment_name(start)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._seg_start = start
        self.end = start
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def append(self, chunks: Sequence[PendingChunk]) -> tuple[int, int, int]:
        """Write one batch (not yet fsynced); returns (start, end, record count)."""
        if self.end - self._seg_start >= self.segment_bytes:
            os.fsync(self._fd)
            os.close(self._fd)
            self._open_segment(self.end)
        buffers, self.head, count = encode_batch(chunks, self.head, self.ids)
        start = self.end
        self.end = start + write_all(self._fd, buffers)
        self._last = buffers
        return start, self.end, count

    def last_originals(self) -> pa.Array:
        """The records of the batch appended last, as Arrow binary over the very buffers
        that were written (``encode_batch`` ends with the offsets and the records): what
        the offline import stores as ``original`` without reading its WAL back."""
        offsets, data = self._last[-2], self._last[-1]
        count = len(offsets) // 4 - 1
        return pa.BinaryArray.from_buffers(pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])

    def sync(self) -> int:
        """fsync what was appended; returns the durable offset."""
        end = self.end
        os.fdatasync(self._fd)
        self.durable = end
        return end

    def drop_before(self, offset: int) -> list[int]:
        """Delete whole segments that end at or before ``offset`` (already stored)."""
        segments = list_segments(self.dir)
        removed = []
        for seg, nxt in zip(segments, segments[1:]):
            if nxt <= offset and seg != self._seg_start:
                reader = WalReader(self.dir)
                last = None
                for h in reader.iter_headers(seg, nxt):
                    last = h
                reader.close()
                if last is not None:
                    tmp = self.dir / "HEAD.tmp"
                    tmp.write_text(f"{nxt} {last.link.hex()}\n")
                    os.replace(tmp, self.dir / "HEAD")
                (self.dir / _segment_name(seg)).unlink()
                removed.append(seg)
        return removed

    def close(self) -> None:
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            os.close(self._lock)


def verify_wal(wal_dir: Path) -> tuple[int, int, bytes]:
    """Verify every batch and chain link; returns (batches, end offset, head)."""
    segments = list_segments(wal_dir)
    marker = wal_dir / "HEAD"
    prev = bytes.fromhex(marker.read_text().split()[1]) if marker.exists() else GENESIS
    reader = WalReader(wal_dir)
    n, end = 0, segments[0] if segments else 0
    for i, seg in enumerate(segments):
        limit = segments[i + 1] if i + 1 < len(segments) else seg + (wal_dir / _segment_name(seg)).stat().st_size
        off = seg
        while off < limit:
            hdr, _ = reader.read_batch(off)
            if hdr.prev_link != prev:
                raise WalCorruption(f"batch at offset {off}: chain link does not follow the previous batch")
            prev, off, n = hdr.link, hdr.end, n + 1
        end = off
    reader.close()
    return n, end, prev
