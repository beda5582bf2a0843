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
