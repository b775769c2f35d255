"""Reading EVTX files: the ``evtx`` crate's records a batch at a time, a record the crate
cannot decode reported and skipped, a reader that stops advancing ended, a file that is no
EVTX refused. The corpus tests read real files (``tests/corpus/test_corpus_windows.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from ironwatch.errors import ParseError
from ironwatch.parsers import evtx_file
from ironwatch.parsers.windows import read_evtx


class _Records:
    """A stand-in for the crate's iterator: records, failures, then the end."""

    def __init__(self, items: list[str | Exception]) -> None:
        self.items = items

    def __iter__(self) -> _Records:
        return self

    def __next__(self) -> dict[str, Any]:
        if not self.items:
            raise StopIteration
        item = self.items.pop(0)
        if isinstance(item, Exception):
            raise item
        return {"event_record_id": 1, "data": item}


def test_evtx_records_go_on_after_a_record_fails() -> None:
    got = list(evtx_file.evtx_records(_Records(
        ["<a/>", RuntimeError("Failed to parse record 7"), "<b>\ud800</b>", RuntimeError("")])))
    assert got == [(b"<a/>", ""), (None, "Failed to parse record 7"), (b"<b>?</b>", ""),
                   (None, "RuntimeError")]


def test_evtx_batches_end_at_size_and_at_a_failure() -> None:
    items: list[str | Exception] = [f"<r{i}/>" for i in range(7)]
    items[3] = RuntimeError("Failed to parse record 4")
    got = list(evtx_file.evtx_batches(_Records(items + [RuntimeError("x"), RuntimeError("y"), "<z/>"]), size=2))
    assert got == [([b"<r0/>", b"<r1/>"], None), ([b"<r2/>"], "Failed to parse record 4"),
                   ([b"<r4/>", b"<r5/>"], None), ([b"<r6/>"], "x"), ([], "y"), ([b"<z/>"], None)]


def test_evtx_reader_that_stops_advancing_ends() -> None:
    class Stuck(_Records):
        def __next__(self) -> dict[str, Any]:
            raise RuntimeError("same chunk again")

    got = list(evtx_file.evtx_records(Stuck([])))
    assert len(got) == 1_000_001
    assert got[-1] == (None, "reading stopped: the EVTX reader no longer advances")


def test_a_file_that_is_not_evtx(tmp_path: Any) -> None:
    path = tmp_path / "not.evtx"
    path.write_bytes(b"<Event/>" * 100)
    with pytest.raises(ParseError, match="not a readable EVTX file"):
        list(read_evtx(path))
