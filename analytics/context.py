"""The one door into tradelens: a `Tradelens` opened on a warehouse file and settings.

The CLI, the service, the demo, the benchmarks and the tests all go through it: it opens the
warehouse (read-only where a call only reads), and each method is one thing a user does:

    lens = Tradelens("warehouse/tradelens.duckdb", load_settings("tradelens.toml"))
    lens.ingest("prices", ["bars.parquet"], interval="1m")
    result = lens.run()
    lens.write_state("bot/learned_state.json")

A call opens the warehouse for itself and closes it after. `with lens.session():` holds one
connection across calls instead (the service's cycle keeps the write lock from the inbox pickup
to the state file, and lets read-only users in between cycles).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.config import Settings, load_settings, warehouse_path
from analytics.errors import TradelensError
from analytics.ingest import IngestReport, ingest_file, parse_interval
from analytics.pipeline import COMPONENT_NAMES, RunResult, run_recompute
from analytics.runlog import RunLog, read_run_log
from analytics.times import stored_utc_now
from analytics.versions import PruneReport, prune
from analytics.warehouse import (
    Warehouse,
    init_warehouse,
    load_sql,
    open_warehouse,
    published_version,
)

if TYPE_CHECKING:
    from analytics.learning.evaluation import EvaluationResult


@dataclass
class IngestBatch:
    """What `Tradelens.ingest` did with each file: a report, or why the file was refused."""

    reports: list[IngestReport] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


class Tradelens:
    """A warehouse and the settings to learn with."""

    def __init__(
        self,
        warehouse: str | Path | None = None,
        settings: Settings | None = None,
        *,
        config: str | Path | None = None,
    ) -> None:
        """`warehouse`: the DuckDB file (default: $TRADELENS_WAREHOUSE, else
        warehouse/tradelens.duckdb). `settings`, else those of `config` (default:
        ./tradelens.toml if present, else built-in), read when first needed."""
        self.path = warehouse_path(str(warehouse) if warehouse is not None else None)
        self._settings = settings
        self._config = config
        self._held: Warehouse | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self._config)
        return self._settings

    def __repr__(self) -> str:
        return f"Tradelens({str(self.path)!r})"

    # --- connections ----------------------------------------------------------------------

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Tradelens]:
        """Hold one connection for every call in the block (a writer holds the write lock)."""
        if self._held is not None:
            raise RuntimeError("a session is already open on this Tradelens")
        with open_warehouse(self.path, read_only=read_only, create=not read_only) as warehouse:
            self._held = warehouse
            try:
                yield self
            finally:
                self._held = None

    @contextmanager
    def warehouse(self, *, write: bool = False) -> Iterator[Warehouse]:
        """The open warehouse: the session's, else one opened for this call (a writer creates
        the file when it is missing)."""
        if self._held is not None:
            if write and self._held.read_only:
                raise TradelensError("this session is read-only: open one for writing")
            yield self._held
            return
        with open_warehouse(self.path, read_only=not write, create=write) as warehouse:
            yield warehouse

    def interrupt(self) -> None:
        """Cancel the query the session is running (from another thread): a slow stop."""
        held = self._held
        if held is not None:
            held.interrupt()

    # --- what users do --------------------------------------------------------------------

    def init(self) -> str:
        """Create the warehouse (if needed) and bring its schema to head; the revision."""
        return init_warehouse(self.path)

    def ingest(
        self,
        kind: str,
        paths: Sequence[str | Path],
        *,
        bar_time: str = "open",
        interval: str | None = None,
        on_stage: Callable[[Path, str], None] = lambda path, stage: None,
    ) -> IngestBatch:
        """Load files of `kind` (prices, trades, blocked), each in one transaction; a file that
        cannot be read at all is refused in one line and the others still load."""
        parse_interval(interval)  # a bad --interval is a usage error before any work
        batch = IngestBatch()
        with self.warehouse(write=True) as warehouse:
            for name in paths:
                path = Path(name)
                try:
                    batch.reports.append(
                        ingest_file(warehouse, path, kind, bar_time=bar_time, interval=interval,
                                    on_stage=lambda stage, path=path: on_stage(path, stage))
                    )  # fmt: skip
                except TradelensError as exc:
                    batch.failures.append(str(exc))
        return batch

    def run(
        self,
        *,
        full: bool = False,
        only: Sequence[str] | None = None,
        trigger: str = "run",
        on_start: Callable[[int], None] = lambda run_id: None,
        on_step: Callable[[str], None] = lambda step: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunResult:
        """One recompute, published as a new version (SPEC §10)."""
        settings = self.settings  # a broken config is refused before the warehouse is touched
        with self.warehouse(write=True) as warehouse:
            return run_recompute(
                warehouse, settings, trigger=trigger, only=only, full=full,
                on_start=on_start, on_step=on_step, should_stop=should_stop,
            )  # fmt: skip

    def evaluate(self, **options: Any) -> EvaluationResult:
        """SPEC §16: replay the learning loop at every `evaluate_every` boundary on the data as
        it was known then, score each learned state on the decisions after it against the
        static initial state, and publish the evaluation (atomically, like a version).
        `options`: those of analytics.learning.evaluation.evaluate (start, end, policies,
        trigger, on_progress, should_stop)."""
        from analytics.learning.evaluation import evaluate

        with self.warehouse(write=True) as warehouse:
            return evaluate(warehouse, self.settings, **options)

    def evaluate_outside_write_window(self, *, trigger: str, **options: Any) -> EvaluationResult:
        """`evaluate`, walked on a read-only connection (other readers keep the file; a writer
        waits only for the short store at the end), then stored like `evaluate`'s. A walk that
        fails or is stopped is recorded as such; a refusal (nothing to evaluate yet, the file busy)
        is not. The service's daily evaluation (SPEC §19); called outside any session."""
        from analytics.learning.evaluation import store, store_failure, walk

        settings, started_at = self.settings, stored_utc_now()
        try:
            with self.session(read_only=True), self.warehouse() as warehouse:  # interruptible
                walked = walk(warehouse, settings, **options)
        except TradelensError:  # nothing to evaluate yet, or the file busy: try next cycle
            raise
        except BaseException as exc:
            with self.warehouse(write=True) as warehouse:
                store_failure(warehouse, settings, exc, trigger, started_at,
                              start=options.get("start"), end=options.get("end"))  # fmt: skip
            raise
        with self.warehouse(write=True) as warehouse:
            return store(warehouse, walked, trigger)

    def summary(self, version: int | None = None) -> dict:
        """What a published version learned, every figure: its inputs, what blocking cost or
        saved, each learned setting with why it moved or stayed (analytics/outputs/summary.py)."""
        from analytics.outputs.summary import run_summary

        with self.warehouse() as warehouse:
            return run_summary(warehouse, published_version(warehouse, version))

    def state(self, version: int | None = None) -> dict:
        """The learned state the bot reads (SPEC §10), of a published version."""
        from analytics.learning.state import state_document

        with self.warehouse() as warehouse:
            return state_document(warehouse, version)

    def holds(self) -> dict:
        """SPEC §19: the kinds the evaluation guard holds now (kind → Hold)."""
        from analytics.learning.guard import holds

        with self.warehouse() as warehouse:
            return holds(warehouse, self.settings)

    def evaluation_due(self) -> bool:
        """SPEC §19: whether the service's daily walk-forward evaluation is due."""
        from analytics.learning.guard import evaluation_due

        with self.warehouse() as warehouse:
            return evaluation_due(warehouse, self.settings)

    def write_state(self, path: str | Path, version: int | None = None) -> dict:
        """`state` written atomically to `path`; nothing is written for an unknown version."""
        from analytics.learning.state import write_state_json

        document = self.state(version)
        write_state_json(Path(path), document)
        return document

    def export(
        self, to: str | Path, *, file_format: str = "parquet", version: int | None = None
    ) -> dict:
        """Every table of a version as files, with a manifest; the folder is swapped whole."""
        from analytics.outputs.export import export_version

        with self.warehouse() as warehouse:
            return export_version(warehouse, Path(to), file_format, version)

    def export_jsonl(self, to: str | Path, version: int | None = None) -> dict[str, int]:
        """The old tools' logs (comprehensive_learning.jsonl, counterfactual_results.jsonl)."""
        from analytics.outputs.export import export_jsonl

        with self.warehouse() as warehouse:
            return export_jsonl(warehouse, Path(to), version)

    def report(self, version: int | None = None, health: dict | None = None) -> str:
        """The HTML report of a version (self-contained, with charts)."""
        from analytics.outputs.report import build_report

        with self.warehouse() as warehouse:
            return build_report(warehouse, version, health)

    def prune(self, keep: int) -> PruneReport:
        """Remove all but the newest `keep` published versions (SPEC §17), in one transaction;
        latest is never removed, evaluations are kept."""
        with self.warehouse(write=True) as warehouse, warehouse.transaction():
            return prune(warehouse, keep)

    def versions(self, limit: int = 20) -> tuple[list[str], list[tuple]]:
        """The run log, newest first, with the row counts of each version."""
        if limit < 1:
            raise TradelensError(f"--limit must be at least 1, not {limit}")
        return self.sql(load_sql("warehouse/versions"), {"limit": limit})

    def sql(self, query: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
        """A read-only query (writes are refused): its columns and rows."""
        from analytics.sql_access import run_query

        with self.warehouse() as warehouse:
            return run_query(warehouse, query, params)

    def rows(self, query: str, params: Any = None) -> list[dict]:
        """Rows of a read-only query as dicts: for tests and small scripts."""
        columns, rows = self.sql(query, params)
        return [dict(zip(columns, row, strict=True)) for row in rows]

    def run_log(self) -> RunLog:
        """Counts, the newest run and success, per-component status, the inbox ledger."""
        with self.warehouse() as warehouse:
            return read_run_log(warehouse, COMPONENT_NAMES)
