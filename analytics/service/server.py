"""HTTP endpoints of the service (starlette, served by uvicorn in a thread of its own).

GET /health (JSON, 200 healthy / 503 not), GET /metrics (Prometheus text), GET / (dashboard).
Every answer comes from memory: no request ever opens the warehouse, so none waits on a cycle.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from analytics.errors import TradelensError

STARTUP_TIMEOUT_SEC = 10.0


def build_app(
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], bytes],
    metrics_content_type: str,
    page: Callable[[], str],
) -> Starlette:
    async def health_endpoint(request: Request) -> Response:
        document = health()
        return Response(
            json.dumps(document, indent=2, default=str) + "\n",
            status_code=200 if document["healthy"] else 503,
            media_type="application/json",
        )

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics(), media_type=metrics_content_type)

    async def dashboard_endpoint(request: Request) -> Response:
        return HTMLResponse(page())

    return Starlette(
        routes=[
            Route("/", dashboard_endpoint),
            Route("/health", health_endpoint),
            Route("/metrics", metrics_endpoint),
        ]
    )


class HttpServer:
    """uvicorn on a socket bound up front (a taken port is a one-line error before any work),
    in a daemon thread: the main thread keeps the signal handlers."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.socket = _bind(host, port)
        self.host, self.port = host, self.socket.getsockname()[1]
        config = uvicorn.Config(
            app, host=host, port=self.port, log_config=None, access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self.socket]},
            name="tradelens-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SEC
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise TradelensError(f"the HTTP server did not start on {self.url}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.socket.close()


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise TradelensError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
            "is another service running? choose another --port"
        ) from None
    return sock
