"""docs/learned_state.schema.json stays true (issue 16): every document `tradelens state`
writes validates against it, on warehouses of every shape the bot can meet, and the schema
rejects the broken documents a bot must not trust."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from case_warehouse import case_warehouse_fixture  # noqa: F401  (the case_warehouse fixture)
from conftest import ingest_one, tradelens, write_jsonl
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

import analytics.pipeline
from analytics.config import settings_from_mapping
from analytics.context import Tradelens

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "learned_state.schema.json"
TOP_LEVEL_KEYS = (
    "run_id", "generated_at", "weights", "multipliers", "bucket_edges", "timing", "not_applied",
)  # fmt: skip
T0 = datetime(2025, 1, 6)  # Monday 00:00 UTC
_files = count()


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


@pytest.fixture(scope="module")
def validator(schema: dict) -> Draft202012Validator:
    return Draft202012Validator(schema)


def written_state(warehouse: Path, out: Path, version: int | None = None) -> dict:
    """What `tradelens state --out` writes, read back as the bot reads it."""
    args = ("--version", str(version)) if version is not None else ()
    result = tradelens("state", *args, "--out", str(out), warehouse=warehouse)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text())


def assert_valid(validator: Draft202012Validator, document: dict) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, errors


@pytest.fixture(scope="module")
def case_documents(case_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The case's documents: version 1, version 2 and the default (latest)."""
    folder = tmp_path_factory.mktemp("case_state")
    return {
        version: written_state(case_warehouse, folder / f"state_{version}.json", version)
        for version in (1, 2, None)
    }


# --------------------------------------------------------------------------- small markets


def bars(symbol: str) -> list[dict]:
    """Five-minute bars closing at 100 until 00:55, then 110."""
    return [{"symbol": symbol, "ts": (T0 + timedelta(minutes=5 * k)).isoformat(), "open": 1,
             "high": 1, "low": 1, "close": 100.0 if k < 12 else 110.0, "volume": 1}
            for k in range(30)]  # fmt: skip


def blocked_trades() -> list[dict]:
    return [{"decision_id": f"b{i}", "ts": (T0 + timedelta(minutes=i)).isoformat(),
             "symbol": "BBB", "direction": "long", "entry_score": 0.0,
             "components": {"flow": 1.0, "news": -0.5}, "reason": "score_below_threshold"}
            for i in range(6)]  # fmt: skip


def executed_trades() -> list[dict]:
    """Eight closed longs with distinct entry scores, so the quartiles give four buckets."""
    return [{"decision_id": f"t{i}", "ts": T0.isoformat(), "symbol": "AAA", "direction": "long",
             "entry_score": float(i), "components": {"flow": 0.5, "momentum": 1.0},
             "entry_ts": T0.isoformat(), "entry_price": 100.0, "qty": 10.0,
             "exit_ts": (T0 + timedelta(hours=2)).isoformat(), "exit_price": 100.0 + i}
            for i in range(8)]  # fmt: skip


def ingest(lens: Tradelens, folder: Path, kind: str, records: list[dict]) -> None:
    path = write_jsonl(folder / f"{kind}_{next(_files)}.jsonl", records)
    assert ingest_one(lens, kind, path, bar_time="close", interval="5m").rejected == 0


# Settings that step on little evidence, so the small markets move something.
PLAIN = {"min_samples": 1, "require_significance": False, "objective": "weighted_pnl"}


# --------------------------------------------------------------------------- the schema itself


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict) -> None:
    assert validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)  # raises SchemaError on a malformed schema


def test_schema_describes_every_key_for_a_bot_author(schema: dict) -> None:
    """A title, a description on the document and on every property it names (the document's
    and a bucket's), and every top-level key required."""
    assert schema["title"]
    undescribed = []

    def walk(node: dict, where: str) -> None:
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                undescribed.append(f"{where}.{name}")
            walk(sub, f"{where}.{name}")
        for sub in node.get("$defs", {}).values():
            walk(sub, where)

    walk(schema, "")
    assert "description" in schema
    assert undescribed == []
    assert set(schema["required"]) == set(TOP_LEVEL_KEYS)


# --------------------------------------------------------------------------- real documents


def test_case_documents_of_every_version_validate(validator, case_documents) -> None:
    for document in case_documents.values():
        assert_valid(validator, document)
    assert case_documents[None] == case_documents[2]
    # the case exercises the shapes the schema constrains: open-ended buckets, not_applied
    buckets = case_documents[2]["multipliers"]
    assert len(buckets) == 4 and buckets[0]["score_lo"] is None and buckets[-1]["score_hi"] is None
    assert {key.split(":")[0] for key in case_documents[2]["not_applied"]} == {
        "weight", "multiplier", "timing",
    }  # fmt: skip


def test_a_warehouse_of_blocked_trades_only_validates_without_multipliers(
    validator, warehouse: Path, tmp_path: Path
) -> None:
    lens = Tradelens(warehouse, settings_from_mapping(PLAIN))
    with lens.session():
        ingest(lens, tmp_path, "prices", bars("BBB"))
        ingest(lens, tmp_path, "blocked", blocked_trades())
        assert lens.run().published
    document = written_state(warehouse, tmp_path / "state.json")
    assert_valid(validator, document)
    assert document["multipliers"] == [] and document["bucket_edges"] == []
    assert set(document["weights"]) == {"flow", "news"}


def test_documents_after_two_runs_validate(validator, warehouse: Path, tmp_path: Path) -> None:
    """Version 1 knows only blocked trades; version 2 adds executed ones, and with them buckets."""
    lens = Tradelens(warehouse, settings_from_mapping(PLAIN))
    with lens.session():
        ingest(lens, tmp_path, "prices", bars("BBB"))
        ingest(lens, tmp_path, "blocked", blocked_trades())
        assert lens.run().published
        ingest(lens, tmp_path, "prices", bars("AAA"))
        ingest(lens, tmp_path, "trades", executed_trades())
        assert lens.run().published
    first = written_state(warehouse, tmp_path / "state_1.json", 1)
    second = written_state(warehouse, tmp_path / "state_2.json", 2)
    for document in (first, second):
        assert_valid(validator, document)
    assert (first["run_id"], second["run_id"]) == (1, 2)
    assert first["multipliers"] == []
    assert [b["bucket"] for b in second["multipliers"]] == [0, 1, 2, 3]
    # quartiles of entry scores 0..7 (linear interpolation): 1.75, 3.5, 5.25
    assert second["bucket_edges"] == pytest.approx([1.75, 3.5, 5.25])
    assert set(second["weights"]) == {"flow", "momentum", "news"}


def test_a_first_version_without_timing_validates(
    validator, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timing component fails in the first run: nothing to carry forward, timing is {}."""
    monkeypatch.setattr(analytics.pipeline, "RETRY_BASE_DELAY_SEC", 0.0)
    lens = Tradelens(warehouse, settings_from_mapping(PLAIN))
    with lens.session():
        ingest(lens, tmp_path, "prices", bars("BBB"))
        ingest(lens, tmp_path, "blocked", blocked_trades())
        with monkeypatch.context() as fault:
            fault.setenv(analytics.pipeline.FAULT_ENV, "timing_grid")
            result = lens.run()
        assert result.published and result.status == "partial"
    document = written_state(warehouse, tmp_path / "state.json")
    assert document["timing"] == {}
    assert_valid(validator, document)


# --------------------------------------------------------------------------- broken documents


def _set(path: tuple, value) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        *parents, last = path
        node = document
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


def _delete(path: tuple) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        *parents, last = path
        node = document
        for key in parents:
            node = node[key]
        del node[last]

    return mutate


BROKEN = {
    # what is wrong: (how to break a valid document, the schema keyword that must reject it)
    "string weight": (_set(("weights", "flow"), "1.0"), "type"),
    "null weight": (_set(("weights", "flow"), None), "type"),
    "generated_at with a space": (_set(("generated_at",), "2025-03-23 16:05:53Z"), "pattern"),
    "generated_at without Z": (_set(("generated_at",), "2025-03-23T16:05:53"), "pattern"),
    "generated_at with an offset": (
        _set(("generated_at",), "2025-03-23T16:05:53.000001+00:00"),
        "pattern",
    ),
    "generated_at in month 13": (_set(("generated_at",), "2025-13-23T16:05:53Z"), "pattern"),
    "generated_at as epoch": (_set(("generated_at",), 1742745953), "type"),
    "run_id as text": (_set(("run_id",), "2"), "type"),
    "run_id zero": (_set(("run_id",), 0), "minimum"),
    "unknown top-level key": (_set(("confidence",), 0.9), "additionalProperties"),
    "score_lo as text": (_set(("multipliers", 1, "score_lo"), "1.27"), "type"),
    "first bucket bounded below": (_set(("multipliers", 0, "score_lo"), -1.0), "prefixItems"),
    "later bucket open below": (_set(("multipliers", 2, "score_lo"), None), "items"),
    "bucket without multiplier": (_delete(("multipliers", 1, "multiplier")), "required"),
    "bucket with an extra key": (_set(("multipliers", 1, "n"), 30), "additionalProperties"),
    "string edge": (_set(("bucket_edges", 0), "1.27"), "type"),
    "timing without hold": (_delete(("timing", "hold_min")), "dependentRequired"),
    "timing with an unknown key": (_set(("timing", "hold_h"), 1.0), "additionalProperties"),
    "not_applied of an unknown kind": (_set(("not_applied", "threshold:x"), "?"), "propertyNames"),
    "not_applied bucket not a number": (
        _set(("not_applied", "multiplier:low"), "?"),
        "propertyNames",
    ),
    "not_applied unknown timing": (_set(("not_applied", "timing:hold"), "?"), "propertyNames"),
    "not_applied note null": (_set(("not_applied", "weight:flow"), None), "type"),
}
MISSING = {f"missing {key}": (_delete((key,)), "required") for key in TOP_LEVEL_KEYS}


@pytest.mark.parametrize("name", [*BROKEN, *MISSING])
def test_schema_rejects_a_broken_document(validator, case_documents, name: str) -> None:
    mutate, keyword = {**BROKEN, **MISSING}[name]
    document = copy.deepcopy(case_documents[2])
    assert_valid(validator, document)  # the mutation alone breaks it
    mutate(document)
    # the schema's keyword that must catch it lies on the path of one of the errors
    found = [list(error.absolute_schema_path) for error in validator.iter_errors(document)]
    assert any(keyword in path for path in found), found
