"""The page served at GET /: the outputs layer's HTML report with the live health panel on top,
rendered once after each cycle (read-only, with the write lock released) and served from memory.
The panel refreshes itself from /health while the page is open, so its figures never freeze."""

from __future__ import annotations

import logging
from typing import Any

from analytics.context import Tradelens
from analytics.errors import one_line
from analytics.outputs.health_panel import health_page

log = logging.getLogger("tradelens.service.dashboard")


def render_dashboard(lens: Tradelens, health: dict[str, Any]) -> str:
    """The report with the health panel on top, else (if it fails) the health panel alone."""
    try:
        return lens.report(health=health)
    except Exception as exc:
        log.exception("dashboard rendering failed; serving the health page instead")
        return placeholder_page(health, f"the report could not be rendered: {one_line(exc)}")


def placeholder_page(health: dict[str, Any], note: str) -> str:
    """The live health panel and a note, before the first cycle or without a report."""
    return health_page(health, note)
