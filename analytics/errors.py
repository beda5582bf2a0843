"""One error hierarchy: every user mistake is a TradelensError with a one-line message."""

from __future__ import annotations


class TradelensError(Exception):
    """A problem the user can fix; the CLI prints its message on one line and exits 1."""


class ConfigError(TradelensError):
    """The TOML configuration is invalid."""


class InputFileError(TradelensError):
    """An input file could not be read at all (missing, unreadable, malformed)."""


class WarehouseError(TradelensError):
    """The warehouse is missing, locked, or at an unexpected schema revision."""


class ReadOnlyError(TradelensError):
    """A write statement was sent through the read-only SQL access."""


def first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message, or its type when it has none."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def one_line(exc: BaseException) -> str:
    """`Type: first line`, for logs and run records where the kind of failure matters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
