"""Exports for dashboards and old tools: one version's tables as Parquet or CSV files with a
manifest, and the JSON Lines logs the bot's earlier tooling reads.

Every export is swapped into place whole (a temp folder or file beside the target, then a
rename), so a dashboard polling the folder never reads half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from analytics.errors import TradelensError
from analytics.files import temp_sibling
from analytics.times import iso_utc, utc_now
from analytics.warehouse import Warehouse, head_revision, load_sql, published_version

FILE_FORMATS = ("parquet", "csv")
# file stem -> query of one version's rows (sql/outputs/export_<stem>.sql); fixed order
EXPORT_TABLES = (
    "run",
    "run_components",
    "counterfactuals",
    "timing_grid",
    "timing_outcomes",
    "weight_grid",
    "sizing_grid",
    "learned_state",
)
# Per-decision timing outcomes live in the scenario cache, for the newest version only.
KEPT_FOR_NEWEST_ONLY = ("timing_outcomes",)
JSONL_LOGS = ("comprehensive_learning", "counterfactual_results")
# ISO-8601 UTC in CSV, so every dashboard tool parses the same instant.
CSV_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
MANIFEST = "manifest.json"


def export_version(
    warehouse: Warehouse, to: Path, file_format: str = "parquet", version: int | None = None
) -> dict:
    """Write every table of `version` (default: latest) into folder `to`; returns the manifest."""
    if file_format not in FILE_FORMATS:
        raise TradelensError(f"unknown export format {file_format!r}: use parquet or csv")
    run_id = published_version(warehouse, version)
    with staged_folder(to) as staging:
        tables, omitted = {}, {}
        for stem in EXPORT_TABLES:
            file = staging / f"{stem}.{file_format}"
            table = _copy_table(warehouse, stem, run_id, file, file_format)
            if table["rows"] == 0 and stem in KEPT_FOR_NEWEST_ONLY:
                file.unlink()
                omitted[stem] = "kept for the newest published version only"
                continue
            tables[stem] = table
        manifest = {
            "run_id": run_id,
            "generated_at": iso_utc(utc_now()),
            "format": file_format,
            "schema_revision": head_revision(),
            "tables": tables,
            "omitted": omitted,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def export_jsonl(warehouse: Warehouse, to: Path, version: int | None = None) -> dict[str, int]:
    """Write comprehensive_learning.jsonl (every published run) and counterfactual_results.jsonl
    (the counterfactuals of `version`, default latest) into folder `to`; returns lines per file.

    The folder may hold other files (it is often the old tools' log folder): each file is
    replaced on its own, atomically.
    """
    run_id = published_version(warehouse, version)
    to.mkdir(parents=True, exist_ok=True)
    return {
        f"{log}.jsonl": _copy_jsonl(warehouse, log, run_id, to / f"{log}.jsonl")
        for log in JSONL_LOGS
    }


def _copy_table(warehouse: Warehouse, stem: str, run_id: int, file: Path, file_format: str) -> dict:
    query = load_sql(f"outputs/export_{stem}")
    params = {"run_id": run_id, "file": str(file)}
    relation = warehouse.con.sql(query, params={"run_id": run_id})
    columns = [
        {"name": name, "type": str(kind)}
        for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    options = (
        "FORMAT parquet, COMPRESSION zstd"
        if file_format == "parquet"
        else f"FORMAT csv, HEADER, TIMESTAMPFORMAT '{CSV_TIMESTAMP}'"
    )
    rows = warehouse.value(f"COPY (\n{query}\n) TO $file ({options})", params)
    return {"file": file.name, "rows": rows, "columns": columns}


def _copy_jsonl(warehouse: Warehouse, log: str, run_id: int, file: Path) -> int:
    query = load_sql(f"outputs/jsonl_{log}")
    params = {"file": str(temp_sibling(file))}
    if "$run_id" in query:
        params["run_id"] = run_id
    try:
        lines = warehouse.value(f"COPY (\n{query}\n) TO $file (FORMAT json)", params)
        os.replace(params["file"], file)
    finally:
        Path(params["file"]).unlink(missing_ok=True)
    return lines


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A temp folder beside `target`, moved into its place if the block succeeds.

    The previous export is renamed away, the new one renamed in, then the old one deleted: a
    reader sees the old export whole or the new one whole (or, for the instant between the two
    renames, no folder), never a mix.
    """
    target = target.resolve()
    _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = temp_sibling(target)
    staging.mkdir()
    try:
        yield staging
        _swap_into_place(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    target.rename(old)
    try:
        staging.rename(target)
    except BaseException:
        old.rename(target)  # put the previous export back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _check_replaceable(target: Path) -> None:
    """Only an empty folder or an earlier export may be replaced: never a user's other files."""
    if target.exists() and not target.is_dir():
        raise TradelensError(f"{target} is a file: give a folder for the export")
    if target.is_dir() and any(target.iterdir()) and not (target / MANIFEST).exists():
        raise TradelensError(
            f"{target} holds files that are not a tradelens export (no {MANIFEST}): "
            "choose a new or empty folder"
        )
