"""SPEC §14: learning moves with evidence, not with the clock. A kind's evidence (the outcomes
its cells are computed from) is summarised as a digest of its cell statistics: per cell and
status, how many outcomes, which decisions (a checksum of their keys) and what they earned
(that checksum × pnl). A kind is *evaluated* when its digest differs from the one of its last
evaluation; otherwise nothing is decided and its settings stay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import polars as pl

from analytics.components import LastEvaluation
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


def last_evaluations(warehouse: Warehouse) -> dict[str, LastEvaluation]:
    rows = warehouse.rows("SELECT * FROM state.evidence")
    return {
        r["kind"]: LastEvaluation(
            r["evidence"], json.loads(r["setting"]) if r["setting"] else None, r["current"],
            f"run {r['evaluated_run']}",
        )
        for r in rows
    }  # fmt: skip


def save_evaluation(warehouse: Warehouse, evidence: Evidence, run_id: int) -> None:
    """Record that `evidence.kind` was evaluated in run `run_id` (publishing transaction)."""
    warehouse.execute("DELETE FROM state.evidence WHERE kind = ?", [evidence.kind])
    warehouse.execute(
        "INSERT INTO state.evidence VALUES (?, ?, ?, ?, ?)",
        [
            evidence.kind,
            evidence.digest,
            None if evidence.setting is None else json.dumps(evidence.setting),
            evidence.current,
            run_id,
        ],
    )


def since(last_evaluations: dict[str, LastEvaluation], kind: str) -> str:
    """How a note names the last evaluation of `kind` ("run 12")."""
    last = last_evaluations.get(kind)
    return last.label if last else "the first run"
