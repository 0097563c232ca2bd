"""The engine side of the language server: one workspace's settings, scanner and last full scan.

Nothing here knows the protocol (that is :mod:`pcilint.lsp.server`); everything here runs on the
server's single engine thread, so the scanner and its :class:`~pcilint.engine.ProjectState` are
never used by two threads at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from pcilint.config import Settings, find_config, load_config
from pcilint.engine import FileResult
from pcilint.discovery import discover, display_path, file_kind
from pcilint.errors import PcilintError
from pcilint.findings import Finding, ScanError, ScanResult
from pcilint.masking import mask_output
from pcilint.ruleset import Rule

#: Files whose change means a new configuration (and so a new full scan).
CONFIG_NAMES = ("pyproject.toml", ".pcilint.yaml", ".pcilint.yml")


@dataclass
class DocumentReport:
    """What one check of a document found: its findings and, when it could not be analysed, why."""

    path: str  # display path, relative to the workspace root
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    in_scope: bool = True  # False: excluded by the configuration, or not a kind pcilint reads


class Session:
    """One workspace: its configuration, a scanner, and the project facts of its last full scan."""

    def __init__(self, root: Path, jobs: int = 1) -> None:
        self.root = root.resolve()
        self.jobs = jobs
        self.config_error: str | None = None
        self.scanned: ScanResult | None = None
        self.scan_seconds = 0.0
        self._load()

    def _load(self) -> None:
        from pcilint.engine import Options, ProjectState, Scanner

        self.config_error = None
        try:
            self.settings = load_config(find_config(self.root))
            self.scanner = Scanner(self.settings, self._options())
        except PcilintError as exc:
            # The editor shows the error; the files are still checked, with the defaults.
            self.config_error = mask_output(f"pcilint: configuration error: {exc}")
            self.settings = Settings()
            self.scanner = Scanner(self.settings, self._options())
        self.rules: dict[str, Rule] = {r.id: r for r in self.scanner.all_rules}
        self.state = ProjectState()
        self.scanned = None
        # per document checked since the full scan: the scan's result (to restore when the
        # document is closed unsaved) and the last text checked
        self._on_disk: dict[str, FileResult | None] = {}
        self._checked: dict[str, str] = {}

    def _options(self) -> "Options":  # noqa: F821 - imported lazily with the engine
        from pcilint.engine import Options

        # The CLI's default cache, so an editor and `pcilint check` in the root share it.
        return Options(jobs=self.jobs, cache_dir=self.root / ".pcilint_cache")

    def reload(self) -> None:
        """Read the configuration again (it was saved); the next check runs a new full scan."""
        self._load()

    def full_scan(self) -> ScanResult:
        """Scan the whole workspace once: the cross-module facts every later check reuses."""
        started = time.perf_counter()
        self.scanned = self.scanner.scan([self.root], cwd=self.root, state=self.state)
        self.scan_seconds = time.perf_counter() - started
        return self.scanned

    def display(self, path: Path) -> str:
        return display_path(path, self.root)

    def inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
        except (ValueError, OSError):
            return False
        return True

    def in_scope(self, path: Path) -> bool:
        """Whether ``pcilint check`` in the root would read this file: found by the full scan, or
        (a new or git-ignored file) named explicitly and not excluded by the configuration."""
        if self.display(path) in self.state.sources:
            return True
        kind = file_kind(path)
        if kind is None or kind not in self.scanner.kinds:
            return False
        if not path.exists():
            return True  # a new buffer, not saved yet
        files, _ = discover([path], self.scanner.kinds, self.settings.exclude,
                            self.settings.root, self.root)
        return bool(files)

    def check(self, path: Path, text: str, others: list[Path] = ()) -> list[DocumentReport]:
        """The findings in one document's current text, with the last full scan's project facts;
        then, for each of ``others`` (the other open documents) already checked, its findings as
        this text leaves them (a cross-module finding there can come or go)."""
        if self.scanned is None:
            self.full_scan()
        shown = self.display(path)
        if not self.in_scope(path):
            return [DocumentReport(shown, in_scope=False)]
        kind = file_kind(path) or "python"
        if shown not in self._on_disk:
            self._on_disk[shown] = self.state.results.get(shown)
        self._checked[shown] = text
        also = [self.display(p) for p in others]
        also = [p for p in also if p in self._checked and p != shown]
        result = self.scanner.recheck(self.state, shown, text, kind, also=also)
        reports = [DocumentReport(shown, result.findings, result.errors)]
        for other in also:
            reports.append(DocumentReport(other, [f for f in result.findings if f.path == other]))
        reports[0].findings = [f for f in result.findings if f.path == shown]
        return reports

    def forget(self, path: Path) -> None:
        """A document was closed: if its last text checked was not saved, what the project knows
        of it is again what the full scan read from disk."""
        shown = self.display(path)
        text = self._checked.pop(shown, None)
        if shown not in self._on_disk:
            return
        try:
            saved = path.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            saved = False
        original = self._on_disk.pop(shown)
        if saved:
            return
        self.state.forced.pop(shown, None)
        if original is None:
            self.state.results.pop(shown, None)
        else:
            self.state.results[shown] = original
