"""How the core gathers worker sets into commits: at once at low rates, a whole DuckDB row
group when the pipeline is busy, never waiting for sets that cannot come."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from ironwatch.config import Settings
from ironwatch.core import server
from ironwatch.core.dispatch import MAX_OUTSTANDING_SETS, WorkerConn
from ironwatch.core.server import Core
from ironwatch.intake.wal import RecordColumns, WalRecord
from ironwatch.pipeline.normalize import Normalizer
from ironwatch.pipeline.spool import write_set


@pytest.fixture
def core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Core]:
    monkeypatch.setattr(server, "COMMIT_ROWS", 100)
    monkeypatch.setattr(server, "COMMIT_BUSY_ROWS", 20)
    monkeypatch.setattr(server, "COMMIT_WAIT_S", 60.0)  # a wait that should not happen would hang the test
    settings = Settings()
    settings.data_dir = str(tmp_path)
    c = Core(settings)
    c.dispatcher.workers[1] = WorkerConn(1)
    yield c
    c.store.close()


def spool_set(core: Core, name: str, rows: int, start: int) -> tuple[int, str]:
    recs = [WalRecord(start + i, (start + i).to_bytes(16, "big"), 1_795_773_600_000_000, bytes(32), "syslog-tcp",
                      "", "10.0.0.1:514", b"<134>1 2026-11-27T10:00:00Z plc01 app 1 - - poll") for i in range(rows)]
    events, dead = Normalizer(Settings()).process_batch(RecordColumns.from_records(recs))
    write_set(core.spool, name, events, dead, [[start, start + rows]])
    return (1, name)


async def gather(core: Core, timeout: float = 10.0) -> list[str]:
    return [name for _, name in await asyncio.wait_for(core._next_commit(), timeout)]


def test_small_sets_are_committed_at_once(core: Core) -> None:
    async def run() -> None:
        core.commits.put_nowait(spool_set(core, "a", 5, 0))
        assert await gather(core) == ["a"]
        core.commits.put_nowait(spool_set(core, "b", 5, 10))
        core.commits.put_nowait(spool_set(core, "c", 5, 20))
        assert await gather(core) == ["b", "c"]  # what is queued goes together
    asyncio.run(run())


def test_a_busy_pipeline_waits_for_a_row_group(core: Core) -> None:
    async def run() -> None:
        core.commits.put_nowait(spool_set(core, "a", 40, 0))
        waiting = asyncio.ensure_future(gather(core))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        core.commits.put_nowait(spool_set(core, "b", 40, 100))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        core.commits.put_nowait(spool_set(core, "c", 40, 200))
        assert await waiting == ["a", "b", "c"]
    asyncio.run(run())


def test_no_wait_for_sets_no_worker_can_hand_in(core: Core) -> None:
    async def run() -> None:
        core.dispatcher.workers[1].uncommitted_sets = MAX_OUTSTANDING_SETS
        core.commits.put_nowait(spool_set(core, "a", 40, 0))
        assert await gather(core) == ["a"]
    asyncio.run(run())


def test_the_wait_is_bounded(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "COMMIT_WAIT_S", 0.3)

    async def run() -> None:
        core.commits.put_nowait(spool_set(core, "a", 40, 0))
        assert await gather(core) == ["a"]
    asyncio.run(run())
