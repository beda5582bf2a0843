"""Files tradelens reads and writes outside the warehouse: content hashes and atomic writes."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from analytics.errors import InputFileError

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """sha256 of the file's bytes: the same content is the same file, wherever it lies.

    Raises OSError as the operating system reports it; callers decide what it means."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_file_id(path: Path) -> str:
    """`sha256_of` for a file the user named: a missing or unreadable file is one line."""
    try:
        return sha256_of(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror})") from None


def temp_sibling(target: Path) -> Path:
    """A hidden sibling of `target`: on the same filesystem, so a rename onto it is atomic."""
    return target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")


def write_atomically(path: Path, text: str) -> None:
    """Write a temp file beside `path`, flush it to disk, then rename it over `path`: a reader
    polling the file sees the old content or the new, never half of it. The file gets the mode
    any new file gets (0666 less the umask), so a bot running as another user can read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_sibling(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
