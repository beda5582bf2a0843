"""HTTP endpoints of the service (starlette, served by uvicorn in a thread of its own).

GET /health (JSON, 200 healthy / 503 not), GET /metrics (Prometheus text), GET / (dashboard).
Every answer comes from memory: no request ever opens the warehouse, so none waits on a cycle.
With a token, every path but /health needs `Authorization: Bearer TOKEN`; without one, the
service only listens on loopback (check_exposure).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from analytics.errors import TradelensError

STARTUP_TIMEOUT_SEC = 10.0
# Load balancers, `tradelens health` and the dashboard's own polling ask it without a token.
OPEN_PATHS = frozenset({"/health"})
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: it travels in an HTTP header


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can connect. Any other name or
    address (0.0.0.0, ::, a host name) may be reachable from others."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve the dashboard and /metrics off loopback without a token, and a token
    that an HTTP header cannot carry."""
    if token is None and not is_loopback(host):
        raise TradelensError(
            f"--host {host} is not a loopback address, so anyone who can reach it would see "
            "the dashboard and /metrics: set a token with --token or TRADELENS_TOKEN "
            "(e.g. export TRADELENS_TOKEN=$(openssl rand -hex 32)), or listen on 127.0.0.1"
        )
    if token is not None and not TOKEN_PATTERN.fullmatch(token):
        raise TradelensError(
            "the token must be visible ASCII characters without spaces (it is sent in an "
            "HTTP header): e.g. export TRADELENS_TOKEN=$(openssl rand -hex 32)"
        )


class BearerTokenAuth:
    """ASGI middleware: every path but OPEN_PATHS needs `Authorization: Bearer TOKEN`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # not http: lifespan is off and there are no websocket routes
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        sent = _bearer_credentials(scope)
        # compare_digest: the time taken does not tell how much of a guess was right
        if sent is not None and hmac.compare_digest(sent, self._expected):
            await self.app(scope, receive, send)
            return
        challenge = 'Bearer realm="tradelens"' + ("" if sent is None else ', error="invalid_token"')
        refusal = PlainTextResponse(
            "401 Unauthorized: send the service's token as `Authorization: Bearer TOKEN`\n",
            status_code=401,
            headers={"WWW-Authenticate": challenge},
        )
        await refusal(scope, receive, send)


def _bearer_credentials(scope: Scope) -> bytes | None:
    """The token of the request's first `Authorization: Bearer …` header, else None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            return credentials.lstrip(b" ") if scheme.lower() == b"bearer" else None
    return None


def build_app(
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], bytes],
    metrics_content_type: str,
    page: Callable[[], str],
    token: str | None = None,
) -> Starlette:
    """The three endpoints; with `token`, all but /health behind BearerTokenAuth."""

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
        ],
        middleware=[Middleware(BearerTokenAuth, token=token)] if token is not None else [],
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
