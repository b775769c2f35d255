"""A burst of unparseable input becomes an ``ironwatch.self`` parse-error-burst event."""

from __future__ import annotations

import socket
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
