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
again: a new timing setting is replayed once, new weights re-score the weight grid once, and the
sizing grid's buckets follow the quartile edges of each boundary's view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import polars as pl

from analytics.cell_stats import METRIC_COLUMNS, OFF, Recency, empty, merge, metrics, relabel
from analytics.components import LastEvaluation, RunContext, StateBefore
from analytics.config import Settings, step_minutes
from analytics.engines import DuckDBEngine
from analytics.errors import TradelensError, one_line
from analytics.learning.sizing import KIND as MULTIPLIER
from analytics.learning.sizing import learn_multipliers
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
POLICIES = ("learned", "static")
CELL_SPAN = 1_000_000  # event cells: boundary · CELL_SPAN + the cell of its grid


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


def evaluate(
    warehouse: Warehouse,
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> EvaluationResult:
    """Replay the learning loop at every boundary and score it; publish it atomically."""
    started = time.monotonic()
    plan = schedule(warehouse, settings, start, end)
    warehouse.execute(
        "UPDATE evaluations SET status = 'failed', error = 'interrupted (process ended mid-way)' "
        "WHERE status = 'running'"
    )
    evaluation_id = warehouse.value("SELECT coalesce(max(evaluation_id), 0) + 1 FROM evaluations")
    warehouse.execute(
        "INSERT INTO evaluations (evaluation_id, started_at, status, config, first_boundary, "
        "end_at, boundaries) VALUES (?, ?, 'running', ?, ?, ?, ?)",
        [evaluation_id, stored_utc_now(), settings.as_json(), plan.boundaries[0],
         plan.end_at, len(plan.boundaries)],
    )  # fmt: skip
    try:
        walk = WalkForward(warehouse, settings, plan)
        steps = walk.learn(on_progress, should_stop)
        periods, summary = walk.score()
        with warehouse.transaction():
            _insert(warehouse, "evaluation_steps", evaluation_id, steps)
            _insert(warehouse, "evaluation_periods", evaluation_id, periods)
            _insert(warehouse, "evaluation_summary", evaluation_id, summary)
            warehouse.execute(
                "UPDATE evaluations SET status = 'success', finished_at = ? "
                "WHERE evaluation_id = ?",
                [stored_utc_now(), evaluation_id],
            )
    except BaseException as exc:
        stopped = isinstance(exc, KeyboardInterrupt) or "interrupt" in type(exc).__name__.lower()
        warehouse.execute(
            "UPDATE evaluations SET status = ?, finished_at = ?, error = ? WHERE evaluation_id = ?",
            ["aborted" if stopped else "failed", stored_utc_now(), one_line(exc), evaluation_id],
        )
        raise
    finally:
        warehouse.drop_temporaries()
    return EvaluationResult(
        evaluation_id, len(plan.boundaries), summary.to_dicts(), time.monotonic() - started
    )


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


class WalkForward:
    """The data of one evaluation, and the learning loop over its boundaries."""

    def __init__(self, warehouse: Warehouse, settings: Settings, plan: Schedule) -> None:
        self.warehouse, self.settings, self.plan = warehouse, settings, plan
        self.engine = DuckDBEngine(warehouse)  # the walk-forward reads the warehouse's own history
        prepare_run_inputs(warehouse, self.engine, settings)
        initial = (0.0, float(settings.default_hold_min))
        compute_run_outcomes(warehouse, self.engine, settings, run_cells(settings, initial))
        warehouse.load_frame(
            "eval_boundaries",
            pl.DataFrame({"k": range(len(plan.boundaries)), "t": plan.boundaries},
                         schema={"k": pl.Int64, "t": pl.Datetime("us")}),
        )  # fmt: skip
        warehouse.temp_table("eval_horizons", load_sql("evaluation/horizons"))
        warehouse.temp_table("eval_decisions", load_sql("evaluation/decisions"))
        warehouse.temp_table(
            "eval_moment_rows",
            "SELECT moment_id, entry_delay_min, hold_min, is_counterfactual FROM run_moments",
        )
        warehouse.temp_table("eval_extra_outcomes", _EMPTY_EXTRA)
        warehouse.temp_view("eval_moments", "SELECT * FROM eval_moment_rows")
        warehouse.temp_view("eval_outcomes", _EVAL_OUTCOMES)
        self.moments = {
            (r["entry_delay_min"], r["hold_min"]): r["moment_id"]
            for r in warehouse.rows("SELECT * FROM eval_moment_rows")
        }
        self.signals = self.engine.frame(load_sql("learning/signals_seen"))["signal"].to_list()
        self.first_seen = self._first_seen()
        cf_moment = warehouse.value(
            "SELECT moment_id FROM eval_moment_rows WHERE is_counterfactual"
        )
        self._boundaries_at([cf_moment], "eval_cf_boundaries")
        warehouse.temp_table("eval_counterfactuals", load_sql("evaluation/counterfactuals"))
        warehouse.temp_table(
            "eval_weight_population",
            load_sql("evaluation/weight_population"),
            {"components": self.signals, "score_block_reasons": list(settings.score_block_reasons)},
        )
        grid = [self.moments[m] for m in grid_moments(settings)] + [self.moments[initial]]
        self.timing_events: dict[int, Events] = {}
        self._timing_events(list(dict.fromkeys(grid)))
        self.weight_events: tuple[tuple, Events] | None = None
        self.states: list[StateBefore] = []
        self.edges: list[list[float]] = []
        self.initial = StateBefore(
            {s: settings.initial_weights.get(s, 1.0) for s in self.signals}, {}, *initial
        )

    # --- the learning loop ----------------------------------------------------------------

    def learn(self, on_progress, should_stop) -> pl.DataFrame:
        """S_k at every boundary; the learned_state rows of each, with its boundary."""
        state, last = self.initial, {}
        rows = []
        total = len(self.plan.boundaries)
        for k, t in enumerate(self.plan.boundaries):
            if should_stop():
                raise KeyboardInterrupt("stop requested")
            seen = [s for s in self.signals if self.first_seen.get(s, total) <= k]
            if not seen and not self._any_decision(k):
                self.states.append(state)  # a view without decisions: S_k = S_(k−1)
                self.edges.append(self.edges[-1] if self.edges else [])
                on_progress(k + 1, total)
                continue
            run = RunContext(
                self.engine, self.warehouse, self.settings, _with_signals(state, seen, self),
                Recency(self.settings.half_life_days, t.date()), last,
            )  # fmt: skip
            label = f"boundary {iso_utc(t)}"
            learned, evidence = self._decide(run, k, t, seen)
            for found in evidence:
                last = last | {found.kind: LastEvaluation(found.digest, found.setting,
                                                          found.current, label)}  # fmt: skip
            state = _after(run.before, learned)
            self.states.append(state)
            rows += [{"boundary": t, **row} for row in learned]
            on_progress(k + 1, total)
        return pl.DataFrame(rows, schema={"boundary": pl.Datetime("us"), **LEARNED_SCHEMA})

    def _decide(self, run: RunContext, k: int, t: datetime, seen: list[str]):
        since = {kind: (run.last_evaluations[kind].label if kind in run.last_evaluations
                        else "the first boundary") for kind in SCORED_KINDS}  # fmt: skip
        evidence = []
        timing_stats = self._timing_stats(k, (run.before.entry_delay_min, run.before.hold_min))
        timing_rows, found = learn_timing(run, timing_stats, since[TIMING])
        evidence += [found] if found else []
        cells = weight_cells(seen, run.before.weights, self.settings.weight_variations)
        _, weight_rows, found = learn_weights(run, self._weight_stats(k, run), cells,
                                              since[WEIGHT])  # fmt: skip
        evidence += [found] if found else []
        edges = self._edges_at(t)
        self.edges.append(edges or [])
        sizing_rows = []
        if edges is not None:
            buckets = self.engine.frame(load_sql("evaluation/sizing_cell_days_at"),
                                        {"t": t, "edges": edges})  # fmt: skip
            buckets = merge(buckets.with_columns(pl.col("cell_id").cast(pl.String).alias("cell")))
            _, sizing_rows, found = learn_multipliers(run, buckets, edges, since[MULTIPLIER])
            evidence += [found] if found else []
        return weight_rows + sizing_rows + timing_rows, evidence

    def _timing_stats(self, k: int, current: tuple[float, float]) -> pl.DataFrame:
        if current not in self.moments:
            self._replay(current)
        if self.moments[current] not in self.timing_events:
            self._timing_events([self.moments[current]])
        wanted = [self.moments[m] for m in grid_moments(self.settings)] + [self.moments[current]]
        parts = [self.timing_events[m].at(k) for m in dict.fromkeys(wanted)]
        moments = list(dict.fromkeys([*grid_moments(self.settings), current]))
        return with_all_population(merge(*parts), moments)

    def _timing_events(self, moment_ids: list[int]) -> None:
        self._boundaries_at(moment_ids, "eval_timing_outcomes")
        frame = self.engine.frame(load_sql("evaluation/timing_events"))
        names = {m: (d, h) for (d, h), m in self.moments.items()}
        keyed = _timing_keys(frame, names)
        for m in moment_ids:
            mine = [timing_key(*names[m], kind) for kind in KINDS]
            self.timing_events[m] = Events(keyed.filter(pl.col("cell").is_in(mine)))

    def _boundaries_at(self, moment_ids: list[int], target: str) -> None:
        wanted = pl.DataFrame({"moment_id": moment_ids}, schema={"moment_id": pl.Int32})
        self.warehouse.load_frame("eval_event_moments", wanted)
        self.warehouse.temp_table(target, load_sql("evaluation/outcome_boundaries"))

    def _replay(self, moment: tuple[float, float]) -> None:
        """A setting off the grid (a timing step): every decision's outcome there, once."""
        moment_id = max(self.moments.values()) + 1
        self.warehouse.load_frame(
            "eval_new_moments",
            pl.DataFrame([(moment_id, *moment)], orient="row",
                         schema={"moment_id": pl.Int32, "entry_delay_min": pl.Float64,
                                 "hold_min": pl.Float64}),
        )  # fmt: skip
        replay(self.engine, "eval_replayed", "all", "evaluation", self.settings)
        self.warehouse.execute(f"INSERT INTO eval_extra_outcomes {_EXTRA_COLUMNS_FROM_REPLAY}")
        self.warehouse.execute(
            "INSERT INTO eval_moment_rows SELECT moment_id, entry_delay_min, hold_min, false "
            "FROM eval_new_moments"
        )
        self.moments[moment] = moment_id

    def _weight_stats(self, k: int, run: RunContext) -> pl.DataFrame:
        """The weight grid's statistics at boundary k under the weights of S_(k−1): the event
        stream of the first weights, then, at each step, the events of what flips."""
        weights = {s: run.before.weights.get(s, self.initial.weights[s]) for s in self.signals}
        if self.weight_events is None:
            self.weight_events = (weights, Events(self._weight_event_stream(weights)))
        elif self.weight_events[0] != weights:
            old, events = self.weight_events
            self.weight_events = (weights, events.moved(self._weight_event_stream(weights, old)))
        return self.weight_events[1].at(k)

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
        """Every period under S_k and S_init (SPEC §16's periods and summary)."""
        last = len(self.plan.boundaries) - 1
        policies = []
        for k, state in enumerate(self.states):
            for policy, chosen in enumerate((state, self.initial)):
                edges = self.edges[k] if policy == 0 else []
                multipliers = [chosen.multipliers.get(b, 1.0) for b in range(len(edges) + 1)]
                weights = [chosen.weights.get(s, self.initial.weights[s]) for s in self.signals]
                policies.append((k, policy, weights, edges, multipliers,
                                 chosen.entry_delay_min, chosen.hold_min))  # fmt: skip
                if (chosen.entry_delay_min, chosen.hold_min) not in self.moments:
                    self._replay((chosen.entry_delay_min, chosen.hold_min))
        self.warehouse.load_frame(
            "eval_periods",
            pl.DataFrame(policies, orient="row", schema={
                "k": pl.Int64, "policy": pl.Int64, "weights": pl.List(pl.Float64),
                "edges": pl.List(pl.Float64), "multipliers": pl.List(pl.Float64),
                "entry_delay_min": pl.Float64, "hold_min": pl.Float64}),
        )  # fmt: skip
        end_at = self.plan.end_at or "infinity"
        stats = self.engine.frame(
            load_sql("evaluation/scored"),
            {"last_period": last, "end_at": end_at, "components": self.signals,
             "score_threshold": self.settings.score_threshold,
             "score_block_reasons": list(self.settings.score_block_reasons)},
        )  # fmt: skip
        stats = merge(stats.with_columns(pl.col("cell_id").cast(pl.String).alias("cell")))
        cells = [(k, policy, kind) for k in range(last + 1) for kind in range(3)
                 for policy in range(2)]  # fmt: skip
        table = metrics(stats, [str((k * 2 + p) * 3 + kind) for k, p, kind in cells], OFF)
        keys = pl.DataFrame(
            [(self.plan.boundaries[k], SCORED_KINDS[kind], POLICIES[p]) for k, p, kind in cells],
            schema={"boundary": pl.Datetime("us"), "kind": pl.String, "policy": pl.String},
            orient="row",
        )
        periods = pl.concat([keys, table.drop("cell")], how="horizontal")
        return periods, _summary(stats, periods, last)


def _summary(stats: pl.DataFrame, periods: pl.DataFrame, last: int) -> pl.DataFrame:
    """Per kind and policy: every period's scored outcomes together; for `learned`, its gain
    in weighted P&L over `static` and the share of periods where it did at least as well."""
    rows = []
    for kind_index, kind in enumerate(SCORED_KINDS):
        for p, policy in enumerate(POLICIES):
            cells = [str((k * 2 + p) * 3 + kind_index) for k in range(last + 1)]
            together = relabel(stats.filter(pl.col("cell").is_in(cells)), "all")
            rows.append({"kind": kind, "policy": policy,
                         **metrics(together, ["all"], OFF).drop("cell").to_dicts()[0]})  # fmt: skip
    summary = pl.DataFrame(rows)
    gains, better = [], []
    for kind in SCORED_KINDS:
        mine = periods.filter(pl.col("kind") == kind)
        learned = mine.filter(pl.col("policy") == "learned").sort("boundary")
        static = mine.filter(pl.col("policy") == "static").sort("boundary")
        judged = [(a, b) for a, b, na, nb in zip(learned["weighted_pnl"], static["weighted_pnl"],
                                                 learned["n"], static["n"], strict=True)
                  if na + nb > 0]  # fmt: skip
        wins = sum(1 for a, b in judged if a >= b or objectives_equal(a, b))
        share = wins / len(judged) if judged else None
        totals = summary.filter(pl.col("kind") == kind)
        gain = (totals.filter(pl.col("policy") == "learned")["weighted_pnl"][0]
                - totals.filter(pl.col("policy") == "static")["weighted_pnl"][0])  # fmt: skip
        for policy in POLICIES:
            gains.append(gain if policy == "learned" else None)
            better.append(share if policy == "learned" else None)
    return summary.with_columns(
        pl.Series("gain_weighted_pnl", gains, dtype=pl.Float64),
        pl.Series("periods_better", better, dtype=pl.Float64),
    ).select("kind", "policy", *METRIC_COLUMNS, "gain_weighted_pnl", "periods_better")


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


_EMPTY_EXTRA = (
    "SELECT decision_key, moment_id, kind, weight, status, pnl, ret, entry_t, exit_t "
    "FROM run_outcomes LIMIT 0"
)
_EXTRA_COLUMNS_FROM_REPLAY = (
    "SELECT decision_key, moment_id, kind, weight, status, pnl, ret, entry_t, exit_t "
    "FROM eval_replayed"
)
_EVAL_OUTCOMES = (
    "SELECT decision_key, moment_id, kind, weight, status, pnl, ret, entry_t, exit_t "
    "FROM run_outcomes UNION ALL SELECT * FROM eval_extra_outcomes"
)


def verdict(summary: list[dict]) -> list[str]:
    """One line per kind, for people: learned vs static out of sample."""
    lines = []
    by = {(r["kind"], r["policy"]): r for r in summary}
    for kind in SCORED_KINDS:
        learned, static = by[(kind, "learned")], by[(kind, "static")]
        better = learned["periods_better"]
        share = "no period with a resolved outcome" if better is None else (
            f"at least as good in {better:.0%} of periods")  # fmt: skip
        lines.append(
            f"{kind}: out of sample, learned {learned['weighted_pnl']:+,.2f} vs static "
            f"{static['weighted_pnl']:+,.2f} weighted P&L ({learned['gain_weighted_pnl']:+,.2f}), "
            f"{share}"
        )
    return lines
