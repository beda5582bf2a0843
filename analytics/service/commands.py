"""CLI commands of the service layer (serve, health), registered by analytics.cli."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from analytics.cli_support import config_option, current_warehouse, example
from analytics.errors import TradelensError

DEFAULT_URL = "http://127.0.0.1:8765"


@click.command(epilog=example("tradelens serve --config tradelens.toml --port 8765"))
@config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="TCP port"
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object a line, with run_id on every line of a cycle",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
def serve(config_path: str | None, host: str, port: int, log_format: str, log_level: str) -> None:
    """Run the service: a cycle now and every `interval_min`, with /health, /metrics and /.

    A cycle ingests new files from the inbox folders (inbox_prices, inbox_trades,
    inbox_blocked), recomputes and publishes a version, and writes the learned state to
    state_out. The warehouse is open for writing only during a cycle, so `tradelens sql`
    and other read-only users work in between. SIGTERM or Ctrl-C stops cleanly (exit 0).
    """
    from analytics.config import load_settings
    from analytics.service.lifecycle import run_service
    from analytics.service.logs import setup_logging

    settings = load_settings(config_path)
    setup_logging(log_format, log_level)
    run_service(current_warehouse(), settings, host, port)


@click.command(epilog=example(f"tradelens health --url {DEFAULT_URL}"))
@click.option("--url", default=DEFAULT_URL, show_default=True, help="where the service listens")
@config_option
@click.option("--timeout", default=5.0, show_default=True, help="seconds to wait for the service")
@click.option(
    "--require-service", is_flag=True, help="unhealthy (exit 1) when no service answers at URL"
)
def health(url: str, config_path: str | None, timeout: float, require_service: bool) -> None:
    """Print the service's health as JSON; exit 0 when healthy, 1 when not.

    Asks the service at URL. When none answers, derives the same fields from the warehouse's
    run log (read-only): healthy when the last successful run is at most two intervals old
    (interval_min from --config, else the one the newest `serve` run recorded).
    """
    document = _service_health(url, timeout)
    if document is None:
        document = _warehouse_health(config_path)
        document["service_url"] = url
        if require_service:
            document["healthy"], document["status"] = False, f"no service answers at {url}"
    click.echo(json.dumps(document, indent=2, default=str))
    if not document["healthy"]:
        click.get_current_context().exit(1)


def _service_health(url: str, timeout: float) -> dict[str, Any] | None:
    """The service's /health JSON (a 503 carries it too), or None when nothing answers."""
    import urllib.error
    import urllib.request

    endpoint = url.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(endpoint, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read())
        except ValueError:
            message = f"{endpoint} answered HTTP {exc.code} without health JSON"
            raise TradelensError(message) from None
    except (urllib.error.URLError, OSError):
        return None
    except ValueError:
        raise TradelensError(f"{endpoint} did not answer with health JSON") from None


def _warehouse_health(config_path: str | None) -> dict[str, Any]:
    from analytics.config import DEFAULT_CONFIG_FILE, load_settings
    from analytics.service.health import warehouse_health

    configured = config_path is not None or Path(DEFAULT_CONFIG_FILE).is_file()
    interval = load_settings(config_path).interval_min if configured else None
    return warehouse_health(current_warehouse(), interval)


COMMANDS: list[click.Command] = [serve, health]
