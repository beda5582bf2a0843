"""The page served at GET /: the outputs layer's HTML report with the health panel on top,
rendered once after each cycle (read-only, with the write lock released) and served from memory."""

from __future__ import annotations

import html
import json
import logging
from typing import Any

from analytics.context import Tradelens

log = logging.getLogger("tradelens.service.dashboard")


def render_dashboard(lens: Tradelens, health: dict[str, Any]) -> str:
    """The report with the health panel on top, else (if it fails) a plain health page."""
    try:
        return lens.report(health=health)
    except Exception as exc:
        log.exception("dashboard rendering failed; serving the health page instead")
        return placeholder_page(health, f"the report could not be rendered: {exc}")


def placeholder_page(health: dict[str, Any], note: str) -> str:
    """A self-contained page with the health JSON, before the first cycle or without a report."""
    state = "healthy" if health.get("healthy") else "unhealthy"
    body = html.escape(json.dumps(health, indent=2, default=str))
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>tradelens</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}"
        "pre{background:#f5f5f5;padding:1rem}</style></head><body>"
        f"<h1>tradelens service: {state}</h1><p>{html.escape(note)}</p>"
        f"<pre>{body}</pre></body></html>"
    )
