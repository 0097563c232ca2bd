"""One file again, against the last scan (the editor server, issue 18 §2): a mixin of
:class:`pcilint.engine.Scanner`.

``scan(paths, state=ProjectState())`` keeps every file's result (facts, imports) and the rules the
cross-module closure ran where; :meth:`Recheck.recheck` then analyses one file's in-memory text,
re-runs the closure only if that file's imports or declared needs changed, and re-runs the project
phase without the result cache (no cache entry per keystroke).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pcilint.cache import digest
from pcilint.discovery import SourceFile
from pcilint.findings import FileResult, ScanError, ScanResult, assign_fingerprints
from pcilint.prefilter import DependencyGraph, FileDeps
from pcilint.project_phase import _dedupe
from pcilint.scan_file import FileTimeout, Force, _one_line, _time_limit


@dataclass
class ProjectState:
    """What a scan learnt about each file (results with their facts and imports, and sources),
    kept so that one file can be checked again against the rest: :meth:`Recheck.recheck`."""

    results: dict[str, FileResult] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    forced: dict[str, Force] = field(default_factory=dict)  # the rules the closure ran per file


class Recheck:
    """The editor path of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's state)."""

    def check_text(self, path: str, text: str, file_kind: str, force: Force = False
                   ) -> FileResult:
        """:meth:`analyze_file` for text in memory (an editor's unsaved buffer): the same guards
        (size, parse budget, nesting, time limit, internal errors)."""
        from pcilint import isolation
        from pcilint.guard import structure_problem

        try:
            if len(text) > self.options.max_file_size:
                return FileResult(path=path, error=(
                    f"skipped: over the {self.options.max_file_size / 2**20:.1f} MiB limit "
                    "(--max-file-size)"))
            if "\x00" in text:
                return FileResult(path=path, error="skipped: binary file (contains NUL bytes)")
            with isolation.recursion_headroom(), _time_limit(self.options.file_timeout):
                problem = (self._over_budget(text) or structure_problem(text)
                           if file_kind == "python" else None)
                if problem:
                    result = self._text_only(path, text, file_kind, problem)
                else:
                    result = self.analyze_text(path, text, file_kind, force)
        except FileTimeout:
            result = FileResult(path=path, error=(
                f"analysis took longer than {self.options.file_timeout:g} s and was stopped "
                "(--file-timeout)"))
        except RecursionError:
            result = FileResult(path=path, error="code nested too deeply to analyse")
        except MemoryError:
            result = FileResult(path=path, error="out of memory while analysing this file")
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not end the session
            first = (str(exc).splitlines() or [""])[0][:120]
            result = FileResult(path=path, error=(
                f"internal error while analysing this file: {type(exc).__name__}: {first} "
                "(please report it)"))
        if result.error:
            result.error = _one_line(result.error)
        result.digest = digest(text.encode("utf-8", "surrogatepass"))
        return result

    def recheck(self, state: ProjectState, path: str, text: str,
                file_kind: str | None = None, also: Iterable[str] = ()) -> ScanResult:
        """Check one file's current ``text`` against the project of the last ``scan(state=...)``:
        its own findings and the cross-module ones reported in it, the other files' facts reused.

        ``path`` is the file's display path (relative to the scan's ``cwd``).  Files the
        cross-module closure newly needs (the text imports a module that was not analysed) are
        analysed from disk.  ``state`` keeps this text's result, so later rechecks of other files
        see it.  ``also``: other files whose findings to include as they now stand (their own
        from ``state``, the cross-module ones anew: this text can change those).  The result cache
        is neither read nor written (one entry per keystroke)."""
        from pcilint.discovery import file_kind as kind_of

        started = time.perf_counter()
        kind = file_kind or kind_of(Path(path)) or "python"
        result = ScanResult(files_discovered=1)
        before = state.results.get(path)
        fr = self.check_text(path, text, kind, state.forced.get(path, False))
        if before is not None and isinstance(before.facts, dict):
            # Facts equal to the last ones keep their identity: the cross-module summaries
            # (computed once per set of facts) are then reused, as on a save after a check.
            for rule_id, facts in fr.facts.items():
                if before.facts.get(rule_id) == facts:
                    fr.facts[rule_id] = before.facts[rule_id]
        state.results[path] = fr
        # The last scan's closure was complete; it can only change where this file's imports or
        # declared needs did (typing inside a function usually changes neither).
        if self.track_deps and (before is None or before.deps != fr.deps):
            deps = {p: r.deps for p, r in state.results.items() if r.deps is not None}
            graph = DependencyGraph({p: d.imports for p, d in deps.items()})
            while True:
                needed = [p for p in graph.needed_rules(deps, self.declared)
                          if p in state.sources or p == path]
                if not needed:
                    break
                for p in needed:  # every rule at once: never needed again
                    state.forced[p] = True
                    if p == path:
                        fr = state.results[p] = self.check_text(path, text, kind, True)
                    else:
                        state.results[p] = self.analyze_file(state.sources[p], True)
                    deps[p] = state.results[p].deps or FileDeps(analysed=True)
        shown = {p: state.results[p] for p in (path, *also) if p in state.results}
        findings = [f for r in shown.values() for f in r.findings]
        findings += [f for f in self._project_phase(state.results, state.sources, cache=False,
                                                    texts={path: text}) if f.path in shown]
        if fr.error:
            result.errors.append(ScanError(path, fr.error))
        result.files_scanned = int(fr.scanned)
        findings = self._suppress(findings, shown, result)
        result.findings = sorted(_dedupe(findings), key=lambda f: f.sort_key)
        assign_fingerprints(result.findings)
        result.duration_s = time.perf_counter() - started
        return result
