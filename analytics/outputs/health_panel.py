"""The service's health panel for operators (GET / puts it on top of the report): the /health
document's figures under plain labels, ages in words, the components and the inbox as tables.

Every value carries its /health field and format (`data-field`, `data-format`); the page's
script (static/health_panel.js) polls /health (same origin) every HEALTH_POLL_SEC seconds and
shows each fresh document in the same elements, tables rebuilt from their rows. A page opened
from a file has no service to ask and keeps the figures it was rendered with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from analytics.outputs.health_formats import run_text, seconds_ago, shown
from analytics.outputs.html import badge, escape, inline, moment_text, page, table
from analytics.times import utc_now

HEALTH_POLL_SEC = 5


@dataclass(frozen=True)
class Part:
    """One value of the panel: a /health field (a dotted path) shown in a format that the page's
    script applies again to every fresh /health document."""

    field: str
    format: str
    after: str = ""


FACTS = (
    ("last successful run", (Part("last_success_run_id", "run"),
                             Part("last_success_age_sec", "age"),
                             Part("last_success_at", "time"))),
    ("last run", (Part("last_run_id", "run"), Part("last_run_status", "status"),
                  Part("last_run_age_sec", "age"))),
    ("running", (Part("running", "yesno"),)),
    ("cycle in progress", (Part("cycle_in_progress", "yesno"), Part("current_step", "step"))),
    ("next cycle", (Part("next_run_at", "relative"),)),
    ("successful runs", (Part("success_count", "count"),)),
    ("errors", (Part("error_count", "count", after=" (failed or partial runs, failed cycles)"),)),
    ("aborted runs", (Part("aborted_count", "count", after=" (stopped mid-cycle)"),)),
    ("published version", (Part("published_run_id", "run"),)),
    ("components available", (Part("components_available", "list"),)),
    ("inbox files", (Part("inbox.ingested", "count", after=" ingested"),
                     Part("inbox.quarantined", "count", after=" quarantined"))),
    ("cycle every", (Part("interval_min", "minutes"),)),
    ("service started", (Part("uptime_sec", "age"), Part("started_at", "time"))),
)  # fmt: skip
ERROR_FACTS = (
    ("last run's error", (Part("last_run_error", "error"),)),
    ("last failed cycle", (Part("last_cycle_error", "error"),)),
    ("cycles that failed since the service started", (Part("cycle_errors", "count"),)),
)


@dataclass(frozen=True)
class LiveTable:
    """A table of the panel from a /health field: a list of rows, or a dict of rows by key."""

    title: str
    source: str
    row_key: str
    columns: tuple[tuple[str, str, str], ...]  # (field, header, format)
    empty: str


TABLES = (
    LiveTable("Components", "components", "component", (
        ("component", "component", "text"), ("status", "status", "status"),
        ("attempts", "attempts", "number"), ("seconds", "took", "duration"),
        ("rows", "rows", "number"), ("carried_from", "output carried from", "carried"),
        ("last_ok_run_id", "last ok", "run"), ("error", "last error", "error"),
    ), "no run has recorded its components yet"),
    LiveTable("Inbox: files per kind and verdict", "inbox.files", "kind", (
        ("kind", "kind", "text"), ("ingested", "ingested", "count"),
        ("quarantined", "quarantined", "count"),
    ), "no inbox file seen yet"),
    LiveTable("Inbox: recently quarantined files", "inbox.recent_quarantined", "path", (
        ("path", "file", "text"), ("kind", "kind", "text"), ("reason", "reason", "error"),
        ("seen_at", "seen", "relative"),
    ), "none quarantined"),
    LiveTable("Learning held at its static setting (the evaluation guard)", "learning_held",
              "kind", (("kind", "kind", "text"), ("note", "why", "error")),
              "nothing held: the latest walk-forward found no kind losing"),
)  # fmt: skip


def panel_script() -> str:
    """The script that refreshes the panel, for the end of a page that has one."""
    return inline("script", "health_panel.js")


def health_page(health: dict, note: str) -> str:
    """The live health panel alone, for when there is no report to show (yet); it points to a
    reload once a version newer than the one published now is."""
    panel = health_panel(health, health.get("published_run_id"))
    sections = [panel, f"<section class='card'><p>{escape(note)}</p></section>"]
    return page("tradelens service", sections, tail=panel_script())


def health_panel(health: dict, shown_version: int | None) -> str:
    """Plain labels, ages in words, the inbox and the last errors as tables; `shown_version` is
    the version of the page, so that a newer one published since offers a reload."""
    now = utc_now()
    facts = _facts(FACTS, health, now)
    errors = _facts(ERROR_FACTS, health, now)
    tables = "".join(_live_table(t, health, now) for t in TABLES if _has(health, t.source))
    notice = (
        "<p class='notice' data-new-version hidden>"
        f"<span data-field='published_run_id' data-format='run'>"
        f"{escape(run_text(shown_version))}</span>"
        " is published: <a href=''>reload</a> to see its report</p>"
    )
    return (
        f"<section class='card health' id='health' data-version='{escape(shown_version or '')}' "
        f"data-every-ms='{HEALTH_POLL_SEC * 1000}' data-polls='0'>"
        f"<h2>Service health {_health_badge(health)}</h2>"
        f"<p class='muted' data-refreshed>as of {escape(moment_text(now))} UTC; while the "
        f"service is up the page refreshes these figures from /health every {HEALTH_POLL_SEC} "
        f"seconds</p>{notice}<dl class='facts'>{facts}</dl>"
        + (f"<h3>Last errors</h3><dl class='facts errors'>{errors}</dl>" if errors else "")
        + f"{tables}</section>"
    )


def _facts(facts: tuple, health: dict, now: datetime) -> str:
    """The facts and parts whose fields the document has (the warehouse's lacks some)."""
    return "".join(
        f"<div class='fact'><dt>{escape(label)}</dt><dd>"
        + "".join(_part(p, health, now, first=i == 0) for i, p in enumerate(present))
        + "</dd></div>"
        for label, parts in facts
        if (present := [p for p in parts if _has(health, p.field)])
    )


def _part(part: Part, health: dict, now: datetime, *, first: bool) -> str:
    """A value with its own separator, so that an empty value (no current step) hides both."""
    value = _pick(health, part.field)
    separator = "" if first else "<span class='sep'> · </span>"
    empty = shown(part.format, value, seconds_ago(part.format, value, now)) == ""
    return (
        f"<span class='part'{' hidden' if empty else ''}>{separator}"
        f"{_value_element('span', part.field, part.format, value, now)}"
        f"{escape(part.after)}</span>"
    )


def _value_element(tag: str, field: str, fmt: str, value: Any, now: datetime) -> str:
    """One value in an element the script fills again; an age or a moment also carries its
    seconds (data-seconds), as the script leaves them."""
    seconds = seconds_ago(fmt, value, now)
    extra = "" if seconds is None else f" data-seconds='{seconds:.3f}'"
    return (
        f"<{tag} data-field='{escape(field)}' data-format='{fmt}'{extra}>"
        f"{shown(fmt, value, seconds)}</{tag}>"
    )


def _live_table(live: LiveTable, health: dict, now: datetime) -> str:
    head = "".join(
        f"<th data-field='{f}' data-format='{fmt}'>{escape(header)}</th>"
        for f, header, fmt in live.columns
    )
    rows = _rows_of(_pick(health, live.source), live.row_key)
    body = (
        "".join(
            "<tr>"
            + "".join(_value_element("td", f, fmt, row.get(f), now) for f, _, fmt in live.columns)
            + "</tr>"
            for row in rows
        )
        if rows
        else f"<tr><td colspan='{len(live.columns)}' class='muted'>{escape(live.empty)}</td></tr>"
    )
    attributes = (
        f"class='live' data-rows='{live.source}' data-row-key='{live.row_key}' "
        f"data-empty='{escape(live.empty)}'"
    )
    return f"<h3>{escape(live.title)}</h3>" + table(attributes, head, body)


def _rows_of(value: Any, row_key: str) -> list[dict]:
    """A /health table's rows: a list as it is, a dict's rows with their key as `row_key`."""
    if isinstance(value, dict):
        return [{row_key: key, **row} for key, row in value.items()]
    return list(value or [])


def _health_badge(health: dict) -> str:
    state = "healthy" if health.get("healthy") else "unhealthy"
    text = f"{state}: {health['status']}" if health.get("status") else state
    return badge(state, text, " data-verdict")


def _pick(document: dict, path: str) -> Any:
    """The value at a dotted path (None where the path does not lead)."""
    value: Any = document
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _has(document: dict, path: str) -> bool:
    *parents, last = path.split(".")
    holder = _pick(document, ".".join(parents)) if parents else document
    return isinstance(holder, dict) and last in holder
