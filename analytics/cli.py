"""The `tradelens` command: a thin layer over `Tradelens` (analytics/context.py). Each command
parses its options, calls one method, and prints what it returned."""

from __future__ import annotations

import json
from importlib.metadata import version as package_version
from pathlib import Path

import click

from analytics.cli_support import (
    choice_option,
    config_option,
    current_warehouse,
    example,
    format_option,
    lens,
    out_option,
    parse_date,
    parse_policies,
    print_evaluation,
    print_ingest,
    print_prune,
    print_run,
    progress,
    run_cli,
    version_option,
    warehouse_option,
)
from analytics.terminal import write_rows


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@warehouse_option
@click.option("--debug", is_flag=True, help="show tracebacks on errors")
@click.version_option(package_version("tradelens"), "--version", prog_name="tradelens")
def cli(debug: bool) -> None:
    """tradelens: the learning engine of a trading bot.

    Ingest the bot's logs, replay every decision under what-if scenarios, and publish
    versioned, guarded updates of its weights, timing and sizing. A mistake prints one line
    and exits 1; a usage error (unknown option, bad value) exits 2.
    """


@cli.command(epilog=example("tradelens init", "tradelens init --warehouse desk.duckdb"))
@warehouse_option
def init() -> None:
    """Create the warehouse file (if needed) and bring its schema to the current revision."""
    revision = lens().init()
    click.echo(f"warehouse {current_warehouse()} ready (schema revision {revision})")


@cli.command(
    epilog=example(
        "tradelens ingest prices bars.csv --bar-time open --interval 5m",
        "tradelens ingest trades trades.jsonl blocked_old.jsonl",
    )
)
@click.argument("kind", type=click.Choice(["prices", "trades", "blocked"]))
@click.argument("files", nargs=-1, required=True, type=click.Path())
@choice_option(
    "--bar-time", choices=("open", "close"), default="open",
    help="prices: does ts stamp the bar's open or its close",
)  # fmt: skip
@click.option(
    "--interval", default=None, help="prices: bar length (1m, 5m, 1h, 1d); default inferred"
)
@warehouse_option
@format_option
def ingest(kind: str, files: tuple[str, ...], bar_time: str, interval: str | None, fmt: str):
    """Load JSON Lines, CSV or Parquet FILES of KIND into the warehouse.

    Each file lands in one transaction. Bad rows go to raw.rejects with their file, row and
    reason; re-ingesting a file already loaded changes nothing.
    """
    with progress(total=4 * len(files)) as step:
        on_stage = lambda path, stage: step(f"{path.name}: {stage}")  # noqa: E731
        batch = lens().ingest(kind, files, bar_time=bar_time, interval=interval, on_stage=on_stage)
    print_ingest(kind, batch, fmt)


@cli.command(epilog=example("tradelens run --config tradelens.toml", "tradelens run --full"))
@config_option
@click.option(
    "--full",
    is_flag=True,
    help="recompute every scenario outcome and publish even when nothing changed",
)
@warehouse_option
@format_option
def run(config_path: str | None, full: bool, fmt: str) -> None:
    """Recompute every scenario and learning component and publish a new version.

    Scenario outcomes already resolved are reused unless a bar in their window arrived or was
    corrected, or a setting they depend on changed; --full recomputes them all.
    """
    chosen = lens(config_path)
    with progress() as step:
        result = chosen.run(full=full, on_step=step)
    print_run(result, fmt, chosen.summary(result.run_id) if result.published else None)


@cli.command(epilog=example("tradelens counterfactual"))
@config_option
@warehouse_option
@format_option
def counterfactual(config_path: str | None, fmt: str) -> None:
    """Recompute only the counterfactuals; the other outputs of the version are carried forward."""
    chosen = lens(config_path)
    with progress() as step:
        result = chosen.run(only=["counterfactuals"], trigger="counterfactual", on_step=step)
    print_run(result, fmt, chosen.summary(result.run_id) if result.published else None)


@cli.command(
    epilog=example(
        "tradelens evaluate --config tradelens.toml",
        "tradelens evaluate --start 2025-03-01 --end 2025-06-01",
    )
)
@config_option
@click.option("--start", default=None, help="first boundary, a DATE (YYYY-MM-DD, 00:00 UTC)")
@click.option("--end", default=None, help="where the last period ends, a DATE (00:00 UTC)")
@click.option(
    "--policies",
    default="",
    help="learning policies to walk forward beside the configured one, comma-separated "
    "(e.g. gate,unguarded): each published as its own `policy` rows",
)
@warehouse_option
@format_option
def evaluate(
    config_path: str | None, start: str | None, end: str | None, policies: str, fmt: str
) -> None:
    """Walk-forward evaluation: does the learning help on decisions made after it learned?

    Replays the learning loop at every `evaluate_every` boundary (after
    `evaluate_warmup_days`) on the data as it was known then, scores each learned state on
    the next period's decisions against the static initial state, and publishes the result
    (latest.evaluation_summary, _periods, _steps). Prints the verdict per kind.
    """
    dates = {"start": parse_date("--start", start), "end": parse_date("--end", end)}
    named = parse_policies(policies)
    with progress() as step:
        result = lens(config_path).evaluate(
            **dates,
            policies=named,
            on_progress=lambda done, total: step(f"boundary {done} of {total}"),
        )
    print_evaluation(result, fmt)


@cli.command(epilog=example("tradelens prune --keep 30"))
@click.option("--keep", type=int, required=True, help="published versions to keep (at least 1)")
@warehouse_option
@format_option
def prune(keep: int, fmt: str) -> None:
    """Remove all but the newest KEEP published versions from history, in one transaction.

    The latest version is never removed; their rows in `runs` stay (marked pruned), and so do
    evaluations. Rows still part of a kept version stay: a version stores what changed.
    """
    print_prune(lens().prune(keep), fmt)


@cli.command(epilog=example("tradelens versions --limit 5", "tradelens versions --format json"))
@click.option("--limit", default=20, show_default=True, help="newest runs to list (at least 1)")
@warehouse_option
@format_option
def versions(limit: int, fmt: str) -> None:
    """List runs: id, time, status, whether published, and row counts of each version."""
    write_rows(*lens().versions(limit), fmt, title="versions")


# A query may start with a `-- comment`: unknown "options" are taken as the query itself.
@cli.command(
    epilog=example(
        'tradelens sql "select outcome, count(*) from latest.counterfactuals group by 1"'
    ),
    context_settings={"ignore_unknown_options": True},
)
@click.argument("query")
@warehouse_option
@format_option
def sql(query: str, fmt: str) -> None:
    """Run a read-only SQL QUERY (schemas raw, history, latest; tables runs, run_components)."""
    write_rows(*lens().sql(query), fmt)


@cli.command(
    epilog=example("tradelens state --out bot/learned_state.json", "tradelens state --version 12")
)
@out_option(help="write the JSON here (atomically) instead of printing it")
@version_option
@warehouse_option
def state(out: str | None, version: int | None) -> None:
    """The bot's learned state as JSON: weights, multipliers with bucket edges, timing."""
    if out is None:
        click.echo(json.dumps(lens().state(version), indent=2, default=str))
        return
    document = lens().write_state(out, version)
    click.echo(f"learned state of run {document['run_id']} written to {out}")


@cli.command(
    epilog=example(
        "tradelens export --to warehouse/export",
        "tradelens export --to warehouse/export --format csv --version 12",
        "tradelens export --jsonl logs/",
    )
)
@click.option(
    "--to",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for the version's tables and manifest.json (replaced whole, atomically)",
)
@choice_option(
    "--format", "file_format", choices=("parquet", "csv"), default="parquet",
    help="file format of the tables written with --to",
)  # fmt: skip
@version_option
@click.option(
    "--jsonl",
    "jsonl_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for comprehensive_learning.jsonl and counterfactual_results.jsonl "
    "(the old tools' logs; each file replaced atomically, other files left alone)",
)
@warehouse_option
def export(to: str | None, file_format: str, version: int | None, jsonl_dir: str | None) -> None:
    """Write a published version (default: the latest) for dashboards and other tools.

    With --to DIR: one file per table (run, run_components, counterfactuals, timing_grid,
    timing_outcomes of the newest version, weight_grid, sizing_grid, learned_state) and
    manifest.json (run id, time, row counts, column names and types). DIR is replaced as a
    whole: a reader sees the previous export or the new one, never a mix.

    With --jsonl DIR: comprehensive_learning.jsonl (one line per published run: what it
    learned, before -> after, and its missed opportunities vs avoided losses) and
    counterfactual_results.jsonl (one line per blocked trade's counterfactual of the version).
    Give --to, --jsonl or both.
    """
    if to is None and jsonl_dir is None:
        raise click.UsageError("give --to DIR (tables), --jsonl DIR (logs), or both")
    rows = []
    if to is not None:
        manifest = lens().export(to, file_format=file_format, version=version)
        rows += [[str(Path(to) / t["file"]), t["rows"]] for t in manifest["tables"].values()]
        rows.append([str(Path(to) / "manifest.json"), len(manifest["tables"])])
        version = manifest["run_id"]
    if jsonl_dir is not None:
        lines = lens().export_jsonl(jsonl_dir, version)
        rows += [[str(Path(jsonl_dir) / name), n] for name, n in lines.items()]
    write_rows(["file", "rows"], rows, "table", title="export")


@cli.command(epilog=example("tradelens report --out warehouse/report.html"))
@out_option(required=True, help="the HTML file to write (self-contained: opens offline)")
@version_option
@warehouse_option
def report(out: str, version: int | None) -> None:
    """One self-contained HTML page of a version (default: the latest) with charts.

    What the version learned and why (per kind), timing grid heatmaps, weight-variation curves,
    sizing multipliers per confidence bucket, blocked trades over time, learned weights across
    versions, the walk-forward evaluation and the run log.
    """
    from analytics.files import write_atomically

    page = lens().report(version)
    write_atomically(Path(out), page)
    click.echo(f"report written to {out} ({len(page.encode()) / 1e6:.1f} MB)")


@cli.command(
    epilog=example(
        "tradelens serve --config tradelens.toml --port 8765",
        "TRADELENS_TOKEN=$(cat /etc/tradelens/token) tradelens serve --host 0.0.0.0",
    )
)
@config_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on; any but loopback (127.0.0.0/8, ::1, localhost) needs a token",
)
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="TCP port"
)
@choice_option(
    "--log-format",
    choices=("text", "json"),
    default="text",
    help="json: one JSON object a line, with run_id on every line of a cycle",
)
@choice_option("--log-level", choices=("debug", "info", "warning", "error"), default="info")
@click.option(
    "--token",
    envvar="TRADELENS_TOKEN",
    show_envvar=True,
    help="require `Authorization: Bearer TOKEN` on every path but /health (prefer the "
    "environment variable: other users can read a command line)",
)
@warehouse_option
def serve(
    config_path: str | None,
    host: str,
    port: int,
    log_format: str,
    log_level: str,
    token: str | None,
) -> None:
    """Run the service: a cycle now and every `interval_min`, with /health, /metrics and /.

    A cycle ingests new files from the inbox folders (inbox_prices, inbox_trades,
    inbox_blocked), recomputes and publishes a version, and writes the learned state to
    state_out. The warehouse is open for writing only during a cycle, so `tradelens sql`
    and other read-only users work in between. SIGTERM or Ctrl-C stops cleanly (exit 0).
    With a token, /metrics and / answer 401 without it; /health stays open.
    """
    from analytics.service.lifecycle import run_service
    from analytics.service.logs import setup_logging

    service_lens = lens(config_path)
    service_lens.settings  # noqa: B018 - a bad config fails here, before logging starts
    setup_logging(log_format, log_level)
    run_service(service_lens, host, port, token or None)  # an empty token is no token


@cli.command(epilog=example("tradelens health --url http://127.0.0.1:8765"))
@click.option(
    "--url", default="http://127.0.0.1:8765", show_default=True, help="where the service listens"
)
@config_option
@click.option("--timeout", default=5.0, show_default=True, help="seconds to wait for the service")
@click.option(
    "--require-service", is_flag=True, help="unhealthy (exit 1) when no service answers at URL"
)
@warehouse_option
def health(url: str, config_path: str | None, timeout: float, require_service: bool) -> None:
    """Print the service's health as JSON; exit 0 when healthy, 1 when not.

    Asks the service at URL. When none answers, derives the same fields from the warehouse's
    run log (read-only): healthy when the last successful run is at most two intervals old
    (interval_min from --config, else the one the newest `serve` run recorded).
    """
    from analytics.config import DEFAULT_CONFIG_FILE
    from analytics.service.health import check_health

    configured = config_path is not None or Path(DEFAULT_CONFIG_FILE).is_file()
    document = check_health(lens(config_path), url, timeout, require_service=require_service,
                            configured=configured)  # fmt: skip
    click.echo(json.dumps(document, indent=2, default=str))
    if not document["healthy"]:
        click.get_current_context().exit(1)


@cli.command(epilog=example("tradelens demo", "tradelens demo --seed 11 --dir /tmp/demo"))
@click.option("--seed", default=7, show_default=True, help="seed of the generated market and bot")
@click.option(
    "--dir",
    "demo_dir",
    type=click.Path(file_okay=False),
    default=str(Path("warehouse") / "demo"),
    show_default=True,
    help="folder for the sample files and the demo warehouse (replaced)",
)
def demo(seed: int, demo_dir: str) -> None:
    """Generate a sample market and bot log, ingest it into a fresh warehouse, learn from it."""
    from analytics.demo import run_demo

    run_demo(Path(demo_dir), seed)


def main() -> None:
    run_cli(cli)
