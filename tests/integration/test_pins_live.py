"""``syslog.formats`` on a real server: a pinned sender's messages skip detection, others do not.

A generic key=value device on UDP is pinned to ``kv`` (never detected, since plain syslog
text often holds ``a=b``); the same text over TCP, unpinned, stays plain syslog. Sent with
util-linux ``logger``.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from .helpers import rpc_search, wait_for
from .server import ServerProcess

LOGGER = "/usr/bin/logger"


@pytest.mark.skipif(not Path(LOGGER).exists(), reason="util-linux logger not installed")
def test_pinned_sender_is_read_in_its_format(tmp_path: Path) -> None:
    config = "syslog:\n  formats:\n    - {format: kv, sender: 127.0.0.1, listener: syslog-udp}\n"
    s = ServerProcess(tmp_path / "data", config=config).start()
    try:
        tok = "pin" + uuid.uuid4().hex[:10]
        text = f"user=opr3 action=acknowledge alarm={tok}"
        for transport, port in (("udp", s.udp), ("tcp", s.tcp)):
            subprocess.run([LOGGER, "--server", "127.0.0.1", "--port", str(port), f"--{transport}", "--rfc3164",
                            "-t", "hmi-audit", text], check=True, timeout=30)
        events = wait_for(lambda: rpc_search(s, tok), lambda evs: len(evs) == 2, 30, what="both messages")
        by_listener = {e["ironwatch.listener"]: e for e in events}
        pinned, detected = by_listener["syslog-udp"], by_listener["syslog-tcp"]
        assert pinned["ironwatch.parser"] == "kv" and pinned["user.name"] == "opr3"
        assert pinned["event.action"] == "acknowledge" and pinned["kv.alarm"] == tok
        assert pinned["log.syslog.appname"] == "hmi-audit"  # the syslog header is still read
        assert detected["ironwatch.parser"] == "rfc3164" and "user.name" not in detected
    finally:
        s.stop()
