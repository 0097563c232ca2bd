"""Writing files atomically (a temp file in the same directory, then a rename): reports, baselines
and cache entries, so a reader never sees a half-written file."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8 with ``\\n`` line ends, or bytes) to ``path`` atomically.

    Text goes through :func:`pcilint.masking.mask_output` first (reports and baselines never hold
    a full card number or key, whatever a file name says).  The file gets the permissions the
    umask gives (``mkstemp`` alone would make every report 0600).  A directory is an error; an
    existing special file (``/dev/stdout``, a FIFO, a device) is written to, not replaced; a
    symbolic link is followed, so the link stays a link."""
    from pcilint.errors import PcilintError
    from pcilint.masking import mask_output

    path = Path(path)
    if isinstance(data, str):
        data = mask_output(data)
    if path.is_dir():
        raise PcilintError(f"{path}: is a directory, not a file to write")
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, "wb") as fh:  # noqa: PTH123 - a device or pipe: write through it
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
