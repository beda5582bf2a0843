"""The service's health (SPEC §11): what /health and `tradelens health` report, and the verdict.

The facts that outlive the process (counts, last success, per-component status, the inbox
ledger) come from the warehouse's run log; /health serves a copy of them kept in memory, read
at start and after each cycle, so a health probe never opens the DuckDB file while a cycle
holds its write lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from analytics.pipeline import COMPONENTS
from analytics.warehouse import connect, load_sql, query_rows

STALE_AFTER_INTERVALS = 2  # SPEC §11: unhealthy when the last success is older than this
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


def read_run_log(con: duckdb.DuckDBPyConnection) -> RunLog:
    summary = query_rows(con, load_sql("service/run_log_summary"))[0]
    components = {r["component"]: r for r in query_rows(con, load_sql("service/component_status"))}
    ordered = {n: components.pop(n) for n in COMPONENTS if n in components} | components
    return RunLog(
        **summary,
        components={name: _component(row) for name, row in ordered.items()},
        inbox=_inbox(con),
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


def _inbox(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    files: dict[str, dict[str, int]] = {}
    for row in query_rows(con, load_sql("service/inbox_summary")):
        files.setdefault(row["kind"], {})[row["status"]] = row["files"]
    recent = query_rows(con, load_sql("service/recent_quarantined"), {"limit": RECENT_QUARANTINED})
    return {
        "files": files,
        "ingested": sum(k.get("ingested", 0) for k in files.values()),
        "quarantined": sum(k.get("quarantined", 0) for k in files.values()),
        "recent_quarantined": [{**r, "seen_at": _iso(r["seen_at"])} for r in recent],
    }


@dataclass
class ServiceFacts:
    """What only the running process knows: its start, the cycle in progress, the next run."""

    started_at: datetime
    interval_min: float
    scheduler_alive: bool = False
    cycle_in_progress: bool = False
    current_step: str | None = None
    next_run_at: datetime | None = None
    cycle_errors: int = 0  # cycles that failed outside a run (warehouse busy, state_out unwritable)
    last_cycle_error: str | None = None
    run_log: RunLog = field(default_factory=RunLog)


class ServiceState:
    """ServiceFacts shared by the scheduler thread (writer) and HTTP handlers (readers)."""

    def __init__(self, facts: ServiceFacts) -> None:
        self._facts = facts
        self._lock = threading.Lock()

    def update(self, **changes: Any) -> None:
        with self._lock:
            self._facts = replace(self._facts, **changes)

    def count_cycle_error(self, message: str, counted: bool = True) -> None:
        """`counted=False` when the run log already counts it (a run that failed)."""
        with self._lock:
            self._facts = replace(
                self._facts,
                cycle_errors=self._facts.cycle_errors + int(counted),
                last_cycle_error=message,
            )

    def facts(self) -> ServiceFacts:
        with self._lock:
            return self._facts


def health_document(
    run_log: RunLog,
    interval_min: float,
    now: datetime | None = None,
    service: ServiceFacts | None = None,
) -> dict[str, Any]:
    """The /health JSON; without `service`, the same fields derived from the run log alone."""
    now = now or utc_now()
    healthy, status = verdict(run_log, interval_min, now, service)
    document = {
        "healthy": healthy,
        "status": status,
        "source": "service" if service else "warehouse",
        "running": bool(service and service.scheduler_alive),
        "last_run_age_sec": _age(run_log.last_run_at, now),
        "error_count": run_log.error_count + (service.cycle_errors if service else 0),
        "success_count": run_log.success_count,
        "components_available": run_log.components_available,
        "last_run_id": run_log.last_run_id,
        "last_run_status": run_log.last_run_status,
        "last_run_at": _iso(run_log.last_run_at),
        "last_run_error": run_log.last_run_error,
        "last_success_run_id": run_log.last_success_run_id,
        "last_success_at": _iso(run_log.last_success_at),
        "last_success_age_sec": _age(run_log.last_success_at, now),
        "published_run_id": run_log.published_run_id,
        "aborted_count": run_log.aborted_count,
        "interval_min": interval_min,
        "components": run_log.components,
        "inbox": run_log.inbox,
    }
    if service:
        document |= {
            "started_at": _iso(service.started_at),
            "uptime_sec": _age(service.started_at, now),
            "cycle_in_progress": service.cycle_in_progress,
            "current_step": service.current_step,
            "next_run_at": _iso(service.next_run_at),
            "cycle_errors": service.cycle_errors,
            "last_cycle_error": service.last_cycle_error,
        }
    return document


def verdict(
    run_log: RunLog, interval_min: float, now: datetime, service: ServiceFacts | None = None
) -> tuple[bool, str]:
    """Healthy unless the last success is older than two intervals (or, with no success yet,
    the service has been up that long), or the scheduler thread has died."""
    limit = timedelta(minutes=STALE_AFTER_INTERVALS * interval_min)
    if service and not service.scheduler_alive:
        return False, "scheduler stopped"
    if run_log.last_success_at is not None:
        if now - run_log.last_success_at.replace(tzinfo=UTC) <= limit:
            return True, "ok"
        return False, "stale: last success is older than two intervals"
    if service and now - service.started_at <= limit:
        return True, "starting: no successful run yet"
    return False, "no successful run yet"


def warehouse_health(warehouse: Path, interval_min: float | None) -> dict[str, Any]:
    """Health from the run log alone (read-only), for when no service answers.

    The interval is the one given, else the one the newest `serve` run recorded, else 60.
    """
    with connect(warehouse, read_only=True) as con:
        run_log = read_run_log(con)
    interval = interval_min or run_log.serve_interval_min or 60.0
    return health_document(run_log, interval)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _age(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    return round((now - moment.replace(tzinfo=UTC)).total_seconds(), 3)


def _epoch(moment: datetime | None) -> float:
    return moment.replace(tzinfo=UTC).timestamp() if moment else 0.0


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
