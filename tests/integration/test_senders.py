"""Real senders against a real ``ironwatch serve``: util-linux logger, TLS clients, curl, httpx.

Every message carries a token of its own and is looked up with ``ironwatch search``; the
checks are on the fields a SOC engineer would filter by (message, host, app, listener),
not merely on "something arrived".
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from .helpers import octet_frame, rfc5424, rpc_search, search_until, wait_for
from .server import ServerProcess

LOGGER = "/usr/bin/logger"
MAX_MESSAGE = 4096
HOSTNAMES = {socket.gethostname(), socket.gethostname().split(".")[0]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path_factory.mktemp("senders") / "data",
                      config=f"syslog: {{max_message_bytes: {MAX_MESSAGE}}}\n").start()
    yield s
    s.stop()


def token() -> str:
    return "tok" + uuid.uuid4().hex


def cert(s: ServerProcess) -> Path:
    return s.data_dir / "tls" / "ironwatch.crt"


def one(s: ServerProcess, tok: str, timeout: float = 20) -> dict[str, Any]:
    events = search_until(s, tok, 1, timeout)
    assert len(events) == 1, f"{tok} stored {len(events)} times: {events}"
    return events[0]


# -- util-linux logger ------------------------------------------------------------------
LOGGER_CASES = [(t, f, o) for t in ("tcp", "udp") for f in ("rfc5424", "rfc3164") for o in (False, True)]


@pytest.mark.skipif(not Path(LOGGER).exists(), reason="util-linux logger not installed")
@pytest.mark.parametrize("transport,fmt,octet", LOGGER_CASES,
                         ids=[f"{t}-{f}-{'octet' if o else 'plain'}" for t, f, o in LOGGER_CASES])
def test_logger(srv: ServerProcess, transport: str, fmt: str, octet: bool) -> None:
    tok = token()
    app = f"app-{transport}-{fmt}"
    text = f"logger says {tok} to {transport}"
    cmd = [LOGGER, "--server", "127.0.0.1", "--port", str(srv.tcp if transport == "tcp" else srv.udp),
           f"--{transport}", f"--{fmt}", "-t", app, "-p", "local3.warning"]
    if octet:
        cmd.append("--octet-count")
    if fmt == "rfc5424":
        cmd += ["--msgid", "MSG42"]
    r = subprocess.run([*cmd, text], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    ev = one(srv, tok)
    assert ev["message"] == text
    assert ev["host.name"] in HOSTNAMES
    assert ev["log.syslog.appname"] == app
    assert ev["log.syslog.facility.code"] == 19 and ev["log.syslog.severity.code"] == 4
    assert ev["ironwatch.listener"] == f"syslog-{transport}"
    assert ev["ironwatch.parser"] == fmt
    assert ev["log.source.address"].startswith("127.0.0.1:")
    # the original keeps the message as sent (the octet-count prefix is framing, not message)
    assert ev["event.original"].startswith("<156>") and ev["event.original"].endswith(text)
    if fmt == "rfc5424":
        assert ev["log.syslog.msgid"] == "MSG42"


# -- syslog over TLS ----------------------------------------------------------------------
def tls_send(s: ServerProcess, payload: bytes, verify: bool = True) -> None:
    if verify:
        ctx = ssl.create_default_context(cafile=str(cert(s)))
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", s.tls), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as t:
            assert t.version() in ("TLSv1.2", "TLSv1.3")
            # split writes so frames cross record boundaries
            for i in range(0, len(payload), 37):
                t.sendall(payload[i:i + 37])
            t.unwrap()


@pytest.mark.parametrize("verify", [True, False], ids=["trusting-cert", "cert-none"])
def test_tls_octet_counted(srv: ServerProcess, verify: bool) -> None:
    tok = token()
    msgs = [rfc5424(f"tls octet {tok} n={i}", host="tls-host", app="tlsapp") for i in range(5)]
    # octet counting carries a message with an embedded line break intact
    msgs.append(rfc5424(f"tls octet {tok} multi\nline", host="tls-host", app="tlsapp"))
    tls_send(srv, b"".join(octet_frame(m) for m in msgs), verify)
    events = search_until(srv, tok, len(msgs))
    assert len(events) == len(msgs)
    got = sorted(e["message"] for e in events)
    assert got == sorted([f"tls octet {tok} n={i}" for i in range(5)] + [f"tls octet {tok} multi\nline"])
    for e in events:
        assert e["host.name"] == "tls-host" and e["log.syslog.appname"] == "tlsapp"
        assert e["ironwatch.listener"] == "syslog-tls"


def test_tls_newline_framed(srv: ServerProcess) -> None:
    tok = token()
    msgs = [rfc5424(f"tls newline {tok} n={i}", host="tls-nl", app="nlapp") for i in range(5)]
    tls_send(srv, b"\n".join(msgs) + b"\n")
    events = search_until(srv, tok, len(msgs))
    assert sorted(e["message"] for e in events) == sorted(f"tls newline {tok} n={i}" for i in range(5))
    assert {e["ironwatch.listener"] for e in events} == {"syslog-tls"}


def test_tls_rejects_plaintext(srv: ServerProcess) -> None:
    """A cleartext sender on the TLS port is not a message source; the server stays up."""
    tok = token()
    with socket.create_connection(("127.0.0.1", srv.tls), timeout=10) as c:
        c.sendall(rfc5424(f"plaintext {tok}") + b"\n")
        c.settimeout(10)
        try:
            while c.recv(4096):
                pass
        except (ConnectionError, socket.timeout):
            pass
    ok = token()
    tls_send(srv, rfc5424(f"after plaintext {ok}") + b"\n")
    one(srv, ok)
    assert srv.search(tok) == []


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_tls_openssl_s_client(srv: ServerProcess) -> None:
    tok = token()
    lines = [rfc5424(f"openssl {tok} n={i}", host="ossl", app="s_client") for i in range(3)]
    # -quiet implies -ign_eof (wait for the server forever); -no_ign_eof ends at stdin EOF
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.tls}", "-quiet", "-no_ign_eof",
                        "-CAfile", str(cert(srv)), "-verify_return_error"],
                       input=b"\n".join(lines) + b"\n", capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    events = search_until(srv, tok, 3)
    assert sorted(e["message"] for e in events) == [f"openssl {tok} n={i}" for i in range(3)]
    assert {e["host.name"] for e in events} == {"ossl"}


# -- HTTP ingest ----------------------------------------------------------------------------
def ingest_url(s: ServerProcess) -> str:
    return f"https://127.0.0.1:{s.http}/api/v1/ingest"


def json_lines(tok: str, n: int, where: str) -> bytes:
    return b"".join(json.dumps({"message": f"{where} {tok} n={i}", "host": {"name": f"{where}-host"},
                                "event": {"action": "login"}, "user": {"name": "op"}}).encode() + b"\n"
                    for i in range(n))


def test_http_ingest_curl(srv: ServerProcess) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl not installed")
    tok = token()
    r = subprocess.run(["curl", "-k", "-sS", "--max-time", "30", "-w", "\n%{http_code}", "-X", "POST",
                        "-H", f"Authorization: Bearer {srv.token}", "-H", "Content-Type: application/x-ndjson",
                        "--data-binary", "@-", ingest_url(srv)],
                       input=json_lines(tok, 3, "curl"), capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    body, code = r.stdout.decode().rsplit("\n", 1)
    assert code == "200", body
    reply = json.loads(body)
    assert reply["accepted"] == 3 and reply["durable_offset"] > 0
    # acknowledged means durable: the WAL has reached the acknowledged offset
    assert srv.status()["wal_durable_offset"] >= reply["durable_offset"]
    events = search_until(srv, tok, 3)
    assert sorted(e["message"] for e in events) == [f"curl {tok} n={i}" for i in range(3)]
    for e in events:
        assert e["host.name"] == "curl-host" and e["event.action"] == "login" and e["user.name"] == "op"
        assert e["ironwatch.listener"] == "http" and e["ironwatch.parser"] == "json"


def test_http_ingest_httpx_plain_and_gzip(srv: ServerProcess) -> None:
    tok = token()
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert(srv))), timeout=30) as client:
        auth = {"Authorization": f"Bearer {srv.token}"}
        r1 = client.post(ingest_url(srv), content=json_lines(tok, 4, "plain"), headers=auth)
        assert r1.status_code == 200, r1.text
        assert r1.json()["accepted"] == 4
        r2 = client.post(ingest_url(srv), content=gzip.compress(json_lines(tok, 5, "gzip")),
                         headers={**auth, "Content-Encoding": "gzip"})
        assert r2.status_code == 200, r2.text
        assert r2.json()["accepted"] == 5
        assert r2.json()["durable_offset"] > r1.json()["durable_offset"]
    events = search_until(srv, tok, 9)
    assert len(events) == 9
    assert sorted(e["message"] for e in events) == sorted(
        [f"plain {tok} n={i}" for i in range(4)] + [f"gzip {tok} n={i}" for i in range(5)])
    gz = [e for e in events if e["message"].startswith("gzip")]
    # the original is the decompressed record, not the gzip bytes
    assert all(json.loads(e["event.original"])["message"] == e["message"] for e in gz)


@pytest.mark.parametrize("headers", [{"Authorization": "Bearer iwt_wrong"}, {}, {"Authorization": "Basic Zm9vOmJhcg=="}],
                         ids=["wrong-token", "no-token", "basic-auth"])
def test_http_ingest_unauthorized(srv: ServerProcess, headers: dict[str, str]) -> None:
    tok = token()
    r = httpx.post(ingest_url(srv), content=json_lines(tok, 2, "denied"), headers=headers, verify=False, timeout=30)
    assert r.status_code == 401, r.text
    assert "bearer" in r.headers.get("www-authenticate", "").lower()
    # nothing of a refused request is stored; a later accepted one is, so the check can fail
    ok = token()
    good = httpx.post(ingest_url(srv), content=json_lines(ok, 1, "allowed"),
                      headers={"Authorization": f"Bearer {srv.token}"}, verify=False, timeout=30)
    assert good.status_code == 200
    one(srv, ok)
    assert srv.search(tok) == []


# -- oversize, garbage, dead letters ------------------------------------------------------------
def dead_letters(s: ServerProcess) -> list[dict[str, Any]]:
    out = s.cli("deadletter", "list", "--output", "json", "--limit", "100000").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_oversize_is_counted_and_dead_lettered(srv: ServerProcess) -> None:
    before = srv.status()["oversize_messages"]
    tok = token()
    big_nl = rfc5424(f"oversize-newline {tok} " + "A" * (MAX_MESSAGE + 500))
    big_oc = rfc5424(f"oversize-octet {tok} " + "B" * (MAX_MESSAGE * 3))
    big_udp = rfc5424(f"oversize-udp {tok} " + "C" * (MAX_MESSAGE + 100))
    after_nl, after_oc = token(), token()
    with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
        c.sendall(big_nl + b"\n" + rfc5424(f"after oversize {after_nl}") + b"\n")
    with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
        c.sendall(octet_frame(big_oc) + octet_frame(rfc5424(f"after oversize {after_oc}")))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(big_udp, ("127.0.0.1", srv.udp))
    # the frame after an oversize one is read correctly on both framings
    one(srv, after_nl)
    one(srv, after_oc)
    wait_for(lambda: srv.status()["oversize_messages"], lambda n: n >= before + 3, 20, what="oversize count")
    mine = wait_for(lambda: [d for d in dead_letters(srv) if tok in d["original"]], lambda ds: len(ds) >= 3, 20,
                    what="oversize dead letters")
    assert len(mine) == 3
    for d in mine:
        assert "oversize" in d["reason"].lower()
        # the head of the message is kept (cut at the limit), not the whole thing
        assert 0 < d["original_bytes"] <= MAX_MESSAGE and d["original"].startswith("<13>1 ")
    assert {d["listener"] for d in mine} == {"syslog-tcp", "syslog-udp"}
    assert srv.search(tok) == []


def test_binary_garbage_is_dead_lettered_and_server_keeps_working(srv: ServerProcess) -> None:
    pids_before = sorted(srv.pids())
    st0 = srv.status()
    rnd = random.Random(1234)
    garbage = [bytes(rnd.getrandbits(8) for _ in range(rnd.randint(20, 600))) for _ in range(40)]
    for g in garbage[:20]:
        with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
            c.sendall(g)
    with socket.create_connection(("127.0.0.1", srv.tls), timeout=10) as raw:
        # garbage where a TLS handshake should be
        raw.sendall(garbage[20])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for g in garbage[21:]:
            u.sendto(g, ("127.0.0.1", srv.udp))
    st = wait_for(srv.status, lambda s: s["dead_letters"] > st0["dead_letters"] and s["wal_backlog_bytes"] == 0, 20,
                  what="garbage dead-lettered")
    assert st["server"] == "running"
    tok = token()
    with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
        c.sendall(rfc5424(f"still alive {tok}") + b"\n")
    tls_send(srv, rfc5424(f"still alive {tok} tls") + b"\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(rfc5424(f"still alive {tok} udp"), ("127.0.0.1", srv.udp))
    assert len(search_until(srv, tok, 3)) == 3
    # nothing crashed and was restarted behind our back
    assert sorted(srv.pids()) == pids_before
    rows = [d for d in dead_letters(srv) if d["listener"] in ("syslog-tcp", "syslog-udp")]
    assert any(d["original_bytes"] > 0 and d["reason"] for d in rows)


def test_deadletter_replay_reports(srv: ServerProcess) -> None:
    tok = token()
    with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
        c.sendall(b"\x01\x02 not syslog " + tok.encode() + b" \xff\xfe\n")
    mine = wait_for(lambda: [d for d in dead_letters(srv) if tok in d["original"]], lambda ds: len(ds) == 1, 20,
                    what="dead letter")
    pending = len(dead_letters(srv))
    r = srv.cli("deadletter", "replay", "--output", "json")
    report = json.loads(r.stdout)
    assert set(report) >= {"examined", "replayed", "still_failing"}
    assert report["examined"] == pending >= 1
    assert report["replayed"] + report["still_failing"] == report["examined"]
    assert report["still_failing"] >= 1  # the parsers did not change: garbage still fails
    again = [d for d in dead_letters(srv) if d["event.id"] == mine[0]["event.id"]]
    assert again and again[0]["replay_attempts"] == 1
    table = srv.cli("deadletter", "replay").stdout
    assert "examined" in table


# -- latency -----------------------------------------------------------------------------------
def test_searchable_within_two_seconds(srv: ServerProcess) -> None:
    """The issue's functional requirement: an event is searchable within 2 s of receipt.

    Polls through the CLI's own socket (the ``search`` operation ``ironwatch search`` runs)
    every 0.1 s, so the measurement is not a Python start-up per poll; the final lookup goes
    through the CLI itself.
    """
    latencies = []
    with socket.create_connection(("127.0.0.1", srv.tcp), timeout=10) as c:
        for _ in range(5):
            tok = token()
            t0 = time.monotonic()
            c.sendall(rfc5424(f"latency {tok}") + b"\n")
            while not rpc_search(srv, tok):
                assert time.monotonic() - t0 < 2.0, f"event {tok} not searchable within 2 s"
                time.sleep(0.1)
            latencies.append(time.monotonic() - t0)
            assert len(srv.search(tok)) == 1
    assert max(latencies) < 2.0, latencies
    print(f"\nsearchable after {', '.join(f'{t:.2f}' for t in latencies)} s")
