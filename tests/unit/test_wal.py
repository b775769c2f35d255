"""WAL: append, read back, identity, hash chain, torn-tail recovery, segment rollover."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ironwatch.errors import WalCorruption, WalError
from ironwatch.event import Uuid7Generator, uuid7_time_ms
from ironwatch.intake.wal import PendingChunk, RecordColumns, WalReader, WalWriter, list_segments, verify_wal, write_all


def chunks(n: int, tag: str = "m") -> list[PendingChunk]:
    return [PendingChunk("syslog-tcp", "", "127.0.0.1:514", 1_700_000_000_000_000,
                         [f"<13>{tag} {i}".encode() for i in range(n)]),
            PendingChunk("http", "json", "10.0.0.9", 1_700_000_000_000_001, [b'{"a": 1}'])]


def test_append_read_roundtrip(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    s, e, count = w.append(chunks(3))
    w.sync()
    hdr, rc = WalReader(tmp_path).read_batch(s)
    assert (hdr.start, hdr.end, hdr.count, count) == (s, e, 4, 4)
    recs = rc.records()
    assert [r.original for r in recs] == [b"<13>m 0", b"<13>m 1", b"<13>m 2", b'{"a": 1}']
    assert [(r.listener, r.fmt, r.address) for r in recs][-2:] == [("syslog-tcp", "", "127.0.0.1:514"),
                                                                    ("http", "json", "10.0.0.9")]
    assert [r.offset for r in recs] == [s, s + 1, s + 2, s + 3]
    ids = [r.event_id for r in recs]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert all(i[6] >> 4 == 7 and i[8] >> 6 == 2 for i in ids)  # version 7, RFC 4122 variant
    assert recs[1].sha256 == hashlib.sha256(b"<13>m 1").digest()
    assert rc.originals().to_pylist()[3] == b'{"a": 1}'
    assert RecordColumns.concat([rc, rc]).records()[5].original == b"<13>m 1"


def test_long_formats_survive(tmp_path: Path) -> None:
    """A pinned format carries options (a Zeek TSV header is ~1 KB): nothing is cut short."""
    header = "zeek\n#separator \\x09\n#fields\t" + "\t".join(f"field_{i}" for i in range(300))
    w = WalWriter(tmp_path)
    s, _e, _n = w.append([PendingChunk("import:/x/conn.log", header, "é" * 300, 1, [b"1\t2"])])
    w.sync()
    [rec] = WalReader(tmp_path).read_batch(s)[1].records()
    assert rec.fmt == header and rec.address == "é" * 300 and len(header) > 2000


def test_batches_of_the_previous_format_are_still_read(tmp_path: Path) -> None:
    """IWB2 batches (u8-length meta strings) written before IWB3 stay readable and chained."""
    import struct

    from ironwatch.intake import wal as walmod
    from ironwatch.store.integrity import GENESIS

    def iwb2(prev: bytes, records: list[bytes]) -> tuple[bytes, bytes]:
        n = len(records)
        meta = b"".join(bytes((len(x),)) + x for x in (b"syslog-tcp", b"", b"10.0.0.1:514"))
        offsets = [0]
        for r in records:
            offsets.append(offsets[-1] + len(r))
        payload = (struct.pack("<I", 1) + meta + struct.pack(f"<{n}I", *([0] * n)) + Uuid7Generator().take(n)
                   + struct.pack(f"<{n}q", *([7] * n)) + b"".join(hashlib.sha256(r).digest() for r in records)
                   + struct.pack(f"<{n + 1}I", *offsets) + b"".join(records))
        head = struct.pack("<4sII", b"IWB2", len(payload), n)
        link = hashlib.sha256(prev + head + payload).digest()
        return struct.pack("<4sII32s32s", b"IWB2", len(payload), n, prev, link) + payload, link

    first, link = iwb2(GENESIS, [b"<13>old one", b"<13>old two"])
    second, _ = iwb2(link, [b"<13>old three"])
    (tmp_path / f"{0:020d}.wal").write_bytes(first + second)
    w = WalWriter(tmp_path)  # recovery keeps the old batches and chains the new one to them
    assert w.end == len(first) + len(second)
    s, _e, _n = w.append(chunks(1))
    w.sync()
    reader = WalReader(tmp_path)
    old = reader.read_batch(0)[1].records()
    assert [r.original for r in old] == [b"<13>old one", b"<13>old two"] and old[0].address == "10.0.0.1:514"
    assert reader.read_batch(s)[1].records()[0].original == b"<13>m 0"
    assert verify_wal(tmp_path)[0] == 3 and walmod.MAGIC == b"IWB3"


def test_uuid7_is_monotonic_across_calls_and_milliseconds() -> None:
    gen = Uuid7Generator()
    a = gen.take(5000, unix_ms=1_000)
    b = gen.take(10, unix_ms=1_000)  # same millisecond: continues the counter
    c = gen.take(10, unix_ms=999)    # clock went back: never goes backwards
    ids = [x[i:i + 16] for x in (a, b, c) for i in range(0, len(x), 16)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert uuid7_time_ms(ids[0]) == 1_000 and uuid7_time_ms(ids[4096]) == 1_001


def test_chain_and_recovery_cuts_torn_tail(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    w.append(chunks(2))
    _, end2, _ = w.append(chunks(2, "b"))
    head = w.head
    w.sync()
    w.close()
    seg = tmp_path / f"{0:020d}.wal"
    with open(seg, "ab") as f:
        f.write(b"IWB2\x00\x00")  # a crash mid-header
    w2 = WalWriter(tmp_path)
    assert w2.end == end2 and w2.head == head and w2.truncated_bytes == 6
    s3, _, _ = w2.append(chunks(1, "c"))
    assert s3 == end2
    w2.sync()
    w2.close()
    assert verify_wal(tmp_path)[0] == 3


def test_edited_record_is_detected(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    w.append(chunks(2))
    w.append(chunks(2, "x"))
    w.sync()
    w.close()
    seg = tmp_path / f"{0:020d}.wal"
    data = bytearray(seg.read_bytes())
    data[-1] ^= 0x01
    seg.write_bytes(bytes(data))
    with pytest.raises(WalCorruption):
        verify_wal(tmp_path)


def test_segments_roll_over_and_offsets_stay_contiguous(tmp_path: Path) -> None:
    w = WalWriter(tmp_path, segment_bytes=600)
    spans = [w.append(chunks(3, str(i)))[:2] for i in range(10)]
    w.sync()
    assert len(list_segments(tmp_path)) > 2
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    headers = list(WalReader(tmp_path).iter_headers(0, w.end))
    assert [(h.start, h.end) for h in headers] == spans
    assert verify_wal(tmp_path)[0] == 10
    removed = w.drop_before(spans[6][0])
    assert removed and verify_wal(tmp_path)[0] < 10
    w.close()
    w2 = WalWriter(tmp_path, segment_bytes=600)
    assert w2.end == spans[-1][1]
    w2.close()


def test_empty_wal_starts_at_the_store_watermark(tmp_path: Path) -> None:
    w = WalWriter(tmp_path, min_start=12345)
    s, _, _ = w.append(chunks(1))
    assert s == 12345
    w.close()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    with pytest.raises(WalError):
        WalWriter(tmp_path)
    w.close()


def test_reader_follows_segments_created_after_it_listed(tmp_path: Path) -> None:
    w = WalWriter(tmp_path, segment_bytes=600)
    first = w.append(chunks(3))
    w.sync()
    reader = WalReader(tmp_path)  # lists one segment
    assert reader.read_batch(first[0])[0].count == 4
    spans = [w.append(chunks(3, str(i)))[:2] for i in range(6)]
    w.sync()
    assert len(list_segments(tmp_path)) > 2
    for start, end in spans:  # batches in segments the reader has never listed
        hdr, rc = reader.read_batch(start)
        assert (hdr.start, hdr.end, len(rc)) == (start, end, 4)
    assert [h.start for h in reader.iter_headers(first[0], w.end)] == [first[0], *(s for s, _ in spans)]
    w.close()


def test_write_all_writes_every_buffer_in_order(tmp_path: Path) -> None:
    buffers = [bytes([i % 251]) * (i % 7) for i in range(3000)]  # more than one writev takes, some empty
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        assert write_all(fd, buffers) == sum(map(len, buffers))
    finally:
        os.close(fd)
    assert path.read_bytes() == b"".join(buffers)


def test_last_originals_are_the_records_just_appended(tmp_path: Path) -> None:
    w = WalWriter(tmp_path / "wal")
    first = [b"a" * 10, b"", "é ✓".encode()]
    w.append([PendingChunk("import:/x", "winxml", "", 1, first), PendingChunk("http", "", "10.0.0.1", 2, [b"z"])])
    assert w.last_originals().to_pylist() == [*first, b"z"]
    start, _, _ = w.append([PendingChunk("syslog-tcp", "", "", 3, [b"<13>one", b"<13>two"])])
    w.sync()
    got = w.last_originals()
    assert got.to_pylist() == [b"<13>one", b"<13>two"]
    assert got.equals(WalReader(tmp_path / "wal").read_batch(start)[1].originals())
    w.close()
