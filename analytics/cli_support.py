"""What every command shares: the warehouse and config options (accepted before or after the
command's name), --format, help examples, the progress display, and the one error handler."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from analytics.config import warehouse_path
from analytics.context import IngestBatch, Tradelens
from analytics.errors import TradelensError
from analytics.outputs.summary import print_summary
from analytics.pipeline import RunResult
from analytics.terminal import FORMATS, console, err_console, write_json, write_rows

if TYPE_CHECKING:
    from analytics.learning.evaluation import EvaluationResult
    from analytics.versions import PruneReport

WAREHOUSE_HELP = "DuckDB file (default: $TRADELENS_WAREHOUSE, else warehouse/tradelens.duckdb)"


def _remember_warehouse(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """--warehouse given before the command or after it: the one given last counts."""
    if value is not None:
        ctx.find_root().ensure_object(dict)["warehouse"] = value


def warehouse_option(f: Callable) -> Callable:
    return click.option(
        "--warehouse",
        type=click.Path(dir_okay=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_remember_warehouse,
        help=WAREHOUSE_HELP,
    )(f)


def config_option(f: Callable) -> Callable:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="TOML settings (default: ./tradelens.toml if present, else built-in defaults)",
    )(f)


def choice_option(*names: str, choices: Sequence[str], default: str, help: str | None = None):
    """An option taking one of `choices`, its default shown in --help."""
    return click.option(
        *names, type=click.Choice(list(choices)), default=default, show_default=True, help=help
    )


def out_option(help: str, required: bool = False):
    """--out FILE: where a command writes its file."""
    return click.option(
        "--out", type=click.Path(dir_okay=False), default=None, required=required, help=help
    )


def format_option(f: Callable) -> Callable:
    """The same --format option on every command that prints rows."""
    return choice_option(
        "--format", "fmt", choices=FORMATS, default="table",
        help="table for people, csv or json for machines",
    )(f)  # fmt: skip


def version_option(f: Callable) -> Callable:
    return click.option(
        "--version", "version", type=int, default=None, help="a past version (run id)"
    )(f)


def current_warehouse() -> Path:
    """The warehouse file chosen by --warehouse (either place) or TRADELENS_WAREHOUSE."""
    root = click.get_current_context().find_root()
    return warehouse_path((root.obj or {}).get("warehouse"))


def lens(config_path: str | None = None) -> Tradelens:
    """The entry object on the chosen warehouse, with --config's settings (read when needed)."""
    return Tradelens(current_warehouse(), config=config_path)


def example(*lines: str) -> str:
    """An epilog showing example invocations in --help."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"\b\nExample:\n{body}"


@contextmanager
def progress(total: int | None = None) -> Iterator[Callable[[str], None]]:
    """A progress display on stderr (none when stderr is not a terminal); yields `step(text)`,
    which names the step now running and advances the bar by one."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as display:
        task = display.add_task("starting", total=total)

        def step(text: str) -> None:
            display.update(task, description=text, advance=1)

        yield step


def run_cli(group: click.Group) -> None:
    """Entry point: user mistakes become one line on stderr and exit code 1; usage errors exit
    2 (click's convention); tracebacks only with --debug."""
    args = sys.argv[1:]
    debug = "--debug" in args  # accepted before or after the command's name
    try:
        code = group.main([a for a in args if a != "--debug"], standalone_mode=False)
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


def print_ingest(kind: str, batch: IngestBatch, fmt: str) -> None:
    """A row per file; refused files as `Error:` lines, and exit 1 if any was refused."""
    columns = ["file", "rows", "accepted", "rejected", "duplicates", "corrections", "note"]
    rows = [
        [r.path, r.rows, r.accepted, r.rejected, r.duplicates, r.corrections, r.note]
        for r in batch.reports
    ]
    if rows:
        write_rows(columns, rows, fmt, title=f"ingest {kind}")
    if any(r.rejected for r in batch.reports):
        err_console.print(
            "rejected rows are in raw.rejects: "
            'tradelens sql "select file, row_number, field, reason from raw.rejects"'
        )
    for failure in batch.failures:
        err_console.print(f"Error: {failure}", highlight=False, markup=False)
    if batch.failures:
        sys.exit(1)


def print_run(result: RunResult, fmt: str, summary: dict | None = None) -> None:
    """For people: a row per component, then the summary of what was learned; for machines,
    JSON with the run, its components and every figure of the summary (CSV: the components).
    A run that published nothing is an error (exit 1), but for an unchanged one (SPEC §14),
    which says so in one line."""
    if result.status == "unchanged":
        line = (
            f"unchanged: inputs and settings are those of version {result.same_as}, which "
            f"stays latest; nothing published (run {result.run_id} recorded)"
        )
        if fmt == "table":
            err_console.print(line, highlight=False)
        else:
            write_rows(["run_id", "status", "same_as", "note"],
                       [[result.run_id, result.status, result.same_as, line]], fmt)  # fmt: skip
        return
    columns = ["component", "status", "attempts", "seconds", "rows", "error"]
    rows = [[c.name, c.status, c.attempts, round(c.seconds, 3), c.rows, c.error]
            for c in result.components]  # fmt: skip
    if fmt == "json":
        write_json({"run_id": result.run_id, "status": result.status,
                    "published": result.published, "notes": result.notes,
                    "components": [dict(zip(columns, r, strict=True)) for r in rows],
                    "summary": summary})  # fmt: skip
    else:
        rows = [[*r[:-1], r[-1] or ""] for r in rows]
        for note in result.notes:
            err_console.print(f"note: {note}", highlight=False, markup=False)
        write_rows(columns, rows, fmt, title=f"run {result.run_id}: {result.status}")
        if fmt == "table" and summary is not None:
            print_summary(summary)
    if not result.published:
        raise TradelensError(f"run {result.run_id} failed: {result.error}")


def print_evaluation(result: EvaluationResult, fmt: str) -> None:
    """The verdict per kind for people; every summary figure for machines."""
    from analytics.learning.evaluation import verdict

    if fmt != "table":
        columns = ["evaluation_id", *result.summary[0].keys()]
        write_rows(columns, [[result.evaluation_id, *r.values()] for r in result.summary], fmt)
        return
    console.print(
        f"evaluation {result.evaluation_id}: {result.boundaries} boundaries, "
        f"{result.seconds:.1f} s",
        highlight=False,
    )
    for line in verdict(result.summary, result.confidence):
        console.print(f"  {line}", highlight=False, soft_wrap=True)


def parse_date(option: str, text: str | None) -> date | None:
    """A DATE option (YYYY-MM-DD), or one line saying what is wrong with it."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise TradelensError(f"{option} {text!r} is not a date: use YYYY-MM-DD") from None


def parse_policies(text: str) -> tuple[str, ...]:
    """--policies NAME,NAME: learning policies (SPEC §19), or one line listing them."""
    from analytics.config import policy_names

    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in policy_names()]
    if unknown:
        raise TradelensError(
            f"--policies: unknown policy {unknown[0]!r}: use one of {', '.join(policy_names())}"
        )
    return names


def print_prune(report: PruneReport, fmt: str) -> None:
    if fmt != "table":
        rows = [[report.kept, report.removed_versions, report.removed_rows]]
        write_rows(["kept", "removed_versions", "removed_rows"], rows, fmt)
        return
    if not report.removed_versions:
        console.print(f"nothing to prune: {len(report.kept)} published versions, all kept")
        return
    removed = report.removed_versions
    rows = sum(report.removed_rows.values())
    console.print(
        f"removed {len(removed)} versions (runs {removed[0]}–{removed[-1]}) and {rows:,} stored "
        f"rows; kept {len(report.kept)} (runs {report.kept[0]}–{report.kept[-1]})",
        highlight=False,
    )
