"""Crash consistency: ``kill -9`` of the whole server (20 random moments) and of a worker.

Two streams run at once: HTTP ingest (whose 200 is a durability promise) and syslog TCP
(no acknowledgement, but every record below the WAL's durable offset is promised too).
Each message names its stream, sender and sequence number, so after a restart we can
check, per message:

* every HTTP event acknowledged with 200 is stored exactly once;
* every WAL record below the last durable offset ``status`` reported before the kill is
  stored exactly once, with the identity (event.id, hash, WAL offset) it got at append —
  the records are read back from the WAL files themselves;
* nothing at all is stored twice, across all crashes;
* per TCP connection the stored sequence numbers are a gap-free prefix of what was sent
  (the WAL is an ordered log, so a crash can only lose a tail).
"""

from __future__ import annotations

import random
import re
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import pytest

from ironwatch.intake.wal import WalReader, WalRecord

from .helpers import octet_frame, rfc5424, rpc_status, wait_for, wait_group_gone, worker_pids
from .server import ServerProcess

SEED = 20261127
KILLS = 20
# One WAL segment for the whole test, so every record written stays readable afterwards.
CONFIG = "wal: {segment_bytes: 1073741824}\n"
_ID = re.compile(r"(?P<tag>\S+) (?P<kind>http|tcp) (?P<src>\d+) (?P<seq>\d+)$")


@dataclass
class Streams:
    """HTTP and TCP senders plus a status poller against one running server."""

    server: ServerProcess
    tag: str
    http_batch: int = 20
    tcp_conns: int = 2
    tcp_chunk: int = 10
    stop: threading.Event = field(default_factory=threading.Event)
    acked: list[tuple[int, int]] = field(default_factory=list)  # (batch, durable_offset) answered 200
    refused: list[int] = field(default_factory=list)
    tcp_sent: dict[int, int] = field(default_factory=dict)  # conn -> whole messages handed to the kernel
    durable_seen: int = 0
    errors: list[str] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> "Streams":
        targets = [self._http, self._status] + [lambda c=c: self._tcp(c) for c in range(self.tcp_conns)]
        self._threads = [threading.Thread(target=t, daemon=True) for t in targets]
        for t in self._threads:
            t.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(30)
        assert not any(t.is_alive() for t in self._threads), "a sender hung"

    def _http(self) -> None:
        url = f"https://127.0.0.1:{self.server.http}/api/v1/ingest"
        auth = {"Authorization": f"Bearer {self.server.token}"}
        with httpx.Client(verify=False, timeout=10) as client:
            b = 0
            while not self.stop.is_set():
                body = b"".join(orjson.dumps({"message": f"{self.tag} http {b} {n}"}) + b"\n"
                                for n in range(self.http_batch))
                try:
                    r = client.post(url, content=body, headers=auth)
                except httpx.HTTPError:
                    return  # the server is gone: this batch was never acknowledged
                if r.status_code == 200:
                    reply = r.json()
                    if reply["accepted"] != self.http_batch:
                        self.errors.append(f"http batch {b}: accepted {reply['accepted']}")
                    self.acked.append((b, reply["durable_offset"]))
                elif r.status_code in (429, 503):
                    # rate limit or backpressure: a shipper waits and sends the same batch again
                    time.sleep(min(float(r.headers.get("retry-after", "1")), 1.0))
                    continue
                else:
                    self.refused.append(b)
                b += 1

    def _tcp(self, conn: int) -> None:
        octet = conn % 2 == 1
        self.tcp_sent[conn] = 0
        try:
            sock = socket.create_connection(("127.0.0.1", self.server.tcp), timeout=10)
        except OSError as exc:
            self.errors.append(f"tcp {conn}: {exc}")
            return
        with sock:
            seq = 0
            while not self.stop.is_set():
                msgs = [rfc5424(f"{self.tag} tcp {conn} {seq + i}", host=f"dur{conn}") for i in range(self.tcp_chunk)]
                try:
                    sock.sendall(b"".join(octet_frame(m) if octet else m + b"\n" for m in msgs))
                except OSError:
                    return
                seq += self.tcp_chunk
                self.tcp_sent[conn] = seq
                time.sleep(0.01)

    def _status(self) -> None:
        while not self.stop.is_set():
            try:
                st = rpc_status(self.server)
            except Exception:  # noqa: BLE001 - the server is being killed under us
                return
            self.durable_seen = max(self.durable_seen, int(st["wal_durable_offset"]))
            time.sleep(0.05)


def wal_records(data_dir: Path, start: int, limit: int) -> list[WalRecord]:
    """The records of the batches in [start, limit), read from the WAL files."""
    reader = WalReader(data_dir / "wal")
    try:
        out: list[WalRecord] = []
        for h in reader.iter_headers(start, limit):
            batch: Any = reader.read_batch(h.start)[1]
            # a list of records, or (columnar WAL) an object that lists them
            out.extend(batch.records() if hasattr(batch, "records") else batch)
        return out
    finally:
        reader.close()


def message_of(rec: WalRecord) -> str:
    if rec.listener == "http":
        return str(orjson.loads(rec.original)["message"])
    return rec.original.decode().rsplit(" - ", 1)[-1]


def stored_by_id(events: list[dict[str, Any]]) -> dict[tuple[str, int, int], list[dict[str, Any]]]:
    out: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        m = _ID.search(e.get("message", ""))
        if m:
            out[(m["kind"], int(m["src"]), int(m["seq"]))].append(e)
    return out


def check_iteration(events: list[dict[str, Any]], streams: Streams, records: list[WalRecord], it: int) -> int:
    by_id = stored_by_id(events)
    dups = {k: len(v) for k, v in by_id.items() if len(v) > 1}
    assert not dups, f"kill {it}: stored more than once: {list(dups.items())[:10]}"
    # every HTTP event answered 200 is stored
    missing = [(b, n) for b, _off in streams.acked for n in range(streams.http_batch) if ("http", b, n) not in by_id]
    assert not missing, f"kill {it}: {len(missing)} acknowledged HTTP events lost, e.g. {missing[:5]}"
    # every record below the last durable offset status reported is stored, with its WAL identity
    ours = [r for r in records if streams.tag in r.original.decode("utf-8", "replace")]
    assert len(ours) == len(records), f"kill {it}: foreign records in the WAL range"
    for rec in ours:
        m = _ID.search(message_of(rec))
        assert m, rec
        hit = by_id.get((m["kind"], int(m["src"]), int(m["seq"])))
        assert hit, f"kill {it}: durable WAL record at {rec.offset} ({m.group(0)}) not stored"
        ev = hit[0]
        assert ev["ironwatch.wal_offset"] == rec.offset
        assert ev["event.id"] == str(uuid.UUID(bytes=rec.event_id))
        assert ev["event.hash"] == rec.sha256.hex()
    tcp_durable = sum(1 for r in ours if r.listener == "syslog-tcp")
    tcp_stored = sum(1 for k in by_id if k[0] == "tcp")
    assert tcp_stored >= tcp_durable
    # per connection: a gap-free prefix of what was sent, never more than was sent
    for conn in range(streams.tcp_conns):
        seqs = sorted(k[2] for k in by_id if k[0] == "tcp" and k[1] == conn)
        assert seqs == list(range(len(seqs))), f"kill {it}: tcp conn {conn} has gaps: {_gaps(seqs)}"
        assert len(seqs) <= streams.tcp_sent.get(conn, 0)
    return len(events)


def _gaps(seqs: list[int]) -> list[int]:
    have = set(seqs)
    return [i for i in range(max(seqs, default=0)) if i not in have][:10]


def drained(s: ServerProcess, timeout: float = 90) -> dict[str, Any]:
    return wait_for(lambda: rpc_status(s), lambda st: st["wal_backlog_bytes"] == 0 and st["workers"] >= 1,
                    timeout, 0.1, "WAL backlog drained")


@pytest.mark.slow
def test_kill9_whole_server_at_random_moments(tmp_path: Path) -> None:
    rnd = random.Random(SEED)
    data = tmp_path / "data"
    run = "dur" + uuid.uuid4().hex[:10]
    s = ServerProcess(data, config=CONFIG).start()
    per_iteration: list[int] = []
    t_start = time.monotonic()
    try:
        for it in range(KILLS):
            start_offset = drained(s)["wal_durable_offset"]
            tag = f"{run}k{it:02d}x"
            streams = Streams(s, tag).start()
            time.sleep(rnd.uniform(0.3, 3.0))
            s.kill9()
            wait_group_gone(s)
            streams.finish()
            assert not streams.errors, streams.errors
            assert streams.acked or streams.tcp_sent, "nothing was sent before the kill"
            durable = streams.durable_seen
            records = wal_records(data, start_offset, durable) if durable > start_offset else []
            s = ServerProcess(data, config=CONFIG).start()
            # recovery keeps everything that was reported or acknowledged as durable
            recovered = rpc_status(s)["wal_durable_offset"]
            promised = max([durable, *(off for _b, off in streams.acked)])
            assert recovered >= promised, f"kill {it}: WAL recovered to {recovered} < promised {promised}"
            drained(s)
            events = s.search(tag)
            per_iteration.append(check_iteration(events, streams, records, it))
        # across all crashes: nothing stored twice, nothing of an earlier round added later
        everything = s.search(run, limit=10_000_000)
        ids = Counter((m["tag"], m["kind"], m["src"], m["seq"])
                      for m in (_ID.search(e["message"]) for e in everything) if m)
        assert max(ids.values()) == 1
        assert len(everything) == sum(per_iteration)
        assert len({e["event.id"] for e in everything}) == len(everything)
        s.stop()
        verify = s.cli("wal", "verify", "--output", "json")
        assert orjson.loads(verify.stdout)["verified"] is True
        print(f"\n{KILLS} kills: {len(everything)} events, {time.monotonic() - t_start:.0f}s")
    finally:
        s.stop()


@pytest.mark.slow
def test_kill9_worker_is_restarted_without_loss_or_duplicates(tmp_path: Path) -> None:
    s = ServerProcess(tmp_path / "data", config=CONFIG).start()
    try:
        tag = "wk" + uuid.uuid4().hex[:10] + "x"
        drained(s)
        streams = Streams(s, tag, tcp_chunk=50).start()
        killed: list[int] = []
        for _ in range(3):
            time.sleep(1.2)
            old = wait_for(lambda: worker_pids(s), lambda p: len(p) == 1, 30, 0.05, "one worker")
            psutil.Process(old[0]).kill()
            killed.append(old[0])
            wait_for(lambda: worker_pids(s), lambda p: len(p) == 1 and p[0] not in killed, 30, 0.05,
                     "worker restarted by the supervisor")
        time.sleep(0.5)
        streams.finish()
        assert not streams.errors and not streams.refused
        sent_tcp = sum(streams.tcp_sent.values())
        sent_http = len(streams.acked) * streams.http_batch
        st = wait_for(lambda: rpc_status(s), lambda st: st["wal_backlog_bytes"] == 0 and st["workers"] == 1
                      and st["events_stored"] >= sent_tcp + sent_http, 90, 0.2, "everything stored")
        events = s.search(tag)
        by_id = stored_by_id(events)
        assert len(by_id) == len(events), "an event was stored twice"
        assert len(events) == sent_tcp + sent_http
        for conn, n in streams.tcp_sent.items():
            assert sorted(k[2] for k in by_id if k[:2] == ("tcp", conn)) == list(range(n))
        for b, _off in streams.acked:
            assert all(("http", b, n) in by_id for n in range(streams.http_batch))
        assert st["events_stored"] == sent_tcp + sent_http

        # a worker killed while idle (waiting for work) is noticed, replaced, and not counted twice
        idle = worker_pids(s)
        psutil.Process(idle[0]).kill()
        wait_for(lambda: worker_pids(s), lambda p: len(p) == 1 and p[0] != idle[0], 30, 0.05, "idle worker restarted")
        time.sleep(1.5)
        assert rpc_status(s)["workers"] == 1
        after = "after" + uuid.uuid4().hex
        with socket.create_connection(("127.0.0.1", s.tcp), timeout=10) as c:
            c.sendall(rfc5424(f"{after} idle kill") + b"\n")
        wait_for(lambda: s.search(after), lambda evs: len(evs) == 1, 20, 0.2, "event after idle worker kill")
        print(f"\nworker killed 3x: {len(events)} events, {st['duplicate_batches_skipped']} duplicate batches skipped")
    finally:
        s.stop()
