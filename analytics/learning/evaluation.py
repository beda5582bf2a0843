"""SPEC §16: walk-forward evaluation. Does the learning help on decisions made after it learned?

The learning loop is replayed at every boundary t_k on the data as it was known then, and each
learned state S_k is scored on the decisions of the period after it, against the static initial
state, with what finally happened.

No boundary recomputes anything from scratch. Every outcome of the full data is known once, with
the boundary its decision is first seen at and the boundary its legs are first resolved at (the
first whose bars reach its exit lookup: before it, the outcome is pending; from it on, exactly
what the full data shows). The grids' statistics are then events (an outcome enters pending, and
turns into its final status), summed boundary by boundary: each boundary costs what resolved
since the previous one, plus its cells × days. Only what a moving state changes is computed
again: a new timing setting is replayed for the decisions known when it is first read (the
rest only if it is read again) and summed per period once, new weights re-score the weight grid
once, and the sizing grid's buckets follow the quartile edges of each boundary's view.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import polars as pl

from analytics.cell_stats import METRIC_COLUMNS, OFF, Recency, empty, merge, metrics, relabel
from analytics.components import LastEvaluation, RunContext, StateBefore
from analytics.config import Settings, step_minutes
from analytics.engines import DuckDBEngine, Engine, open_engine
from analytics.errors import TradelensError, one_line
from analytics.learning.significance import gain_test
from analytics.learning.sizing import KIND as MULTIPLIER
from analytics.learning.sizing import bucket_stats, learn_multipliers
from analytics.learning.state import LEARNED_SCHEMA
from analytics.learning.timing import KIND as TIMING
from analytics.learning.timing import grid_moments, learn_timing, with_all_population
from analytics.learning.update import objectives_equal
from analytics.learning.weights import KIND as WEIGHT
from analytics.learning.weights import POPULATION, learn_weights, load_cells, weight_cells
from analytics.scenarios.replay import prepare_run_inputs, replay
from analytics.scenarios.store import compute_run_outcomes, run_cells
from analytics.scenarios.timing import KINDS, timing_key
from analytics.times import iso_utc, stored_utc_now
from analytics.warehouse import Warehouse, load_sql

SCORED_KINDS = (WEIGHT, MULTIPLIER, TIMING)
LEARNED, STATIC = "learned", "static"  # the configured policy's lane, and the initial state
CELL_SPAN = 1_000_000  # event cells: boundary · CELL_SPAN + the cell of its grid
EVERY = 1 << 62  # "known by" past every boundary: every decision, those after the last included


@dataclass(frozen=True)
class Schedule:
    """The boundaries t_0 < … < t_K, and E: where the last period ends (with --end)."""

    boundaries: list[datetime]
    end_at: datetime | None


@dataclass
class EvaluationResult:
    evaluation_id: int
    boundaries: int
    summary: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    confidence: float = 0.9  # of the gains' intervals (SPEC §16)


def schedule(warehouse: Warehouse, settings: Settings, start: date | None, end: date | None):
    """SPEC §16's boundaries, or a one-line error saying why there is nothing to evaluate."""
    first_ts = warehouse.value("SELECT min(ts) FROM raw.decisions")
    if first_ts is None:
        raise TradelensError(
            "no decisions to evaluate: ingest the bot's trades and blocked trades first"
        )
    last_bar = warehouse.value("SELECT max(available_at) FROM raw.prices")
    horizon = _midnight(end) if end else last_bar
    if horizon is None:
        raise TradelensError("no price bars yet: nothing is known to evaluate against")
    if start is not None:
        t0 = _midnight(start)
    else:
        warm = first_ts + timedelta(days=settings.evaluate_warmup_days)
        t0 = _midnight(warm.date()) + (timedelta(days=1) if warm.time() != datetime.min.time()
                                       else timedelta(0))  # fmt: skip
    step = timedelta(minutes=step_minutes(settings.evaluate_every))
    boundaries = []
    t = t0
    while t <= horizon:
        boundaries.append(t)
        t += step
    if not boundaries:
        raise TradelensError(
            f"nothing to evaluate: the first boundary ({iso_utc(t0)}, decisions from "
            f"{iso_utc(first_ts)} plus {settings.evaluate_warmup_days:g} days of warm-up) is after "
            f"the end ({iso_utc(horizon)}); use --start, --end or a shorter evaluate_warmup_days"
        )
    return Schedule(boundaries, _midnight(end) if end else None)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@dataclass
class Walked:
    """One walk-forward, computed and not yet stored: what `store` writes in one transaction."""

    settings: Settings
    plan: Schedule
    as_of: datetime | None  # the greatest bar available_at it saw (SPEC §19)
    started_at: datetime
    steps: pl.DataFrame
    periods: pl.DataFrame
    summary: pl.DataFrame
    seconds: float


def evaluate(
    warehouse: Warehouse,
    settings: Settings,
    *,
    trigger: str = "cli",
    **options,
) -> EvaluationResult:
    """Replay the learning loop at every boundary and score it; publish it atomically. The
    evaluation is recorded `running` from the start, so one the process never finished is
    seen (and marked failed by the next). `options`: those of `walk`."""
    plan = schedule(warehouse, settings, options.get("start"), options.get("end"))
    warehouse.execute(
        "UPDATE evaluations SET status = 'failed', error = 'interrupted (process ended mid-way)' "
        "WHERE status = 'running'"
    )
    evaluation_id = _record(warehouse, settings.as_json(), plan, trigger, stored_utc_now(),
                            _as_of(warehouse))  # fmt: skip
    try:
        return store(warehouse, walk(warehouse, settings, **options), trigger, evaluation_id)
    except BaseException as exc:  # the store's transaction rolled back: the row stays running
        _record_failure(warehouse, evaluation_id, exc)
        raise


def walk(
    warehouse: Warehouse,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    policies: Sequence[str] = (),
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Walked:
    """SPEC §16 on the warehouse as it is now, stored nowhere: it needs only a read-only
    connection (the service walks outside its write window). `policies` walk forward beside
    the configured one (`learned`), each as its own rows."""
    started, started_at = time.monotonic(), stored_utc_now()
    plan = schedule(warehouse, settings, start, end)
    as_of = _as_of(warehouse)
    replayer = open_engine(warehouse, settings)
    try:
        walker = WalkForward(warehouse, settings, plan, replayer, policies)
        steps = walker.learn(on_progress, should_stop)
        periods, summary = walker.score()
    finally:
        replayer.close()
        warehouse.drop_temporaries()
    return Walked(settings, plan, as_of, started_at, steps, periods, summary,
                  time.monotonic() - started)  # fmt: skip


def store(
    warehouse: Warehouse, walked: Walked, trigger: str, evaluation_id: int | None = None
) -> EvaluationResult:
    """Publish a walk-forward in one transaction: its rows, and its evaluations row as
    `success` (the one recorded `running`, or a new one)."""
    with warehouse.transaction():
        if evaluation_id is None:
            evaluation_id = _record(warehouse, walked.settings.as_json(), walked.plan, trigger,
                                    walked.started_at, walked.as_of)  # fmt: skip
        _insert(warehouse, "evaluation_steps", evaluation_id, walked.steps)
        _insert(warehouse, "evaluation_periods", evaluation_id, walked.periods)
        _insert(warehouse, "evaluation_summary", evaluation_id, walked.summary)
        warehouse.execute(
            "UPDATE evaluations SET status = 'success', finished_at = ? WHERE evaluation_id = ?",
            [stored_utc_now(), evaluation_id],
        )
    return EvaluationResult(
        evaluation_id,
        len(walked.plan.boundaries),
        walked.summary.to_dicts(),
        walked.seconds,
        walked.settings.confidence,
    )


def store_failure(
    warehouse: Warehouse,
    settings: Settings,
    exc: BaseException,
    trigger: str,
    started_at: datetime,
    *,
    start: date | None = None,
    end: date | None = None,
) -> None:
    """Record a walk-forward that failed or was stopped before it could be stored."""
    try:
        plan = schedule(warehouse, settings, start, end)
    except TradelensError:
        return  # nothing to evaluate: nothing was attempted
    evaluation_id = _record(warehouse, settings.as_json(), plan, trigger, started_at,
                            _as_of(warehouse))  # fmt: skip
    _record_failure(warehouse, evaluation_id, exc)


def _record(warehouse: Warehouse, config: str, plan: Schedule, trigger: str,
            started_at: datetime, as_of: datetime | None) -> int:  # fmt: skip
    """A new evaluations row, `running`; its id."""
    evaluation_id = warehouse.value("SELECT coalesce(max(evaluation_id), 0) + 1 FROM evaluations")
    warehouse.execute(
        "INSERT INTO evaluations (evaluation_id, started_at, status, config, first_boundary, "
        "end_at, boundaries, trigger, as_of) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
        [evaluation_id, started_at, config, plan.boundaries[0], plan.end_at,
         len(plan.boundaries), trigger, as_of],
    )  # fmt: skip
    return evaluation_id


def _record_failure(warehouse: Warehouse, evaluation_id: int, exc: BaseException) -> None:
    stopped = isinstance(exc, KeyboardInterrupt) or "interrupt" in type(exc).__name__.lower()
    warehouse.execute(
        "UPDATE evaluations SET status = ?, finished_at = ?, error = ? WHERE evaluation_id = ?",
        ["aborted" if stopped else "failed", stored_utc_now(), one_line(exc), evaluation_id],
    )


def _as_of(warehouse: Warehouse) -> datetime | None:
    return warehouse.value("SELECT max(available_at) FROM raw.prices")


def _insert(warehouse: Warehouse, table: str, evaluation_id: int, rows: pl.DataFrame) -> None:
    if rows.is_empty():
        return
    warehouse.load_frame("evaluation_rows", rows)
    warehouse.execute(
        f"INSERT INTO history.{table} BY NAME "  # table: one of three fixed names
        "SELECT CAST(? AS BIGINT) AS evaluation_id, * FROM evaluation_rows",
        [evaluation_id],
    )
    warehouse.execute("DROP TABLE evaluation_rows")


class Events:
    """A grid's statistics as events by boundary; `at(k)` sums them up to boundary k (k never
    goes back, so each call adds only the boundaries since the last one)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.streams = [_by_boundary(frame)]
        self.k, self.stats = -1, empty()

    def at(self, k: int) -> pl.DataFrame:
        parts = [stream[(j,)] for stream in self.streams for j in range(self.k + 1, k + 1)
                 if (j,) in stream]  # fmt: skip
        if parts:
            self.stats = merge(self.stats, *parts)
        self.k = k
        return self.stats

    def moved(self, changes: pl.DataFrame) -> Events:
        """These events and `changes` (events that add to them, at any boundary): what was
        summed so far takes the changes up to the same boundary at once."""
        stream = _by_boundary(changes)
        done = [stream[(j,)] for j in range(self.k + 1) if (j,) in stream]
        self.streams.append(stream)
        if done:
            self.stats = merge(self.stats, *done)
        return self


def _by_boundary(frame: pl.DataFrame) -> dict:
    return frame.partition_by("k", as_dict=True, include_key=False)


@dataclass
class Lane:
    """One learning policy walked forward: `learned` (the configured policy) or one named by
    `tradelens evaluate --policies`; its state, its last evaluations, S_k at every boundary."""

    name: str
    settings: Settings
    state: StateBefore
    last: dict[str, LastEvaluation] = field(default_factory=dict)
    states: list[StateBefore] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    weight_events: tuple[dict, Events] | None = None


class WalkForward:
    """The data of one evaluation, and the learning loop over its boundaries."""

    def __init__(
        self,
        warehouse: Warehouse,
        settings: Settings,
        plan: Schedule,
        replayer: Engine,
        policies: Sequence[str] = (),
    ) -> None:
        self.warehouse, self.settings, self.plan = warehouse, settings, plan
        # What reads the bars (the outcomes, each setting's replay, the horizons) runs on the
        # run's engine (`replayer`); the statistics of each boundary, small and many, on the
        # warehouse connection, as a Spark run keeps its learning on the driver.
        self.replayer = replayer
        self.engine = replayer if isinstance(replayer, DuckDBEngine) else DuckDBEngine(warehouse)
        prepare_run_inputs(warehouse, replayer, settings)
        initial = (0.0, float(settings.default_hold_min))
        compute_run_outcomes(warehouse, replayer, settings, run_cells(settings, initial))
        replayer.to_warehouse("run_outcomes")
        warehouse.load_frame(
            "eval_boundaries",
            pl.DataFrame({"k": range(len(plan.boundaries)), "t": plan.boundaries},
                         schema={"k": pl.Int64, "t": pl.Datetime("us")}),
        )  # fmt: skip
        replayer.share("eval_boundaries")
        for table in ("eval_symbols", "eval_horizons"):
            replayer.table(table, load_sql(f"evaluation/{table.removeprefix('eval_')}"))
            replayer.to_warehouse(table)
        warehouse.temp_table("eval_decisions", load_sql("evaluation/decisions"))
        warehouse.temp_table(
            "eval_period_decisions",
            load_sql("evaluation/period_decisions"),
            {"last_period": len(plan.boundaries) - 1, "end_at": plan.end_at or "infinity"},
        )
        self.moments = {
            (r["entry_delay_min"], r["hold_min"]): r["moment_id"]
            for r in warehouse.rows("SELECT * FROM run_moments")
        }
        self.signals = self.engine.frame(load_sql("learning/signals_seen"))["signal"].to_list()
        self.first_seen = self._first_seen()
        cf_moment = warehouse.value("SELECT moment_id FROM run_moments WHERE is_counterfactual")
        self._boundaries_at([cf_moment], "run_outcomes", "eval_cf_boundaries")
        warehouse.temp_table("eval_counterfactuals", load_sql("evaluation/counterfactuals"))
        warehouse.temp_table(
            "eval_weight_population",
            load_sql("evaluation/weight_population"),
            {"components": self.signals, "score_block_reasons": list(settings.score_block_reasons)},
        )
        grid = [self.moments[m] for m in grid_moments(settings)] + [self.moments[initial]]
        self.timing_events: dict[int, Events] = {}
        self.timing_periods: dict[int, dict] = {}  # moment → period → its scored statistics
        self.covered: dict[int, int] = {}  # replayed moment → last k_known replayed there
        self._timing_events(list(dict.fromkeys(grid)), "run_outcomes")
        self.first_weight_stream: tuple[dict, pl.DataFrame] | None = None
        self.edges: list[list[float]] = []
        self.initial = StateBefore(
            {s: settings.initial_weights.get(s, 1.0) for s in self.signals}, {}, *initial
        )
        lanes = {LEARNED: settings} | {
            name: replace(settings, learning_policy=name) for name in policies
        }
        self.lanes = [Lane(name, lane, self.initial) for name, lane in lanes.items()]

    # --- the learning loop ----------------------------------------------------------------

    def learn(self, on_progress, should_stop) -> pl.DataFrame:
        """S_k of every lane at every boundary, in lockstep (the lanes share the timing and
        sizing statistics of each boundary); the learned_state rows of each, with its boundary
        and lane (`policy`)."""
        total = len(self.plan.boundaries)
        for k, t in enumerate(self.plan.boundaries):
            if should_stop():
                raise KeyboardInterrupt("stop requested")
            seen = [s for s in self.signals if self.first_seen.get(s, total) <= k]
            if not seen and not self._any_decision(k):
                for lane in self.lanes:
                    lane.states.append(lane.state)  # a view without decisions: S_k = S_(k−1)
                self.edges.append(self.edges[-1] if self.edges else [])
                on_progress(k + 1, total)
                continue
            edges = self._edges_at(t)
            self.edges.append(edges or [])
            buckets = None if edges is None else self._buckets_at(t, edges)
            for lane in self.lanes:
                self._step(lane, k, t, seen, edges, buckets)
            on_progress(k + 1, total)
        rows = [row for lane in self.lanes for row in lane.rows]
        return pl.DataFrame(
            rows, schema={"boundary": pl.Datetime("us"), "policy": pl.String, **LEARNED_SCHEMA}
        )

    def _step(self, lane: Lane, k: int, t: datetime, seen: list[str], edges, buckets) -> None:
        """One lane's decisions at boundary k: S_k from S_(k−1)."""
        run = RunContext(
            self.engine, self.warehouse, lane.settings, _with_signals(lane.state, seen, self),
            Recency(self.settings.half_life_days, t.date()), lane.last, as_of=t,
        )  # fmt: skip
        timing_stats = self._timing_stats(k, (run.before.entry_delay_min, run.before.hold_min))
        timing_rows, timing_found = learn_timing(run, timing_stats)
        cells = weight_cells(seen, run.before.weights, self.settings.weight_variations)
        _, weight_rows, weight_found = learn_weights(run, self._weight_stats(k, run, lane), cells)
        sizing_rows, sizing_found = [], None
        if buckets is not None:
            _, sizing_rows, sizing_found = learn_multipliers(run, buckets, edges)
        label = f"boundary {iso_utc(t)}"
        for found in (timing_found, weight_found, sizing_found):
            if found is not None:
                lane.last = lane.last | {found.kind: LastEvaluation(
                    found.digest, found.setting, found.current, label, t)}  # fmt: skip
        learned = weight_rows + sizing_rows + timing_rows
        lane.state = _after(run.before, learned)
        lane.states.append(lane.state)
        lane.rows += [{"boundary": t, "policy": lane.name, **row} for row in learned]

    def _buckets_at(self, t: datetime, edges: list[float]) -> pl.DataFrame:
        return bucket_stats(self.engine, edges, t)

    def _timing_stats(self, k: int, current: tuple[float, float]) -> pl.DataFrame:
        moment_id = self._replayed(current, k, with_events=True)
        if moment_id not in self.timing_events:  # a moment of the full run off the grid
            self._timing_events([moment_id], "run_outcomes")
        wanted = [self.moments[m] for m in grid_moments(self.settings)] + [self.moments[current]]
        parts = [self.timing_events[m].at(k) for m in dict.fromkeys(wanted)]
        moments = list(dict.fromkeys([*grid_moments(self.settings), current]))
        return with_all_population(merge(*parts), moments)

    def _timing_events(self, moment_ids: list[int], source: str) -> None:
        """The grid's events at these moments, from the outcomes `source` holds (added to
        those of a moment's decisions replayed before)."""
        self._boundaries_at(moment_ids, source, "eval_timing_outcomes")
        frame = self.engine.frame(load_sql("evaluation/timing_events"))
        names = {m: (d, h) for (d, h), m in self.moments.items()}
        keyed = _timing_keys(frame, names)
        for m in moment_ids:
            mine = keyed.filter(pl.col("cell").is_in([timing_key(*names[m], k) for k in KINDS]))
            known = self.timing_events.get(m)
            self.timing_events[m] = Events(mine) if known is None else known.moved(mine)

    def _timing_periods(self, moment_ids: list[int], source: str) -> None:
        """Each period's scored timing statistics at each of these moments, by period (the
        periods of the decisions `source` holds)."""
        self._event_moments(moment_ids, source)
        frame = self.engine.frame(load_sql("evaluation/timing_periods")).with_columns(
            (pl.col("cell_id") // CELL_SPAN).alias("k"), (pl.col("cell_id") % CELL_SPAN).alias("m")
        )
        for m in moment_ids:
            periods = _by_boundary(frame.filter(pl.col("m") == m).drop("m"))
            self.timing_periods[m] = self.timing_periods.get(m, {}) | periods

    def _event_moments(self, moment_ids: list[int], source: str) -> None:
        """eval_event_moments: these moments, whose outcomes `source` holds."""
        wanted = pl.DataFrame({"moment_id": moment_ids}, schema={"moment_id": pl.Int32})
        self.warehouse.load_frame("eval_event_moments", wanted)
        self.warehouse.temp_view("eval_event_outcomes", f"{_OUTCOME_COLUMNS} FROM {source}")

    def _boundaries_at(self, moment_ids: list[int], source: str, target: str) -> None:
        self._event_moments(moment_ids, source)
        self.warehouse.temp_table(target, load_sql("evaluation/outcome_boundaries"))

    def _replayed(self, moment: tuple[float, float], known_by: int, *, with_events: bool) -> int:
        """The moment of a timing setting, its outcomes known for every decision first seen
        by boundary `known_by` (EVERY: all of them). A setting off the grid (a timing step) is
        replayed for what is known when it is first read; most settings of a moving policy
        are read at one boundary only. Read again later, it is replayed for all the rest."""
        moment_id = self.moments.get(moment)
        if moment_id is None:
            moment_id = self.moments[moment] = max(self.moments.values()) + 1
            self.covered[moment_id] = -1  # no decision yet
        covered = self.covered.get(moment_id, EVERY)  # the full run's moments: every decision
        if covered >= known_by:
            return moment_id
        upto = known_by if covered < 0 else EVERY
        self.warehouse.temp_table(
            "eval_replay_keys",
            "SELECT decision_key FROM eval_decisions "
            "WHERE coalesce(k_known, $every) > $after AND coalesce(k_known, $every) <= $upto",
            {"every": EVERY, "after": covered, "upto": upto},
        )
        self.warehouse.load_frame(
            "eval_new_moments",
            pl.DataFrame([(moment_id, *moment)], orient="row",
                         schema={"moment_id": pl.Int32, "entry_delay_min": pl.Float64,
                                 "hold_min": pl.Float64}),
        )  # fmt: skip
        for name in ("eval_replay_keys", "eval_new_moments"):
            self.replayer.share(name)
        replay(self.replayer, "eval_replayed", "evaluation", "evaluation", self.settings)
        self.replayer.to_warehouse("eval_replayed")
        self.covered[moment_id] = upto
        if with_events:
            self._timing_events([moment_id], "eval_replayed")
        self._timing_periods([moment_id], "eval_replayed")
        return moment_id

    def _weight_stats(self, k: int, run: RunContext, lane: Lane) -> pl.DataFrame:
        """The weight grid's statistics at boundary k under the lane's weights of S_(k−1): the
        event stream of the first weights (the same for every lane), then, at each step, the
        events of what flips."""
        weights = {s: run.before.weights.get(s, self.initial.weights[s]) for s in self.signals}
        if lane.weight_events is None:
            if self.first_weight_stream is None:
                self.first_weight_stream = (weights, self._weight_event_stream(weights))
            first, stream = self.first_weight_stream
            lane.weight_events = (first, Events(stream))
        if lane.weight_events[0] != weights:
            old, events = lane.weight_events
            lane.weight_events = (weights, events.moved(self._weight_event_stream(weights, old)))
        return lane.weight_events[1].at(k)

    def _weight_event_stream(
        self, weights: dict[str, float], before: dict[str, float] | None = None
    ) -> pl.DataFrame:
        cells = weight_cells(self.signals, weights, self.settings.weight_variations)
        old = None if before is None else weight_cells(
            self.signals, before, self.settings.weight_variations)  # fmt: skip
        load_cells(self.engine, cells, old)
        frame = self.engine.frame(
            load_sql("evaluation/weight_events"),
            {"score_threshold": self.settings.score_threshold, "with_population": before is None},
        )
        names = {0: POPULATION} | {c + 1: key for c, key in zip(cells["cell_id"], cells["key"],
                                                                  strict=True)}  # fmt: skip
        return _keyed_by(frame, names)

    def _edges_at(self, t: datetime) -> list[float] | None:
        if self.settings.score_buckets:
            return list(self.settings.score_buckets)
        edges = self.engine.frame(load_sql("evaluation/edges_at"), {"t": t})["edges"][0]
        return list(edges) if edges is not None else None

    def _first_seen(self) -> dict[str, int]:
        rows = self.warehouse.rows(load_sql("evaluation/signals_first_seen"))
        return {r["signal"]: r["k"] for r in rows}

    def _any_decision(self, k: int) -> bool:
        return bool(self.warehouse.value(
            "SELECT count(*) FROM eval_decisions WHERE k_known <= ?", [k]))  # fmt: skip

    # --- scoring --------------------------------------------------------------------------

    def score(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Every period under each lane's S_k and S_init (SPEC §16's periods and summary)."""
        last = len(self.plan.boundaries) - 1
        names = [lane.name for lane in self.lanes] + [STATIC]
        lanes = len(names)
        policies, timing = [], []
        for k in range(last + 1):
            chosen_states = [lane.states[k] for lane in self.lanes] + [self.initial]
            for policy, chosen in enumerate(chosen_states):
                edges = self.edges[k] if names[policy] != STATIC else []
                multipliers = [chosen.multipliers.get(b, 1.0) for b in range(len(edges) + 1)]
                weights = [chosen.weights.get(s, self.initial.weights[s]) for s in self.signals]
                policies.append((k, policy, weights, edges, multipliers))
                cell = str((k * lanes + policy) * 3 + 2)
                moment = (chosen.entry_delay_min, chosen.hold_min)
                timing.append((k, self._moment_scored(moment, k), cell))
        self.warehouse.load_frame(
            "eval_periods",
            pl.DataFrame(policies, orient="row", schema={
                "k": pl.Int64, "policy": pl.Int64, "weights": pl.List(pl.Float64),
                "edges": pl.List(pl.Float64), "multipliers": pl.List(pl.Float64)}),
        )  # fmt: skip
        stats = self.engine.frame(
            load_sql("evaluation/scored"),
            {"components": self.signals, "score_threshold": self.settings.score_threshold,
             "policies": lanes, "score_block_reasons": list(self.settings.score_block_reasons)},
        )  # fmt: skip
        timed = [relabel(self.timing_periods[m][(k,)], cell) for k, m, cell in timing
                 if (k,) in self.timing_periods[m]]  # fmt: skip
        stats = merge(stats.with_columns(pl.col("cell_id").cast(pl.String).alias("cell")), *timed)
        cells = [(k, policy, kind) for k in range(last + 1) for kind in range(3)
                 for policy in range(lanes)]  # fmt: skip
        table = metrics(stats, [str((k * lanes + p) * 3 + kind) for k, p, kind in cells], OFF)
        keys = pl.DataFrame(
            [(self.plan.boundaries[k], SCORED_KINDS[kind], names[p]) for k, p, kind in cells],
            schema={"boundary": pl.Datetime("us"), "kind": pl.String, "policy": pl.String},
            orient="row",
        )
        periods = pl.concat([keys, table.drop("cell")], how="horizontal")
        return periods, _summary(stats, periods, names, self.settings)

    def _moment_scored(self, moment: tuple[float, float], k: int) -> int:
        """The moment of S_k's (delay, hold), with the timing statistics of period k (its
        decisions are first seen at boundary k + 1; the last period's, after every one)."""
        last = len(self.plan.boundaries) - 1
        moment_id = self._replayed(moment, k + 1 if k < last else EVERY, with_events=False)
        if moment_id not in self.timing_periods:  # a moment of the full run's grid
            self._timing_periods([moment_id], "run_outcomes")
        return moment_id


def _summary(
    stats: pl.DataFrame, periods: pl.DataFrame, names: list[str], settings: Settings
) -> pl.DataFrame:
    """Per kind and policy: every period's scored outcomes together; for each learning lane,
    its gain in weighted P&L over `static`, the share of periods where it did at least as
    well, and whether the gain is real (SPEC §16)."""
    last = periods["boundary"].n_unique() - 1
    rows = []
    for kind_index, kind in enumerate(SCORED_KINDS):
        static_pnl = None
        for p in reversed(range(len(names))):  # static (the last lane) first: the baseline
            cells = [str((k * len(names) + p) * 3 + kind_index) for k in range(last + 1)]
            together = relabel(stats.filter(pl.col("cell").is_in(cells)), "all")
            row = {"kind": kind, "policy": names[p],
                   **metrics(together, ["all"], OFF).drop("cell").to_dicts()[0]}  # fmt: skip
            if names[p] == STATIC:
                static_pnl = row["weighted_pnl"]
                row |= dict.fromkeys(GAIN_COLUMNS)
            else:
                row |= _gain(periods, kind, names[p], row["weighted_pnl"] - static_pnl, settings)
            rows.append(row)
    order = {name: i for i, name in enumerate(names)}
    kinds = {k: i for i, k in enumerate(SCORED_KINDS)}
    types = dict.fromkeys(GAIN_COLUMNS[:-1], pl.Float64) | {"verdict": pl.String}
    summary = pl.DataFrame(rows, schema_overrides=types)
    return summary.sort(
        pl.col("kind").replace_strict(kinds), pl.col("policy").replace_strict(order)
    ).select("kind", "policy", *METRIC_COLUMNS, *GAIN_COLUMNS)


GAIN_COLUMNS = ("gain_weighted_pnl", "periods_better", "gain_p_value", "gain_lo", "gain_hi",
                "verdict")  # fmt: skip


def _gain(periods: pl.DataFrame, kind: str, policy: str, gain: float, settings: Settings) -> dict:
    """A lane's gain over static on one kind: the total, the share of periods at least as good,
    and SPEC §16's test over date blocks of the boundaries."""
    mine = periods.filter(pl.col("kind") == kind)
    paired = (
        mine.filter(pl.col("policy") == policy).select("boundary", "n", "weighted_pnl")
        .join(mine.filter(pl.col("policy") == STATIC).select("boundary", "n", "weighted_pnl"),
              on="boundary", suffix="_static")
        .sort("boundary")
    )  # fmt: skip
    pairs = paired.select("weighted_pnl", "weighted_pnl_static", "n", "n_static").iter_rows()
    judged = [(a, b) for a, b, na, nb in pairs if na + nb > 0]
    wins = sum(1 for a, b in judged if a >= b or objectives_equal(a, b))
    blocks = (
        paired.group_by(pl.col("boundary").dt.date().alias("day"))
        .agg((pl.col("weighted_pnl").fill_null(0) - pl.col("weighted_pnl_static").fill_null(0))
             .sum().alias("y"))
        .sort("day")
    )  # fmt: skip
    test = gain_test(blocks["y"].to_numpy(), samples=settings.bootstrap_samples,
                     seed=settings.bootstrap_seed, confidence=settings.confidence)  # fmt: skip
    return {
        "gain_weighted_pnl": gain,
        "periods_better": wins / len(judged) if judged else None,
        "gain_p_value": test.p_value,
        "gain_lo": test.lo,
        "gain_hi": test.hi,
        "verdict": test.verdict,
    }


def _after(before: StateBefore, learned: list[dict]) -> StateBefore:
    """S_k: the settings after this boundary's steps."""
    weights = dict(before.weights)
    multipliers = dict(before.multipliers)
    timing = {"entry_delay_min": before.entry_delay_min, "hold_min": before.hold_min}
    for row in learned:
        if row["kind"] == WEIGHT:
            weights[row["name"]] = row["after"]
        elif row["kind"] == MULTIPLIER:
            multipliers[int(row["name"])] = row["after"]
        else:
            timing[row["name"]] = row["after"]
    return replace(before, weights=weights, multipliers=multipliers, **timing)


def _with_signals(state: StateBefore, seen: list[str], walk: WalkForward) -> StateBefore:
    """The state over the signals seen so far (one first seen starts at its initial weight)."""
    weights = {s: state.weights.get(s, walk.initial.weights[s]) for s in seen}
    return replace(state, weights=weights)


def _keyed_by(frame: pl.DataFrame, names: dict[int, str]) -> pl.DataFrame:
    """Event cells (k · CELL_SPAN + cell) as a `k` column and the cell's key."""
    return frame.with_columns(
        (pl.col("cell_id") // CELL_SPAN).alias("k"),
        (pl.col("cell_id") % CELL_SPAN).replace_strict(names, return_dtype=pl.String).alias("cell"),
    ).drop("cell_id")


def _timing_keys(frame: pl.DataFrame, names: dict[int, tuple[float, float]]) -> pl.DataFrame:
    keys = {m * 2 + i: timing_key(d, h, kind)
            for m, (d, h) in names.items() for i, kind in enumerate(KINDS)}  # fmt: skip
    return _keyed_by(frame, keys)


_OUTCOME_COLUMNS = (  # of run_outcomes and of a replay (eval_replayed)
    "SELECT decision_key, moment_id, kind, weight, status, pnl, ret, entry_t, exit_t"
)


def verdict(summary: list[dict], confidence: float = 0.9) -> list[str]:
    """One line per kind and learning policy, for people: its out-of-sample gain over static
    and SPEC §16's verdict (the only place "helped" or "hurt" comes from)."""
    lines = []
    static = {r["kind"]: r for r in summary if r["policy"] == STATIC}
    for row in summary:
        if row["policy"] == STATIC:
            continue
        base = static[row["kind"]]
        better = row["periods_better"]
        share = "no period with a resolved outcome" if better is None else (
            f"at least as good in {better:.0%} of periods")  # fmt: skip
        interval = "" if row["gain_p_value"] is None else (
            f" ({confidence:.0%} interval {row['gain_lo']:+,.2f} to {row['gain_hi']:+,.2f}, "
            f"p = {row['gain_p_value']:.3g})")  # fmt: skip
        lines.append(
            f"{row['kind']} ({row['policy']}): {row['verdict']}: gain "
            f"{row['gain_weighted_pnl']:+,.2f}{interval}; learned {row['weighted_pnl']:+,.2f} "
            f"vs static {base['weighted_pnl']:+,.2f} weighted P&L, {share}"
        )
    return lines
