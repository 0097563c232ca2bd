"""The scan: discover files, parse each once, run every active check in one batched traversal,
then the project-wide phase, suppressions and ordering.

:class:`Scanner` is the scan's order of work; each part of it is a module with one job, mixed in:

* :mod:`pcilint.scan_rules` - the rules: loaded (or cached stubs), bound to check kinds when a file
  needs them, selected, planned;
* :mod:`pcilint.scan_file` - one file: read, decode, parse, the checks' visitors, a ``FileResult``;
* :mod:`pcilint.scan_cache` - per-file results in the cache (:mod:`pcilint.cache`);
* :mod:`pcilint.pool` - the worker pool (its workers and crash recovery: :mod:`pcilint.isolation`);
* :mod:`pcilint.project_phase` - the cross-module phase, suppressions, de-duplication.

Speed (see ``docs/benchmark.md``): a textual prefilter decides which files need a parse
(:mod:`pcilint.prefilter`), results are cached per file content, and libcst itself is imported
only when some file has to be parsed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pcilint.cache import Cache, key_of
from pcilint.checks import bind
from pcilint.config import Settings, validate_codes
from pcilint.discovery import SourceFile, discover
from pcilint.findings import FileResult, Finding, ScanError, ScanResult, assign_fingerprints
from pcilint.gc_tuning import collect_promoted, parse_gc
from pcilint.pool import WorkerPool
from pcilint.prefilter import DependencyGraph
from pcilint.project_phase import ProjectPhase, _dedupe
from pcilint.recheck import ProjectState, Recheck
from pcilint.ruleset import Rule
from pcilint.scan_cache import ResultCache, _forced_entries
from pcilint.scan_file import (_TOKEN, DEFAULT_MAX_PARSE_TOKENS, FileAnalysis, FileTimeout,
                               Force, decode_source)
from pcilint.scan_rules import RulePlan, RuleSetup, select_rules

__all__ = ["DEFAULT_FILE_TIMEOUT", "DEFAULT_MAX_FILE_SIZE", "DEFAULT_MAX_PARSE_TOKENS", "FileResult",
           "FileTimeout", "Force", "MIN_FILES_FOR_POOL", "Options", "RulePlan", "Scanner",
           "decode_source", "select_rules", "_TOKEN", "_dedupe"]

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 60.0
# Below this many files a process pool costs more than it saves.
MIN_FILES_FOR_POOL = 24


@dataclass
class Options:
    jobs: int = 0  # 0 = all cores
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    max_parse_tokens: int = DEFAULT_MAX_PARSE_TOKENS
    select: list[str] | None = None  # command line, replaces the config's
    extend_ignore: list[str] = field(default_factory=list)
    extra_rules: list[Path] = field(default_factory=list)
    include_builtin_rules: bool = True
    cache_dir: Path | None = None  # None = no result cache
    scan_roots: list[Path] = field(default_factory=list)  # what will be scanned (the cache key
    # must lie outside it); the working directory's git work tree is always included
    prefilter: bool = True  # False parses every file (the prefilter-equivalence test uses it)
    inventory: bool = False  # collect what was examined (pcilint.inventory) for the reports


class Scanner(RuleSetup, FileAnalysis, ResultCache, WorkerPool, ProjectPhase, Recheck):
    """A configured scanner: the active rules and settings, reusable across scans."""

    def __init__(self, settings: Settings, options: Options, rules: list[Rule] | None = None) -> None:
        self.settings = settings
        self.options = options
        self.cache = Cache.open(options.cache_dir, options.scan_roots) \
            if options.cache_dir is not None else None
        self._force_round: Force | dict[str, Force] = False  # see analyze_file()
        self._pool_state: Any = None  # see _worker_pool()
        if rules is None:
            rules, self.plans, self.rules_key = self._load_rules()
        else:
            bind(rules)  # (rules from ``load_rules`` are data: their check kinds are bound here)
            self.plans = {r.id: RulePlan.of(r.check) for r in rules}
            self.rules_key = key_of(*sorted(repr((r.id, r.source, r.kind, r.params, r.message,
                                                  r.severity)) for r in rules))
        self.all_rules = rules
        validate_codes([r.id for r in rules], settings, options.select, options.extend_ignore)
        self.rules = select_rules(rules, options.select if options.select is not None
                                  else settings.select, settings.ignore + options.extend_ignore)
        self.kinds = {k for r in self.rules for k in self.plans[r.id].file_kinds}
        self.prefilter = self._prefilter() if options.prefilter else None
        active = [self.plans[r.id] for r in self.rules]
        self.project_phase = any(p.project for p in active)
        self.declared = all(p.declares for p in active if p.project)
        # Imports are recorded when the prefilter may leave a project-phase rule out of a Python
        # file (the closure may then need that file after all).
        self.track_deps = self.prefilter is not None and any(
            p.project and p.terms is not None and "python" in p.file_kinds for p in active)
        self.scan_key = self._scan_key()

    # -- the whole scan ---------------------------------------------------------------------------
    def scan(self, paths: list[Path], cwd: Path | None = None,
             progress: Callable[[int, int], None] | None = None,
             state: ProjectState | None = None) -> ScanResult:
        """Scan ``paths``; ``progress(done, total)`` is called as files finish (main process).
        ``state``, when given, keeps every file's result for :meth:`recheck`."""
        started = time.perf_counter()
        cwd = cwd or Path.cwd()
        files, problems = discover(paths, self.kinds, self.settings.exclude, self.settings.root, cwd)
        result = ScanResult(files_discovered=len(files))
        result.errors += [ScanError(p, m) for p, m in problems]
        file_results = self._run(files, progress)
        by_path: dict[str, FileResult] = {}
        findings: list[Finding] = []
        for fr in file_results:
            by_path[fr.path] = fr
            if fr.error:
                result.errors.append(ScanError(fr.path, fr.error))
            if fr.scanned:
                result.files_scanned += 1
            findings += fr.findings
        self._project_inventory: dict[str, list] = {}
        findings += self._project_phase(by_path, {f.display: f for f in files})
        if state is not None:
            state.results, state.sources = by_path, {f.display: f for f in files}
            state.forced = dict(self._closure_forced)
        findings = self._suppress(findings, by_path, result)
        result.findings = sorted(_dedupe(findings), key=lambda f: f.sort_key)
        assign_fingerprints(result.findings)
        if self.options.inventory:
            from pcilint.inventory import aggregate

            result.inventory = aggregate(
                {p: fr.inventory for p, fr in by_path.items() if fr.inventory},
                self._project_inventory.get("webhook_endpoints"), result.findings,
                result.files_scanned)
        result.errors.sort(key=lambda e: (e.path, e.message))
        result.duration_s = time.perf_counter() - started
        return result

    def _run(self, files: list[SourceFile],
             progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        """Analyse ``files``: cached results first, then the prefilter's pass in the pool, then the
        rounds of files the project phase needs (cross-module flow).  ``progress(done, total)``
        counts cached and analysed files of the first pass."""
        try:
            return self._run_rounds(files, progress)
        except BaseException:
            # Ctrl-C (or any abort): stop the workers now.  Waiting for them, as a normal close
            # does, waits for every chunk already handed out (minutes on a large tree).
            self._close_pool(kill=True)
            raise
        finally:
            self._close_pool()

    def _run_rounds(self, files: list[SourceFile],
                    progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        user_tick = progress or (lambda done, total: None)
        counted = [0]
        self._closure_forced: dict[str, Force] = {}

        def tick(n: int = 1) -> None:
            counted[0] += n
            user_tick(counted[0], len(files))

        results: dict[str, FileResult] = {}
        digests: dict[str, tuple[str | None, Any]] = {}
        # The manifest of every file's entry, and a small delta of the entries made since it was
        # last written: a pre-commit run then writes its few entries, not the whole manifest
        # (tens of MB on a large tree).
        main = self.cache.get(key_of("files", self.scan_key)) if self.cache else None
        delta = self.cache.get(key_of("files-delta", self.scan_key)) if self.cache else None
        main = main if isinstance(main, dict) else {}
        self._delta = delta if isinstance(delta, dict) and main else {}
        self._manifest_size = len(main)
        self._entries = {**main, **self._delta}
        self._new_entries: dict[tuple[str, Force], tuple[str, bytes]] = {}
        todo = self._from_cache(files, False, results, digests)
        if len(todo) < len(files):
            tick(len(files) - len(todo))
        self._store(self._analyse(todo, False, tick), False, results, digests)
        if self.track_deps:
            by_display = {f.display: f for f in files}
            graph: DependencyGraph | None = None
            forced: dict[str, Force] = {}  # file -> the rules the closure has run there
            # The files the closure needed last time for exactly these contents, with their rules:
            # fetched in one round (a warm scan then computes the closure once, to confirm, not
            # once per round).  (one entry per scan key, replaced when the contents change)
            contents = key_of(*sorted(f"{p}:{fr.digest}" for p, fr in results.items()))
            closure_key = key_of("closure", self.scan_key) if self.cache else None
            entry = self.cache.get(closure_key) if closure_key and self.cache else None
            prior = entry[1] if isinstance(entry, tuple) and len(entry) == 2 \
                and entry[0] == contents else None
            if isinstance(prior, list) and prior:
                forced = {p: f for p, f in _forced_entries(prior) if p in by_display}
                self._force_files(forced, by_display, results, digests)
            while True:
                deps = {p: fr.deps for p, fr in results.items() if fr.deps is not None}
                if graph is None:
                    graph = DependencyGraph({p: d.imports for p, d in deps.items()})
                more = _more_forced(forced, graph.needed_rules(deps, self.declared))
                if not more:
                    break
                forced.update(more)
                self._force_files(more, by_display, results, digests)
            if closure_key and self.cache is not None and prior != sorted(forced.items()):
                self.cache.put(closure_key, (contents, sorted(forced.items())))
            self._closure_forced = forced  # (kept by scan(state=...) for recheck)
        if self.cache is not None and self._new_entries:
            self._write_manifest()
        return [results[f.display] for f in files if f.display in results]

    def _force_files(self, force: dict[str, Force], by_display: dict[str, SourceFile],
                     results: dict[str, FileResult], digests: dict[str, tuple[str | None, Any]]
                     ) -> None:
        """One round of the closure: ``force``'s files, analysed with the rules it names."""
        batch = [by_display[p] for p in sorted(force) if p in by_display]
        todo = self._from_cache(batch, force, results, digests)
        self._store(self._analyse(todo, force), force, results, digests)

    def _analyse(self, files: list[SourceFile], force: Force | dict[str, Force],
                 tick: Callable[[int], None] = lambda n=1: None) -> list[FileResult]:
        if not files:
            return []
        jobs = self.options.jobs or os.cpu_count() or 1
        if jobs <= 1 or len(files) < MIN_FILES_FOR_POOL:
            serial = []
            with parse_gc():
                for f in files:
                    serial.append(self.analyze_file(f, force))
                    collect_promoted()
                    tick(1)
            return serial
        return self._analyse_in_pool(files, force, tick, jobs)


def _more_forced(forced: dict[str, Force], needed: dict[str, frozenset[str] | None]
                 ) -> dict[str, Force]:
    """The closure's next round: each needed file with the rules to run there (those it ran
    before and the newly needed ones), unless it already ran them all."""
    out: dict[str, Force] = {}
    for path, rules in needed.items():
        have = forced.get(path, False)
        if have is True or (rules is not None and have and rules <= set(have)):
            continue
        out[path] = True if rules is None else tuple(sorted(rules | set(have or ())))
    return out
