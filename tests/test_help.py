"""The CLI documents itself (in the style of sqlite-utils' test_docs): every command has help
with an example, and the README's command list is exactly the CLI's commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.cli import cli

README = Path(__file__).resolve().parents[1] / "README.md"
COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name: str):
    result = CliRunner().invoke(cli, [name, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    assert cli.commands[name].help, f"{name} has no description"
    examples = result.output.split("Example:", 1)
    assert len(examples) == 2, f"`tradelens {name} --help` shows no example"
    assert f"tradelens {name}" in examples[1], f"{name}'s example does not run {name}"


def test_the_readme_lists_every_command_and_no_other():
    section = README.read_text().split("## Commands", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `tradelens ([a-z-]+)", section, re.M)
    assert listed == COMMANDS, "README's ## Commands table differs from the CLI"


def test_the_warehouse_option_works_before_and_after_the_command(tmp_path: Path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    runner = CliRunner()
    assert runner.invoke(cli, ["--warehouse", str(first), "init"]).exit_code == 0
    assert runner.invoke(cli, ["init", "--warehouse", str(second)]).exit_code == 0
    assert first.exists() and second.exists()


def test_version_is_printed():
    from importlib.metadata import version

    result = CliRunner().invoke(cli, ["--version"])
    assert (
        result.exit_code == 0
        and result.output.strip() == f"tradelens, version {version('tradelens')}"
    )
