"""The worker pool of a scan: started once per scan and kept for the closure's rounds, fed chunks
of similar size (largest files first).  The workers' own code, and the recovery of a dead
worker's files, is :mod:`pcilint.isolation`; it is imported only when a pool starts."""

from __future__ import annotations

from typing import Any, Callable

from pcilint.discovery import SourceFile
from pcilint.findings import FileResult
from pcilint.scan_file import Force

# Pool work is handed out in chunks of about total / (jobs * CHUNKS_PER_JOB) bytes, largest first.
CHUNKS_PER_JOB = 16


class WorkerPool:
    """The pool part of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's state)."""

    def _analyse_in_pool(self, files: list[SourceFile], force: Force | dict[str, Force],
                         tick: Callable[[int], None], jobs: int) -> list[FileResult]:
        # (imported here: a scan served from the cache or the prefilter never starts a pool)
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        from pcilint import isolation

        # Workers inherit the instantiated checks (fork) instead of each building them.
        self._ensure_checks()
        self._force_round = force  # isolation.recover() and a new pool's workers inherit it
        pool, inflight = self._worker_pool(jobs)
        results: dict[str, FileResult] = {}
        try:
            futures = [pool.submit(isolation.work_chunk, chunk, _force_slice(force, chunk))
                       for chunk in _chunks(files, jobs)]
            for future in as_completed(futures):
                for fr in future.result():
                    results[fr.path] = fr
                    tick(1)
        except BrokenProcessPool:
            # A worker died (segfault, OOM killer, watchdog): never re-run its files in this
            # process; the suspects go to processes of their own (see isolation.py).
            lost = [f for f in files if f.display not in results]
            suspects = inflight.suspects()
            self._close_pool()
            results.update(isolation.recover(self, lost, jobs, suspects))
        finally:
            self._force_round = False
        return [results.get(f.display) or isolation.lost_result(f.display) for f in files]

    def _worker_pool(self, jobs: int) -> tuple[Any, Any]:
        """The process pool, started once per scan and kept for the closure's rounds: forking a
        new pool per round from a main process that by then holds every result would copy it
        into each worker (peak memory is summed over them)."""
        if self._pool_state is None:
            from concurrent.futures import ProcessPoolExecutor

            from pcilint import isolation

            inflight = isolation.InFlight()
            pool = ProcessPoolExecutor(max_workers=jobs, initializer=isolation.init_worker_process,
                                       initargs=(self, inflight.directory))
            self._pool_state = (pool, inflight)
        return self._pool_state

    def _close_pool(self, kill: bool = False) -> None:
        if self._pool_state is not None:
            pool, inflight = self._pool_state
            self._pool_state = None
            if kill:
                for process in list(getattr(pool, "_processes", {}).values()):
                    try:
                        process.kill()
                    except (OSError, AttributeError):
                        pass
                pool.shutdown(wait=False, cancel_futures=True)
            else:
                pool.shutdown(wait=True, cancel_futures=True)
            inflight.close()


def _force_slice(force: Any, files: list[SourceFile]) -> Any:
    """What a worker needs of a round's ``force``: its own files' entries."""
    if isinstance(force, dict):
        return {f.display: force[f.display] for f in files if f.display in force}
    return force


def _chunks(files: list[SourceFile], jobs: int) -> list[list[SourceFile]]:
    """Largest files first (they set the tail of a parallel run), in chunks of similar size."""
    ordered = sorted(files, key=lambda f: -f.size)
    target = max(sum(f.size for f in ordered) // (jobs * CHUNKS_PER_JOB), 32 * 1024)
    chunks: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for f in ordered:
        current.append(f)
        size += f.size
        if size >= target:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks
