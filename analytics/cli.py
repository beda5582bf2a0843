"""The `tradelens` command: a thin layer that parses options, calls one function, prints."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from analytics.cli_support import (
    config_option,
    current_warehouse,
    example,
    format_option,
    progress_bar,
)
from analytics.config import Settings, load_settings, warehouse_path
from analytics.errors import TradelensError
from analytics.output import err_console, write_rows

EXAMPLES = {
    "init": "tradelens init",
    "ingest": "tradelens ingest prices bars.csv --bar-time open --interval 5m",
    "run": "tradelens run --config tradelens.toml",
    "counterfactual": "tradelens counterfactual",
    "versions": "tradelens versions --limit 5",
    "sql": 'tradelens sql "select outcome, count(*) from latest.counterfactuals group by 1"',
    "state": "tradelens state --out state/learned_state.json",
    "demo": "tradelens demo --seed 7",
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--warehouse",
    type=click.Path(dir_okay=False),
    default=None,
    help="DuckDB file (default: $TRADELENS_WAREHOUSE, else warehouse/tradelens.duckdb)",
)
@click.option("--debug", is_flag=True, help="show tracebacks on errors")
@click.pass_context
def cli(ctx: click.Context, warehouse: str | None, debug: bool) -> None:
    """tradelens: the learning engine of a trading bot.

    Ingest the bot's logs, replay every decision under what-if scenarios, and publish
    versioned, guarded updates of its weights, timing and sizing.
    """
    ctx.obj = {"warehouse": warehouse_path(warehouse), "debug": debug}


@cli.command(epilog=example(EXAMPLES["init"]))
def init() -> None:
    """Create the warehouse file (if needed) and bring its schema to the current revision."""
    from analytics.warehouse import init_warehouse

    revision = init_warehouse(current_warehouse())
    click.echo(f"warehouse {current_warehouse()} ready (schema revision {revision})")


@cli.command(epilog=example(EXAMPLES["ingest"]))
@click.argument("kind", type=click.Choice(["prices", "trades", "blocked"]))
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--bar-time",
    type=click.Choice(["open", "close"]),
    default="open",
    show_default=True,
    help="prices: does ts stamp the bar's open or its close",
)
@click.option(
    "--interval",
    default=None,
    help="prices: bar length (1m, 5m, 1h, 1d); default inferred per symbol",
)
@format_option
def ingest(
    kind: str, files: tuple[str, ...], bar_time: str, interval: str | None, fmt: str
) -> None:
    """Load JSON Lines, CSV or Parquet FILES of KIND into the warehouse.

    Each file lands in one transaction. Bad rows go to raw.rejects with their file, row and
    reason; re-ingesting a file already loaded changes nothing.
    """
    from analytics.ingest import ingest_file, parse_interval
    from analytics.warehouse import connect

    parse_interval(interval)  # a bad --interval is a usage error before any work
    reports, failures = [], []
    with connect(current_warehouse(), create=True) as con, progress_bar() as progress:
        for name in files:
            task = progress.add_task(f"{Path(name).name}: starting", total=4)

            def stage(text: str, task=task, name=name) -> None:
                progress.update(task, description=f"{Path(name).name}: {text}", advance=1)

            try:
                reports.append(
                    ingest_file(con, Path(name), kind, bar_time=bar_time, interval=interval,
                                on_stage=stage)
                )  # fmt: skip
            except TradelensError as exc:
                failures.append(str(exc))
            progress.update(task, completed=4)
    columns = ["file", "rows", "accepted", "rejected", "duplicates", "corrections", "note"]
    rows = [
        [r.path, r.rows, r.accepted, r.rejected, r.duplicates, r.corrections,
         "already ingested: nothing changed" if r.already_ingested else (r.first_reject or "")]
        for r in reports
    ]  # fmt: skip
    if rows:
        write_rows(columns, rows, fmt, title=f"ingest {kind}")
    if any(r.rejected for r in reports):
        err_console.print(
            "rejected rows are in raw.rejects: "
            'tradelens sql "select file, row_number, field, reason from raw.rejects"'
        )
    for failure in failures:
        err_console.print(f"Error: {failure}", highlight=False, markup=False)
    if failures:
        sys.exit(1)


@cli.command(epilog=example(EXAMPLES["run"]))
@config_option
@click.option(
    "--full",
    is_flag=True,
    help="recompute every scenario outcome (default: reuse those whose inputs did not change)",
)
@format_option
def run(config_path: str | None, full: bool, fmt: str) -> None:
    """Recompute every scenario and learning component and publish a new version.

    Scenario outcomes already resolved are reused unless a bar in their window arrived or was
    corrected, or a setting they depend on changed; --full recomputes them all.
    """
    _recompute(load_settings(config_path), fmt, trigger="run", full=full)


@cli.command(epilog=example(EXAMPLES["counterfactual"]))
@config_option
@format_option
def counterfactual(config_path: str | None, fmt: str) -> None:
    """Recompute only the counterfactuals; the other outputs of the version are carried forward."""
    _recompute(load_settings(config_path), fmt, trigger="counterfactual", only=("counterfactuals",))


def _recompute(
    settings: Settings,
    fmt: str,
    trigger: str,
    only: tuple[str, ...] | None = None,
    full: bool = False,
) -> None:
    from analytics.pipeline import COMPONENTS, run_cycle
    from analytics.warehouse import connect

    with connect(current_warehouse(), create=True) as con, progress_bar() as progress:
        task = progress.add_task("starting", total=len(COMPONENTS) + 2)
        result = run_cycle(
            con,
            settings,
            trigger=trigger,
            only=only or COMPONENTS,
            full=full,
            on_step=lambda step: progress.update(task, description=step, advance=1),
        )
    write_rows(
        ["component", "status", "attempts", "seconds", "rows", "error"],
        [[c.name, c.status, c.attempts, round(c.seconds, 3), c.rows, c.error or ""]
         for c in result.components],
        fmt,
        title=f"run {result.run_id}: {result.status}",
    )  # fmt: skip
    if not result.published:
        raise TradelensError(f"run {result.run_id} failed: {result.error}")


@cli.command(epilog=example(EXAMPLES["versions"]))
@click.option("--limit", default=20, show_default=True, help="newest runs to list")
@format_option
def versions(limit: int, fmt: str) -> None:
    """List runs: id, time, status, whether published, and row counts of each version."""
    from analytics.sql_access import run_query
    from analytics.warehouse import load_sql

    columns, rows = run_query(current_warehouse(), load_sql("warehouse/versions"), {"limit": limit})
    write_rows(columns, rows, fmt, title="versions")


# A query may start with a `-- comment`: unknown "options" are taken as the query itself.
@cli.command(epilog=example(EXAMPLES["sql"]), context_settings={"ignore_unknown_options": True})
@click.argument("query")
@format_option
def sql(query: str, fmt: str) -> None:
    """Run a read-only SQL QUERY (schemas raw, history, latest; tables runs, run_components)."""
    from analytics.sql_access import run_query

    columns, rows = run_query(current_warehouse(), query)
    write_rows(columns, rows, fmt)


@cli.command(epilog=example(EXAMPLES["state"]))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="write the JSON here (atomically) instead of printing it",
)
@click.option("--version", "run_id", type=int, default=None, help="a past version (run id)")
def state(out: str | None, run_id: int | None) -> None:
    """The bot's learned state as JSON: weights, multipliers with bucket edges, timing."""
    import json

    from analytics.learning.state import state_document, write_state_json
    from analytics.warehouse import connect

    with connect(current_warehouse(), read_only=True) as con:
        document = state_document(con, run_id)
    if out:
        write_state_json(Path(out), document)
        click.echo(f"learned state of run {document['run_id']} written to {out}")
    else:
        click.echo(json.dumps(document, indent=2, default=str))


@cli.command(epilog=example(EXAMPLES["demo"]))
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


def _register_layer_commands() -> None:
    """The outputs and service layers bring their own commands (each module owns its CLI)."""
    from analytics.outputs.commands import COMMANDS as output_commands
    from analytics.service.commands import COMMANDS as service_commands

    for command in (*output_commands, *service_commands):
        cli.add_command(command)


_register_layer_commands()


def main() -> None:
    """Entry point: user mistakes become one line on stderr and exit code 1."""
    debug = "--debug" in sys.argv
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TradelensError as exc:
        if debug:
            raise
        err_console.print(f"Error: {exc}", highlight=False, markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
