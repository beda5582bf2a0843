"""A short summary a trader understands: what blocking cost or saved, and what the bot should
change (or why it should not yet)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.table import Table

from analytics.terminal import console
from analytics.warehouse import Warehouse, load_sql


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


def print_summary(warehouse: Warehouse, run_id: int) -> None:
    inputs = warehouse.rows(load_sql("outputs/summary_inputs"))[0]
    run = warehouse.rows("SELECT status, config FROM runs WHERE run_id = ?", [run_id])[0]
    objective = json.loads(run["config"])["objective"]
    console.print(
        f"\n[bold]tradelens run {run_id}[/bold] ({run['status']}): "
        f"{inputs['executed']:,} executed trades ({inputs['open_trades']:,} still open), "
        f"{inputs['blocked']:,} blocked, {inputs['bars']:,} bars of {inputs['symbols']} symbols, "
        f"{_day(inputs['first_decision'])} to {_day(inputs['last_decision'])}"
    )
    _print_counterfactuals(blocked_summary(warehouse, run_id))
    state = warehouse.rows(
        "SELECT * FROM history.learned_state WHERE run_id = ? ORDER BY kind, name", [run_id]
    )
    _print_timing(warehouse, run_id, state, objective)
    _print_changes(state, "weight", "Signal weights", "variation")
    _print_changes(state, "multiplier", "Position sizing by confidence (entry_score)", "x")


def _print_counterfactuals(blocked: BlockedSummary) -> None:
    unresolved = blocked.unresolved
    console.print(
        f"\n[bold]Blocked trades[/bold] (replayed at the default hold): "
        f"[red]{blocked.missed:,} missed opportunities[/red] worth {blocked.missed_pnl:+,.2f}, "
        f"[green]{blocked.avoided:,} avoided losses[/green] worth {-blocked.avoided_pnl:,.2f}; "
        f"blocking {blocked.verdict} {abs(blocked.net_pnl):,.2f} net"
        + (f" ({unresolved:,} not yet resolvable: pending or stale prices)" if unresolved else "")
    )


def _print_timing(warehouse: Warehouse, run_id: int, state: list[dict], objective: str) -> None:
    timing = {r["name"]: r for r in state if r["kind"] == "timing"}
    if not timing:
        return
    delay, hold = timing["entry_delay_min"], timing["hold_min"]
    if delay["best"] is None:
        console.print(f"\n[bold]Timing[/bold]: no recommendation yet ({delay['note']})")
        return
    best = warehouse.rows(
        "SELECT * FROM history.timing_grid WHERE run_id = ? AND population = 'all' "
        "AND entry_delay_min = ? AND hold_min = ?",
        [run_id, delay["best"], hold["best"]],
    )
    detail = ""
    if best:
        b = best[0]
        sharpe = "n/a" if b["sharpe"] is None else f"{b['sharpe']:.2f}"
        detail = (
            f" (weighted P&L {b['weighted_pnl']:+,.2f}, Sharpe {sharpe}, "
            f"win rate {b['win_rate']:.0%} over {b['n']:,} outcomes)"
        )
    if delay["applied"]:
        move = (
            f"Recommendation moves {delay['before']:g}→{delay['after']:.4g} min delay, "
            f"{hold['before']:g}→{hold['after']:.4g} min hold."
        )
    else:
        move = (
            f"Recommendation stays at {delay['before']:.4g} min delay, {hold['before']:.4g} min "
            f"hold: {delay['note']}."
        )
    console.print(
        f"\n[bold]Timing[/bold]: best by {objective} is entering {delay['best']:g} min after the "
        f"signal and holding {hold['best']:g} min{detail}. {move}"
    )


def _print_changes(state: list[dict], kind: str, title: str, best_label: str) -> None:
    rows = [r for r in state if r["kind"] == kind]
    if not rows:
        return
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in ("", "before", f"best {best_label}", "after", "outcomes", "applied", "why"):
        table.add_column(column)
    for r in rows:
        label = r["name"]
        if kind == "multiplier":
            label = f"bucket {r['name']} {_range(r['score_lo'], r['score_hi'])}"
        best = (
            "-"
            if r["best"] is None
            else f"{r['best']:+g}"
            if kind == "weight"
            else f"{r['best']:g}"
        )
        table.add_row(
            label,
            f"{r['before']:.4g}",
            best,
            f"{r['after']:.4g}",
            "-" if r["n"] is None else f"{r['n']:,}",
            "[green]yes[/green]" if r["applied"] else "no",
            r["note"] or "",
        )
    console.print()
    console.print(table)


def _range(lo: float | None, hi: float | None) -> str:
    low = "-inf" if lo is None else f"{lo:.3g}"
    high = "+inf" if hi is None else f"{hi:.3g}"
    return f"[{low}, {high})"


def _day(ts) -> str:
    return "-" if ts is None else ts.strftime("%Y-%m-%d")
