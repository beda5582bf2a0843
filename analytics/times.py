"""Moments in UTC. The warehouse stores naive TIMESTAMPs that mean UTC; what leaves it (JSON,
CSV, logs) says so with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime

# "known by the end of time": everything; a literal both engines take (Spark has no infinity)
END_OF_TIME = datetime(9999, 12, 31)


def utc_now() -> datetime:
    """Now, as an aware UTC time."""
    return datetime.now(UTC)


def stored_utc_now() -> datetime:
    """Now, as the warehouse stores moments: naive, meaning UTC."""
    return utc_now().replace(tzinfo=None)


def as_utc(moment: datetime) -> datetime:
    """An aware UTC time; a naive one is taken to mean UTC (how the warehouse stores them)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime | None, timespec: str = "auto") -> str | None:
    """ISO-8601 with an explicit `Z`, e.g. 2025-01-06T00:17:28.451000Z."""
    if moment is None:
        return None
    return as_utc(moment).isoformat(timespec=timespec).replace("+00:00", "Z")
