"""tradelens: the learning engine of a trading bot. `Tradelens` is the one door in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analytics.context import Tradelens

__all__ = ["Tradelens"]


def __getattr__(name: str) -> Any:
    # Lazy: `python -m analytics --help` should not pay for DuckDB and Polars imports.
    if name == "Tradelens":
        from analytics.context import Tradelens

        return Tradelens
    raise AttributeError(name)
