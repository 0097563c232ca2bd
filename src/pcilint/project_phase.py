"""After every file: the cross-module phase (each project rule's ``check_project`` over all files'
facts, its output cached on the files' contents), in-source suppressions, and de-duplication."""

from __future__ import annotations

from pcilint import cachecodec, safeio
from pcilint.cache import key_of
from pcilint.checks.base import ProjectReporter
from pcilint.discovery import SourceFile
from pcilint.findings import (SEVERITY_RANK, FileResult, Finding, ScanResult, Suppressed,
                              assign_fingerprints)
from pcilint.masking import mask_window
from pcilint.scan_cache import _LazyFacts
from pcilint.scan_file import decode_source


class ProjectPhase:
    """The project-phase part of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's
    state)."""

    def _project_phase(self, by_path: dict[str, FileResult], sources: dict[str, SourceFile],
                       cache: bool = True, texts: dict[str, str] | None = None
                       ) -> list[Finding]:
        """The cross-module findings; ``cache``: reuse and store them; ``texts``: files whose
        current text is not (yet) the one on disk (an editor's buffer)."""
        line_cache: dict[str, list[str]] = {p: t.splitlines() for p, t in (texts or {}).items()}

        def line_of(path: str, line: int) -> str:
            if path not in line_cache:
                src = sources.get(path)
                try:
                    data = safeio.read_bytes(src.path) if src else b""
                    text, _ = decode_source(data, src.kind if src else "python")
                except OSError:
                    text = None
                line_cache[path] = (text or "").splitlines()
            lines = line_cache[path]
            return mask_window(lines, line - 1) if 0 < line <= len(lines) else ""

        project_rules = [r for r in self.rules if self.plans[r.id].project]
        if not project_rules:
            return []
        # The project phase always runs on every file's facts, cached or fresh (a cached file's
        # cross-module findings can change when another file changes); only its output is reused
        # when no file's facts or content changed.
        key = None
        if self.cache is not None and cache:
            # Facts are a function of a file's content under the scan key, so the contents (and
            # which files were analysed) stand for them: a deterministic key across processes.
            key = key_of("project", self.scan_key, *(
                f"{p}:{fr.digest}:{int(bool(fr.facts))}" for p, fr in sorted(by_path.items())))
            hit = self.cache.get(key)
            if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], list):
                self._project_inventory = hit[1]
                return hit[0]
        # (check kinds first: decoding rebuilds only classes whose modules are imported)
        self._ensure_checks()
        for p, fr in list(by_path.items()):
            if isinstance(fr.facts, _LazyFacts):
                try:
                    fr.facts = fr.facts.load()
                except cachecodec.CodecError:  # an entry that fails validation: analysed again
                    src = sources.get(p)
                    if src is None:
                        fr.facts = {}
                    else:
                        by_path[p] = self.analyze_file(src, fr.facts.force)
        reporter = ProjectReporter(line_of)
        for rule in project_rules:
            facts = {p: fr.facts[rule.id] for p, fr in by_path.items() if rule.id in fr.facts}
            rule.check.check_project(facts, reporter)
        self._project_inventory = reporter.inventory
        if key:
            self.cache.put(key, (reporter.findings, reporter.inventory))
        return reporter.findings

    def _suppress(self, findings: list[Finding], by_path: dict[str, FileResult],
                  result: ScanResult) -> list[Finding]:
        kept = []
        hidden: list[Suppressed] = []
        for f in findings:
            fr = by_path.get(f.path)
            sup = fr.suppressions if fr else None
            hit = sup.match(f.rule_id, f.line) if sup is not None else None
            if hit is not None:
                result.suppressed += 1
                hidden.append(Suppressed(f, "inSource", hit.reason, f.path, hit.line))
                continue
            kept.append(f)
        shown = _dedupe([h.finding for h in hidden])
        assign_fingerprints(shown)
        ids = {id(f) for f in shown}
        result.suppressed_findings = sorted((h for h in hidden if id(h.finding) in ids),
                                            key=lambda h: h.finding.sort_key)
        for path, fr in by_path.items():
            if fr.suppressions is not None:
                for s in fr.suppressions.unused():
                    result.unused_suppressions.append((path, s.line, ",".join(s.codes) or "all"))
        result.unused_suppressions.sort()
        return kept


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One defect, one finding: the same rule never reports the same line twice.  Of several
    findings on one line (a PAN and a CVV read together), the most severe is kept."""
    best: dict[tuple[str, str, int], Finding] = {}
    for f in sorted(findings, key=lambda f: f.sort_key):
        key = (f.rule_id, f.path, f.line)
        kept = best.get(key)
        if kept is None or SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(kept.severity, 0):
            best[key] = f
    return list(best.values())
