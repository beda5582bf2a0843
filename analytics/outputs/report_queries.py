"""What the report reads from the warehouse: the queries of sql/outputs/report_*.sql by name,
and run or evaluation rows with the settings they ran with."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from analytics.warehouse import Warehouse, load_sql, published_version


def report_frame(warehouse: Warehouse, name: str, **params: Any) -> pl.DataFrame:
    """sql/outputs/report_<name>.sql as a frame."""
    return warehouse.frame(load_sql(f"outputs/report_{name}"), params)


def report_rows(warehouse: Warehouse, name: str, **params: Any) -> list[dict]:
    """sql/outputs/report_<name>.sql as rows."""
    return warehouse.rows(load_sql(f"outputs/report_{name}"), params)


def with_settings(row: dict) -> dict:
    """A run or evaluation row with its `config` JSON parsed, as `settings`."""
    return {**row, "settings": json.loads(row["config"])}


def published_run(warehouse: Warehouse, version: int | None) -> dict | None:
    """The run row of `version` (default: the newest published); None when none is published."""
    if version is None and not warehouse.value("SELECT count(*) FROM runs WHERE published"):
        return None
    run_id = published_version(warehouse, version)
    return with_settings(warehouse.rows("SELECT * FROM runs WHERE run_id = ?", [run_id])[0])
