"""The cyclic garbage collector tuned for parsing: fewer young collections while libcst builds a
tree, a full one after a file that promoted objects, and memory handed back after a large file."""

from __future__ import annotations

import gc
from typing import Any

# A libcst parse allocates hundreds of thousands of container objects, none of them cyclic
# garbage, so CPython's default thresholds (700, 10, 10) run a young collection every 700 of them
# and re-traverse the growing tree in the older generations: about a fifth of a worker's CPU time
# on the benchmark corpus.  With these a young collection runs 30x less often.  A file's own
# cycles (each check's visitor class, which holds the file's context and so its whole tree) may
# by then have been promoted to the oldest generation, which these thresholds rarely collect:
# collect_promoted() collects it after such a file (cheap: what the worker inherited is frozen).
PARSE_GC_THRESHOLDS = (20000, 50, 100)


def collect_promoted() -> None:
    """A full collection if objects reached the oldest generation since the last one (a file
    long enough to run a middle-generation collection): its garbage cycles would otherwise keep
    their parse trees alive until the next full collection, hundreds of files later."""
    if gc.get_count()[2]:
        gc.collect()


class parse_gc:
    """PARSE_GC_THRESHOLDS for a serial analysis in this process, then the thresholds it had."""

    def __enter__(self) -> None:
        self.saved = gc.get_threshold()
        gc.set_threshold(*PARSE_GC_THRESHOLDS)

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self.saved)


# After a file this large, a worker hands the memory its parse tree used back to the system:
# CPython keeps freed blocks in its heap, so one 17,000-line file would set the worker's size for
# the rest of the scan (peak RSS is summed over the workers).
RELEASE_AFTER_BYTES = 256 * 1024
_libc_trim: Any = None


def release_memory() -> None:
    global _libc_trim
    gc.collect()
    if _libc_trim is None:
        try:
            import ctypes

            _libc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to trim
            _libc_trim = False
    if _libc_trim:
        _libc_trim(0)
