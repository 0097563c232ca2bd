"""The contract's JSON document (``docs/contract.md`` section 4)."""

from __future__ import annotations

import json

from pcilint import __version__
from pcilint.findings import ScanResult
from pcilint.reporters import ReportContext


INVENTORY_VERSION = 1


def to_document(result: ScanResult, ctx: ReportContext | None = None) -> dict:
    """The contract's document, plus additive sections (docs/reports.md): ``suppressed`` (findings
    suppressed inline or accepted by a baseline, with their reason), ``unused_suppressions`` (with
    --warn-unused-ignores), ``metadata`` (revision, rule-set digest, configuration) and
    ``inventory`` (what the scan examined)."""
    doc = {
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
    doc["suppressed"] = [s.to_json() for s in result.suppressed_findings]
    doc["unused_suppressions"] = [{"path": p, "line": n, "codes": c}
                                  for p, n, c in result.unused_suppressions]
    if result.inventory is not None:
        doc["inventory"] = result.inventory
    if ctx is not None and ctx.metadata:
        doc["metadata"] = {"generated_at": ctx.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "scanned_paths": list(ctx.scanned_paths), **ctx.metadata}
    return doc


def render(result: ScanResult, ctx: ReportContext) -> str:
    return json.dumps(to_document(result, ctx), indent=2, ensure_ascii=False) + "\n"
