"""tradelens learning benchmark: which learning policy earns out of sample, and which holds its
level on markets without edge (SPEC §19). Prints one table and writes it as JSON.

    .venv/bin/python benchmarks/learning.py                 # 4 regimes × 10 seeds, ~9 min
    .venv/bin/python benchmarks/learning.py --seeds 2 --days 30 --decisions 1500   # a quick look

Each market is `write_sample_data` (4 symbols by default) in one of the regimes below, ingested
into a fresh warehouse and walked forward once (`tradelens evaluate` with daily boundaries,
every policy side by side in lockstep: `--policies`). Per regime, kind and policy: the mean
out-of-sample gain over static (weighted P&L, `latest.evaluation_summary`), the worst market,
the share of markets gained, and SPEC §16's verdicts (on null markets every `helped` or `hurt`
is a false alarm). Then the targets of the default (issue 22): on the edge regimes it keeps at
least 80% of the unguarded step's mean gain, all kinds together; on null markets its total is
at least −5% of that and no single (market, kind) below −7.5%; on regime change at least as
much as gate. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402

from analytics.config import policy_names, settings_from_mapping  # noqa: E402
from analytics.context import Tradelens  # noqa: E402
from analytics.sample_data import write_sample_data  # noqa: E402

STRONG = {"momentum": 0.25, "flow": 0.05, "dark_pool": -0.25}
REGIMES = {  # name: (write_sample_data's signal, components whose edge flips sign halfway)
    "null": ({c: 0.0 for c in ("momentum", "flow", "iv_skew", "news", "dark_pool")}, ()),
    "real": (None, ()),
    "strong": (STRONG, ()),
    "regime change": (STRONG, ("momentum",)),
}
EDGE_REGIMES = ("real", "strong")
KINDS = ("weight", "multiplier", "timing")
SETTINGS = {"score_threshold": 0.5}  # the sample bot's threshold; every other key its default
BASELINES = ("gate", "unguarded")
console = Console()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--symbols", type=int, default=4)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--regimes", default=",".join(REGIMES))
    parser.add_argument("--policies", default=",".join(policy_names()))
    parser.add_argument("--default", default=None, help="the policy the targets are checked for")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    policies = [p for p in args.policies.split(",") if p]
    regimes = [r for r in args.regimes.split(",") if r]
    default = args.default or settings_from_mapping({}).learning_policy
    scale = {"symbols": args.symbols, "days": args.days, "decisions": args.decisions}
    markets = [(regime, seed) for regime in regimes for seed in range(1, args.seeds + 1)]
    started = time.monotonic()
    results = []
    with (
        ProcessPoolExecutor(args.workers) as pool,
        Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console,
        ) as progress,
    ):  # fmt: skip
        task = progress.add_task("markets walked forward", total=len(markets))
        futures = [pool.submit(walk_market, regime, seed, scale, policies)
                   for regime, seed in markets]  # fmt: skip
        for future in as_completed(futures):
            results.append(future.result())
            done = results[-1]
            progress.console.log(f"{done['regime']} seed {done['seed']}: {done['seconds']:.0f} s")
            progress.advance(task)
    seconds = time.monotonic() - started
    table = summarise(results, policies)
    targets = check_targets(results, default)
    show(table, targets, policies, default, seconds, scale, args.seeds)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"learning-{date.today().isoformat()}.json"
    out.write_text(json.dumps({
        "date": date.today().isoformat(), "scale": scale, "seeds": args.seeds,
        "policies": policies, "default": default, "seconds": round(seconds, 1),
        "markets": results, "table": table, "targets": targets,
    }, indent=1, default=str))  # fmt: skip
    markdown = out.with_suffix(".md")
    markdown.write_text(markdown_table(table, policies))
    console.print(f"written to {out} and {markdown.name} (the README's table)")


def walk_market(regime: str, seed: int, scale: dict, policies: list[str]) -> dict:
    """One market: generate, ingest, walk every policy forward side by side; the summary."""
    signal, flips = REGIMES[regime]
    with tempfile.TemporaryDirectory(prefix="tradelens-learning-") as tmp:
        files = write_sample_data(Path(tmp) / "inputs", seed=seed, signal=signal,
                                  flip_halfway=flips, **scale)  # fmt: skip
        first, *others = policies
        lens = Tradelens(Path(tmp) / "w.duckdb",
                         settings_from_mapping(SETTINGS | {"learning_policy": first}))  # fmt: skip
        started = time.monotonic()
        with lens.session():
            lens.ingest("prices", [files.prices], bar_time="open", interval="1m")
            lens.ingest("trades", [files.trades])
            lens.ingest("blocked", [files.blocked])
            result = lens.evaluate(policies=others)
        rows = [
            {**{k: r[k] for k in ("kind", "gain_weighted_pnl", "gain_p_value", "verdict")},
             "policy": first if r["policy"] == "learned" else r["policy"]}
            for r in result.summary if r["policy"] != "static"
        ]  # fmt: skip
    return {"regime": regime, "seed": seed, "seconds": time.monotonic() - started, "rows": rows}


def _gains(results: list[dict], regime: str, policy: str, kind: str | None = None) -> list[float]:
    """Per market of the regime: the policy's gain on `kind` (None: all kinds together)."""
    out = []
    for market in results:
        if market["regime"] != regime:
            continue
        mine = [r for r in market["rows"] if r["policy"] == policy
                and (kind is None or r["kind"] == kind)]  # fmt: skip
        out.append(sum(r["gain_weighted_pnl"] or 0.0 for r in mine))
    return out


def summarise(results: list[dict], policies: list[str]) -> list[dict]:
    regimes = list(dict.fromkeys(m["regime"] for m in results))
    table = []
    for regime in regimes:
        for kind in (*KINDS, None):
            for policy in policies:
                gains = _gains(results, regime, policy, kind)
                verdicts = [r["verdict"] for m in results if m["regime"] == regime
                            for r in m["rows"] if r["policy"] == policy
                            and (kind is None or r["kind"] == kind)]  # fmt: skip
                table.append({
                    "regime": regime, "kind": kind or "all", "policy": policy,
                    "mean_gain": sum(gains) / len(gains), "worst": min(gains),
                    "gained": sum(g > 0 for g in gains), "markets": len(gains),
                    "helped": verdicts.count("helped"), "hurt": verdicts.count("hurt"),
                })  # fmt: skip
    return table


def check_targets(results: list[dict], default: str) -> dict:
    """Issue 22's targets for the default, all kinds together."""

    def mean_total(regimes, policy):
        gains = [g for regime in regimes for g in _gains(results, regime, policy)]
        return sum(gains) / len(gains) if gains else float("nan")

    edge_default = mean_total(EDGE_REGIMES, default)
    edge_unguarded = mean_total(EDGE_REGIMES, "unguarded")
    null_total = mean_total(["null"], default)
    null_worst = min((g for kind in KINDS for g in _gains(results, "null", default, kind)),
                     default=float("nan"))  # fmt: skip
    change = {p: mean_total(["regime change"], p) for p in (default, "gate")}
    return {
        "edge_share_of_unguarded": edge_default / edge_unguarded,
        "edge_met": edge_default >= 0.8 * edge_unguarded,
        "null_total_share": null_total / edge_unguarded,
        "null_total_met": null_total >= -0.05 * edge_unguarded,
        "null_worst_share": null_worst / edge_unguarded,
        "null_worst_met": null_worst >= -0.075 * edge_unguarded,
        "regime_change": change,
        "regime_change_met": change[default] >= change["gate"],
    }


def rows_of(table: list[dict], policies: list[str]):
    """(regime, kind, one text per policy) in the table's order: the mean gain, the worst
    market and the markets gained; on null markets also the helped ↑ / hurt ↓ verdicts."""
    for regime in dict.fromkeys(r["regime"] for r in table):
        for kind in (*KINDS, "all"):
            cells = []
            for policy in policies:
                [row] = [r for r in table if (r["regime"], r["kind"], r["policy"]) ==
                         (regime, kind, policy)]  # fmt: skip
                alarms = f", {row['helped']}↑ {row['hurt']}↓" if regime == "null" else ""
                cells.append(f"{row['mean_gain']:+,.0f} (worst {row['worst']:+,.0f}, "
                             f"{row['gained']}/{row['markets']}{alarms})")  # fmt: skip
            yield regime, kind, cells


def markdown_table(table: list[dict], policies: list[str]) -> str:
    """The table as the README shows it."""
    lines = ["| regime | kind | " + " | ".join(policies) + " |",
             "|---|---|" + "---:|" * len(policies)]  # fmt: skip
    for regime, kind, cells in rows_of(table, policies):
        name = f"**{kind}**" if kind == "all" else kind
        lines.append(f"| {regime} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def show(table, targets, policies, default, seconds, scale, seeds) -> None:
    out = Table(
        title=f"learning benchmark: {seeds} seeds × regime, {scale['symbols']} symbols, "
        f"{scale['days']} days, {scale['decisions']:,} decisions; {seconds:.0f} s"
    )
    for column in ("regime", "kind", *policies):
        out.add_column(column, justify="right" if column in policies else "left")
    for regime, kind, cells in rows_of(table, policies):
        out.add_row(regime, kind, *cells)
    console.print(out)
    t = targets
    console.print(
        f"default {default}: edge regimes {t['edge_share_of_unguarded']:.0%} of unguarded's "
        f"gain (target >= 80%: {'met' if t['edge_met'] else 'missed'}); null total "
        f"{t['null_total_share']:+.1%} (>= -5%: {'met' if t['null_total_met'] else 'missed'}), "
        f"worst null (market, kind) {t['null_worst_share']:+.1%} (>= -7.5%: "
        f"{'met' if t['null_worst_met'] else 'missed'}); regime change "
        f"{t['regime_change'][default]:+,.0f} vs gate {t['regime_change']['gate']:+,.0f} "
        f"({'met' if t['regime_change_met'] else 'missed'})",
        highlight=False,
    )


if __name__ == "__main__":
    main()
