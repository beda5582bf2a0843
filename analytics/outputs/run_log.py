"""The report's run log: the newest runs with their status and trigger, and each run's
components as chips (ok, failed, carried forward from an earlier run) for component health."""

from __future__ import annotations

from analytics.outputs.html import (
    badge,
    card,
    escape,
    header_cells,
    moment_text,
    table,
    table_row,
)
from analytics.outputs.report_queries import report_rows
from analytics.warehouse import Warehouse

RUN_LOG_LIMIT = 25
RUN_HEADERS = ("run", "started (UTC)", "seconds", "status", "published", "trigger",
               "components", "error")  # fmt: skip


def run_log_section(warehouse: Warehouse, selected: int | None) -> str:
    """The newest RUN_LOG_LIMIT runs, the `selected` one (the version shown) highlighted."""
    runs = report_rows(warehouse, "run_log", limit=RUN_LOG_LIMIT)
    if not runs:
        return card("run-log", "Run log", "<p>No runs yet.</p>")
    body = "".join(_run_row(r, selected) for r in runs)
    about = (
        f"<p class='muted'>the newest {RUN_LOG_LIMIT} runs; failed components keep the "
        "previous version's output (carried)</p>"
    )
    runs_table = table("class='runs'", header_cells(RUN_HEADERS), body)
    return card("run-log", "Run log and component health", about + runs_table)


def _run_row(run: dict, selected: int | None) -> str:
    cells = [
        str(run["run_id"]),
        escape(moment_text(run["started_at"])),
        "" if run["seconds"] is None else f"{run['seconds']:.2f}",
        badge(run["status"], run["status"]),
        "yes" if run["published"] else "no",
        escape(run["trigger"]),
        "".join(_component_chip(c) for c in run["components"] or []),
        escape(run["error"] or ""),
    ]
    return table_row(cells, " class='selected'" if run["run_id"] == selected else "")


def _component_chip(component: dict) -> str:
    carried_from = component["carried_from"]
    carried = "" if carried_from is None else f" (from run {carried_from})"
    status = escape(component["status"])
    return (
        f"<span class='chip {status}' title='{escape(_component_note(component))}'>"
        f"{escape(component['component'])}: {status}{carried}</span>"
    )


def _component_note(component: dict) -> str:
    note = f"{component['attempts']} attempt(s)"
    if component["carried_from"] is not None:
        note += f", output carried from run {component['carried_from']}"
    if component["error"]:
        note += f": {component['error']}"
    return note
