"""Real Suricata EVE alerts (suricata-eve-samples): every one parses, and parses right.

The samples are pretty-printed JSON arrays (``jq -s`` output); each item is one EVE record,
re-serialised here as the single line a sensor writes. Expectations are computed at test
time from each record itself: the rule, the addresses, the time (read independently with
``datetime.fromisoformat``) and every original field under ``suricata.eve.*``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from ironwatch.parsers.base import ParseContext
from ironwatch.parsers.registry import parse
from ironwatch.parsers.suricata import PARSERS, SEVERITY

pytestmark = pytest.mark.corpus

CTX = ParseContext(received_us=1_795_780_800_000_000)
PARSER = PARSERS[0]
EXPECTED_RECORDS = 548


def records(corpus: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((corpus / "suricata-eve-samples" / "samples").glob("*/alerts-only.json")):
        items = orjson.loads(path.read_bytes())
        assert isinstance(items, list)
        found.extend(items)
    return found


def leaves(obj: dict[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            out.update(leaves(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def epoch_us(text: str) -> int:
    moment = datetime.fromisoformat(text)
    return round(moment.timestamp() * 1_000_000)


def test_every_alert_maps_rule_addresses_and_time(corpus: Path) -> None:
    docs = records(corpus)
    assert len(docs) == EXPECTED_RECORDS
    wrong: list[str] = []
    for doc in docs:
        line = orjson.dumps(doc)
        event = PARSER.parse(line, CTX)
        fmt, via_json = parse(line, CTX)  # as a JSON lines file or shipper delivers it
        alert = doc["alert"]
        want = {
            "format": "suricata", "rule.id": str(alert["signature_id"]),
            "rule.name": alert["signature"], "rule.category": alert["category"],
            "event.kind": "alert", "event.severity": SEVERITY.get(alert["severity"], 1),
            "source.ip": doc["src_ip"], "destination.ip": doc["dest_ip"],
            "source.port": doc.get("src_port"), "destination.port": doc.get("dest_port"),
            "network.transport": doc["proto"].lower(), "@timestamp": epoch_us(doc["timestamp"]),
        }
        got = {key: (fmt if key == "format" else event.get(key)) for key in want}
        if got != want or via_json != event:
            wrong.append(f"{line[:120]!r}\n   got  {got}\n   want {want}")
            continue
        expected_leaves = leaves(doc, "suricata.eve.")
        if {k: v for k, v in event.items() if k.startswith("suricata.eve.")} != expected_leaves:
            wrong.append(f"suricata.eve.* differs for {line[:120]!r}")
    assert not wrong, f"{len(wrong)} of {len(docs)} records wrong:\n" + "\n".join(wrong[:5])


def test_application_layer_fields(corpus: Path) -> None:
    http = tls = 0
    for doc in records(corpus):
        event = PARSER.parse(orjson.dumps(doc), CTX)
        if "http" in doc:
            http += 1
            section = doc["http"]
            if "url" in section:
                assert event["url.original"] == section["url"]
                assert section["url"].startswith(event["url.path"])
            if "hostname" in section:
                assert event["url.domain"] == section["hostname"]
            if "status" in section:
                assert event["http.response.status_code"] == int(section["status"])
            if "http_user_agent" in section:  # an empty agent is no agent
                assert event.get("user_agent.original") == (section["http_user_agent"] or None)
        if "tls" in doc:
            tls += 1
            section = doc["tls"]
            if "sni" in section:
                assert event["tls.client.server_name"] == section["sni"]
            if "fingerprint" in section:
                assert event["tls.server.hash.sha1"] == section["fingerprint"].replace(":", "").upper()
            if section.get("version", "").startswith("TLS "):
                assert event["tls.version"] == section["version"][4:]
        if "flow" in doc:
            flow = doc["flow"]
            assert event["network.bytes"] == flow["bytes_toserver"] + flow["bytes_toclient"]
            assert event["event.start"] == epoch_us(flow["start"])
    assert http > 200 and tls > 40  # the samples carry 249 http and 44 tls objects
