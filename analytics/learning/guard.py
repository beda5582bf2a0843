"""SPEC §19's evaluation guard: a kind whose latest walk-forward verdict is `hurt` is held at
its static initial setting until a later evaluation's verdict for it is not `hurt`.

The verdicts are read from the newest successful evaluation of the same settings (the
service's daily one, or `tradelens evaluate` with the same config): one of other settings, or
another window, judged another learner. A held kind's learned_state rows keep what the
learning found (best, n, p_value) but publish `after` = the static setting, not applied, and
say why; the next run starts that kind from the static setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analytics.config import Settings
from analytics.warehouse import Warehouse, load_sql

LEARNED_KINDS = ("weight", "multiplier", "timing")


@dataclass(frozen=True)
class Hold:
    """A kind held at static, and the evaluation that says its learning lost out of sample."""

    kind: str
    evaluation_id: int
    gain: float
    p_value: float

    @property
    def note(self) -> str:
        return (
            f"held: walk-forward evaluation {self.evaluation_id}: learned {self.kind} lost "
            f"{self.gain:+,.2f} (p = {self.p_value:.3g})"
        )


def holds(warehouse: Warehouse, settings: Settings) -> dict[str, Hold]:
    """The kinds held now (none with evaluation_guard off)."""
    if not settings.evaluation_guard:
        return {}
    rows = warehouse.rows(load_sql("learning/held_kinds"), {"config": settings.as_json()})
    return {r["kind"]: Hold(r["kind"], r["evaluation_id"], r["gain"], r["p_value"]) for r in rows}


def static_setting(kind: str, name: str, settings: Settings) -> float:
    """The static initial setting of one unit: initial weight, multiplier 1, no entry delay,
    the default hold."""
    if kind == "weight":
        return settings.initial_weights.get(name, 1.0)
    if kind == "multiplier":
        return 1.0
    return 0.0 if name == "entry_delay_min" else float(settings.default_hold_min)


def apply_holds(learned: pl.DataFrame, held: dict[str, Hold], settings: Settings) -> pl.DataFrame:
    """learned_state rows with every held kind's `after` at static, not applied, noted."""
    if learned is None or learned.is_empty() or not set(learned["kind"]) & held.keys():
        return learned
    rows = []
    for row in learned.iter_rows(named=True):
        hold = held.get(row["kind"])
        if hold is not None:
            row |= {"after": static_setting(row["kind"], row["name"], settings),
                    "applied": False, "note": hold.note}  # fmt: skip
        rows.append(row)
    return pl.DataFrame(rows, schema=learned.schema)


def signature(held: dict[str, Hold]) -> str:
    """What the holds are, for the run's watermark (a new hold or a cleared one publishes)."""
    return ",".join(f"{kind}@{hold.evaluation_id}" for kind, hold in sorted(held.items()))


def evaluation_due(warehouse: Warehouse, settings: Settings) -> bool:
    """Whether the service's daily evaluation is due (SPEC §19): the guard is on, and its last
    finished evaluation (successful or failed) saw an earlier UTC day of data (the greatest
    bar available_at) or other settings, or there is none."""
    if not settings.evaluation_guard:
        return False
    last = warehouse.one(load_sql("learning/last_daily_evaluation"))
    if last is None or last[0] is None or last[1] != settings.as_json():
        return True
    evaluated_day, _, data_day = last
    return data_day is not None and data_day > evaluated_day
