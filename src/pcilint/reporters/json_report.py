"""The contract's JSON document (``../shared/docs/contract.md`` section 4)."""

from __future__ import annotations

import json

from pcilint import __version__
from pcilint.findings import ScanResult
from pcilint.reporters import ReportContext


def to_document(result: ScanResult) -> dict:
    return {
        "version": 1,
        "tool": {"name": "pcilint", "version": __version__},
        "findings": [f.to_json() for f in result.findings],
        "errors": [e.to_json() for e in result.errors],
        "summary": {
            "files_scanned": result.files_scanned,
            "findings": len(result.findings),
            "by_severity": result.by_severity(),
            "duration_s": round(result.duration_s, 3),
        },
    }


def render(result: ScanResult, ctx: ReportContext) -> str:
    return json.dumps(to_document(result), indent=2, ensure_ascii=False) + "\n"
