"""Narrowing a finished scan to what a run should report: findings not in the baseline
(``--baseline``), on lines changed since a git revision (``--diff``).

The scan itself always analyses whole files and the whole project (flow needs it); only the report is
narrowed.  What was left out is kept, so reports can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pcilint.baseline import Baseline, covered_by, load_baseline, write_baseline
from pcilint.discovery import display_path
from pcilint.errors import PcilintError
from pcilint.findings import Finding, ScanResult


@dataclass
class Narrowing:
    baseline_path: str | None = None
    baselined: list[Finding] = field(default_factory=list)
    diff_rev: str | None = None
    outside_diff: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line remarks for stderr


def finding_lines(f: Finding) -> dict[str, set[int]]:
    """The lines a finding stands on: its own span and every step of its trace."""
    lines: dict[str, set[int]] = {f.path: set(range(f.line, max(f.end_line, f.line) + 1))}
    for step in f.trace:
        lines.setdefault(step.path, set()).add(step.line)
    return lines


class Scope:
    """What ``--baseline``/``--update-baseline``/``--diff`` ask for, checked before the scan runs (a
    missing baseline or an unknown revision fails fast), then applied to the finished result."""

    def __init__(self, *, baseline: Path | None = None, update_baseline: bool = False,
                 diff_rev: str | None = None, cwd: Path | None = None) -> None:
        self.cwd = cwd or Path.cwd()
        self.baseline_path = baseline
        self.update = update_baseline
        self.diff_rev = diff_rev
        if update_baseline and baseline is None:
            raise PcilintError("--update-baseline needs --baseline FILE", field="--update-baseline")
        self.previous = None
        if baseline is not None and (not update_baseline or baseline.exists()):
            self.previous = load_baseline(baseline)
        self.changed = None
        if diff_rev is not None:
            from pcilint.gitdiff import changed_lines

            self.changed = changed_lines(diff_rev, self.cwd)

    def apply(self, result: ScanResult, scanned_paths: list[Path]) -> Narrowing:
        """Narrow ``result`` in place; returns what was left out."""
        info = Narrowing()
        baseline = self.previous
        if self.baseline_path is not None:
            info.baseline_path = str(self.baseline_path)
            if self.update:
                baseline = self._update(result, scanned_paths, info)
            assert baseline is not None
            result.findings, info.baselined = baseline.split(result.findings)
        if self.changed is not None:
            info.diff_rev = self.diff_rev
            kept, outside = [], []
            for f in result.findings:
                hit = any(self.changed.touches(path, lines, self.cwd)
                          for path, lines in finding_lines(f).items())
                (kept if hit else outside).append(f)
            result.findings = kept
            info.outside_diff = outside
            result.errors = [e for e in result.errors if self.changed.file_changed(e.path, self.cwd)]
            result.unused_suppressions = [u for u in result.unused_suppressions
                                          if self.changed.touches(u[0], [u[1]], self.cwd)]
        return info

    def _update(self, result: ScanResult, scanned_paths: list[Path], info: Narrowing) -> Baseline:
        assert self.baseline_path is not None
        scanned = [display_path(p, self.cwd) for p in scanned_paths]
        old = self.previous.entries if self.previous else []
        # entries of files this run did not look at stay as they were
        keep = [e for e in old if not covered_by(e["path"], scanned)]
        before = {e["fingerprint"] for e in old if covered_by(e["path"], scanned)}
        # a hand-written reason stays with its finding when the baseline is rewritten
        reasons = {e["fingerprint"]: e["reason"] for e in old if e.get("reason")}
        n = write_baseline(self.baseline_path, result.findings, keep, reasons)
        now = {f.fingerprint for f in result.findings}
        info.notes.append(f"baseline {self.baseline_path} updated: {n} finding{'s' if n != 1 else ''} "
                          f"({len(now - before)} added, {len(before - now)} no longer found)")
        return load_baseline(self.baseline_path)
