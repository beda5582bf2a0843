"""SPEC §14: learning moves with evidence, not with the clock. A kind's evidence (the outcomes
its cells are computed from) is summarised as a digest of its cell statistics: per cell and
status, how many outcomes, which decisions (a checksum of their keys) and what they earned
(that checksum × pnl). A kind is *evaluated* when its digest differs from the one of its last
evaluation; otherwise nothing is decided and its settings stay. SPEC §18: it is evaluated only
when its data time (the as-of moment) moved too, and a step is scaled to how far it moved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from analytics.components import LastEvaluation, RunContext
from analytics.learning.update import Review
from analytics.warehouse import Warehouse


def digest(
    stats: pl.DataFrame, cells: Sequence[Hashable] | None = None, extra: object = None
) -> str:
    """A digest of what outcomes `cells` (default: all) hold, by status; `extra` joins it (a
    kind's evidence beyond its outcomes, such as the sizing grid's bucket edges)."""
    chosen = stats if cells is None else stats.filter(pl.col("cell").is_in(list(cells)))
    summary = (
        chosen.group_by("cell", "status")
        .agg(pl.col("n").sum(), pl.col("key_sum").sum(), pl.col("key_pnl").sum())
        .sort("cell", "status")
    )
    rows = [[str(v) for v in row] for row in summary.iter_rows()]
    text = json.dumps({"outcomes": rows, "extra": extra}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Evidence:
    """A kind's evidence now, and for timing, the current setting's own outcomes."""

    kind: str
    digest: str
    setting: object = None  # timing: the setting this run starts from
    current: str | None = None  # timing: digest of that setting's own outcomes


def changed(now: Evidence, last: LastEvaluation | None) -> bool:
    """Whether `now` differs from the evidence of the last evaluation. The current setting's own
    outcomes count only while the setting is the one that evaluation started from: a move of
    the setting is not evidence."""
    if last is None or now.digest != last.digest:
        return True
    return now.setting == last.setting and now.current != last.current


def review(now: Evidence, run: RunContext) -> Review:
    """SPEC §14 and §18: whether the kind is evaluated this run, and r. Unchanged evidence, or a
    data time not later than the last evaluation's, is not evaluated."""
    settings = run.settings
    last = run.last_evaluations.get(now.kind)
    if not changed(now, last):
        return Review(f"no new evidence since {last.label}", settings.learning_rate)
    period = settings.learning_period_min
    if period is None or last is None or last.as_of is None or run.as_of is None:
        return Review(None, settings.learning_rate)  # per run, or Δ = learning_period
    elapsed = (run.as_of - last.as_of).total_seconds() / 60
    if elapsed <= 0:
        return Review(f"no new data time since {last.label}", settings.learning_rate)
    return Review(None, 1 - (1 - settings.learning_rate) ** (elapsed / period))


def last_evaluations(warehouse: Warehouse) -> dict[str, LastEvaluation]:
    rows = warehouse.rows("SELECT * FROM state.evidence")
    return {
        r["kind"]: LastEvaluation(
            r["evidence"], json.loads(r["setting"]) if r["setting"] else None, r["current"],
            f"run {r['evaluated_run']}", r["as_of"],
        )
        for r in rows
    }  # fmt: skip


def save_evaluation(
    warehouse: Warehouse, evidence: Evidence, run_id: int, as_of: datetime | None
) -> None:
    """Record that `evidence.kind` was evaluated in run `run_id` at data time `as_of`
    (publishing transaction)."""
    warehouse.execute("DELETE FROM state.evidence WHERE kind = ?", [evidence.kind])
    warehouse.execute(
        "INSERT INTO state.evidence (kind, evidence, setting, current, evaluated_run, as_of) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            evidence.kind,
            evidence.digest,
            None if evidence.setting is None else json.dumps(evidence.setting),
            evidence.current,
            run_id,
            as_of,
        ],
    )
