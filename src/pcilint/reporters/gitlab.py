"""GitLab Code Quality JSON (``--format gitlab``), for ``artifacts: reports: codequality:``.

A JSON array of Code Climate issues; the ``fingerprint`` is pcilint's line-independent one, so GitLab's
merge-request widget tracks a finding across edits above it.
"""

from __future__ import annotations

import json
from typing import Any

from pcilint.findings import ScanResult
from pcilint.reporters import ReportContext

# GitLab knows info, minor, major, critical and blocker.
SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor"}


def to_issues(result: ScanResult, ctx: ReportContext) -> list[dict[str, Any]]:
    names = {r.id: r.name for r in ctx.rules}
    issues = []
    for f in result.findings:
        label = f"{f.rule_id} {names[f.rule_id]}" if f.rule_id in names else f.rule_id
        issues.append({
            "type": "issue",
            "check_name": f.rule_id,
            "description": f"{label}: {f.message}",
            "categories": ["Security"],
            "severity": SEVERITY[f.severity],
            "fingerprint": f.fingerprint,
            "location": {
                "path": f.path,
                "lines": {"begin": f.line, "end": max(f.end_line, f.line)},
            },
        })
    return issues


def render(result: ScanResult, ctx: ReportContext) -> str:
    return json.dumps(to_issues(result, ctx), indent=2, ensure_ascii=False) + "\n"
