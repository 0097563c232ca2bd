"""Reporters turn a :class:`~pcilint.findings.ScanResult` into one output format.

Each reporter is a function ``render(result, context) -> str`` registered in :data:`FORMATS`.  Reporters
only format: findings arrive already masked, ordered and fingerprinted.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from datetime import datetime

    from pcilint.findings import Finding, ScanResult
    from pcilint.ruleset import Rule


@dataclass
class ReportContext:
    rules: list["Rule"] = field(default_factory=list)  # the active rules
    show_trace: bool = False
    statistics: bool = False
    color: bool = False
    config_source: str | None = None
    scanned_paths: list[str] = field(default_factory=list)
    fail_on: str = "low"
    # When the report is narrowed (``--baseline``, ``--diff``): what was left out, so reports can say
    # so instead of looking cleaner than the code is.
    baseline_path: str | None = None
    baselined: list["Finding"] = field(default_factory=list)  # known findings hidden by the baseline
    diff_rev: str | None = None
    outside_diff: list["Finding"] = field(default_factory=list)  # findings on unchanged lines
    generated_at: "datetime | None" = None  # report time (None: now); fixed in tests
    cwd: str | None = None  # the directory finding paths are relative to
    # what identifies the scan (see pcilint.evidence.scan_metadata): tool_version, revision
    # ({commit, branch, dirty} or None), rules_digest, configuration; empty when not gathered
    metadata: dict = field(default_factory=dict)

    def timestamp(self) -> "datetime":
        from datetime import datetime, timezone

        return self.generated_at or datetime.now(timezone.utc).replace(microsecond=0)

    def rule(self, rule_id: str) -> "Rule | None":
        for r in self.rules:
            if r.id == rule_id:
                return r
        return None


Renderer = Callable[["ScanResult", ReportContext], str]

# format name -> "module:function" (imported on first use so start-up stays cheap)
FORMATS: dict[str, str] = {
    "text": "pcilint.reporters.text:render",
    "json": "pcilint.reporters.json_report:render",
    "sarif": "pcilint.reporters.sarif:render",
    "junit": "pcilint.reporters.junit:render",
    "gitlab": "pcilint.reporters.gitlab:render",
    "github": "pcilint.reporters.github:render",
    "markdown": "pcilint.reporters.markdown:render",
    "html": "pcilint.reporters.html:render",
}

# Formats a program reads: nothing but the document may go to stdout with them.
MACHINE_FORMATS = frozenset({"json", "sarif", "junit", "gitlab", "github"})


def get_renderer(name: str) -> Renderer:
    module, _, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), func)
