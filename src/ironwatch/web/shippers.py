"""Ingest endpoints existing log shippers speak: Splunk HEC and Elasticsearch ``_bulk``.

Vector, Fluent Bit, the OpenTelemetry Collector, Beats and Logstash send to these unchanged
(docs/shippers.md has their configurations). As with ``/api/v1/ingest``, a success answer
means the batch is durable in the WAL; backpressure answers 503 (HEC code 9) or 429 (ES),
which every one of these shippers retries.

* **HEC** under ``/services/collector``: ``/event`` (concatenated JSON envelopes, each
  stored as it came and read by the ``hec`` format), ``/raw`` (one record per line, format
  detected per line, plain text when it has no known shape, or taken from ``?sourcetype=``), ``/health`` and ``/ack`` (a success
  is already durable, so every issued ack id is acknowledged). Tokens come as
  ``Authorization: Splunk <token>``.
* **Elasticsearch** under ``/es`` (configure the shipper's endpoint as
  ``https://host:8080/es``): ``_bulk`` (``index``/``create`` store their source document;
  ``update``/``delete`` are refused per item, the store is append-only), the cluster info,
  health, license and version answers clients probe, and template/ILM/pipeline calls,
  which are acknowledged and ignored (Ironwatch normalizes by itself). Tokens come as
  basic auth (any user name, the token as password), ``ApiKey`` or ``Bearer``.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections import OrderedDict
from typing import Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..auth.roles import INGEST
from ..core.access import Principal
from ..core.intake_client import IntakeClient
from ..errors import ServerNotRunning
from ..parsers.hec import format_for
from ..pipeline.listeners import with_meta
from ..util.sockets import encode_records
from .access import public, require
from .body import read_body

HEC = "/services/collector"
ES = "/es"
ES_VERSION = "8.17.0"
ES_HEADERS = {"X-Elastic-Product": "Elasticsearch"}
#: Splunk's HEC status codes by HTTP status, for error answers
_HEC_CODES = {400: 6, 401: 2, 403: 4, 404: 404, 413: 6, 415: 6, 429: 9, 503: 9}
_MAX_CHANNELS = 1024


class _Acks:
    """Ack ids per HEC channel (bounded: the oldest channels are forgotten)."""

    def __init__(self) -> None:
        self.channels: OrderedDict[str, int] = OrderedDict()

    def issue(self, channel: str) -> int:
        ack = self.channels.pop(channel, -1) + 1
        self.channels[channel] = ack
        while len(self.channels) > _MAX_CHANNELS:
            self.channels.popitem(last=False)
        return ack

    def status(self, channel: str, ids: list[Any]) -> dict[str, bool]:
        last = self.channels.get(channel, -1)
        return {str(i): isinstance(i, int) and 0 <= i <= last for i in ids}


def split_envelopes(body: bytes) -> list[bytes]:
    """HEC event bodies are JSON objects one after another, with or without newlines; each
    must hold a non-blank ``event`` (as Splunk, the whole batch is refused otherwise)."""
    lines = [ln.strip() for ln in body.split(b"\n") if ln.strip()]
    try:
        docs = [(ln, orjson.loads(ln)) for ln in lines]
    except orjson.JSONDecodeError:
        docs = _decode_stream(body)
    for n, (_raw, doc) in enumerate(docs):
        if not isinstance(doc, dict) or "event" not in doc:
            raise HTTPException(400, f"Event field is required (event {n})")
        if doc["event"] in ("", None):
            raise HTTPException(400, f"Event field cannot be blank (event {n})")
    return [raw for raw, _doc in docs]


def _decode_stream(body: bytes) -> list[tuple[bytes, Any]]:
    """(text, value) of each JSON value in a body that is not one value a line."""
    try:
        text = body.decode()
    except UnicodeDecodeError as exc:
        raise HTTPException(400, f"Invalid data format: body is not UTF-8 ({exc.reason})") from exc
    decoder, pos = json.JSONDecoder(), 0
    out: list[tuple[bytes, Any]] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return out
        try:
            doc, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise HTTPException(400, f"Invalid data format: event {len(out)}: {exc.msg}") from exc
        out.append((text[pos:end].encode(), doc))
        pos = end


async def _append(intake: IntakeClient, records: list[bytes], listener: str, fmt: str, request: Request,
                  chunks: list[dict[str, Any]] | None = None) -> int:
    """Appends ``records`` (split into ``chunks`` when given) and returns once durable."""
    client = request.client.host if request.client else ""
    try:
        reply = await intake.ingest(encode_records(records), listener, fmt, client, framing="records", chunks=chunks)
    except ServerNotRunning as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from exc
    if not reply.get("ok"):
        raise HTTPException(503, f"Server is busy: {reply.get('error')}",
                            headers={"Retry-After": str(reply.get("retry_after", 1))})
    return int(reply["durable_offset"])


def build_hec(intake: IntakeClient, max_body: int) -> APIRouter:
    router = APIRouter()
    acks = _Acks()
    ingest = Depends(require(INGEST))

    def channel_of(request: Request) -> str:
        return request.headers.get("x-splunk-request-channel") or request.query_params.get("channel", "")

    def success(request: Request) -> dict[str, Any]:
        channel = channel_of(request)
        answer: dict[str, Any] = {"text": "Success", "code": 0}
        if channel:
            answer["ackId"] = acks.issue(channel)
        return answer

    async def event(request: Request, who: Principal = ingest) -> dict[str, Any]:
        records = split_envelopes(await read_body(request, max_body))
        if not records:
            raise HTTPException(400, "No data")
        await _append(intake, records, "hec", "hec", request)
        return success(request)

    async def raw(request: Request, who: Principal = ingest) -> dict[str, Any]:
        body = await read_body(request, max_body)
        records = [ln.rstrip(b"\r") for ln in body.split(b"\n") if ln.strip()]
        if not records:
            raise HTTPException(400, "No data")
        query = request.query_params
        fmt = format_for(query.get("sourcetype", ""))
        listener = with_meta("hec", {k: query.get(k, "") for k in ("host", "source", "sourcetype", "index")})
        await _append(intake, records, listener, fmt, request)
        return success(request)

    async def ack(request: Request, who: Principal = ingest) -> dict[str, Any]:
        channel = channel_of(request)
        if not channel:
            raise HTTPException(400, "Data channel is missing")
        try:
            ids = orjson.loads(await read_body(request, max_body)).get("acks", [])
        except (orjson.JSONDecodeError, AttributeError) as exc:
            raise HTTPException(400, "Invalid data format") from exc
        return {"acks": acks.status(channel, ids if isinstance(ids, list) else [])}

    async def health() -> dict[str, Any]:
        return {"text": "HEC is healthy", "code": 17}

    for suffix in ("", "/event", "/event/1.0"):
        router.add_api_route(HEC + suffix, event, methods=["POST"])
    for suffix in ("/raw", "/raw/1.0"):
        router.add_api_route(HEC + suffix, raw, methods=["POST"])
    router.add_api_route(HEC + "/ack", ack, methods=["POST"])
    for suffix in ("/health", "/health/1.0"):
        router.add_api_route(HEC + suffix, health, methods=["GET"], dependencies=[Depends(public)])
    return router


def _es(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, headers=ES_HEADERS)


def build_es(intake: IntakeClient, max_body: int, cluster_uuid: str) -> APIRouter:
    router = APIRouter()
    ingest = Depends(require(INGEST))
    node = "ironwatch"

    async def info(who: Principal = ingest) -> JSONResponse:
        return _es({"name": node, "cluster_name": "ironwatch", "cluster_uuid": cluster_uuid,
                    "version": {"number": ES_VERSION, "build_flavor": "default", "build_type": "tar",
                                "build_hash": "ironwatch", "build_date": "2024-12-11T00:00:00.000Z",
                                "build_snapshot": False, "lucene_version": "9.12.0",
                                "minimum_wire_compatibility_version": "7.17.0",
                                "minimum_index_compatibility_version": "7.0.0"},
                    "tagline": "You Know, for Search"})

    async def health(who: Principal = ingest) -> JSONResponse:
        return _es({"cluster_name": "ironwatch", "status": "green", "timed_out": False, "number_of_nodes": 1,
                    "number_of_data_nodes": 1, "active_primary_shards": 1, "active_shards": 1,
                    "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": 0,
                    "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
                    "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
                    "active_shards_percent_as_number": 100.0})

    async def license_(who: Principal = ingest) -> JSONResponse:
        return _es({"license": {"status": "active", "uid": cluster_uuid, "type": "basic",
                                "issue_date_in_millis": 0, "max_nodes": 1000, "issued_to": "ironwatch",
                                "issuer": "ironwatch", "start_date_in_millis": -1}})

    async def xpack(who: Principal = ingest) -> JSONResponse:
        return _es({"build": {"hash": "ironwatch", "date": "2024-12-11T00:00:00.000Z"},
                    "license": {"uid": cluster_uuid, "type": "basic", "mode": "basic", "status": "active"},
                    "features": {}})

    async def setup(request: Request, name: str, who: Principal = ingest) -> Response:
        # templates, ILM policies, ingest pipelines: Ironwatch maps fields itself
        if request.method == "HEAD":
            return Response(status_code=200, headers=ES_HEADERS)
        if request.method == "GET":
            return _es({name: {}})
        await read_body(request, max_body)
        return _es({"acknowledged": True})

    async def bulk(request: Request, index: str = "", who: Principal = ingest) -> JSONResponse:
        t0 = time.monotonic()
        body = await read_body(request, max_body)
        items, records = bulk_items(body, index)
        if records:
            # one durable append for all indices: a retried request is never half stored
            chunks = [{"listener": with_meta("es-bulk", {"es_index": name}), "format": "json", "count": len(docs)}
                      for name, docs in records.items()]
            await _append(intake, [d for docs in records.values() for d in docs], "es-bulk", "json", request, chunks)
        took = int((time.monotonic() - t0) * 1000)
        return _es({"took": took, "errors": any("error" in next(iter(i.values())) for i in items),
                    "items": items})

    for path in (ES, ES + "/"):
        router.add_api_route(path, info, methods=["GET", "HEAD"])
    router.add_api_route(ES + "/_cluster/health", health, methods=["GET"])
    router.add_api_route(ES + "/_license", license_, methods=["GET"])
    router.add_api_route(ES + "/_xpack", xpack, methods=["GET"])
    for kind in ("_index_template", "_template", "_component_template", "_ilm/policy", "_ingest/pipeline"):
        router.add_api_route(ES + f"/{kind}/{{name}}", setup, methods=["GET", "HEAD", "PUT"])
    router.add_api_route(ES + "/_bulk", bulk, methods=["POST", "PUT"])
    router.add_api_route(ES + "/{index}/_bulk", bulk, methods=["POST", "PUT"])
    return router


def bulk_items(body: bytes, default_index: str) -> tuple[list[dict[str, Any]], dict[str, list[bytes]]]:
    """(the per-item answers, the source documents to store by the index they name, ``""``
    for none) of a ``_bulk`` body."""
    lines = [ln for ln in body.split(b"\n") if ln.strip()]
    items: list[dict[str, Any]] = []
    records: dict[str, list[bytes]] = {}
    stored = 0
    i = 0
    while i < len(lines):
        try:
            action = orjson.loads(lines[i])
        except orjson.JSONDecodeError as exc:
            raise HTTPException(400, f"Malformed action/metadata line [{i + 1}]: {exc}") from exc
        if not isinstance(action, dict) or len(action) != 1:
            raise HTTPException(400, f"Malformed action/metadata line [{i + 1}], expected one action")
        op, meta = next(iter(action.items()))
        meta = meta if isinstance(meta, dict) else {}
        given = str(meta.get("_index") or default_index or "")
        index = given or "ironwatch"
        doc_id = str(meta.get("_id") or uuid.uuid4().hex)
        if op in ("index", "create"):
            if i + 1 >= len(lines):
                raise HTTPException(400, f"action [{op}] on line {i + 1} has no source document")
            records.setdefault(given, []).append(lines[i + 1].strip())
            items.append({op: {"_index": index, "_id": doc_id, "_version": 1, "result": "created",
                               "_shards": {"total": 1, "successful": 1, "failed": 0},
                               "_seq_no": stored, "_primary_term": 1, "status": 201}})
            stored += 1
            i += 2
        elif op in ("update", "delete"):
            items.append({op: {"_index": index, "_id": doc_id, "status": 400, "error": {
                "type": "illegal_argument_exception",
                "reason": f"Ironwatch keeps events append-only: {op} is refused"}}})
            i += 2 if op == "update" else 1
        else:
            raise HTTPException(400, f"Malformed action/metadata line [{i + 1}], unknown action [{op}]")
    return items, records


async def shipper_errors(request: Request, exc: StarletteHTTPException) -> Response:
    """Errors in the dialect of the API the client thinks it talks to."""
    path = request.url.path
    headers = dict(exc.headers or {})
    if path.startswith(HEC):
        return JSONResponse({"text": str(exc.detail), "code": _HEC_CODES.get(exc.status_code, 8)},
                            exc.status_code, headers=headers)
    if path == ES or path.startswith(ES + "/"):
        kind = {401: "security_exception", 403: "security_exception", 429: "es_rejected_execution_exception",
                503: "es_rejected_execution_exception"}.get(exc.status_code, "illegal_argument_exception")
        # ES answers backpressure with 429, which Beats, Logstash and Fluent Bit retry
        status = 429 if exc.status_code == 503 else exc.status_code
        return JSONResponse({"error": {"root_cause": [{"type": kind, "reason": str(exc.detail)}], "type": kind,
                                       "reason": str(exc.detail)}, "status": status},
                            status, headers={**headers, **ES_HEADERS})
    return await http_exception_handler(request, exc)


def install(app: FastAPI, intake: IntakeClient, max_body: int, cluster_uuid: str | None = None) -> None:
    """Adds the HEC and Elasticsearch routes (flat, for the route-table access test)."""
    for router in (build_hec(intake, max_body), build_es(intake, max_body, cluster_uuid or secrets.token_urlsafe(16))):
        app.router.routes.extend(router.routes)
    app.add_exception_handler(StarletteHTTPException, shipper_errors)  # type: ignore[arg-type]


__all__ = ["ES", "ES_VERSION", "HEC", "bulk_items", "install", "split_envelopes"]
