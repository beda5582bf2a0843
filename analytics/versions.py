"""Published versions stored by what changed (SPEC §10, §17), on the warehouse side.

Each row of `versions.<table>` belongs to the versions `valid_from` <= run_id < `valid_to`
(open-ended while current). Publishing a version inserts only the rows that differ from the
current ones and closes the rows they supersede; `history.<table>` (a view) still shows every
version whole. Retention removes the versions no kept version needs, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from analytics.errors import TradelensError
from analytics.warehouse import Warehouse, identifier

# The key of each versioned table: one current row per key.
KEYS = {
    "counterfactuals": ("decision_id",),
    "timing_grid": ("entry_delay_min", "hold_min", "population"),
    "weight_grid": ("component", "variation"),
    "sizing_grid": ("bucket", "multiplier"),
    "learned_state": ("kind", "name"),
}
RANGE_COLUMNS = ("valid_from", "valid_to")


class Scope(Enum):
    """Which current rows a publication replaces."""

    TABLE = "table"  # every current row: keys absent from the new rows end
    LISTED = "listed"  # only the rows whose keys the new rows list (an incremental update)


@dataclass(frozen=True)
class Publication:
    """Rows to publish into one versioned table: `source` is a relation of the warehouse
    connection; `kind` restricts TABLE scope to one learned_state kind."""

    table: str
    source: str
    scope: Scope = Scope.TABLE
    kind: str | None = None


def row_columns(warehouse: Warehouse, table: str) -> tuple[str, ...]:
    """The value columns of versions.<table>, in order (the range columns left out)."""
    rows = warehouse.rows(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'versions' "
        "AND table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return tuple(r["column_name"] for r in rows if r["column_name"] not in RANGE_COLUMNS)


def publish(warehouse: Warehouse, publication: Publication, run_id: int) -> int:
    """Store the rows of `publication` as part of version `run_id`; returns the rows written
    (rows equal to current ones are not written again). Call inside the publishing
    transaction."""
    table = identifier(publication.table)
    columns = ", ".join(identifier(c) for c in row_columns(warehouse, publication.table))
    keys = KEYS[publication.table]
    same_key = " AND ".join(f"c.{identifier(k)} = t.{identifier(k)}" for k in keys)
    in_scope = "t.kind = $kind" if publication.kind is not None else "true"
    params = {"run_id": run_id} | ({"kind": publication.kind} if publication.kind else {})
    current = f"SELECT {columns} FROM versions.{table} AS t WHERE t.valid_to IS NULL"
    if publication.scope is Scope.LISTED:  # compared with the listed keys' rows only
        current += (
            f" AND EXISTS (SELECT 1 FROM {identifier(publication.source)} AS c WHERE {same_key})"
        )
    warehouse.temp_table(
        "publication_changed",
        f"SELECT {columns} FROM {identifier(publication.source)} "
        f"EXCEPT SELECT {columns} FROM ({current} AND {in_scope})",
        {"kind": publication.kind} if publication.kind else None,
    )
    gone = ""
    if publication.scope is Scope.TABLE:
        gone = (
            f" OR NOT EXISTS (SELECT 1 FROM {identifier(publication.source)} AS c WHERE {same_key})"
        )
    warehouse.execute(
        f"UPDATE versions.{table} AS t SET valid_to = $run_id "
        f"WHERE t.valid_to IS NULL AND {in_scope} AND ("
        f"EXISTS (SELECT 1 FROM publication_changed AS c WHERE {same_key}){gone})",
        params,
    )
    written = warehouse.value("SELECT count(*) FROM publication_changed")
    warehouse.execute(
        f"INSERT INTO versions.{table} SELECT $run_id, NULL, {columns} FROM publication_changed",
        {"run_id": run_id},
    )
    warehouse.execute("DROP TABLE publication_changed")
    return written


@dataclass(frozen=True)
class PruneReport:
    kept: list[int]
    removed_versions: list[int]
    removed_rows: dict[str, int]


def prune(warehouse: Warehouse, keep: int) -> PruneReport:
    """Remove all but the newest `keep` published versions (SPEC §17): the rows no kept version
    holds, and the versions' place in history (their runs rows stay, marked pruned). The caller
    holds the transaction; latest is always kept."""
    if keep < 1:
        raise TradelensError(f"--keep must be at least 1 (latest is never removed), not {keep}")
    versions = [
        r["run_id"]
        for r in warehouse.rows(
            "SELECT run_id FROM runs WHERE published AND NOT pruned ORDER BY run_id DESC"
        )
    ]
    kept, removed = versions[:keep], versions[keep:]
    removed_rows = {}
    if removed:
        oldest = min(kept)
        for table in KEYS:
            before = warehouse.value(f"SELECT count(*) FROM versions.{identifier(table)}")
            warehouse.execute(
                f"DELETE FROM versions.{identifier(table)} AS t WHERE NOT EXISTS ("
                "SELECT 1 FROM runs AS v WHERE v.published AND NOT v.pruned "
                "AND v.run_id >= $oldest AND v.run_id >= t.valid_from "
                "AND (t.valid_to IS NULL OR v.run_id < t.valid_to))",
                {"oldest": oldest},
            )
            after = warehouse.value(f"SELECT count(*) FROM versions.{identifier(table)}")
            removed_rows[table] = before - after
        warehouse.execute(
            "UPDATE runs SET pruned = true WHERE published AND run_id < $oldest", {"oldest": oldest}
        )
    return PruneReport(
        kept=sorted(kept), removed_versions=sorted(removed), removed_rows=removed_rows
    )
