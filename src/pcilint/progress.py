"""A progress line on stderr for long scans: only when stderr is a terminal and the scan has more
than :data:`MIN_FILES` files, so it never mixes into piped output, CI logs or machine formats."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_FILES = 300


class Progress:
    """Callable as ``progress(done, total)``; redraws at most every ``interval`` seconds."""

    def __init__(self, stream: TextIO, min_files: int = MIN_FILES, interval: float = 0.1) -> None:
        self.stream = stream
        self.min_files = min_files
        self.interval = interval
        self.shown = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if total < self.min_files:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        width = 24
        filled = width * done // total if total else width
        self.stream.write(f"\r\x1b[Kpcilint: [{'#' * filled}{'.' * (width - filled)}] "
                          f"{done}/{total} files")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the progress line (so the report starts on a clean line)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


def progress_for(stream: TextIO | None = None, enabled: bool = True) -> Progress | None:
    stream = stream if stream is not None else sys.stderr
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return Progress(stream) if enabled and tty else None
