"""The TOML settings of SPEC §12, validated once into a frozen Settings object."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.errors import ConfigError

DEFAULT_CONFIG_FILE = "tradelens.toml"
DEFAULT_WAREHOUSE = Path("warehouse") / "tradelens.duckdb"
OBJECTIVES = ("sharpe", "weighted_pnl", "pnl_over_drawdown")
ENGINES = ("duckdb", "spark")
BAR_TIMES = ("open", "close")
DEFAULT_POLICY = "bagged"  # SPEC §19: the policy the learning benchmark chose (README)
PER_RUN = "run"  # learning_period: the literal per-cycle rule


@dataclass(frozen=True)
class Settings:
    """Every key of SPEC §12 with its default, plus the Spark engine's own keys."""

    default_notional: float = 1000.0
    default_hold_min: float = 60
    max_staleness_min: float = 15
    fee_bps: float = 0.0
    slippage_bps: float = 0.0
    counterfactual_weight: float = 0.5
    objective: str = "sharpe"
    min_samples: int = 30
    require_significance: bool = True  # an alias (SPEC §19), read only when given: see below
    learning_policy: str = DEFAULT_POLICY  # SPEC §19; given alone, require_significance sets it
    bootstrap_samples: int = 1000
    bootstrap_seed: int = 0
    confidence: float = 0.90
    learning_rate: float = 0.10
    learning_period: str = "1d"  # SPEC §18: learning_rate per this much data time; "run" = per run
    evaluation_guard: bool = True  # SPEC §19: a kind that loses out of sample is held at static
    half_life_days: float = 0  # recency weighting (SPEC §15); 0 = off
    keep_versions: int = 0  # published versions kept (SPEC §17); 0 = all
    evaluate_every: str = "1d"  # walk-forward step (SPEC §16): Nm, Nh or Nd
    evaluate_warmup_days: float = 7
    score_threshold: float = 0.0
    score_block_reasons: tuple[str, ...] = ("score_below_threshold",)
    score_buckets: tuple[float, ...] = ()
    entry_delays_min: tuple[float, ...] = (0, 5, 15, 30)
    holds_min: tuple[float, ...] = (60, 120, 240, 480)
    weight_variations: tuple[float, ...] = (-0.5, -0.25, 0.0, 0.25, 0.5)
    size_multipliers: tuple[float, ...] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
    interval_min: float = 60
    price_bar_time: str = "open"
    inbox_prices: str = ""
    inbox_trades: str = ""
    inbox_blocked: str = ""
    state_out: str = ""
    engine: str = "duckdb"
    spark_master: str = "local[*]"
    spark_prices: str = ""  # Parquet bars (symbol, available_at, close); "" = from the warehouse
    spark_workdir: str = ""  # Parquet exchange folder; "" = a temp folder (local mode)
    initial_weights: dict[str, float] = field(default_factory=dict)

    @property
    def learning_period_min(self) -> int | None:
        """SPEC §18's period in minutes; None for "run" (learning_rate in every evaluated run)."""
        return None if self.learning_period == PER_RUN else step_minutes(self.learning_period)

    def as_json(self) -> str:
        """The settings as recorded with each run."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @property
    def cost_ret(self) -> float:
        """Round-trip cost of SPEC §4 as a return: 2·(fee_bps + slippage_bps)/10000."""
        return 2 * (self.fee_bps + self.slippage_bps) / 10000


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_NUMBER_LISTS = {
    "score_buckets",
    "entry_delays_min",
    "holds_min",
    "weight_variations",
    "size_multipliers",
}


def load_settings(path: str | Path | None = None) -> Settings:
    """Read `path`, else ./tradelens.toml if present, else defaults; env TRADELENS_ENGINE wins."""
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        source = str(path)
        raw = _read_toml(Path(path))
    if os.environ.get("TRADELENS_ENGINE"):
        raw["engine"] = os.environ["TRADELENS_ENGINE"]
    return settings_from_mapping(raw, source)


def settings_from_mapping(raw: dict[str, Any], source: str = "config") -> Settings:
    """Validate a mapping of §12 keys; unknown keys and wrong types are errors naming the key."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _FIELDS:
            raise ConfigError(f"{source}: unknown key '{key}'")
        values[key] = _coerce(key, value, source)
    if "learning_policy" not in values and "require_significance" in values:
        values["learning_policy"] = "gate" if values["require_significance"] else "unguarded"
    settings = Settings(**values)
    _check_choices(settings, source)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _coerce(key: str, value: Any, source: str) -> Any:
    default = _FIELDS[key].default
    bad = ConfigError(f"{source}: key '{key}' has an invalid value {value!r}")
    if key == "initial_weights":
        if not isinstance(value, dict) or not all(_is_number(v) for v in value.values()):
            raise bad
        return {str(k): float(v) for k, v in value.items()}
    if key == "score_block_reasons":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad
        return tuple(value)
    if key in _NUMBER_LISTS:
        if not isinstance(value, list) or not all(_is_number(v) for v in value):
            raise bad
        return tuple(float(v) for v in value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad
        return value
    if isinstance(default, int | float):
        # counts (min_samples, bootstrap_samples, bootstrap_seed) must be whole numbers
        if not _is_number(value) or (_FIELDS[key].type == "int" and value != int(value)):
            raise bad
        return int(value) if isinstance(default, int) and float(value).is_integer() else value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad
        return value
    raise bad  # pragma: no cover - every field type is handled above


def _is_number(value: Any) -> bool:
    """A finite int or float (TOML has inf and nan; no setting means either)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_choices(s: Settings, source: str) -> None:
    def fail(key: str, why: str) -> None:
        raise ConfigError(f"{source}: key '{key}' {why}")

    if s.objective not in OBJECTIVES:
        fail("objective", f"must be one of {', '.join(OBJECTIVES)}, not {s.objective!r}")
    if s.engine not in ENGINES:
        fail("engine", f"must be one of {', '.join(ENGINES)}, not {s.engine!r}")
    if s.price_bar_time not in BAR_TIMES:
        fail("price_bar_time", f"must be 'open' or 'close', not {s.price_bar_time!r}")
    if list(s.score_buckets) != sorted(set(s.score_buckets)):
        fail("score_buckets", "must be strictly increasing inner edges")
    for key in ("entry_delays_min", "holds_min", "weight_variations", "size_multipliers"):
        if not getattr(s, key):
            fail(key, "must not be empty")
    if not 0 < s.confidence < 1:
        fail("confidence", "must be between 0 and 1")
    if not 0 <= s.learning_rate <= 1:
        fail("learning_rate", "must be between 0 and 1 (the share of the way a step takes)")
    if s.min_samples < 0 or s.bootstrap_samples < 1:
        fail("min_samples" if s.min_samples < 0 else "bootstrap_samples", "is out of range")
    if s.interval_min <= 0:
        fail("interval_min", "must be positive")
    if s.half_life_days < 0:
        fail("half_life_days", "must be 0 (off) or a positive number of days")
    if s.keep_versions < 0:
        fail("keep_versions", "must be 0 (keep all) or a positive number of versions")
    if s.evaluate_warmup_days < 0:
        fail("evaluate_warmup_days", "must be 0 or a positive number of days")
    if s.learning_period != PER_RUN and step_minutes(s.learning_period) is None:
        fail("learning_period", f"must be \"run\" or a whole number and m, h or d, e.g. 1d, "
                                f"not {s.learning_period!r}")  # fmt: skip
    if s.learning_policy not in policy_names():
        fail("learning_policy", f"must be one of {', '.join(policy_names())}, not "
                                f"{s.learning_policy!r}")  # fmt: skip
    if step_minutes(s.evaluate_every) is None:
        fail("evaluate_every", f"must be a whole number and m, h or d, e.g. 1d or 6h, not "
                               f"{s.evaluate_every!r}")  # fmt: skip


def policy_names() -> tuple[str, ...]:
    """The learning policies (SPEC §19), from their one registry."""
    from analytics.learning.policies import POLICIES

    return tuple(POLICIES)


_STEP = re.compile(r"^\s*([0-9]+)\s*([mhd])\s*$")
_STEP_MINUTES = {"m": 1, "h": 60, "d": 1440}


def step_minutes(text: str) -> int | None:
    """'90m', '6h', '1d' as minutes (SPEC §16's evaluate_every); None if it is none of those."""
    found = _STEP.match(text)
    if not found or int(found.group(1)) == 0:
        return None
    return int(found.group(1)) * _STEP_MINUTES[found.group(2)]


def warehouse_path(option: str | None = None) -> Path:
    """--warehouse, else TRADELENS_WAREHOUSE, else warehouse/tradelens.duckdb (SPEC §12)."""
    return Path(option or os.environ.get("TRADELENS_WAREHOUSE") or DEFAULT_WAREHOUSE)
