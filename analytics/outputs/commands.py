"""CLI commands of the outputs layer (export, report), registered by analytics.cli."""

from __future__ import annotations

from pathlib import Path

import click

from analytics.cli_support import current_warehouse, example
from analytics.output import write_rows


@click.command(
    epilog=example(
        "tradelens export --to warehouse/export\n"
        "  tradelens export --to warehouse/export --format csv --version 12\n"
        "  tradelens export --jsonl logs/"
    )
)
@click.option(
    "--to",
    "to",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for the version's tables and manifest.json (replaced whole, atomically)",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="file format of the tables written with --to",
)
@click.option("--version", "run_id", type=int, default=None, help="a past version (run id)")
@click.option(
    "--jsonl",
    "jsonl_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="folder for comprehensive_learning.jsonl and counterfactual_results.jsonl "
    "(the old tools' logs; each file replaced atomically, other files left alone)",
)
def export(to: str | None, file_format: str, run_id: int | None, jsonl_dir: str | None) -> None:
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
    from analytics.outputs.export import export_jsonl, export_version

    if to is None and jsonl_dir is None:
        raise click.UsageError("give --to DIR (tables), --jsonl DIR (logs), or both")
    rows = []
    if to is not None:
        manifest = export_version(current_warehouse(), Path(to), file_format, run_id)
        run_id = manifest["run_id"]
        rows += [[str(Path(to) / t["file"]), t["rows"]] for t in manifest["tables"].values()]
        rows.append([str(Path(to) / "manifest.json"), len(manifest["tables"])])
    if jsonl_dir is not None:
        lines = export_jsonl(current_warehouse(), Path(jsonl_dir), run_id)
        rows += [[str(Path(jsonl_dir) / name), n] for name, n in lines.items()]
    write_rows(["file", "rows"], rows, "table", title="export")


@click.command(epilog=example("tradelens report --out warehouse/report.html"))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    required=True,
    help="the HTML file to write (self-contained: opens offline)",
)
@click.option("--version", "run_id", type=int, default=None, help="a past version (run id)")
def report(out: str, run_id: int | None) -> None:
    """One self-contained HTML page of a version (default: the latest) with charts.

    Timing grid heatmaps, weight-variation curves, sizing multipliers per confidence bucket,
    blocked trades over time, learned weights across versions and the run log.
    """
    from analytics.files import write_atomically
    from analytics.outputs.report import build_report

    page = build_report(current_warehouse(), run_id)
    write_atomically(Path(out), page)
    click.echo(f"report written to {out} ({len(page.encode()) / 1e6:.1f} MB)")


COMMANDS: list[click.Command] = [export, report]
