"""The intake process: receivers in, grouped fsyncs to the WAL, acknowledgements out.

Messages from every receiver collect in one pending list; the group committer turns it into
WAL batches and fsyncs them on a single writer thread every ``wal.group_commit_ms`` (or as
soon as ``wal.group_commit_bytes`` are waiting), then acknowledges: HTTP and import requests
arriving on ``run/intake.sock`` get their answer only once their records are durable. The
durable offset is published in ``run/intake.counters`` for the core and ``status``.

Backpressure: when the WAL holds more than ``wal.max_backlog_bytes`` not yet stored, or the
process exceeds ``memory_cap_mb``, TCP/TLS reads pause (senders slow down), UDP datagrams are
dropped and counted, and ingest requests are refused with "backpressure" (HTTP 503). Each
condition is reported as an ``ironwatch.self`` event through the same WAL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import psutil

from ..config import Settings, parse_addr
from ..event import SELF_DATASET
from ..tlscert import ensure_self_signed, server_context
from ..util.counters import core_counters, intake_counters
from ..util.sockets import decode_records, peer_user, run_dir, serve_requests, start_unix_server, write_json
from ..timeutil import iso, now_us
from .framing import strip_octet_count
from .pins import FormatPins
from .receivers import SyslogStreamProtocol, SyslogUdpReceiver
from .wal import PendingChunk, WalWriter

_PENDING_CAP = 256 << 20  # most bytes waiting for the WAL writer before receivers pause


class Intake:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_path
        self.counters = intake_counters(self.data_dir, create=True)
        self.counters.reset()
        self.counters["pid"] = os.getpid()
        self.counters["started_us"] = now_us()
        self._core: Any = None
        self.wal = WalWriter(self.data_dir / "wal", settings.wal.segment_bytes, self.core_committed())
        self.counters["written_offset"] = self.counters["durable_offset"] = self.wal.end
        self.pending: list[PendingChunk] = []
        self.pending_bytes = 0
        self.pins = FormatPins(settings.syslog.formats)
        # a burst waiting for the WAL may use at most a quarter of the memory cap
        self.pending_cap = min(_PENDING_CAP, (settings.memory_cap_mb << 20) // 4)
        self.connections: set[SyslogStreamProtocol] = set()
        self.backpressure = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="wal")
        self._wake = asyncio.Event()
        self._generation: asyncio.Future[int] | None = None
        self._udp: list[SyslogUdpReceiver] = []
        self._servers: list[asyncio.AbstractServer] = []
        self._last_self: dict[str, float] = {}
        self._stopping = False
        self.listeners: dict[str, str] = {}

    def core_committed(self) -> int:
        if self._core is None:
            try:
                self._core = core_counters(self.data_dir)
            except FileNotFoundError:
                return 0
        return int(self._core["committed_offset"])

    # -- accepting messages ------------------------------------------------------------
    def _push(self, chunk: PendingChunk, nbytes: int) -> None:
        self.pending.append(chunk)
        self.pending_bytes += nbytes + 64 * len(chunk.messages)

    def accept(self, listener: str, address: str, msgs: list[bytes], nbytes: int) -> None:
        fmt = self.pins.format_for(listener, address) if self.pins else ""
        self._push(PendingChunk(listener, fmt, address, now_us(), msgs), nbytes or sum(map(len, msgs)))
        self.counters.add("events_received", len(msgs))
        self.counters.add("bytes_received", nbytes)
        self._after_accept()

    def accept_datagrams(self, msgs: list[tuple[bytes, str]], max_bytes: int) -> None:
        self.counters.add("udp_datagrams", len(msgs))
        if self.backpressure:
            self.counters.add("udp_backpressure_drops", len(msgs))
            return
        now = now_us()
        run: list[bytes] = []
        run_addr = ""
        for data, addr in msgs:
            if len(data) > max_bytes:
                self.accept_oversize("syslog-udp", addr, data[:max_bytes], len(data))
                continue
            if addr != run_addr and run:
                self._push(PendingChunk("syslog-udp", self._pinned_udp(run_addr), run_addr, now, run), sum(map(len, run)))
                run = []
            run_addr = addr
            data = strip_octet_count(data)
            run.append(data.rstrip(b"\r\n") if data.endswith(b"\n") else data)
        if run:
            self._push(PendingChunk("syslog-udp", self._pinned_udp(run_addr), run_addr, now, run), sum(map(len, run)))
        self.counters.add("events_received", len(msgs))
        self._after_accept()

    def _pinned_udp(self, address: str) -> str:
        return self.pins.format_for("syslog-udp", address) if self.pins else ""

    def accept_oversize(self, listener: str, address: str, head: bytes, length: int) -> None:
        self.counters.add("oversize")
        reason = f"!oversize: {length} bytes > max_message_bytes {self.settings.syslog.max_message_bytes} (first bytes kept)"
        self._push(PendingChunk(listener, reason, address, now_us(), [head]), len(head))
        self._after_accept()

    def accept_records(self, listener: str, fmt: str, address: str, records: list[bytes]) -> None:
        self._push(PendingChunk(listener, fmt, address, now_us(), records), sum(map(len, records)))
        self.counters.add("events_received", len(records))
        self._after_accept()

    def _after_accept(self) -> None:
        if self.pending_bytes >= self.settings.wal.group_commit_bytes:
            self._wake.set()
            if self.pending_bytes > self.pending_cap and not self.backpressure:
                self._set_backpressure(True, "pending WAL writes over cap")
        elif not self._wake.is_set():
            self._wake.set()

    def durable(self) -> "asyncio.Future[int]":
        """A future resolved with the durable offset once everything accepted so far is fsynced."""
        if self._generation is None:
            self._generation = asyncio.get_running_loop().create_future()
        return self._generation

    def self_event(self, action: str, message: str, **fields: Any) -> None:
        """Emit an ``ironwatch.self`` event, at most once per self-monitoring interval per action."""
        now = time.monotonic()
        if now - self._last_self.get(action, -1e9) < self.settings.selfmon.interval_s:
            return
        self._last_self[action] = now
        ev = {"@timestamp": iso(now_us()), "event.dataset": SELF_DATASET, "event.module": "ironwatch",
              "event.kind": "metric" if action.endswith("stats") else "event", "event.action": action,
              "event.provider": "intake", "message": message,
              **{f"ironwatch.self.{k}": v for k, v in fields.items()}}
        raw = orjson.dumps(ev)
        self._push(PendingChunk("self", "json", "", now_us(), [raw]), len(raw))
        self._wake.set()

    # -- group commit ------------------------------------------------------------------
    async def group_committer(self) -> None:
        loop = asyncio.get_running_loop()
        wait_s = self.settings.wal.group_commit_ms / 1000
        while True:
            await self._wake.wait()
            if self.pending_bytes < self.settings.wal.group_commit_bytes and not self._stopping:
                await asyncio.sleep(wait_s)
            self._wake.clear()
            if not self.pending:
                if self._stopping:
                    return
                continue
            batch, self.pending, self.pending_bytes = self.pending, [], 0
            gen, self._generation = self._generation, None
            end = await loop.run_in_executor(self._writer, self._write, batch)
            self.counters["durable_offset"] = end
            if gen is not None and not gen.done():
                gen.set_result(end)
            if self.backpressure and self.pending_bytes < self.pending_cap // 2:
                self._check_backpressure()

    def _write(self, chunks: list[PendingChunk]) -> int:
        """Append ``chunks`` as batches of about ``wal.group_commit_bytes`` and fsync once."""
        limit = self.settings.wal.group_commit_bytes
        start, size = 0, 0
        for i, chunk in enumerate(chunks):
            size += sum(map(len, chunk.messages)) + 64 * len(chunk.messages)
            if size >= limit:
                self.wal.append(chunks[start:i + 1])
                self.counters.add("chain_batches")
                start, size = i + 1, 0
        if start < len(chunks):
            self.wal.append(chunks[start:])
            self.counters.add("chain_batches")
        self.counters["written_offset"] = self.wal.end
        if self.settings.wal.fsync:
            return self.wal.sync()
        self.wal.durable = self.wal.end
        return self.wal.end

    # -- connections and backpressure ----------------------------------------------------
    def register(self, proto: SyslogStreamProtocol) -> bool:
        if len(self.connections) >= self.settings.syslog.max_connections:
            self.counters.add("connections_refused")
            return False
        self.connections.add(proto)
        self.counters["tcp_connections"] = len(self.connections)
        self.counters.add("tcp_connections_total")
        if self.backpressure and proto.transport is not None:
            proto.transport.pause_reading()
        return True

    def unregister(self, proto: SyslogStreamProtocol) -> None:
        self.connections.discard(proto)
        self.counters["tcp_connections"] = len(self.connections)

    def _set_backpressure(self, on: bool, why: str) -> None:
        if on == self.backpressure:
            return
        self.backpressure = on
        self.counters["backpressure"] = int(on)
        for proto in list(self.connections):
            if proto.transport is not None and not proto.transport.is_closing():
                (proto.transport.pause_reading if on else proto.transport.resume_reading)()
        if on:
            self.self_event("backpressure-on", f"intake backpressure: {why}", reason=why,
                            backlog_bytes=self.backlog())
        else:
            self.self_event("backpressure-off", "intake backpressure released", backlog_bytes=self.backlog())

    def backlog(self) -> int:
        return max(0, self.counters["durable_offset"] - self.core_committed())

    def _check_backpressure(self) -> None:
        rss = psutil.Process().memory_info().rss
        self.counters["rss_bytes"] = rss
        over_backlog = self.backlog() > self.settings.wal.max_backlog_bytes
        over_mem = rss > self.settings.memory_cap_mb << 20
        over_pending = self.pending_bytes > self.pending_cap
        if over_backlog or over_mem or over_pending:
            why = "WAL backlog over wal.max_backlog_bytes" if over_backlog else (
                "memory over memory_cap_mb" if over_mem else "pending WAL writes over cap")
            self._set_backpressure(True, why)
        elif self.backpressure and self.backlog() < self.settings.wal.max_backlog_bytes * 0.8:
            self._set_backpressure(False, "")

    async def monitor(self) -> None:
        last_drop_report = 0
        tick = 0
        while True:
            await asyncio.sleep(0.1)
            tick += 1
            self._check_backpressure()
            if tick % 10 == 0:
                for udp in self._udp:
                    self.counters.add("udp_kernel_drops", udp.kernel_drops())
                drops = self.counters["udp_kernel_drops"] + self.counters["udp_backpressure_drops"]
                if drops > last_drop_report:
                    self.self_event("udp-drops", f"{drops - last_drop_report} syslog UDP datagrams dropped",
                                    kernel_drops=self.counters["udp_kernel_drops"],
                                    backpressure_drops=self.counters["udp_backpressure_drops"])
                    last_drop_report = drops
            if tick % 50 == 0:
                await asyncio.get_running_loop().run_in_executor(self._writer, self.wal.drop_before,
                                                                  self.core_committed())
                self._close_idle()

    def _close_idle(self) -> None:
        cutoff = time.monotonic() - self.settings.syslog.idle_timeout_s
        for proto in list(self.connections):
            if proto.last_activity < cutoff and proto.transport is not None:
                proto.transport.close()

    # -- local ingest socket (HTTP ingest in the core, ``ironwatch import``) ------------
    async def handle_local(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        who = peer_user(writer.get_extra_info("socket"))
        await serve_requests(reader, writer, lambda req: self._handle_request(req, reader, writer, who))

    async def _handle_request(self, req: dict[str, Any], reader: asyncio.StreamReader,
                              writer: asyncio.StreamWriter, who: str) -> None:
        op = req.get("op")
        if op == "status":
            await write_json(writer, {"ok": True, "counters": self.counters.as_dict(), "listeners": self.listeners,
                                      "backlog_bytes": self.backlog()})
            return
        if op != "ingest":
            await write_json(writer, {"ok": False, "error": f"unknown op {op!r}"})
            return
        body = await reader.readexactly(int(req.get("length", 0)))
        if self.backpressure:
            await write_json(writer, {"ok": False, "error": "backpressure", "retry_after": 1})
            return
        framing = req.get("framing", "lines")
        records = decode_records(body) if framing == "records" else [
            ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()]
        address = str(req.get("address", who))
        chunks = req.get("chunks")
        if isinstance(chunks, list):
            # several (listener, format) groups in one request: ``ironwatch import`` of many files
            pos = 0
            for chunk in chunks:
                n = int(chunk["count"])
                self.accept_records(str(chunk["listener"]), str(chunk.get("format", "")), address,
                                    records[pos:pos + n])
                pos += n
        else:
            self.accept_records(str(req.get("listener", "http")), str(req.get("format", "")), address, records)
        self.counters.add("http_batches")
        end = await self.durable()
        await write_json(writer, {"ok": True, "count": len(records), "durable_offset": end})

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        s = self.settings.syslog
        if s.udp:
            host, port = parse_addr(s.udp, "syslog.udp")
            udp = SyslogUdpReceiver(self, host, port, s.udp_receive_buffer_bytes, s.max_message_bytes)
            udp.start(loop)
            self._udp.append(udp)
            self.listeners["syslog-udp"] = f"{host}:{udp.address[1]}"
        if s.tcp:
            host, port = parse_addr(s.tcp, "syslog.tcp")
            srv = await loop.create_server(lambda: SyslogStreamProtocol(self, "syslog-tcp", s.max_message_bytes),
                                           host, port, reuse_address=True, backlog=4096)
            self._servers.append(srv)
            self.listeners["syslog-tcp"] = f"{host}:{srv.sockets[0].getsockname()[1]}"
        if s.tls:
            host, port = parse_addr(s.tls, "syslog.tls")
            cert, key = (Path(s.cert), Path(s.key)) if s.cert else ensure_self_signed(self.data_dir)[:2]
            srv = await loop.create_server(lambda: SyslogStreamProtocol(self, "syslog-tls", s.max_message_bytes),
                                           host, port, ssl=server_context(cert, key), reuse_address=True,
                                           backlog=4096, ssl_handshake_timeout=30)
            self._servers.append(srv)
            self.listeners["syslog-tls"] = f"{host}:{srv.sockets[0].getsockname()[1]}"
        self._servers.append(await start_unix_server(run_dir(self.data_dir) / "intake.sock", self.handle_local))
        (run_dir(self.data_dir) / "intake.listeners.json").write_bytes(orjson.dumps(self.listeners))

    async def stop(self, committer: "asyncio.Task[None]") -> None:
        loop = asyncio.get_running_loop()
        for udp in self._udp:
            udp.close(loop)
        for srv in self._servers:
            srv.close()
        for proto in list(self.connections):
            if proto.transport is not None:
                proto.transport.close()
        await asyncio.sleep(0.05)
        self._stopping = True
        self._wake.set()
        await asyncio.wait_for(committer, 30)
        self.wal.close()


async def run(settings: Settings) -> None:
    intake = Intake(settings)
    await intake.start()
    committer = asyncio.create_task(intake.group_committer())
    monitor = asyncio.create_task(intake.monitor())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    monitor.cancel()
    await intake.stop(committer)
