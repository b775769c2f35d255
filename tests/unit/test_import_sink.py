"""``ironwatch import``'s batching: batches end at every multiple of ``ALIGN`` records (the
offline import commits whole DuckDB row groups), nothing is lost or reordered on the way,
and an offline import through the helpers commits every batch exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ironwatch.cli import importer
from ironwatch.config import Settings
from ironwatch.intake.files import Group
from ironwatch.store.hot import EventStore


class _Recording(importer._Sink):
    ALIGN = 10
    FLUSH_RECORDS = 4
    FLUSH_BYTES = 1 << 30

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[list[tuple[str, str, list[bytes]]], bool]] = []

    def _write(self, groups: list[tuple[str, Group]], boundary: bool) -> None:
        self.batches.append(([(listener, g.fmt, list(g.records)) for listener, g in groups], boundary))


def test_batches_end_at_every_multiple_of_align() -> None:
    sink = _Recording()
    sent: list[tuple[str, str, bytes]] = []
    n = 0
    for size, fmt in ((3, "winxml"), (7, "winxml"), (15, "auditd"), (1, ""), (26, "zeek-tsv\n#fields\ta")):
        records = [f"r{n + i}".encode() for i in range(size)]
        n += size
        sink.write(Group(fmt, records), f"import:/f{size}")
        sent += [(f"import:/f{size}", fmt, r) for r in records]
    sink.flush()
    got = [(listener, fmt, r) for groups, _ in sink.batches for listener, fmt, records in groups for r in records]
    assert got == sent  # every record, in order, with its listener and pinned format
    total = 0
    for groups, boundary in sink.batches:
        count = sum(len(records) for _, _, records in groups)
        assert total // 10 == (total + count - 1) // 10, "a batch crosses a multiple of ALIGN"
        total += count
        assert boundary == (total % 10 == 0)
    assert total == 52 and sum(b for _, b in sink.batches) == 5


def test_no_alignment_by_default() -> None:
    sink = _Recording()
    sink.ALIGN = 0
    sink.write(Group("", [b"x"] * 25), "import:/a")
    sink.flush()
    assert [sum(len(r) for _, _, r in groups) for groups, _ in sink.batches] == [25]
    assert [b for _, b in sink.batches] == [False]


def test_offline_import_through_helpers_commits_each_batch_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer._OfflineSink, "ALIGN", 1_000)
    monkeypatch.setattr(importer._OfflineSink, "FLUSH_RECORDS", 300)
    log = tmp_path / "hist.log"
    lines = [f"<38>Nov 27 10:{i // 60 % 60:02d}:{i % 60:02d} hist01 historian[{i}]: tag FIC-{i} written" for i in range(4_321)]
    log.write_text("\n".join(lines) + "\n")
    settings = Settings()
    settings.data_dir = str(tmp_path / "data")
    settings.pipeline.workers = 2
    settings.wal.segment_bytes = 64 << 10  # batches in many WAL segments, read back across them
    monkeypatch.setattr(importer._OfflineSink, "IN_PROCESS_BYTES", 0)  # helpers from the first batch
    result = importer.run_import(settings, [str(log)], "auto", show_progress=False)
    assert result["stored"] == 4_321 and result["records"] == 4_321 and result["dead_letters"] == 0
    store = EventStore(settings.data_path, settings.store)
    try:
        union = " UNION ALL ".join(f"SELECT process_pid, original FROM {name}" for name in store.segments(None, None))
        rows = store.con.execute(f"SELECT process_pid, original FROM ({union}) ORDER BY 1").fetchall()
        assert [pid for pid, _ in rows] == list(range(4_321))
        assert [bytes(original).decode() for _, original in rows] == lines  # from the WAL, not the helpers
        assert store.watermark > 0 and not store.done  # every batch marked stored, none left over
    finally:
        store.close()
    assert not (settings.data_path / "spool" / "import").exists()
