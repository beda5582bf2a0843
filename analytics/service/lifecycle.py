"""`tradelens serve` from start to stop: HTTP up, scheduler running, a clean stop on a signal.

SIGTERM or SIGINT asks the scheduler to stop: the cycle in progress is abandoned at its next
step boundary (run_cycle raises RunAborted before publishing), or, if one query keeps it
longer than STOP_GRACE_SEC, that query is interrupted. Then the HTTP server stops and the
process exits 0. A second signal interrupts at once.

Off loopback the service needs a token, checked before the port is bound or a cycle runs.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from analytics.context import Tradelens
from analytics.errors import TradelensError
from analytics.service.health import ServiceFacts, ServiceState
from analytics.service.inbox import InboxScanner
from analytics.service.scheduler import Scheduler
from analytics.service.server import HttpServer, build_app, check_exposure
from analytics.service.telemetry import CONTENT_TYPE, ServiceMetrics
from analytics.times import utc_now

log = logging.getLogger("tradelens.service")

STOP_GRACE_SEC = 5.0  # a cycle gets this long to reach a step boundary before interruption
STOP_TIMEOUT_SEC = 60.0  # then the process leaves anyway; DuckDB drops the open transaction
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def run_service(lens: Tradelens, host: str, port: int, token: str | None = None) -> None:
    """Serve until a stop signal; returns after a clean stop (the command then exits 0).
    With `token`, every path but /health needs `Authorization: Bearer TOKEN`."""
    check_exposure(host, token)
    stop, force = threading.Event(), threading.Event()
    previous = {sig: signal.signal(sig, _on_signal(stop, force)) for sig in STOP_SIGNALS}
    scheduler: Scheduler | None = None
    http: HttpServer | None = None
    try:
        settings = lens.settings
        inbox = InboxScanner(settings)
        inbox.create_folders()
        state = ServiceState(ServiceFacts(started_at=utc_now(), interval_min=settings.interval_min))
        metrics = ServiceMetrics(interval_min=settings.interval_min)
        with lens.session():  # creates or upgrades the warehouse
            run_log = lens.run_log()
        state.update(run_log=run_log)
        metrics.observe_run_log(run_log)
        scheduler = Scheduler(lens, state, metrics, inbox)
        metrics.watch_scheduler(lambda: scheduler.alive)
        app = build_app(
            scheduler.health, metrics.exposition, CONTENT_TYPE, lambda: scheduler.page, token
        )
        http = HttpServer(app, host, port)  # binds the port: a taken one fails here
        if not stop.is_set():
            scheduler.start()
        http.start()
        log.info(
            "serving %s on %s (GET /health, /metrics, /%s); the run log holds %d successful runs "
            "and %d errors",
            lens.path,
            http.url,
            "; all but /health need the bearer token" if token is not None else "",
            run_log.success_count,
            run_log.error_count,
        )
        while not stop.wait(0.5):
            if not http.alive:
                raise TradelensError("the HTTP server stopped unexpectedly")
    finally:
        if scheduler is not None and scheduler.alive:
            _stop_scheduler(scheduler, force)
        if http is not None:
            http.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("service stopped")


def _on_signal(stop: threading.Event, force: threading.Event):
    def handle(signum: int, frame) -> None:
        if stop.is_set():
            force.set()
            log.info("second %s: interrupting the cycle now", signal.Signals(signum).name)
            return
        stop.set()
        log.info("%s received: stopping", signal.Signals(signum).name)

    return handle


def _stop_scheduler(scheduler: Scheduler, force: threading.Event) -> None:
    """Let the cycle end at a step boundary; interrupt its query if it takes too long."""
    scheduler.request_stop()
    started = time.monotonic()
    while not scheduler.join(0.2):
        waited = time.monotonic() - started
        if force.is_set() or waited > STOP_GRACE_SEC:
            scheduler.interrupt()
        if waited > STOP_GRACE_SEC + STOP_TIMEOUT_SEC:
            log.error("the cycle did not stop in time; leaving it (nothing half-published)")
            return
