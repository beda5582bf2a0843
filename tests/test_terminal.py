"""What people and machines read: in an 80-column or piped terminal a table never splits a
number or a header across lines; JSON and CSV moments are UTC with an explicit Z."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from conftest import tradelens
from rich.console import Console

from analytics import terminal

NUMBERS = ["6106.11", "-12345.678", "2,993", "0.000123"]


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """The module's console as a pipe of 80 columns (what a cron mail or `| less` gets)."""
    out = io.StringIO()
    monkeypatch.setattr(terminal, "console", Console(file=out, width=80))
    return out


def test_a_table_that_fits_keeps_every_number_and_header_on_one_line(narrow) -> None:
    columns = ["component", "weighted_pnl", "n", "why"]
    prose = "stays: not significant (p_value 0.606 > 0.05), below the threshold of the test"
    terminal.print_table(columns, [["momentum", NUMBERS[0], NUMBERS[2], prose]])
    lines = narrow.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    for whole in (*columns, NUMBERS[0], NUMBERS[2]):
        assert any(whole in line for line in lines), whole  # never `6106` / `.11`
    assert not any(line.strip("│ ").startswith(".11") for line in lines)


def test_a_table_too_wide_for_the_terminal_turns_into_blocks_of_lines(narrow) -> None:
    columns = [f"a_rather_long_column_name_{i}" for i in range(6)]
    terminal.print_table(columns, [[*NUMBERS, "1.5", "2.5"], ["7", "8", "9", "10", "11", "12"]])
    text = narrow.getvalue()
    assert "┃" not in text  # no table borders: one `column  value` line per cell
    for i, value in enumerate(NUMBERS):
        assert re.search(rf"{columns[i]}\s+{re.escape(value)}$", text, re.M), value


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_moments_leave_in_utc_with_an_explicit_z(fmt: str, capsys) -> None:
    naive = datetime(2025, 1, 6, 0, 17, 28, 451000)  # stored UTC, as the warehouse keeps it
    aware = datetime(2025, 1, 6, 2, 17, 28, tzinfo=timezone(timedelta(hours=2)))
    terminal.write_rows(["naive", "aware"], [[naive, aware]], fmt)
    out = capsys.readouterr().out
    if fmt == "json":
        [row] = json.loads(out)
    else:
        [row] = list(csv.DictReader(io.StringIO(out)))
    assert row == {"naive": "2025-01-06T00:17:28.451000Z", "aware": "2025-01-06T00:17:28Z"}
    assert datetime.fromisoformat(row["aware"]) == aware.astimezone(UTC)


def test_the_command_line_writes_z_in_json_and_csv(warehouse) -> None:
    query = "SELECT TIMESTAMP '2025-01-06 00:17:28.451' AS t"
    as_json = tradelens("sql", query, "--format", "json", warehouse=warehouse)
    as_csv = tradelens("sql", query, "--format", "csv", warehouse=warehouse)
    assert json.loads(as_json.stdout) == [{"t": "2025-01-06T00:17:28.451000Z"}]
    assert as_csv.stdout.splitlines() == ["t", "2025-01-06T00:17:28.451000Z"]


def test_a_limit_below_one_is_one_line_not_a_binder_error(warehouse) -> None:
    result = tradelens("versions", "--limit", "-1", warehouse=warehouse)
    assert result.returncode == 1
    assert result.stderr == "Error: --limit must be at least 1, not -1\n"
