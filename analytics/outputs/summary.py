"""What a run learned, in a few lines a trader reads: the inputs, what blocking cost or saved,
and each learned setting (moved, or why not). `run_summary` gives every figure (for
`--format json`), `print_summary` the same for people; `tradelens run` and the demo print it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from analytics.terminal import console, print_table
from analytics.warehouse import Warehouse, load_sql

LEARNED_COLUMNS = ("kind", "name", "score_lo", "score_hi", "before", "best", "after", "applied",
                   "n", "p_value", "significant", "note")  # fmt: skip
TITLES = {"timing": "Timing", "weight": "Signal weights",
          "multiplier": "Position sizing by confidence (entry_score bucket)"}  # fmt: skip


@dataclass(frozen=True)
class BlockedSummary:
    """Missed opportunities vs avoided losses of a version's blocked trades (SPEC §5)."""

    blocked_trades: int
    missed: int
    avoided: int
    flat: int
    unresolved: int
    missed_pnl: float
    avoided_pnl: float

    @property
    def net_pnl(self) -> float:
        """What the blocked trades would have made together: > 0, blocking cost money."""
        return self.missed_pnl + self.avoided_pnl

    @property
    def verdict(self) -> str:
        return "cost" if self.net_pnl > 0 else "saved"


def blocked_summary(warehouse: Warehouse, run_id: int) -> BlockedSummary:
    row = warehouse.rows(load_sql("outputs/counterfactual_summary"), {"run_id": run_id})[0]
    return BlockedSummary(**row)


def run_summary(warehouse: Warehouse, run_id: int) -> dict:
    """Every figure of the summary of published version `run_id`."""
    run = warehouse.rows("SELECT status, config FROM runs WHERE run_id = ?", [run_id])[0]
    blocked = blocked_summary(warehouse, run_id)
    learned = warehouse.rows(
        f"SELECT {', '.join(LEARNED_COLUMNS)} FROM history.learned_state WHERE run_id = ? "
        "ORDER BY kind = 'timing' DESC, kind = 'weight' DESC, kind, name",
        [run_id],
    )
    return {
        "run_id": run_id,
        "status": run["status"],
        "objective": json.loads(run["config"])["objective"],
        "inputs": warehouse.rows(load_sql("outputs/summary_inputs"))[0],
        "blocked": asdict(blocked) | {"net_pnl": blocked.net_pnl, "verdict": blocked.verdict},
        "best_timing_cell": _best_timing_cell(warehouse, run_id, learned),
        "learned": learned,
        "moved": sum(1 for r in learned if r["applied"]),
    }


def _best_timing_cell(warehouse: Warehouse, run_id: int, learned: list[dict]) -> dict | None:
    """The timing grid's row of the cell the learning picked (all decisions), if it picked."""
    best = {r["name"]: r["best"] for r in learned if r["kind"] == "timing"}
    if best.get("entry_delay_min") is None or best.get("hold_min") is None:
        return None
    rows = warehouse.rows(
        "SELECT entry_delay_min, hold_min, n, weighted_pnl, sharpe, win_rate "
        "FROM history.timing_grid WHERE run_id = ? AND population = 'all' "
        "AND entry_delay_min = ? AND hold_min = ?",
        [run_id, best["entry_delay_min"], best["hold_min"]],
    )
    return rows[0] if rows else None


def print_summary(summary: dict) -> None:
    inputs = summary["inputs"]
    console.print(
        f"\n[bold]tradelens run {summary['run_id']}[/bold] ({summary['status']}): "
        f"{inputs['executed']:,} executed trades ({inputs['open_trades']:,} still open), "
        f"{inputs['blocked']:,} blocked, {inputs['bars']:,} bars of {inputs['symbols']} symbols, "
        f"{_day(inputs['first_decision'])} to {_day(inputs['last_decision'])}"
    )
    _print_blocked(summary["blocked"])
    _print_best_timing(summary["best_timing_cell"], summary["objective"])
    moved, learned = summary["moved"], summary["learned"]
    console.print(
        f"\n[bold]Learned[/bold]: {moved} of {len(learned)} settings moved a step (the policy's "
        "target: the best cell, or the cells best in the resamples); the others stay, and `why` "
        "says why.",
        highlight=False,
    )
    for kind, title in TITLES.items():
        rows = [r for r in learned if r["kind"] == kind]
        if rows:
            print_table(
                ["setting", "before", "best", "after", "n", "p_value", "why"],
                [_learned_cells(r) for r in rows],
                title=title,
            )


def _print_blocked(blocked: dict) -> None:
    unresolved = blocked["unresolved"]
    console.print(
        f"\n[bold]Blocked trades[/bold] (replayed at the default hold): "
        f"[red]{blocked['missed']:,} missed opportunities[/red] worth "
        f"{blocked['missed_pnl']:+,.2f}, [green]{blocked['avoided']:,} avoided losses[/green] "
        f"worth {-blocked['avoided_pnl']:,.2f}; blocking {blocked['verdict']} "
        f"{abs(blocked['net_pnl']):,.2f} net"
        + (f" ({unresolved:,} not yet resolvable: pending or stale prices)" if unresolved else "")
    )


def _print_best_timing(best: dict | None, objective: str) -> None:
    if best is None:
        return
    sharpe = "n/a" if best["sharpe"] is None else f"{best['sharpe']:.2f}"
    console.print(
        f"\n[bold]Best timing[/bold] by {objective}: enter {best['entry_delay_min']:g} min after "
        f"the signal, hold {best['hold_min']:g} min (weighted P&L {best['weighted_pnl']:+,.2f}, "
        f"Sharpe {sharpe}, win rate {best['win_rate']:.0%} over {best['n']:,} outcomes)",
        highlight=False,
    )


def _learned_cells(r: dict) -> list[str]:
    name = r["name"]
    if r["kind"] == "multiplier":
        name = f"bucket {name} {_range(r['score_lo'], r['score_hi'])}"
    return [
        name,
        f"{r['before']:.4g}",
        "-" if r["best"] is None else f"{r['best']:.4g}",
        f"{r['after']:.4g}",
        "-" if r["n"] is None else f"{r['n']:,}",
        "-" if r["p_value"] is None else f"{r['p_value']:.3g}",
        r["note"] or "",
    ]


def _range(lo: float | None, hi: float | None) -> str:
    low = "-inf" if lo is None else f"{lo:.3g}"
    high = "+inf" if hi is None else f"{hi:.3g}"
    return f"[{low}, {high})"


def _day(ts: datetime | None) -> str:
    return "-" if ts is None else ts.strftime("%Y-%m-%d")
