"""SPEC §12 settings: every key with its default, unknown keys and wrong types refused by name."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import tradelens

from analytics.config import (
    DEFAULT_POLICY,
    DEFAULT_WAREHOUSE,
    Settings,
    load_settings,
    settings_from_mapping,
    warehouse_path,
)
from analytics.errors import ConfigError

SPEC = Path(__file__).resolve().parents[1] / "docs" / "spec.md"


@pytest.fixture(autouse=True)
def no_engine_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADELENS_ENGINE", raising=False)


def spec_defaults_toml() -> str:
    """The ```toml block of SPEC §12: every key with its default value."""
    section = SPEC.read_text().split("## 12. Configuration", 1)[1]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def test_spec_block_lists_every_key_with_its_default(tmp_path: Path) -> None:
    text = spec_defaults_toml()
    spec = tomllib.loads(text)
    assert len(spec) == 36  # 35 keys and the [initial_weights] table, counted in SPEC §12
    config = tmp_path / "tradelens.toml"
    config.write_text(text)
    settings = load_settings(config)
    # SPEC §19: the default policy is the one the learning benchmark chose (README), which the
    # block's "gate" does not name; every other key is the block's
    assert spec["learning_policy"] == "gate" and Settings().learning_policy == DEFAULT_POLICY
    assert settings == dataclasses.replace(Settings(), learning_policy="gate")
    for key, value in spec.items():
        got = getattr(settings, key)
        assert (list(got) if isinstance(got, tuple) else got) == value, key


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings == Settings()
    # spot checks against SPEC §12 as written, independent of the dataclass
    assert (settings.default_notional, settings.min_samples, settings.confidence) == (
        1000.0,
        30,
        0.90,
    )
    assert settings.score_block_reasons == ("score_below_threshold",)
    assert settings.holds_min == (60, 120, 240, 480)
    assert (settings.engine, settings.price_bar_time, settings.state_out) == ("duckdb", "open", "")


def test_tradelens_toml_in_the_current_folder_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tradelens.toml").write_text(
        'objective = "weighted_pnl"\nholds_min = [30, 90]\n[initial_weights]\nflow = 2\n'
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.objective == "weighted_pnl"
    assert settings.holds_min == (30.0, 90.0)
    assert settings.initial_weights == {"flow": 2.0}
    assert settings.min_samples == 30


def test_values_other_than_the_defaults() -> None:
    settings = settings_from_mapping(
        {
            "default_hold_min": 90.5,
            "min_samples": 5,
            "bootstrap_samples": 200.0,  # a whole float is a count
            "require_significance": False,
            "score_buckets": [-1, 0, 1.5],
            "initial_weights": {"flow": 0.5, "news": -1},
            "inbox_prices": "inbox/prices",
            "engine": "spark",
            "spark_master": "spark://host:7077",
        }
    )
    assert settings.default_hold_min == 90.5
    assert settings.bootstrap_samples == 200 and isinstance(settings.bootstrap_samples, int)
    assert settings.score_buckets == (-1.0, 0.0, 1.5)
    assert settings.initial_weights == {"flow": 0.5, "news": -1.0}
    assert (settings.engine, settings.spark_master) == ("spark", "spark://host:7077")
    assert settings.require_significance is False


def test_unknown_key_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="unknown key 'learning_rte'"):
        settings_from_mapping({"learning_rate": 0.2, "learning_rte": 0.2})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("default_notional", "1000"),
        ("default_notional", float("nan")),
        ("default_hold_min", True),
        ("max_staleness_min", float("inf")),
        ("min_samples", 30.5),
        ("bootstrap_samples", "many"),
        ("require_significance", "yes"),
        ("require_significance", 1),
        ("objective", "profit"),
        ("objective", 3),
        ("score_block_reasons", "score_below_threshold"),
        ("score_block_reasons", [1, 2]),
        ("score_buckets", [1.0, 0.5]),
        ("holds_min", 60),
        ("holds_min", ["60"]),
        ("holds_min", []),
        ("weight_variations", [0.1, True]),
        ("confidence", 1.5),
        ("interval_min", 0),
        ("price_bar_time", "middle"),
        ("inbox_trades", 5),
        ("engine", "pandas"),
        ("initial_weights", {"flow": "high"}),
        ("initial_weights", 1.0),
        ("half_life_days", -1),
        ("half_life_days", "a week"),
        ("keep_versions", -3),
        ("keep_versions", 2.5),
        ("evaluate_every", "fortnightly"),
        ("evaluate_warmup_days", -1),
    ],
)
def test_wrong_type_or_value_is_an_error_naming_the_key(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=f"key '{key}'") as raised:
        settings_from_mapping({key: value})
    assert "\n" not in str(raised.value)


def test_engine_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('engine = "duckdb"\n')
    assert load_settings(config).engine == "duckdb"
    monkeypatch.setenv("TRADELENS_ENGINE", "spark")
    assert load_settings(config).engine == "spark"
    monkeypatch.setenv("TRADELENS_ENGINE", "polars")
    with pytest.raises(ConfigError, match="key 'engine'"):
        load_settings(config)


def test_missing_or_broken_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nowhere.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("min_samples = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as raised:
        load_settings(broken)
    assert str(broken) in str(raised.value)


def test_warehouse_path_option_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRADELENS_WAREHOUSE", raising=False)
    assert warehouse_path() == DEFAULT_WAREHOUSE == Path("warehouse/tradelens.duckdb")
    monkeypatch.setenv("TRADELENS_WAREHOUSE", "/data/w.duckdb")
    assert warehouse_path() == Path("/data/w.duckdb")
    assert warehouse_path("mine.duckdb") == Path("mine.duckdb")


def test_run_with_unknown_key_fails_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("min_samples = 10\nfancy_feature = true\n")
    result = tradelens("run", "--config", str(bad), warehouse=tmp_path / "w.duckdb")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {bad}: unknown key 'fancy_feature'"]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before any work


def test_docs_config_lists_every_key_with_its_default() -> None:
    """docs/config.md stays true: one row per Settings field, defaults as TOML would spell them."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text()
    rows = dict(re.findall(r"^\| `\[?([a-z_]+)\]?`(?: §)? \| (.+?) \|", doc, re.M))
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert rows.keys() == fields.keys()
    for name, field in fields.items():
        if field.default is dataclasses.MISSING:  # initial_weights: a table, empty
            continue
        value = list(field.default) if isinstance(field.default, tuple) else field.default
        assert json.loads(rows[name].strip("`")) == value, name
