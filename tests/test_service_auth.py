"""`tradelens serve` behind a bearer token: off loopback it refuses to start without one; with
one, every path but /health answers 401 unless the request carries `Authorization: Bearer
TOKEN`.

The end-to-end tests run the real `python -m analytics serve` (as tests/test_service.py does)
and talk HTTP to it with urllib; the deploy tests scrape it with the real Prometheus on
deploy/prometheus/prometheus.yml and open its dashboard in a real browser through a proxy.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from browser import chromium_available, render
from conftest import tradelens
from prometheus_client.parser import text_string_to_metric_families
from test_dashboard import _panel_polls
from test_service import Service, _free_port, _write_config

from analytics.service.server import is_loopback

FLAG_TOKEN = "flag-0123456789abcdef"  # given as --token
ENV_TOKEN = "env-fedcba9876543210"  # given as TRADELENS_TOKEN
PROTECTED = ("/metrics", "/")
PROMETHEUS_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS = shutil.which("prometheus")


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without a token of its own, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "TRADELENS_TOKEN"}
    return env | extra


@pytest.fixture(autouse=True)
def no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tradelens(...)` passes this process's environment on: a token set there is not ours."""
    monkeypatch.delenv("TRADELENS_TOKEN", raising=False)


class TokenService(Service):
    """tests/test_service.py's Service with extra options, asked with any Authorization."""

    def __init__(self, tmp: Path, warehouse: Path, *args: str, env: dict[str, str]) -> None:
        config = _write_config(tmp, interval_min=60)  # one cycle, at start
        super().__init__(tmp, warehouse, config, env=env, options=args)

    def get(self, path: str, authorization: str | None = None) -> tuple[int, dict, bytes]:
        """Status, headers and body of GET `path`, with that Authorization header if any."""
        headers = {"Authorization": authorization} if authorization is not None else {}
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def wait_until_serving(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"service exited early:\n{self.log()}"
            try:
                self.get("/health")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise AssertionError(f"no answer at {self.url} within {timeout}s:\n{self.log()}")


@pytest.fixture(scope="module")
def services(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[TokenService, str]]]:
    """Two services started side by side: on 0.0.0.0 with --token, and on loopback with
    TRADELENS_TOKEN (a token protects loopback too); each with the token it was given."""
    started: dict[str, tuple[TokenService, str]] = {}
    for name, args, env in (
        ("--token", ("--host", "0.0.0.0", "--token", FLAG_TOKEN), _environment()),
        ("TRADELENS_TOKEN", (), _environment(TRADELENS_TOKEN=ENV_TOKEN)),
    ):
        tmp = tmp_path_factory.mktemp("auth")
        shutil.copy(migrated_template, tmp / "tradelens.duckdb")
        token = FLAG_TOKEN if name == "--token" else ENV_TOKEN
        started[name] = TokenService(tmp, tmp / "tradelens.duckdb", *args, env=env), token
    try:
        for service, _ in started.values():
            service.wait_until_serving()
        yield started
    finally:
        for service, _ in started.values():
            service.kill()


GIVEN = pytest.mark.parametrize("given", ["--token", "TRADELENS_TOKEN"])


# --------------------------------------------------------------------------- refusing to start


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.3.2.1", "::1", "localhost", "LOCALHOST", "::1%1"]
)
def test_loopback_is_127_slash_8_and_ipv6_one_and_localhost(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "", "192.168.1.5", "10.0.0.1", "fe80::1", "example.com", "127.1"]
)
def test_any_other_address_or_name_is_not_loopback(host: str) -> None:
    # "127.1" is 127.0.0.1 to inet_aton, but not an address ipaddress accepts: not loopback
    # to us, which only asks for a token more often
    assert not is_loopback(host)


@pytest.mark.parametrize(
    ("host", "token_args", "env"),
    [
        ("0.0.0.0", (), {}),
        ("::", (), {}),
        ("0.0.0.0", ("--token", ""), {}),  # an empty token is no token
        ("0.0.0.0", (), {"TRADELENS_TOKEN": ""}),
    ],
)
def test_off_loopback_without_a_token_it_refuses_before_binding_or_any_cycle(
    tmp_path: Path, host: str, token_args: tuple[str, ...], env: dict[str, str]
) -> None:
    warehouse = tmp_path / "tradelens.duckdb"
    config = _write_config(tmp_path, inbox_trades="inbox")
    with socket.socket() as taken:
        # the port is taken: a service that bound first would say "cannot listen" instead
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = tradelens(
            "serve", "--config", str(config), "--host", host, "--port", port, *token_args,
            warehouse=warehouse, cwd=tmp_path, env=env,
        )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: --host {host} is not a loopback address"), line
    assert "--token" in line and "TRADELENS_TOKEN" in line and "Traceback" not in line
    # no cycle ran: the warehouse was not even created, nor the inbox folder
    assert not warehouse.exists() and not (tmp_path / "inbox").exists()


def test_a_token_an_http_header_cannot_carry_is_refused(tmp_path: Path) -> None:
    result = tradelens(
        "serve", "--port", "0", warehouse=tmp_path / "tradelens.duckdb", cwd=tmp_path,
        env={"TRADELENS_TOKEN": "two words"},
    )  # fmt: skip
    assert result.returncode == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: the token must be visible ASCII characters without spaces")
    assert not (tmp_path / "tradelens.duckdb").exists()


# --------------------------------------------------------------------------- with a token


def _is_refused(answer: tuple[int, dict, bytes], invalid: bool) -> bool:
    """401 with a Bearer challenge; `invalid`: the challenge says the token sent is wrong."""
    code, headers, _ = answer
    challenge = headers.get("www-authenticate", "")
    return (
        code == 401
        and challenge.startswith("Bearer ")
        and ('error="invalid_token"' in challenge) == invalid
    )


@GIVEN
@pytest.mark.parametrize("path", PROTECTED)
def test_protected_paths_refuse_requests_without_the_right_token(
    services: dict, given: str, path: str
) -> None:
    service, token = services[given]
    other = ENV_TOKEN if token == FLAG_TOKEN else FLAG_TOKEN
    assert _is_refused(service.get(path), invalid=False)
    assert _is_refused(service.get(path, "Basic dXNlcjpwYXNz"), invalid=False)
    for wrong in ("", "wrong", other, token[:-1], token + "0", token.upper()):
        assert _is_refused(service.get(path, f"Bearer {wrong}"), invalid=True), wrong
    assert _is_refused(service.get(path, token), invalid=False)  # the token without its scheme


@GIVEN
def test_the_right_token_opens_metrics_and_the_dashboard(services: dict, given: str) -> None:
    service, token = services[given]
    code, headers, body = service.get("/metrics", f"Bearer {token}")
    assert code == 200 and headers["content-type"].startswith("text/plain")
    families = {f.name for f in text_string_to_metric_families(body.decode())}
    assert "tradelens_scheduler_up" in families
    code, headers, body = service.get("/", f"Bearer {token}")
    assert code == 200 and headers["content-type"].startswith("text/html")
    assert b"Service health" in body
    # the scheme is case-insensitive (RFC 7235)
    assert service.get("/metrics", f"bearer {token}")[0] == 200
    # other paths are behind the token too: 404 only for those who hold it
    assert _is_refused(service.get("/nothing-here"), invalid=False)
    assert service.get("/nothing-here", f"Bearer {token}")[0] == 404


@GIVEN
def test_health_answers_without_a_token(services: dict, given: str) -> None:
    service, _ = services[given]
    for authorization in (None, "Bearer wrong"):
        code, headers, body = service.get("/health", authorization)
        document = json.loads(body)
        assert code == (200 if document["healthy"] else 503), document
        assert headers["content-type"] == "application/json"
        assert document["source"] == "service" and document["running"] is True


@GIVEN
def test_tradelens_health_asks_the_service_without_a_token(services: dict, given: str) -> None:
    service, _ = services[given]
    result = tradelens("health", "--url", service.url, "--require-service")
    document = json.loads(result.stdout)
    assert document["source"] == "service", result.stdout + result.stderr
    assert result.returncode == (0 if document["healthy"] else 1)


@GIVEN
def test_the_log_says_the_token_is_required_and_never_shows_it(services: dict, given: str):
    service, token = services[given]
    log = service.log()
    assert "all but /health need the bearer token" in log and token not in log


# --------------------------------------------------------------------------- the deploy setups


class HeaderAddingProxy:
    """What docs/service.md suggests for browsers: a proxy in front of the service that adds
    the token, here only to GET / so the page's own polling of /health goes without it."""

    def __init__(self, upstream: str, token: str) -> None:
        self.forwarded: list[tuple[str, bool]] = []  # (path, with the token)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler(upstream, token))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _handler(self, upstream: str, token: str) -> type[BaseHTTPRequestHandler]:
        forwarded = self.forwarded

        class Forward(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with_token = urllib.parse.urlsplit(self.path).path == "/"
                headers = {"Authorization": f"Bearer {token}"} if with_token else {}
                forwarded.append((self.path, with_token))
                request = urllib.request.Request(upstream + self.path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        code, kind, body = response.status, response.headers, response.read()
                except urllib.error.HTTPError as exc:
                    code, kind, body = exc.code, exc.headers, exc.read()
                self.send_response(code)
                self.send_header("Content-Type", kind.get("content-type", "text/plain"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Forward

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not chromium_available(), reason="needs chromium (apt-get install chromium)")
def test_the_dashboard_keeps_polling_health_behind_a_token(services: dict, tmp_path: Path):
    service, token = services["--token"]
    proxy = HeaderAddingProxy(service.url, token)
    try:
        # 7 s of the page's time: it asks /health at once and again 5 s later
        rendered = render(f"{proxy.url}/", tmp_path / "page.png", profile=tmp_path / "profile",
                          budget_ms=7000)  # fmt: skip
    finally:
        proxy.close()
    assert "Service health" in rendered.dom and rendered.console == []
    assert _panel_polls(rendered.dom) >= 2  # each poll read a /health answer sent without token
    polled = [with_token for path, with_token in proxy.forwarded if path.startswith("/health")]
    assert len(polled) >= 2 and not any(polled)


def _scrape_config(service: TokenService, credentials: Path, job_name: str) -> dict:
    """The tradelens job of deploy/prometheus/prometheus.yml, aimed at `service` and scraping
    every second, with its token read from `credentials`."""
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "tradelens"]
    job["authorization"]["credentials_file"] = str(credentials)
    job["static_configs"] = [{"targets": [f"127.0.0.1:{service.port}"]}]
    return job | {"job_name": job_name, "scrape_interval": "1s"}


def _targets(prometheus_url: str, timeout: float = 30.0) -> dict[str, dict]:
    """The active targets by job, once every one has been scraped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{prometheus_url}/api/v1/targets", timeout=2) as answer:
                targets = json.load(answer)["data"]["activeTargets"]
        except (urllib.error.URLError, ConnectionError):
            targets = []
        if targets and all(t["health"] != "unknown" for t in targets):
            return {t["labels"]["job"]: t for t in targets}
        time.sleep(0.2)
    raise AssertionError(f"Prometheus scraped nothing within {timeout}s")


@pytest.mark.slow
@pytest.mark.skipif(PROMETHEUS is None, reason="needs prometheus (apt-get install prometheus)")
def test_prometheus_scrapes_with_the_shipped_authorization(services: dict, tmp_path: Path):
    service, token = services["--token"]
    right, wrong = tmp_path / "right.token", tmp_path / "wrong.token"
    right.write_text(token + "\n")  # as `echo` writes it: Prometheus drops the newline
    wrong.write_text("not-the-token\n")
    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [
            _scrape_config(service, right, "tradelens"),
            _scrape_config(service, wrong, "tradelens_wrong_token"),
        ],
    }
    (tmp_path / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    port = _free_port()
    with (tmp_path / "prometheus.log").open("w") as log:
        prometheus = subprocess.Popen(
            [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            targets = _targets(f"http://127.0.0.1:{port}")
        finally:
            prometheus.terminate()
            prometheus.wait(30)
    assert targets["tradelens"]["health"] == "up", targets["tradelens"]["lastError"]
    refused = targets["tradelens_wrong_token"]
    assert refused["health"] == "down" and "401" in refused["lastError"], refused
