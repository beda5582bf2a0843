"""Prometheus metrics of the service (GET /metrics), in a registry of their own.

Counters count what this process did since it started (Prometheus expects resets on restart);
the run-log gauges (`tradelens_runs_*`, the timestamps) carry what the warehouse remembers. The
alert rules and the Grafana dashboard under deploy/ are written against these names
(tests/test_deploy.py holds them to what /metrics exports).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from analytics.ingest import IngestReport
from analytics.learning.guard import LEARNED_KINDS
from analytics.pipeline import COMPONENT_NAMES, RunResult
from analytics.runlog import RunLog
from analytics.service.inbox import PickupReport

CONTENT_TYPE = CONTENT_TYPE_LATEST
CYCLE_BUCKETS_SEC = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
INGEST_KINDS = ("prices", "trades", "blocked")
INBOX_VERDICTS = ("ingested", "quarantined")
# a run's status (unchanged: nothing new to learn from, SPEC §14), or how a cycle ended without one
CYCLE_OUTCOMES = ("success", "partial", "failed", "unchanged", "error", "aborted")


class ServiceMetrics:
    def __init__(self, interval_min: float | None = None) -> None:
        """`interval_min`: the service's configured interval; when not given, the one the newest
        `serve` run recorded in the run log is exported (known after the first cycle)."""
        self.registry = CollectorRegistry(auto_describe=True)
        counter = functools.partial(Counter, registry=self.registry)
        gauge = functools.partial(Gauge, registry=self.registry)
        self.cycle_seconds = Histogram(
            "tradelens_cycle_duration_seconds",
            "Wall time of a service cycle: inbox pickup, recompute, publish, state JSON",
            buckets=CYCLE_BUCKETS_SEC,
            registry=self.registry,
        )
        self.cycles = counter(
            "tradelens_cycles",
            "Service cycles by outcome (success, partial, failed: the run's status; "
            "error: the cycle raised; aborted: stopped on request)",
            ["outcome"],
        )
        self.rows_ingested = counter(
            "tradelens_rows_ingested", "Rows loaded from inbox files (accepted)", ["kind"]
        )
        self.rows_rejected = counter(
            "tradelens_rows_rejected", "Rows of inbox files sent to raw.rejects", ["kind"]
        )
        self.inbox_files = counter(
            "tradelens_inbox_files",
            "Inbox files by verdict (ingested, quarantined)",
            ["kind", "status"],
        )
        self.component_errors = counter(
            "tradelens_component_errors",
            "Components that failed after their retries (output carried forward), and cycle "
            "errors outside any component (component=cycle)",
            ["component"],
        )
        self.component_stale_cycles = gauge(
            "tradelens_component_stale_cycles",
            "Cycles in a row whose run did not compute the component fresh (failed or carried "
            "forward); 0 after a fresh computation; unchanged runs leave it as it was",
            ["component"],
        )
        self.interval = gauge(
            "tradelens_interval_seconds",
            "Configured time between cycle starts (interval_min), for staleness alerts",
        )
        self.started = gauge(
            "tradelens_service_start_timestamp_seconds", "Unix time this service process started"
        )
        self.last_success = gauge(
            "tradelens_last_success_timestamp_seconds",
            "Unix time the newest successful run finished (0 if none)",
        )
        self.last_run = gauge(
            "tradelens_last_run_timestamp_seconds",
            "Unix time the newest run finished, whatever its status (0 if none)",
        )
        self.runs_succeeded = gauge(
            "tradelens_runs_success", "Successful runs in the warehouse's run log"
        )
        self.runs_errored = gauge(
            "tradelens_runs_error", "Failed or partial runs in the warehouse's run log"
        )
        self.published_run = gauge(
            "tradelens_published_run_id", "run_id of the version latest.* shows"
        )
        self.scheduler_up = gauge("tradelens_scheduler_up", "1 while the scheduler thread runs")
        self.learning_held = gauge(
            "tradelens_learning_held",
            "1 while the evaluation guard holds a kind of learned setting at its static value "
            "(its walk-forward verdict is hurt, SPEC §19), else 0",
            ["kind"],
        )
        self.cycle_running = gauge(
            "tradelens_cycle_in_progress", "1 while a cycle holds the write lock"
        )
        # Zero-valued series exist from the start, as dashboards expect, and so that
        # increase() sees a counter's first event (a series born at 1 shows no increase).
        for kind in INGEST_KINDS:
            self.rows_ingested.labels(kind)
            self.rows_rejected.labels(kind)
            for verdict in INBOX_VERDICTS:
                self.inbox_files.labels(kind, verdict)
        for outcome in CYCLE_OUTCOMES:
            self.cycles.labels(outcome)
        for component in (*COMPONENT_NAMES, "cycle"):
            self.component_errors.labels(component)
        for component in COMPONENT_NAMES:
            self.component_stale_cycles.labels(component)
        for kind in LEARNED_KINDS:
            self.learning_held.labels(kind)
        self._interval_known = interval_min is not None
        if interval_min is not None:
            self.interval.set(interval_min * 60)
        self.started.set(time.time())

    def watch_scheduler(self, alive: Callable[[], bool]) -> None:
        self.scheduler_up.set_function(lambda: float(alive()))

    def observe_pickup(self, report: PickupReport) -> None:
        for item, result in report.ingested:
            self._count_ingest(item.kind, result)
            self.inbox_files.labels(item.kind, "ingested").inc()
        for item, _ in report.quarantined:
            self.inbox_files.labels(item.kind, "quarantined").inc()

    def _count_ingest(self, kind: str, result: IngestReport) -> None:
        self.rows_ingested.labels(kind).inc(result.accepted)
        self.rows_rejected.labels(kind).inc(result.rejected)

    def observe_run(self, result: RunResult) -> None:
        self.cycles.labels(result.status).inc()
        # An unchanged run records no components: it neither resets nor extends a stale streak.
        for component in result.components:
            streak = self.component_stale_cycles.labels(component.name)
            if component.status == "ok":
                streak.set(0)
            else:
                streak.inc()
            if component.status == "failed":
                self.component_errors.labels(component.name).inc()

    def observe_cycle_end(self, seconds: float, outcome: str | None = None) -> None:
        """`outcome` for cycles that ended without a run result: error or aborted."""
        self.cycle_seconds.observe(seconds)
        if outcome:
            self.cycles.labels(outcome).inc()
            if outcome == "error":
                self.component_errors.labels("cycle").inc()

    def observe_run_log(self, run_log: RunLog) -> None:
        self.last_success.set(run_log.last_success_at_epoch)
        self.last_run.set(run_log.last_run_at_epoch)
        self.runs_succeeded.set(run_log.success_count)
        self.runs_errored.set(run_log.error_count)
        self.published_run.set(run_log.published_run_id or 0)
        for kind in LEARNED_KINDS:
            self.learning_held.labels(kind).set(1.0 if kind in run_log.held else 0.0)
        if not self._interval_known and run_log.serve_interval_min:
            self.interval.set(run_log.serve_interval_min * 60)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
