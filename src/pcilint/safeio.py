"""Reading the small files pcilint trusts least: configuration, rule packs, baselines, version tables.

Each of these can be named by a scanned repository (``extend_rules: [/dev/zero]``, a FIFO checked in
as ``rules.yaml``, a 2 GB baseline), so they are read through one guard: a regular file, opened
without blocking, at most :data:`MAX_BYTES`.  Failures are :class:`OSError` with a plain message, so
the callers' existing "cannot read ...: <reason>" errors name the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MAX_BYTES = 16 << 20  # 16 MiB: far above any real configuration, rule pack or baseline


class UnsafeFile(OSError):
    def __str__(self) -> str:
        return self.strerror or "cannot read"


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFile(errno.EINVAL, "not a regular file (a pipe, device or directory)")
        if st.st_size > limit:
            raise UnsafeFile(errno.EFBIG, f"larger than {limit // (1 << 20)} MiB")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnsafeFile(errno.EFBIG, f"larger than {limit // (1 << 20)} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: int = MAX_BYTES, errors: str = "strict") -> str:
    return read_bytes(path, limit).decode("utf-8", errors)
