"""``ironwatch simulate --to``: live traffic into a real ``ironwatch serve``, over syslog TCP
and over the HTTPS ingest API, is stored with the fields its parsers give it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import rpc_search, rpc_status, wait_for
from .server import ROOT, ServerProcess, ironwatch_cmd


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path_factory.mktemp("simlive") / "data").start()
    yield s
    s.stop()


def simulate(srv: ServerProcess, *args: str) -> int:
    r = subprocess.run(ironwatch_cmd("simulate", "--data-dir", str(srv.data_dir), "--duration", "15s", *args),
                       capture_output=True, text=True, cwd=ROOT, timeout=180, env=srv.env, check=False)
    assert r.returncode == 0, r.stderr
    m = re.search(r"sent (\d+) events", r.stderr)
    assert m, r.stderr
    return int(m.group(1))


def stored(srv: ServerProcess) -> int:
    return int(rpc_status(srv)["events_stored"])


def test_syslog_tcp_then_https_ingest(srv: ServerProcess, tmp_path: Path) -> None:
    before = stored(srv)
    sent = simulate(srv, "--rate", "300", "--to", f"syslog://127.0.0.1:{srv.tcp}")
    assert sent > 300
    wait_for(lambda: stored(srv), lambda n: n >= before + sent - 1, 60, what=f"{sent} syslog events stored")
    fw = rpc_search(srv, "host.name:fw-cell", 10)
    assert fw and fw[0]["ironwatch.parser"] == "asa"
    assert rpc_search(srv, "ironwatch.parser:cef observer.vendor:Fortinet", 5)

    token = tmp_path / "token"
    token.write_text(srv.token)
    before = stored(srv)
    sent = simulate(srv, "--rate", "600", "--seed", "2", "--to", f"https://127.0.0.1:{srv.http}",
                    "--token-file", str(token), "--insecure")
    assert sent > 1000
    wait_for(lambda: stored(srv), lambda n: n >= before + sent, 90, what=f"{sent} JSON events stored")
    win = rpc_search(srv, "winlog.channel:Security", 5)
    assert win and win[0]["ironwatch.parser"] == "winjson"
    modbus = rpc_search(srv, "event.dataset:zeek.modbus_detailed", 5)
    assert modbus and modbus[0]["ot.protocol"] == "modbus"
    assert rpc_search(srv, "ironwatch.parser:suricata", 5)
