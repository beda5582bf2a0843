"""The service's cycle, run at start and then every `interval_min` in a background thread.

A cycle opens the warehouse for writing, picks up inbox files, recomputes and publishes a
version (run_cycle), writes the bot's learned-state JSON, reads the run log back for /health,
and closes the warehouse again: between cycles the file is free for read-only users
(`tradelens sql`, the DuckDB CLI, dashboards). Once per UTC day of data the cycle then walks
the evaluation forward on a read-only connection, outside the write window, and publishes
again only if its verdicts change the holds (SPEC §19). No exception ends the loop; a stop request
abandons the cycle at the next step boundary, before anything is published.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextvars import Token
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from analytics.context import Tradelens
from analytics.errors import TradelensError, one_line
from analytics.pipeline import RunAborted, RunResult
from analytics.service.dashboard import placeholder_page, render_dashboard
from analytics.service.health import ServiceState, health_document
from analytics.service.inbox import InboxScanner
from analytics.service.logs import RUN_ID
from analytics.service.telemetry import ServiceMetrics
from analytics.times import utc_now

log = logging.getLogger("tradelens.service.scheduler")

READER_GAP_SEC = 2.0  # least pause between cycles, so read-only users get a turn at the file


class Scheduler:
    def __init__(
        self, lens: Tradelens, state: ServiceState, metrics: ServiceMetrics, inbox: InboxScanner
    ) -> None:
        self.lens = lens
        self.settings = lens.settings
        self.state = state
        self.metrics = metrics
        self.inbox = inbox
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tradelens-scheduler", daemon=True)
        self._run_id: int | None = None  # the run the current cycle publishes
        self.page = ""

    # -- control, from the main thread

    def start(self) -> None:
        self._thread.start()
        self.page = placeholder_page(self.health(), "the first cycle is running")

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float) -> bool:
        """True once the thread has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def interrupt(self) -> None:
        """Cancel the query the cycle is running (DuckDB rolls it back); for a slow stop."""
        with contextlib.suppress(duckdb.Error):  # the cycle may have closed its connection
            self.lens.interrupt()

    def health(self) -> dict[str, Any]:
        facts = replace(self.state.facts(), scheduler_alive=self.alive)
        return health_document(facts.run_log, self.settings.interval_min, service=facts)

    # -- the loop, in the scheduler thread

    def _loop(self) -> None:
        interval_sec = self.settings.interval_min * 60
        log.info("scheduler started: a cycle now and every %g min", self.settings.interval_min)
        while not self._stop.is_set():
            started = time.monotonic()
            self.state.update(next_run_at=utc_now() + timedelta(seconds=interval_sec))
            self.run_once()
            if self._stop.is_set():
                break
            next_start = max(
                started + interval_sec, time.monotonic() + min(READER_GAP_SEC, interval_sec)
            )
            wait_sec = next_start - time.monotonic()
            self.state.update(next_run_at=utc_now() + timedelta(seconds=wait_sec))
            self._stop.wait(wait_sec)
        log.info("scheduler stopped")

    def run_once(self) -> None:
        """One cycle; whatever happens, the loop goes on."""
        t0 = time.monotonic()
        self.state.update(cycle_in_progress=True, current_step="opening the warehouse")
        self.metrics.cycle_running.set(1)
        outcome: str | None = None  # set when the cycle ends without a run result
        self._run_id = None
        try:
            self._cycle()
        except (RunAborted, duckdb.InterruptException):
            outcome = "aborted"
            log.info("cycle abandoned on a stop request: nothing of it was published")
        except Exception as exc:
            outcome = "error"
            log.exception("cycle failed: %s", one_line(exc))
            self._count_error(exc)
        finally:
            self.metrics.observe_cycle_end(time.monotonic() - t0, outcome)
            self.metrics.cycle_running.set(0)
            self.state.update(cycle_in_progress=False, current_step=None)
        if outcome != "aborted":
            self._render_page()

    def _count_error(self, exc: Exception) -> None:
        """A run that failed is counted by the run log already; anything else is counted here."""
        run_log = self.state.facts().run_log
        failed_run = run_log.last_run_id == self._run_id and run_log.last_run_status in (
            "failed",
            "partial",
        )
        self.state.count_cycle_error(one_line(exc), counted=not failed_run)

    def _cycle(self) -> None:
        """The run in the write window; then, when due, the daily evaluation outside it (the
        file stays readable), and a short write window again if its verdicts changed the
        holds."""
        token: Token | None = None

        def started(run_id: int) -> None:
            # The write lock is held until the session ends: new inbox files land in this run.
            nonlocal token
            self._run_id = run_id
            token = RUN_ID.set(run_id)
            log.info("cycle started")
            self._step("inbox")
            pickup = self.inbox.pick_up(self.lens, run_id, self._stop.is_set)
            self.metrics.observe_pickup(pickup)

        try:
            with self.lens.session():
                self._publish(on_start=started)
                due = self.lens.evaluation_due()
            changed = due and not self._stop.is_set() and self._daily_evaluation()
            if changed and not self._stop.is_set():
                with self.lens.session():
                    self._publish()  # the holds the evaluation changed
        finally:
            if token is not None:
                RUN_ID.reset(token)

    def _publish(self, on_start: Callable[[int], None] = lambda run_id: None) -> None:
        """One run in the open write session, logged, with the bot's state file written."""
        try:
            result = self.lens.run(
                trigger="serve",
                on_start=on_start,
                on_step=self._step,
                should_stop=self._stop.is_set,
            )
            self.metrics.observe_run(result)
            self._log_run(result)
            if self.settings.state_out and (result.published or result.same_as):
                self._write_state(result.run_id if result.published else result.same_as)
        finally:
            self._refresh()

    def _daily_evaluation(self) -> bool:
        """SPEC §19: once per UTC day of data, the walk-forward evaluation whose verdicts hold
        or release kinds of learned settings, walked outside the write window; whether the
        holds changed."""
        before = self.lens.holds()
        self._step("evaluating (walk-forward)")
        try:
            result = self.lens.evaluate_outside_write_window(
                trigger="serve",
                on_progress=lambda done, total: self.state.update(
                    current_step=f"evaluating: boundary {done} of {total}"
                ),
                should_stop=self._stop.is_set,
            )
        except TradelensError as exc:  # e.g. still inside the warm-up: nothing to evaluate yet
            log.info("daily evaluation skipped: %s", one_line(exc))
            return False
        except KeyboardInterrupt as exc:  # a stop request: abandon the cycle like a run's
            raise RunAborted("stop requested") from exc
        after = self.lens.holds()
        log.info(
            "evaluation %d: %d boundaries in %.1fs; held: %s",
            result.evaluation_id,
            result.boundaries,
            result.seconds,
            ", ".join(h.note for h in after.values()) or "none",
        )
        return before.keys() != after.keys() or any(
            before[k].evaluation_id != after[k].evaluation_id for k in after
        )

    def _step(self, step: str) -> None:
        self.state.update(current_step=step)
        log.info("step: %s", step)

    def _log_run(self, result: RunResult) -> None:
        summary = ", ".join(f"{c.name} {c.status}" for c in result.components)
        log.info(
            "run %d %s in %.2fs (%s)",
            result.run_id,
            result.status,
            result.seconds,
            summary,
            extra={"fields": {"status": result.status, "seconds": round(result.seconds, 3)}},
        )
        for c in result.components:
            if c.status == "failed":
                carried = f"; output carried from run {c.carried_from}" if c.carried_from else ""
                log.warning(
                    "component %s failed after %d attempts: %s%s",
                    c.name,
                    c.attempts,
                    c.error,
                    carried,
                    extra={"fields": {"component": c.name}},
                )

    def _write_state(self, run_id: int) -> None:
        self._step("writing the learned state")
        path = Path(self.settings.state_out)
        self.lens.write_state(path, run_id)
        log.info("learned state of run %d written to %s", run_id, path)

    def _refresh(self) -> None:
        """Read the run log back for /health while the session is still open."""
        try:
            run_log = self.lens.run_log()
        except duckdb.Error as exc:
            log.warning("could not read the run log back: %s", one_line(exc))
            return
        self.state.update(run_log=run_log)
        self.metrics.observe_run_log(run_log)

    def _render_page(self) -> None:
        """Render GET / with the write lock released, so the report opens the file read-only."""
        self.page = render_dashboard(self.lens, self.health())
