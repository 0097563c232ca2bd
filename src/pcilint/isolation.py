"""Keeping one bad file from taking the scan down: worker crashes, native hangs, lost results.

* Each worker process records the file it is analysing in a small marker file (one ``pwrite`` per
  file), so when a worker dies (segfault in native code, killed by the OOM killer or by the
  watchdog) the parent knows which files were in flight.
* A watchdog thread in each worker kills its own process when one file overruns the per-file time
  budget by a wide margin: the SIGALRM budget cannot interrupt native code (libcst's parser), the
  watchdog can.
* After a crash, :func:`recover` finishes the lost files: the in-flight suspects each in a process of
  their own with a hard time limit (a file that crashes or hangs again is reported as an error), the
  rest in a fresh pool.  A file is never re-run in the main process after a crash, and never lost:
  every file comes back as a result or as an error.
* The workers' own code is here too (:func:`init_worker_process`, :func:`work_chunk`): a worker
  holds the scanner it was started with and calls its ``analyze_file``; nothing here imports the
  engine.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcilint.findings import FileResult
from pcilint.gc_tuning import (PARSE_GC_THRESHOLDS, RELEASE_AFTER_BYTES, collect_promoted,
                               release_memory)

if TYPE_CHECKING:
    from pcilint.discovery import SourceFile
    from pcilint.engine import Scanner
    from pcilint.scan_file import Force

#: Test-only fault injection, honoured only inside worker processes (never the main process):
#: a file whose display path contains this text makes its worker SIGKILL itself ...
CRASH_HOOK_ENV = "PCILINT_TEST_CRASH_ON"
#: ... or hang in a way SIGALRM cannot interrupt (signals blocked), as native code would.
HANG_HOOK_ENV = "PCILINT_TEST_HANG_ON"

WORKER_RECURSION_LIMIT = 10000
#: Exit status of a worker its watchdog stopped (as timeout(1) does).
WATCHDOG_EXIT = 124


def watchdog_limit(file_timeout: float) -> float:
    """Seconds after which a worker stuck on one file is killed (SIGALRM had its chance first)."""
    return file_timeout * 1.5 + 2.0


class InFlight:
    """A directory of per-worker marker files naming the file each worker is analysing."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="pcilint-inflight-")

    def suspects(self) -> set[str]:
        out: set[str] = set()
        try:
            names = os.listdir(self.directory)
        except OSError:
            return out
        for name in names:
            try:
                data = Path(self.directory, name).read_bytes()
            except OSError:
                continue
            text = data.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
            if text:
                out.add(text)
        return out

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


# -- inside a worker process ------------------------------------------------------------------------
class _WorkerState:
    fd: int | None = None
    started: float | None = None
    crash_on: str | None = None
    hang_on: str | None = None
    in_worker = False


_state = _WorkerState()


def init_worker(inflight_dir: str | None, file_timeout: float) -> None:
    """Called once in each worker process (and in an isolated single-file process)."""
    _state.in_worker = True
    _state.crash_on = os.environ.get(CRASH_HOOK_ENV) or None
    _state.hang_on = os.environ.get(HANG_HOOK_ENV) or None
    sys.setrecursionlimit(max(sys.getrecursionlimit(), WORKER_RECURSION_LIMIT))
    if inflight_dir:
        try:
            _state.fd = os.open(os.path.join(inflight_dir, str(os.getpid())),
                                os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError:
            _state.fd = None
    if file_timeout > 0:
        threading.Thread(target=_watchdog, args=(watchdog_limit(file_timeout),), daemon=True,
                         name="pcilint-watchdog").start()


def _watchdog(limit: float) -> None:
    step = max(0.1, min(1.0, limit / 10))
    while True:
        time.sleep(step)
        started = _state.started
        if started is not None and time.monotonic() - started > limit:
            os._exit(WATCHDOG_EXIT)  # ends the process even while the main thread is in C code


def file_started(display: str) -> None:
    """Mark ``display`` as in flight (no-op outside workers); fire the test hooks."""
    if not _state.in_worker:
        return
    if _state.fd is not None:
        payload = display.encode("utf-8", "surrogateescape") + b"\n"
        try:
            os.pwrite(_state.fd, payload.ljust(4096, b"\n") if len(payload) < 4096 else payload, 0)
        except (OSError, AttributeError):  # AttributeError: no pwrite (Windows)
            pass
    _state.started = time.monotonic()
    if _state.crash_on and _state.crash_on in display:
        os.kill(os.getpid(), signal.SIGKILL)
    if _state.hang_on and _state.hang_on in display:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        while True:  # like a stuck native call: the time budget's SIGALRM cannot get in
            time.sleep(0.05)


def file_finished() -> None:
    if not _state.in_worker:
        return
    _state.started = None
    if _state.fd is not None:
        try:
            os.pwrite(_state.fd, b"\n", 0)
        except (OSError, AttributeError):
            pass


class recursion_headroom:
    """Raise the recursion limit while one file is analysed: libcst's visitors recurse once per level
    of the tree, and legal code (up to the guard's limits) needs more than Python's default 1,000.
    The guard keeps trees shallow enough for this limit to be safe for the C stack."""

    def __enter__(self) -> None:
        self.old = sys.getrecursionlimit()
        if self.old < WORKER_RECURSION_LIMIT:
            sys.setrecursionlimit(WORKER_RECURSION_LIMIT)

    def __exit__(self, *exc: Any) -> None:
        if sys.getrecursionlimit() != self.old:
            sys.setrecursionlimit(self.old)


# -- in the main process: recovery after a crash ----------------------------------------------------
def recover(scanner: "Scanner", lost: list["SourceFile"], jobs: int,
            suspects: set[str]) -> dict[str, "FileResult"]:
    """Results (or errors) for every file in ``lost`` after the worker pool broke."""
    results: dict[str, FileResult] = {}
    pending = list(lost)
    while pending:
        isolate = [f for f in pending if f.display in suspects]
        if not isolate:  # the crash left no trace: isolate the first file so every round progresses
            isolate = pending[:1]
        for f in isolate:
            results[f.display] = run_isolated(scanner, f)
        rest = [f for f in pending if f.display not in results]
        if not rest:
            break
        tracker = InFlight()
        try:
            with _pool(scanner, min(jobs, len(rest)), tracker) as pool:
                for fr in pool.map(_work, rest, chunksize=1):
                    results[fr.path] = fr
            pending = []
        except BrokenProcessPool:
            pending = [f for f in rest if f.display not in results]
            suspects = tracker.suspects()
        finally:
            tracker.close()
    return results


def lost_result(display: str) -> "FileResult":
    return FileResult(path=display, error="not analysed: its result was lost (internal error)")


def _pool(scanner: "Scanner", jobs: int, tracker: InFlight) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=max(1, jobs), initializer=init_worker_process,
                               initargs=(scanner, tracker.directory))


def _work(source: "SourceFile") -> "FileResult":
    return work(source)


def _isolated_child(scanner: "Scanner", source: "SourceFile", conn: Any) -> None:
    init_worker(None, scanner.options.file_timeout)
    conn.send(scanner.analyze_file(source))
    conn.close()


def run_isolated(scanner: "Scanner", source: "SourceFile") -> "FileResult":
    """Analyse one file in a process of its own, with a hard time limit; never raises."""
    timeout = scanner.options.file_timeout
    limit = watchdog_limit(timeout) + 2.0 if timeout > 0 else None
    ctx = multiprocessing.get_context()
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_isolated_child, args=(scanner, source, sender), daemon=True)
    try:
        proc.start()
    except OSError as exc:
        return FileResult(path=source.display,
                          error=f"not analysed: cannot start a process ({exc.strerror or exc})")
    sender.close()
    result: FileResult | None = None
    try:
        if receiver.poll(limit):
            result = receiver.recv()
    except (EOFError, OSError):
        result = None
    finally:
        receiver.close()
    proc.join(1.0 if result is not None else 0.5)
    stuck = proc.is_alive()
    if stuck:
        proc.kill()
        proc.join()
    if result is not None:
        return result
    code = proc.exitcode
    if stuck or code == WATCHDOG_EXIT:
        return FileResult(path=source.display, error=(
            f"analysis took longer than {timeout:g} s and its process was stopped (--file-timeout)"))
    if code is not None and code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
        if -code == getattr(signal, "SIGKILL", 9):
            how += ", out of memory?"
    else:
        how = f"exit status {code}"
    return FileResult(path=source.display,
                      error=f"not analysed: the analysis process crashed ({how})")


# -- the worker processes' own code ------------------------------------------------------------
# A worker holds the scanner it was started with (its rules' checks already instantiated) and
# analyses what the pool hands it with ``scanner.analyze_file``.

_worker_scanner: "Scanner | None" = None


def init_worker_process(scanner: "Scanner", inflight_dir: str | None = None) -> None:
    global _worker_scanner
    _worker_scanner = scanner
    init_worker(inflight_dir, scanner.options.file_timeout)
    # What the worker inherited (the checks, libcst's classes, compiled terms) lives as long as
    # the worker: the cyclic collector need not traverse it again (see gc_tuning).
    gc.freeze()
    gc.set_threshold(*PARSE_GC_THRESHOLDS)


def work(source: "SourceFile", force: "Force | dict[str, Force] | None" = None) -> FileResult:
    assert _worker_scanner is not None
    return _worker_scanner.analyze_file(source, force)


def work_chunk(sources: "list[SourceFile]", force: "Force | dict[str, Force] | None" = None
               ) -> list[FileResult]:
    results = []
    for source in sources:
        results.append(work(source, force))
        if source.size > RELEASE_AFTER_BYTES:
            release_memory()
        else:
            collect_promoted()
    return results
