"""A thousand concurrent syslog connections (TCP and TLS, both framings): nothing lost, bounded memory."""

from __future__ import annotations

import asyncio
import random
import re
import ssl
import time
import uuid
from pathlib import Path

import pytest

from .helpers import RssSampler, octet_frame, raise_nofile, rfc5424, rpc_status, wait_for
from .server import ServerProcess

N_TCP, N_TLS, PER_CONN = 700, 300, 20
GIB = 1 << 30


async def _open(s: ServerProcess, tls_ctx: ssl.SSLContext | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    port = s.tls if tls_ctx else s.tcp
    for attempt in range(5):
        try:
            return await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port, ssl=tls_ctx,
                                        server_hostname="127.0.0.1" if tls_ctx else None), 60)
        except (ConnectionError, asyncio.TimeoutError):
            if attempt == 4:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _payload(run: str, conn: int, octet: bool) -> bytes:
    msgs = [rfc5424(f"{run} c={conn} s={j}", host=f"h{conn % 50}", app="conc") for j in range(PER_CONN)]
    return b"".join(octet_frame(m) for m in msgs) if octet else b"".join(m + b"\n" for m in msgs)


async def _run_clients(s: ServerProcess, run: str, baseline_conns: int) -> int:
    tls_ctx = ssl.create_default_context(cafile=str(s.data_dir / "tls" / "ironwatch.crt"))
    rnd = random.Random(7)
    kinds = [False] * N_TCP + [True] * N_TLS
    rnd.shuffle(kinds)
    opening = asyncio.Semaphore(200)  # keep the SYN queue short; all stay open together

    async def open_one(is_tls: bool) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with opening:
            return await _open(s, tls_ctx if is_tls else None)

    conns = await asyncio.gather(*(open_one(k) for k in kinds))
    # every connection is open at once: the intake holds them all
    st = await asyncio.to_thread(wait_for, lambda: rpc_status(s), lambda st: st["tcp_connections"] >= baseline_conns + len(conns),
                                 60, 0.2, "all connections registered")
    peak = st["tcp_connections"]

    async def send(conn: int, writer: asyncio.StreamWriter) -> None:
        data = _payload(run, conn, octet=conn % 2 == 0)
        pos = 0
        r = random.Random(conn)
        while pos < len(data):  # uneven writes: frames straddle reads
            step = r.randint(1, 900)
            writer.write(data[pos:pos + step])
            pos += step
            await writer.drain()
            if r.random() < 0.3:
                await asyncio.sleep(0)
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(send(i, w) for i, (_r, w) in enumerate(conns)))
    return int(peak)


@pytest.mark.slow
def test_thousand_concurrent_connections(tmp_path: Path) -> None:
    raise_nofile(8192)
    s = ServerProcess(tmp_path / "data").start()
    try:
        run = "conc" + uuid.uuid4().hex[:12]
        base = rpc_status(s)
        t0 = time.monotonic()
        with RssSampler(s, 0.2) as rss:
            peak_conns = asyncio.run(_run_clients(s, run, base["tcp_connections"]))
            total = (N_TCP + N_TLS) * PER_CONN
            st = s.wait_stored(base["events_stored"] + total, timeout=120)
        elapsed = time.monotonic() - t0
        assert peak_conns >= N_TCP + N_TLS
        events = s.search(run)
        seen = [(int(m.group(1)), int(m.group(2)))
                for m in (re.search(r"c=(\d+) s=(\d+)$", e["message"]) for e in events) if m]
        assert len(seen) == len(events) == total, f"stored {len(events)} of {total}"
        assert len(set(seen)) == total, "duplicates stored"
        assert set(seen) == {(c, j) for c in range(N_TCP + N_TLS) for j in range(PER_CONN)}
        listeners = {e["ironwatch.listener"] for e in events}
        assert listeners == {"syslog-tcp", "syslog-tls"}
        assert sum(e["ironwatch.listener"] == "syslog-tls" for e in events) == N_TLS * PER_CONN
        assert st["events_stored"] >= base["events_stored"] + total
        assert st["dead_letters"] == 0
        assert rss.samples > 3 and 0 < rss.peak < GIB, f"RSS peak {rss.peak / 2**20:.0f} MiB"
        print(f"\n1000 connections: {total} events in {elapsed:.1f}s, peak RSS {rss.peak / 2**20:.0f} MiB")
    finally:
        s.stop()
