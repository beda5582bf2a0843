"""Pick up new files from the inbox folders: each content once, failures quarantined.

A file is known by the sha256 of its bytes, recorded in the ledger `raw.inbox_files`: a copy
under another name is skipped, a file rewritten in place with new bytes is picked up again.
Files are never moved or deleted (the folders belong to the bot that writes them); a file that
cannot be read is recorded as `quarantined` with its reason and left alone until it changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analytics.config import Settings
from analytics.context import Tradelens
from analytics.errors import one_line
from analytics.files import sha256_of
from analytics.ingest import IngestReport
from analytics.pipeline import RunAborted
from analytics.times import stored_utc_now
from analytics.warehouse import Warehouse

log = logging.getLogger("tradelens.service.inbox")

INBOX_FOLDERS = {"prices": "inbox_prices", "trades": "inbox_trades", "blocked": "inbox_blocked"}
SETTLE_SEC = 1.0  # a file modified more recently may still be being written: next cycle
IGNORED_SUFFIXES = (".tmp", ".part", ".partial")
UNEXPECTED_FAILURES_BEFORE_QUARANTINE = 3


@dataclass(frozen=True)
class InboxFile:
    path: Path
    kind: str
    file_id: str  # sha256 of the bytes, or 'unreadable:…' when they cannot be read
    unreadable: str | None = None


@dataclass
class PickupReport:
    ingested: list[tuple[InboxFile, IngestReport]] = field(default_factory=list)
    quarantined: list[tuple[InboxFile, str]] = field(default_factory=list)
    known: int = 0  # content seen before (same file, or a copy of it)
    deferred: int = 0  # failed unexpectedly this cycle; tried again next cycle


class InboxScanner:
    """Lists inbox files with their content hash, hashing a file again only when it changed."""

    def __init__(self, settings: Settings) -> None:
        self.folders = {
            kind: Path(getattr(settings, key))
            for kind, key in INBOX_FOLDERS.items()
            if getattr(settings, key)
        }
        self._hashes: dict[tuple, str] = {}
        self._unexpected_failures: dict[tuple[str, str], int] = {}

    def create_folders(self) -> None:
        for folder in self.folders.values():
            folder.mkdir(parents=True, exist_ok=True)

    def scan(self) -> list[InboxFile]:
        """Settled files of every inbox, oldest first within a kind; prices before decisions."""
        found: list[InboxFile] = []
        seen_keys: set[tuple] = set()
        for kind, folder in self.folders.items():
            for path, info in _settled_files(folder):
                key = (str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
                seen_keys.add(key)
                item = self._identify(path, kind, key, info)
                if item is not None:
                    found.append(item)
        self._hashes = {k: v for k, v in self._hashes.items() if k in seen_keys}
        return found

    def _identify(
        self, path: Path, kind: str, key: tuple, info: os.stat_result
    ) -> InboxFile | None:
        if key in self._hashes:
            return InboxFile(path, kind, self._hashes[key])
        try:
            fid = sha256_of(path)
        except FileNotFoundError:
            return None  # removed since it was listed: nothing to judge
        except OSError as exc:
            # No content to key on: the file's identity is its stat, so a chmod or a rewrite
            # (new mode, size or time) makes it a new candidate.
            signature = f"{key}|{info.st_mode}|{info.st_uid}".encode()
            fid = "unreadable:" + hashlib.sha256(signature).hexdigest()[:32]
            return InboxFile(path, kind, fid, unreadable=f"cannot read ({exc.strerror})")
        self._hashes[key] = fid
        return InboxFile(path, kind, fid)

    def pick_up(
        self,
        lens: Tradelens,
        run_id: int | None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> PickupReport:
        """Ingest every inbox file whose content the ledger has not seen; record the verdicts.
        Call inside a writing session of `lens` (the cycle's)."""
        report = PickupReport()
        with lens.warehouse(write=True) as warehouse:
            for item in self.scan():
                if should_stop():
                    raise RunAborted("stop requested")
                if _known(warehouse, item):
                    report.known += 1
                    continue
                if item.unreadable:
                    reason = f"{item.path}: {item.unreadable}"
                    self._quarantine(warehouse, item, reason, run_id, report)
                    continue
                self._ingest(lens, warehouse, item, run_id, report)
        return report

    def _ingest(
        self,
        lens: Tradelens,
        warehouse: Warehouse,
        item: InboxFile,
        run_id: int | None,
        report: PickupReport,
    ) -> None:
        try:
            batch = lens.ingest(item.kind, [item.path], bar_time=lens.settings.price_bar_time)
        except duckdb.InterruptException:
            raise RunAborted("stop requested") from None
        except Exception as exc:
            self._unexpected(warehouse, item, exc, run_id, report)
            return
        if batch.failures:
            if item.path.exists():  # else removed between listing and reading: no verdict
                self._quarantine(warehouse, item, batch.failures[0], run_id, report)
            return
        [result] = batch.reports
        self._unexpected_failures.pop((item.file_id, item.kind), None)
        note = _ingest_note(result)
        _record(warehouse, item, "ingested", note, result.accepted, result.rejected, run_id)
        report.ingested.append((item, result))
        log.info(
            "ingested %s file %s: %d rows accepted, %d rejected%s",
            item.kind,
            item.path.name,
            result.accepted,
            result.rejected,
            f" ({note})" if note else "",
            extra={
                "fields": {
                    "file": str(item.path),
                    "kind": item.kind,
                    "accepted": result.accepted,
                    "rejected": result.rejected,
                }
            },
        )

    def _unexpected(
        self,
        warehouse: Warehouse,
        item: InboxFile,
        exc: Exception,
        run_id: int | None,
        report: PickupReport,
    ) -> None:
        """A failure that is not about the file's content may pass (disk full, a lock): retry
        it in later cycles, but give up on a file that keeps failing so it cannot jam the inbox."""
        key = (item.file_id, item.kind)
        failures = self._unexpected_failures.get(key, 0) + 1
        self._unexpected_failures[key] = failures
        reason = f"{item.path}: {one_line(exc)}"
        if failures >= UNEXPECTED_FAILURES_BEFORE_QUARANTINE:
            self._unexpected_failures.pop(key)
            self._quarantine(warehouse, item, f"failed {failures} times: {reason}", run_id, report)
            return
        log.error(
            "ingest of %s failed (attempt %d), retried next cycle: %s",
            item.path,
            failures,
            reason,
            exc_info=exc,
        )
        report.deferred += 1

    def _quarantine(
        self,
        warehouse: Warehouse,
        item: InboxFile,
        reason: str,
        run_id: int | None,
        report: PickupReport,
    ) -> None:
        _record(warehouse, item, "quarantined", reason, None, None, run_id)
        report.quarantined.append((item, reason))
        log.warning(
            "quarantined %s file %s: %s",
            item.kind,
            item.path.name,
            reason,
            extra={"fields": {"file": str(item.path), "kind": item.kind}},
        )


def _settled_files(folder: Path) -> list[tuple[Path, os.stat_result]]:
    """Regular files, not hidden or temporary, unmodified for SETTLE_SEC; oldest first."""
    try:
        paths = list(folder.iterdir())
    except FileNotFoundError:
        log.warning("inbox folder %s does not exist", folder)
        return []
    settled = []
    for path in paths:
        if path.name.startswith((".", "~")) or path.suffix in IGNORED_SUFFIXES:
            continue
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and time.time() - info.st_mtime >= SETTLE_SEC:
            settled.append((info.st_mtime_ns, path.name, path, info))
    return [(path, info) for *_, path, info in sorted(settled)]


def _known(warehouse: Warehouse, item: InboxFile) -> bool:
    return bool(
        warehouse.one(
            "SELECT 1 FROM raw.inbox_files WHERE file_id = ? AND kind = ?",
            [item.file_id, item.kind],
        )
    )


def _record(
    warehouse: Warehouse,
    item: InboxFile,
    status: str,
    reason: str | None,
    accepted: int | None,
    rejected: int | None,
    run_id: int | None,
) -> None:
    warehouse.execute(
        "INSERT OR REPLACE INTO raw.inbox_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            item.file_id,
            item.kind,
            str(item.path),
            status,
            reason,
            accepted,
            rejected,
            run_id,
            stored_utc_now(),
        ],
    )


def _ingest_note(result: IngestReport) -> str | None:
    if result.already_ingested:
        return "content already in the warehouse"
    if result.rejected:
        return f"{result.rejected} of {result.rows} rows rejected, first: {result.first_reject}"
    return result.note or None
