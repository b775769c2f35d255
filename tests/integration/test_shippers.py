"""Existing shippers against a real ``ironwatch serve``: Splunk HEC and Elasticsearch ``_bulk``.

Sent with curl and with real client libraries (``splunk_handler``'s logging handler, the
official ``elasticsearch`` Python client and its bulk helper); every event is looked up
with a token of its own and checked on the fields the envelope or the document gave it.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from .helpers import rpc_search, wait_for
from .server import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path_factory.mktemp("shippers") / "data").start()
    yield s
    s.stop()


def curl(srv: ServerProcess, path: str, *args: str, body: bytes | None = None) -> tuple[int, Any]:
    cmd = ["curl", "-k", "-sS", "--max-time", "30", "-w", "\n%{http_code}", *args,
           f"https://127.0.0.1:{srv.http}{path}"]
    if body is not None:
        cmd[1:1] = ["--data-binary", "@-"]
    r = subprocess.run(cmd, input=body, capture_output=True, check=True)
    text, _, code = r.stdout.rpartition(b"\n")
    return int(code), orjson.loads(text) if text.strip() else None


def found(srv: ServerProcess, token: str, n: int) -> list[dict[str, Any]]:
    return wait_for(lambda: rpc_search(srv, token), lambda evs: len(evs) >= n, 30, what=f"{n} events {token}")


def splunk(srv: ServerProcess) -> list[str]:
    return ["-H", f"Authorization: Splunk {srv.token}"]


def test_hec_event_envelopes_with_curl(srv: ServerProcess) -> None:
    tok = "hec" + uuid.uuid4().hex[:12]
    envelopes = (
        # a syslog line as a string event: read per message; the envelope's time and index
        orjson.dumps({"time": 1795773600.25, "host": "fwd01", "sourcetype": "syslog", "index": "ot",
                      "event": f"<38>Nov 27 10:15:30 jump01 sshd[8812]: {tok} one", "fields": {"site": "plant-a"}})
        # an object event, no separator between envelopes (Vector sends them so)
        + orjson.dumps({"host": "hist01", "event": {"message": f"{tok} two", "user": {"name": "operator1"}}})
        + b"\n"
        + orjson.dumps({"time": "1795773601", "event": f"CEF:0|Acme|OT-FW|2.1|100|Blocked write|7|src=10.20.3.17 msg={tok} three"}))
    code, reply = curl(srv, "/services/collector/event", *splunk(srv), body=gzip.compress(envelopes))
    assert (code, reply) == (400, {"text": reply["text"], "code": 6}), "gzip without the header is not JSON"
    code, reply = curl(srv, "/services/collector/event", *splunk(srv), "-H", "Content-Encoding: gzip",
                       body=gzip.compress(envelopes))
    assert (code, reply) == (200, {"text": "Success", "code": 0})
    events = {e["message"].split(tok)[-1].strip(): e for e in found(srv, tok, 3)}
    one, two, three = events["one"], events["two"], events["three"]
    assert one["host.name"] == "jump01" and one["process.name"] == "sshd"  # the message names its host
    assert one["@timestamp"] == "2026-11-27T10:00:00.250000Z" and one["hec.index"] == "ot"
    assert one["labels.site"] == "plant-a" and one["ironwatch.listener"] == "hec"
    assert two["host.name"] == "hist01" and two["user.name"] == "operator1"
    assert three["ironwatch.parser"] == "cef" and three["source.ip"] == "10.20.3.17"
    assert three["@timestamp"] == "2026-11-27T10:00:01.000000Z"
    # the original is the envelope as it came
    assert orjson.loads(one["event.original"])["fields"] == {"site": "plant-a"}


def test_hec_raw_channel_acks_health_and_refusals(srv: ServerProcess) -> None:
    tok = "raw" + uuid.uuid4().hex[:12]
    lines = f"<134>1 2026-11-27T09:14:03Z plcgw-03 gw - - - {tok} a\n<13>Nov 27 10:00:00 hmi02 app: {tok} b\n"
    ch = str(uuid.uuid4())
    code, reply = curl(srv, f"/services/collector/raw?channel={ch}", *splunk(srv), body=lines.encode())
    assert code == 200 and reply == {"text": "Success", "code": 0, "ackId": 0}
    code, reply = curl(srv, "/services/collector/raw", *splunk(srv), "-H", f"X-Splunk-Request-Channel: {ch}",
                       body=lines.encode())
    assert reply["ackId"] == 1
    code, reply = curl(srv, "/services/collector/ack", *splunk(srv), "-H", f"X-Splunk-Request-Channel: {ch}",
                       body=b'{"acks": [0, 1, 2]}')
    assert code == 200 and reply == {"acks": {"0": True, "1": True, "2": False}}
    hosts = sorted(e["host.name"] for e in found(srv, tok, 4))
    assert hosts == ["hmi02", "hmi02", "plcgw-03", "plcgw-03"]
    # /raw's query names the host (when the line does not), source, sourcetype and index
    meta = "meta" + uuid.uuid4().hex[:12]
    query = "host=hist-01&source=%2Fvar%2Flog%2Fhistorian.log&sourcetype=historian&index=ot"
    lines = f"backfill done {meta}\n<13>Nov 27 10:00:00 hmi02 app: {meta}\n"
    assert curl(srv, f"/services/collector/raw?{query}", *splunk(srv), body=lines.encode())[0] == 200
    got = {e["host.name"]: e for e in found(srv, meta, 2)}
    assert set(got) == {"hist-01", "hmi02"}
    for e in got.values():
        assert (e["hec.source"], e["hec.sourcetype"], e["hec.index"], e["ironwatch.listener"]) == (
            "/var/log/historian.log", "historian", "ot", "hec")
    # health answers without a token (load balancers probe it)
    assert curl(srv, "/services/collector/health") == (200, {"text": "HEC is healthy", "code": 17})
    bad = "bad" + uuid.uuid4().hex[:12]
    body = orjson.dumps({"event": bad})
    assert curl(srv, "/services/collector/event", body=body)[0] == 401
    code, reply = curl(srv, "/services/collector/event", "-H", "Authorization: Splunk nope", body=body)
    assert code == 401 and set(reply) == {"text", "code"}
    code, reply = curl(srv, "/services/collector/event", *splunk(srv), body=orjson.dumps({"event": ""}) + body)
    assert code == 400 and "blank" in reply["text"]
    code, reply = curl(srv, "/services/collector/event", *splunk(srv), body=b'{"event": "x"} {not json')
    assert code == 400 and reply["code"] == 6
    assert rpc_search(srv, bad) == []  # a refused batch stores nothing of itself


def test_splunk_handler_library(srv: ServerProcess) -> None:
    from splunk_handler import SplunkHandler

    tok = "lib" + uuid.uuid4().hex[:12]
    handler = SplunkHandler(host="127.0.0.1", port=srv.http, token=srv.token, index="ot", hostname="mes01",
                            sourcetype="python", verify=False, flush_interval=0.2,
                            retry_count=2, timeout=10)
    log = logging.getLogger("ironwatch-test-hec")
    log.addHandler(handler)
    try:
        for i in range(5):
            log.warning("batch %s %s", tok, i)
    finally:
        handler.force_flush()
        log.removeHandler(handler)
        handler.close()
    events = found(srv, tok, 5)
    assert {e["host.name"] for e in events} == {"mes01"} and {e["hec.index"] for e in events} == {"ot"}
    # plain application text (no syslog shape) is kept as text, not dead-lettered
    assert {e["ironwatch.parser"] for e in events} == {"text"} and events[0]["message"].startswith("batch ")


def es_auth(srv: ServerProcess) -> list[str]:
    return ["-u", f"filebeat:{srv.token}"]


def test_es_probes_and_bulk_with_curl(srv: ServerProcess) -> None:
    code, info = curl(srv, "/es", *es_auth(srv))
    assert code == 200 and info["version"]["number"].startswith("8.") and info["tagline"] == "You Know, for Search"
    assert curl(srv, "/es/_cluster/health", *es_auth(srv))[1]["status"] == "green"
    assert curl(srv, "/es/_license", *es_auth(srv))[1]["license"]["status"] == "active"
    assert curl(srv, "/es/_index_template/filebeat-8", *es_auth(srv), "-X", "PUT", "-H",
                "Content-Type: application/json", body=b'{"index_patterns": ["x"]}')[1] == {"acknowledged": True}
    assert curl(srv, "/es", "-u", "filebeat:wrong")[0] == 401
    tok = "bulk" + uuid.uuid4().hex[:12]
    src = {"@timestamp": "2026-11-27T10:00:00Z", "host": {"name": "eng-ws01"}, "message": f"{tok} a"}
    body = b"".join([
        b'{"index": {"_index": "filebeat-8"}}\n', orjson.dumps(src), b"\n",
        b'{"create": {}}\n', orjson.dumps({**src, "message": f"{tok} b"}), b"\n",
        b'{"delete": {"_index": "x", "_id": "1"}}\n',
        b'{"update": {"_index": "x", "_id": "2"}}\n', b'{"doc": {"a": 1}}\n',
    ])
    code, reply = curl(srv, "/es/plant-logs/_bulk", *es_auth(srv), "-H", "Content-Type: application/x-ndjson", body=body)
    assert code == 200 and reply["errors"] is True
    assert [next(iter(i)) for i in reply["items"]] == ["index", "create", "delete", "update"]
    assert [next(iter(i.values()))["status"] for i in reply["items"]] == [201, 201, 400, 400]
    assert reply["items"][0]["index"]["_index"] == "filebeat-8" and reply["items"][1]["create"]["_index"] == "plant-logs"
    events = found(srv, tok, 2)
    assert {e["host.name"] for e in events} == {"eng-ws01"} and {e["ironwatch.listener"] for e in events} == {"es-bulk"}
    assert sorted((e["message"][-1], e["es.index"]) for e in events) == [("a", "filebeat-8"), ("b", "plant-logs")]
    code, reply = curl(srv, "/es/_bulk", *es_auth(srv), body=b"{not an action}\n{}\n")
    assert code == 400 and reply["error"]["type"] == "illegal_argument_exception" and reply["status"] == 400


def test_elasticsearch_client_library(srv: ServerProcess, tmp_path: Path) -> None:
    from elasticsearch import Elasticsearch, helpers

    tok = "esclient" + uuid.uuid4().hex[:10]
    es = Elasticsearch(f"https://127.0.0.1:{srv.http}/es", basic_auth=("logstash", srv.token), verify_certs=False,
                       ssl_show_warn=False, request_timeout=30)
    assert es.info()["version"]["number"].startswith("8.")
    assert es.cluster.health()["status"] == "green"
    docs = ({"_index": "winlogbeat-8", "_source": {"@timestamp": "2026-11-27T10:00:00Z", "message": f"{tok} {i}",
                                                   "host": {"name": "hmi01"}}} for i in range(250))
    ok, errors = helpers.bulk(es, docs, chunk_size=100)
    assert ok == 250 and errors == []
    events = found(srv, tok, 250)
    assert len(events) == 250 and {e["host.name"] for e in events} == {"hmi01"}
    # ApiKey auth (id:key, base64) as Elastic agents send it
    es_key = Elasticsearch(f"https://127.0.0.1:{srv.http}/es", api_key=("shipper", srv.token), verify_certs=False,
                           ssl_show_warn=False)
    assert es_key.info()["cluster_name"] == "ironwatch"
