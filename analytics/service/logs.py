"""Structured logs of the service: text for people, one JSON object a line for log shippers.

Every line logged during a cycle carries that cycle's run_id (a context variable set by the
scheduler thread), so `grep run_id=12` or a `run_id` field finds everything one run did.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

RUN_ID: ContextVar[int | None] = ContextVar("run_id", default=None)
log = logging.getLogger("tradelens.service")


class RunIdFilter(logging.Filter):
    """Stamp each record with the run_id of the cycle the emitting thread is running, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = RUN_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        run = f" run_id={record.run_id}" if getattr(record, "run_id", None) is not None else ""
        fields = "".join(f" {k}={v}" for k, v in getattr(record, "fields", {}).items())
        line = f"{_stamp(record)} {record.levelname.lower():7} {record.name}{run}: "
        line += record.getMessage() + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": _stamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "run_id": getattr(record, "run_id", None),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _stamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def setup_logging(log_format: str = "text", level: str = "info") -> None:
    """One stderr handler on the root logger, so uvicorn's own lines share the format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RunIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # health probes are noise
    # Alembic reports every start's schema check at info ("Context impl DuckDBImpl", "Will
    # assume transactional DDL"): operator noise, shown only with --log-level debug.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
