"""Running the API under uvicorn inside the core's event loop (HTTPS by default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Iterator

import uvicorn

from ..config import Settings, parse_addr
from ..core.intake_client import IntakeClient
from ..core.service import CoreService
from ..tlscert import ensure_self_signed
from .app import create_app


class _EmbeddedServer(uvicorn.Server):
    """The core owns signals; uvicorn must not replace its handlers."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpServer:
    def __init__(self, server: _EmbeddedServer, task: "asyncio.Task[Any]") -> None:
        self.server, self.task = server, task

    async def stop(self) -> None:
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, 10)
        except asyncio.TimeoutError:
            self.task.cancel()


async def start_http(settings: Settings, service: CoreService, intake: IntakeClient) -> HttpServer:
    host, port = parse_addr(settings.http.listen, "http.listen")
    app = create_app(service, intake, settings.http.max_body_bytes)
    ssl: dict[str, Any] = {}
    if settings.http.tls:
        if settings.http.cert:
            cert, key = Path(settings.http.cert), Path(settings.http.key)
        else:
            cert, key, _ = ensure_self_signed(settings.data_path)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="off", server_header=False, timeout_keep_alive=30, **ssl)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if task.done():
        task.result()
    return HttpServer(server, task)
