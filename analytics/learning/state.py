"""The bot's learned state: where each run starts from, and the JSON the bot reads."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from analytics.components import StateBefore
from analytics.config import Settings
from analytics.files import write_atomically
from analytics.learning.update import Choice
from analytics.times import iso_utc
from analytics.warehouse import Warehouse, published_version

LEARNED_SCHEMA = {
    "kind": pl.String, "name": pl.String, "before": pl.Float64, "best": pl.Float64,
    "after": pl.Float64, "n": pl.Int64, "significant": pl.Boolean, "applied": pl.Boolean,
    "p_value": pl.Float64, "gain": pl.Float64, "gain_lo": pl.Float64, "gain_hi": pl.Float64,
    "score_lo": pl.Float64, "score_hi": pl.Float64, "note": pl.String,
}  # fmt: skip


def state_before(warehouse: Warehouse, settings: Settings, signals: list[str]) -> StateBefore:
    rows = warehouse.rows("SELECT kind, name, after FROM latest.learned_state")
    after = {(r["kind"], r["name"]): r["after"] for r in rows}
    weights = {c: after.get(("weight", c), settings.initial_weights.get(c, 1.0)) for c in signals}
    multipliers = {int(name): v for (kind, name), v in after.items() if kind == "multiplier"}
    return StateBefore(
        weights=weights,
        multipliers=multipliers,
        entry_delay_min=after.get(("timing", "entry_delay_min"), 0.0),
        hold_min=after.get(("timing", "hold_min"), float(settings.default_hold_min)),
    )


def learned_frame(rows: list[dict]) -> pl.DataFrame:
    """learned_state rows (SPEC §10) of one kind, as published."""
    return pl.DataFrame(rows, schema=LEARNED_SCHEMA)


def state_row(
    kind: str,
    name: str,
    before: float,
    best: float | None,
    after: float,
    choice: Choice,
    score_lo: float | None = None,
    score_hi: float | None = None,
) -> dict:
    """A learned_state row (SPEC §10): the setting before, the picked cell's setting, after the
    step, and what the guard found (§13 figures only when a cell was tested)."""
    test = choice.test
    return {
        "kind": kind,
        "name": name,
        "before": before,
        "best": best,
        "after": after,
        "n": choice.n,
        "significant": None if test is None else test.significant,
        "applied": choice.applied,
        "p_value": None if test is None else test.p_value,
        "gain": None if test is None else test.gain,
        "gain_lo": None if test is None else test.gain_lo,
        "gain_hi": None if test is None else test.gain_hi,
        "score_lo": score_lo,
        "score_hi": score_hi,
        "note": choice.note,
    }


def state_document(warehouse: Warehouse, version: int | None = None) -> dict:
    """The learned state of a published version (default: latest) as the bot reads it; a
    version that is not a published run is an error (nothing is written for it)."""
    run_id = published_version(warehouse, version)
    rows = warehouse.rows(
        "SELECT * FROM history.learned_state WHERE run_id = ? ORDER BY kind, name", [run_id]
    )
    finished_at = warehouse.value("SELECT finished_at FROM runs WHERE run_id = ?", [run_id])
    multipliers = sorted(
        (r for r in rows if r["kind"] == "multiplier"), key=lambda r: int(r["name"])
    )
    return {
        "run_id": run_id,
        "generated_at": iso_utc(finished_at),
        "weights": {r["name"]: r["after"] for r in rows if r["kind"] == "weight"},
        "multipliers": [
            {
                "bucket": int(r["name"]),
                "score_lo": r["score_lo"],
                "score_hi": r["score_hi"],
                "multiplier": r["after"],
            }
            for r in multipliers
        ],
        "bucket_edges": [r["score_lo"] for r in multipliers[1:]],
        "timing": {r["name"]: r["after"] for r in rows if r["kind"] == "timing"},
        "not_applied": {
            f"{r['kind']}:{r['name']}": r["note"]
            for r in rows
            if not r["applied"] and r["best"] is not None and r["best"] != r["before"]
        },
    }


def write_state_json(path: Path, document: dict) -> None:
    """Write atomically: a bot polling the file never reads half of it."""
    write_atomically(path, json.dumps(document, indent=2, default=str) + "\n")
