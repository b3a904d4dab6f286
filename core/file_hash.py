"""sha256 of files, computed once per (path, size, modification time) and kept for the life of the process.

Checkpoints are hundreds of megabytes: hashing one takes a second, so the app, the weight manager and the
checkpoint reader ask here and only pay for a file the first time (and again when it is replaced).
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

CHUNK_BYTES = 1 << 20

_HASHES: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def file_identity(path: str | Path) -> tuple[str, int, int]:
    """(resolved path, size in bytes, modification time in ns): what changes when a file is replaced."""
    path = Path(path).resolve()
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns


def sha256_of(path: str | Path) -> str:
    """The file's sha256 hex digest, hashed only when this (path, size, mtime) was not hashed before."""
    key = file_identity(path)
    with _LOCK:
        known = _HASHES.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(key[0], "rb") as stream:
        while block := stream.read(CHUNK_BYTES):
            digest.update(block)
    with _LOCK:
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]
