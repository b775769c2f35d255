"""``ironwatch import``: files into the WAL, through the running server or in-process.

Files are read in chunks of whole lines (gzip is read transparently) and appended with
listener ``import:<path>``; each chunk is acknowledged only once durable. Without a running
server the same WAL, parsers and store commit run in this process, so an import is
identical either way.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from ..config import Settings
from ..errors import IronwatchError, ServerNotRunning
from ..intake.wal import PendingChunk, WalWriter
from ..pipeline.normalize import Normalizer
from ..store.hot import EventStore
from ..timeutil import now_us
from .client import IntakeConnection

CHUNK = 4 << 20


def _open(path: Path) -> BinaryIO:
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    f.seek(0)
    return f


def iter_files(paths: list[str]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(x for x in p.rglob("*") if x.is_file())
        elif p.is_file():
            yield p
        else:
            raise IronwatchError(f"no such file or directory: {p}")


def iter_chunks(path: Path) -> Iterator[tuple[bytes, int]]:
    """(chunk of whole lines, raw bytes consumed so far) for progress reporting."""
    with _open(path) as f:
        rest = b""
        raw = getattr(f, "fileobj", None)
        while True:
            data = f.read(CHUNK)
            if not data:
                break
            data = rest + data
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            pos = raw.tell() if raw is not None else f.tell()
            yield data[:cut + 1], pos
            rest = data[cut + 1:]
        if rest.strip():
            yield rest, path.stat().st_size


def _lines(chunk: bytes) -> list[bytes]:
    return [ln.rstrip(b"\r") for ln in chunk.split(b"\n") if ln.strip()]


def run_import(settings: Settings, paths: list[str], fmt: str, show_progress: bool = True) -> dict[str, float]:
    files = list(iter_files(paths))
    total = sum(f.stat().st_size for f in files)
    try:
        sink: _Sink = _ServerSink(settings)
    except ServerNotRunning:
        sink = _OfflineSink(settings)
    records = 0
    t0 = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not show_progress, transient=False) as progress:
        task = progress.add_task("import", total=total)
        done_bytes = 0
        for path in files:
            progress.update(task, description=path.name[:40])
            base = done_bytes
            for chunk, pos in iter_chunks(path):
                lines = _lines(chunk)
                sink.write(lines, f"import:{path}", "" if fmt == "auto" else fmt)
                records += len(lines)
                progress.update(task, completed=base + pos)
            done_bytes = base + path.stat().st_size
            progress.update(task, completed=done_bytes)
    result = sink.finish()
    result.update({"files": len(files), "records": records, "seconds": round(time.monotonic() - t0, 2)})
    return result


class _Sink:
    def write(self, lines: list[bytes], listener: str, fmt: str) -> None:
        raise NotImplementedError

    def finish(self) -> dict[str, float]:
        raise NotImplementedError


class _ServerSink(_Sink):
    def __init__(self, settings: Settings) -> None:
        self.conn = IntakeConnection(settings.data_path)

    def write(self, lines: list[bytes], listener: str, fmt: str) -> None:
        body = b"\n".join(lines)
        while True:
            reply = self.conn.ingest(body, listener, fmt)
            if reply.get("ok"):
                return
            if reply.get("error") == "backpressure":
                time.sleep(float(reply.get("retry_after", 1)))
                continue
            raise IronwatchError(f"intake refused the import: {reply.get('error')}")

    def finish(self) -> dict[str, float]:
        self.conn.close()
        return {"mode_server": 1}


class _OfflineSink(_Sink):
    """No server: append to the WAL and commit to the store in this process."""

    def __init__(self, settings: Settings) -> None:
        data = settings.data_path
        data.mkdir(parents=True, exist_ok=True)
        self.store = EventStore(data, settings.store)
        self.wal = WalWriter(data / "wal", settings.wal.segment_bytes, self.store.watermark)
        self.normalizer = Normalizer(settings)
        from ..intake.wal import WalReader
        self.reader = WalReader(data / "wal")
        self.events = self.dead = 0

    def write(self, lines: list[bytes], listener: str, fmt: str) -> None:
        now = now_us()
        start, end, _ = self.wal.append([PendingChunk(listener, fmt, "", now, lines)])
        self.wal.sync()
        self.reader.refresh()
        _hdr, recs = self.reader.read_batch(start)
        events, dead = self.normalizer.process_batch(recs)
        result = self.store.commit(events, dead, [(start, end)])
        self.events += result.events
        self.dead += result.dead

    def finish(self) -> dict[str, float]:
        self.wal.close()
        self.store.close()
        return {"stored": self.events, "dead_letters": self.dead}
