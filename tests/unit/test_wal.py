"""WAL: append, read back, hash chain, torn-tail recovery, segment rollover."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ironwatch.errors import WalCorruption, WalError
from ironwatch.event import uuid7_time_ms
from ironwatch.intake.wal import HEADER_SIZE, PendingRecord, WalReader, WalWriter, list_segments, verify_wal


def recs(n: int, tag: str = "m") -> list[PendingRecord]:
    return [PendingRecord("syslog-tcp", "", "127.0.0.1", f"<13>{tag} {i}".encode(), 1_700_000_000_000_000 + i)
            for i in range(n)]


def test_append_read_roundtrip(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    s, e, ids = w.append(recs(3), 1_700_000_000_000)
    w.sync()
    r = WalReader(tmp_path)
    hdr, records = r.read_batch(s)
    assert (hdr.start, hdr.end, hdr.count) == (s, e, 3)
    assert [x.original for x in records] == [b"<13>m 0", b"<13>m 1", b"<13>m 2"]
    assert [x.event_id for x in records] == ids
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(uuid7_time_ms(i) == 1_700_000_000_000 for i in ids)
    assert all(i[6] >> 4 == 7 for i in ids)  # version nibble
    assert records[0].offset == s + HEADER_SIZE
    assert records[1].sha256.hex() == __import__("hashlib").sha256(b"<13>m 1").hexdigest()


def test_chain_and_recovery_cuts_torn_tail(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    w.append(recs(2), 1)
    _, end2, _ = w.append(recs(2, "b"), 2)
    head = w.head
    w.sync()
    w.close()
    seg = tmp_path / f"{0:020d}.wal"
    with open(seg, "ab") as f:
        f.write(b"IWB1\x00\x00")  # a crash mid-header
    w2 = WalWriter(tmp_path)
    assert w2.end == end2 and w2.head == head and w2.truncated_bytes == 6
    s3, _, _ = w2.append(recs(1, "c"), 3)
    assert s3 == end2
    w2.sync()
    w2.close()
    n, end, h = verify_wal(tmp_path)
    assert n == 3


def test_edited_record_is_detected(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    w.append(recs(2), 1)
    w.append(recs(2, "x"), 2)
    w.sync()
    w.close()
    seg = tmp_path / f"{0:020d}.wal"
    data = bytearray(seg.read_bytes())
    data[-1] ^= 0x01
    seg.write_bytes(bytes(data))
    with pytest.raises(WalCorruption):
        verify_wal(tmp_path)


def test_segments_roll_over_and_offsets_stay_contiguous(tmp_path: Path) -> None:
    w = WalWriter(tmp_path, segment_bytes=300)
    spans = [w.append(recs(3, str(i)), i)[:2] for i in range(10)]
    w.sync()
    assert len(list_segments(tmp_path)) > 2
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    r = WalReader(tmp_path)
    headers = list(r.iter_headers(0, w.end))
    assert [(h.start, h.end) for h in headers] == spans
    assert verify_wal(tmp_path)[0] == 10
    removed = w.drop_before(spans[6][0])
    assert removed and verify_wal(tmp_path)[0] < 10
    w.close()
    w2 = WalWriter(tmp_path, segment_bytes=300)
    assert w2.end == spans[-1][1]
    w2.close()


def test_second_writer_is_refused(tmp_path: Path) -> None:
    w = WalWriter(tmp_path)
    with pytest.raises(WalError):
        WalWriter(tmp_path)
    w.close()
