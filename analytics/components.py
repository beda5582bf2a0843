"""What a component of a run is (SPEC §10's per-component status): the tables it reads, the
tables it leaves for later components, what it publishes, and the one result it returns.

A run orders its components from these declarations (dbt's `ref()` in miniature): a component
runs after every component that produces a table it reads. The SQL files a component runs
name what they read in their `-- reads:` header, and tests hold the two against each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from analytics.cell_stats import Recency
from analytics.config import Settings
from analytics.engines import Engine
from analytics.versions import Publication, Scope, publish
from analytics.warehouse import Warehouse, identifier

# Relations every run prepares before its components (analytics/scenarios/replay.py).
RUN_INPUTS = ("run_decisions", "scenario_bars", "scenario_horizons")

# Work a component leaves for the publishing transaction: (warehouse, run_id) -> None.
Save = Callable[[Warehouse, int], None]


class Rows(Protocol):
    """Rows a component publishes into one versioned table."""

    scope: Scope

    def count(self) -> int: ...

    def publish(self, warehouse: Warehouse, table: str, run_id: int, kind: str | None) -> int:
        """Store them as version `run_id` of `table` (only what changed is written)."""


@dataclass(frozen=True)
class FrameRows:
    """A small result made on the driver (grids, learned settings)."""

    frame: pl.DataFrame
    scope: Scope = Scope.TABLE

    def count(self) -> int:
        return self.frame.height

    def publish(self, warehouse: Warehouse, table: str, run_id: int, kind: str | None) -> int:
        warehouse.load_frame("published_frame", self.frame)
        try:
            return publish(
                warehouse, Publication(table, "published_frame", self.scope, kind), run_id
            )
        finally:
            warehouse.execute("DROP TABLE published_frame")


@dataclass(frozen=True)
class EngineRows:
    """A large result that stays on the engine until it is published (one row a decision)."""

    engine: Engine
    name: str
    scope: Scope = Scope.TABLE

    def count(self) -> int:
        return int(self.engine.frame(f"SELECT count(*) AS n FROM {identifier(self.name)}")["n"][0])

    def publish(self, warehouse: Warehouse, table: str, run_id: int, kind: str | None) -> int:
        source = self.engine.to_warehouse(self.name)
        return publish(warehouse, Publication(table, source, self.scope, kind), run_id)


@dataclass(frozen=True)
class ComponentResult:
    """What one component returns: rows per published table, its learned_state rows, state to
    save in the publishing transaction, and facts for the run's watermark."""

    tables: Mapping[str, Rows] = field(default_factory=dict)
    learned: pl.DataFrame | None = None
    saves: Sequence[Save] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    product: Any = None  # what later components read of it beyond tables (typed per component)
    notes: Sequence[str] = ()  # one line each, for the person who ran it

    def published_rows(self) -> int | None:
        """Rows published (None for a component that publishes no table)."""
        if not self.tables:
            return None
        return sum(rows.count() for rows in self.tables.values())


@dataclass(frozen=True)
class StateBefore:
    """The settings a run starts from: the previous version's `after`, else the defaults."""

    weights: dict[str, float]
    multipliers: dict[int, float]
    entry_delay_min: float
    hold_min: float


@dataclass(frozen=True)
class LastEvaluation:
    """A learned kind's evidence when it was last evaluated (SPEC §14)."""

    digest: str
    setting: object  # timing: the setting that evaluation started from
    current: str | None  # timing: digest of that setting's own outcomes then
    label: str  # "run 12", or in a walk-forward "boundary 2025-03-11T00:00:00Z"
    as_of: datetime | None = None  # SPEC §18: that run's as-of moment (None: not recorded)


@dataclass
class RunContext:
    """What every component of one run reads: where to compute, the warehouse (planning and
    state reads), the settings, the learned state the run starts from, the as-of date of §15,
    the last evaluation of each learned kind (§14), and what earlier components made."""

    engine: Engine
    warehouse: Warehouse
    settings: Settings
    before: StateBefore
    recency: Recency
    last_evaluations: Mapping[str, LastEvaluation]
    full: bool = False
    as_of: datetime | None = None  # SPEC §18: the greatest bar available_at (§16: the boundary)
    products: dict[str, Any] = field(default_factory=dict)


class Component(Protocol):
    name: str  # as recorded in run_components
    reads: tuple[str, ...]  # relations produced by other components or RUN_INPUTS
    produces: tuple[str, ...]  # relations it creates on the engine (later components may read)
    publishes: tuple[str, ...]  # history tables it fills
    learns: str | None  # the learned_state kind it decides, if any
    queries: tuple[str, ...]  # the sql/ files it runs

    def compute(self, run: RunContext) -> ComponentResult: ...


def in_dependency_order(components: Sequence[Component]) -> list[Component]:
    """Each component after the producers of what it reads; ties keep the given order."""
    producer = {table: c.name for c in components for table in c.produces}
    pending = list(components)
    ordered: list[Component] = []
    done: set[str] = set()
    while pending:
        ready = next(
            (
                c
                for c in pending
                if all(producer.get(t, c.name) in done | {c.name} for t in c.reads)
            ),
            None,
        )
        if ready is None:
            names = ", ".join(c.name for c in pending)
            raise RuntimeError(f"components read each other's tables in a circle: {names}")
        ordered.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return ordered


def _inputs_ready(component: Component, producer: dict[str, str], done: set[str]) -> bool:
    return all(producer.get(t, component.name) in done | {component.name} for t in component.reads)


def upstream(components: Sequence[Component], name: str) -> list[str]:
    """Names of the components `name` depends on, directly or not."""
    by_name = {c.name: c for c in components}
    producer = {table: c.name for c in components for table in c.produces}
    found: list[str] = []
    stack = [name]
    while stack:
        for table in by_name[stack.pop()].reads:
            source = producer.get(table)
            if source and source not in found:
                found.append(source)
                stack.append(source)
    return found
