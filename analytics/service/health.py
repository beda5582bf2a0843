"""The service's health (SPEC §11): what /health and `tradelens health` report, and the verdict.

The facts that outlive the process (counts, last success, per-component status, the inbox
ledger) come from the warehouse's run log; /health serves a copy of them kept in memory, read
at start and after each cycle, so a health probe never opens the DuckDB file while a cycle
holds its write lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from analytics.context import Tradelens
from analytics.errors import TradelensError
from analytics.runlog import RunLog
from analytics.times import as_utc, iso_utc, utc_now

STALE_AFTER_INTERVALS = 2  # SPEC §11: unhealthy when the last success is older than this


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
        "learning_held": run_log.held,
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
        if now - as_utc(run_log.last_success_at) <= limit:
            return True, "ok"
        return False, "stale: last success is older than two intervals"
    if service and now - service.started_at <= limit:
        return True, "starting: no successful run yet"
    return False, "no successful run yet"


def _age(moment: datetime | None, now: datetime) -> float | None:
    if moment is None:
        return None
    return round((now - as_utc(moment)).total_seconds(), 3)


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment, timespec="seconds")


def probe_service(url: str, timeout: float) -> dict[str, Any] | None:
    """The service's /health JSON (a 503 carries it too), or None when nothing answers."""
    import json
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


def check_health(
    lens: Tradelens, url: str, timeout: float, *, require_service: bool, configured: bool
) -> dict[str, Any]:
    """The service's health at `url`; when none answers, the same fields derived from the
    warehouse's run log (read-only), with the configured interval (else the one the newest
    `serve` run recorded, else 60 min)."""
    document = probe_service(url, timeout)
    if document is not None:
        return document
    run_log = lens.run_log()
    interval = (lens.settings.interval_min if configured else None) or (
        run_log.serve_interval_min or 60.0
    )
    document = health_document(run_log, interval) | {"service_url": url}
    if require_service:
        document["healthy"], document["status"] = False, f"no service answers at {url}"
    return document
