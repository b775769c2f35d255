"""Ironwatch's own conditions as ``ironwatch.self`` events: parse-error bursts, silent sources."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from .helpers import rpc_search, wait_for
from .server import ServerProcess


def test_parse_error_burst_is_reported(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path / "data", config="selfmon:\n  interval_s: 1\n  parse_error_burst: 50\n").start()
    try:
        with socket.create_connection(("127.0.0.1", srv.tcp)) as s:
            s.sendall(b"".join(b"\x01\x02 binary garbage %d\n" % i for i in range(200)))
        events = wait_for(lambda: rpc_search(srv, "event.action:parse-error-burst"), lambda evs: len(evs) >= 1, 30,
                          what="parse-error-burst self event")
        assert events[0]["event.dataset"] == "ironwatch.self" and events[0]["ironwatch.self.dead_letters"] >= 50
        assert srv.status()["dead_letters"] == 200
    finally:
        srv.stop()


def test_silent_source_is_reported_and_its_return_noticed(tmp_path: Path) -> None:
    config = "selfmon:\n  interval_s: 1\n  silent_min: 2s\n  silent_max: 3s\n"
    srv = ServerProcess(tmp_path / "data", config=config).start()

    def send(n: int) -> None:
        with socket.create_connection(("127.0.0.1", srv.tcp)) as s:
            for i in range(n):
                s.sendall(b"<134>1 2026-11-27T10:00:00Z plc-quiet gw - - - poll %d\n" % i)
                time.sleep(0.05)

    try:
        send(12)
        [silent] = wait_for(lambda: rpc_search(srv, "event.action:source-silent"), lambda evs: len(evs) >= 1, 30,
                            what="source-silent self event")
        assert silent["ironwatch.self.host"] == "plc-quiet" and silent["ironwatch.self.format"] == "rfc5424"
        assert silent["ironwatch.self.silent_after_s"] == 2
        sources = {(src["host"], src["format"]): src for src in srv.status()["sources"]}
        assert sources[("plc-quiet", "rfc5424")]["silent_since"] is not None
        send(1)
        [back] = wait_for(lambda: rpc_search(srv, "event.action:source-resumed"), lambda evs: len(evs) >= 1, 30,
                          what="source-resumed self event")
        assert back["ironwatch.self.host"] == "plc-quiet"
    finally:
        srv.stop()
