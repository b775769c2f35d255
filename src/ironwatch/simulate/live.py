"""``--to URL``: the plant's traffic sent live, paced at ``--rate`` events per second.

``syslog://HOST:PORT`` sends the syslog-borne sources (firewalls, Linux, switches, the
legacy HMI) over one TCP connection, newline-framed or, with ``octet_counting``, RFC 6587
octet-counted. ``https://HOST:PORT`` POSTs the JSON-borne sources (Windows as Winlogbeat
JSON, Suricata EVE, Zeek JSON with ``_path``) as JSON lines to ``/api/v1/ingest`` with the
ingest token, retrying 429 and 503 answers after their ``Retry-After``.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from ..errors import IronwatchError
from .engine import Simulation

POST_BATCH = 500
MAX_RETRIES = 20


class Pacer:
    """Sleeps so that ``n`` events in total have taken ``n / rate`` seconds."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.sent = 0
        self.t0 = time.monotonic()

    def wait(self, n: int) -> None:
        self.sent += n
        ahead = self.sent / self.rate - (time.monotonic() - self.t0)
        if ahead > 0:
            time.sleep(ahead)


def _lines(sim: Simulation, carrier: str) -> Iterator[list[bytes]]:
    for batch in sim.run():
        if batch.source.carrier == carrier:
            enc = getattr(batch.source, "encoding", "utf-8")
            yield [ln.rstrip("\n").encode(enc) for ln in batch.lines]


def send_syslog(sim: Simulation, url: str, rate: float, octet_counting: bool = False) -> int:
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        raise IronwatchError(f"--to {url}: expected syslog://HOST:PORT")
    pacer = Pacer(rate)
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        for lines in _lines(sim, "syslog"):
            for i in range(0, len(lines), POST_BATCH):
                chunk = lines[i:i + POST_BATCH]
                if octet_counting:
                    data = b"".join(b"%d %s" % (len(m), m) for m in chunk)
                else:
                    data = b"\n".join(chunk) + b"\n"
                sock.sendall(data)
                sent += len(chunk)
                pacer.wait(len(chunk))
    return sent


def send_https(sim: Simulation, url: str, rate: float, token: str, ca_file: str | None, insecure: bool,
               log: Callable[[str], None] = lambda _m: None) -> int:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise IronwatchError(f"--to {url}: expected https://HOST:PORT")
    ctx = ssl.create_default_context(cafile=ca_file)
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    endpoint = f"https://{parts.netloc}/api/v1/ingest"
    pacer = Pacer(rate)
    sent = 0
    for lines in _lines(sim, "json"):
        for i in range(0, len(lines), POST_BATCH):
            chunk = lines[i:i + POST_BATCH]
            _post(endpoint, b"\n".join(chunk) + b"\n", token, ctx, log)
            sent += len(chunk)
            pacer.wait(len(chunk))
    return sent


def _post(endpoint: str, body: bytes, token: str, ctx: ssl.SSLContext, log: Callable[[str], None]) -> None:
    for _attempt in range(MAX_RETRIES):
        req = urllib.request.Request(endpoint, data=body, method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=60) as resp:
                resp.read()
                return
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 503):
                raise IronwatchError(f"{endpoint}: HTTP {exc.code}: {exc.read()[:300]!r}") from exc
            wait = float(exc.headers.get("Retry-After") or 1)
            log(f"server busy (HTTP {exc.code}), retrying in {wait:g} s")
            time.sleep(wait)
    raise IronwatchError(f"{endpoint}: still busy after {MAX_RETRIES} retries")
