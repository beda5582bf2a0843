"""The run log as the service and `tradelens health` report it: counts, the newest run and
success, per-component status and the inbox ledger, read from the warehouse in a few queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.times import as_utc, iso_utc
from analytics.warehouse import Warehouse, load_sql

RECENT_QUARANTINED = 5


@dataclass(frozen=True)
class RunLog:
    """What the warehouse knows about past runs, as of the last time it was read."""

    success_count: int = 0
    error_count: int = 0
    aborted_count: int = 0
    last_run_id: int | None = None
    last_run_status: str | None = None
    last_run_at: datetime | None = None
    last_run_error: str | None = None
    last_success_run_id: int | None = None
    last_success_at: datetime | None = None
    published_run_id: int | None = None
    serve_interval_min: float | None = None
    components: dict[str, dict] = field(default_factory=dict)
    inbox: dict[str, Any] = field(default_factory=dict)
    held: dict[str, dict] = field(default_factory=dict)  # SPEC §19: kind → {note: why held}

    @property
    def components_available(self) -> list[str]:
        """Components whose output the newest published version holds (fresh or carried)."""
        return [name for name, c in self.components.items() if c["available"]]

    @property
    def last_success_at_epoch(self) -> float:
        return _epoch(self.last_success_at)

    @property
    def last_run_at_epoch(self) -> float:
        return _epoch(self.last_run_at)


def read_run_log(warehouse: Warehouse, component_order: Sequence[str] = ()) -> RunLog:
    """The run log now; components listed in `component_order` first, in that order."""
    summary = warehouse.rows(load_sql("service/run_log_summary"))[0]
    components = {r["component"]: r for r in warehouse.rows(load_sql("service/component_status"))}
    ordered = {n: components.pop(n) for n in component_order if n in components} | components
    return RunLog(
        **summary,
        components={name: _component(row) for name, row in ordered.items()},
        inbox=_inbox(warehouse),
        held={r.pop("kind"): r for r in warehouse.rows(load_sql("service/held_kinds"))},
    )


def _component(row: dict) -> dict:
    return {
        "status": row["status"],
        "run_id": row["run_id"],
        "attempts": row["attempts"],
        "seconds": round(row["seconds"], 3),
        "rows": row["rows"],
        "carried_from": row["carried_from"],
        "error": row["error"],
        "last_ok_run_id": row["last_ok_run_id"],
        "available": row["available"],
    }


def _inbox(warehouse: Warehouse) -> dict[str, Any]:
    files: dict[str, dict[str, int]] = {}
    for row in warehouse.rows(load_sql("service/inbox_summary")):
        files.setdefault(row["kind"], {})[row["status"]] = row["files"]
    recent = warehouse.rows(load_sql("service/recent_quarantined"), {"limit": RECENT_QUARANTINED})
    return {
        "files": files,
        "ingested": sum(k.get("ingested", 0) for k in files.values()),
        "quarantined": sum(k.get("quarantined", 0) for k in files.values()),
        "recent_quarantined": [{**r, "seen_at": iso_utc(r["seen_at"], "seconds")} for r in recent],
    }


def _epoch(moment: datetime | None) -> float:
    return as_utc(moment).timestamp() if moment else 0.0
