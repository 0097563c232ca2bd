"""Human output: one line per finding (``path:line:col: CODE [severity] message``) and a summary."""

from __future__ import annotations

from collections import Counter

from pcilint.findings import SEVERITIES, ScanResult
from pcilint.reporters import ReportContext


def render(result: ScanResult, ctx: ReportContext) -> str:
    out: list[str] = []
    for f in result.findings:
        out.append(f"{f.path}:{f.line}:{f.column}: {f.rule_id} [{f.severity}] {f.message}")
        if ctx.show_trace:
            for step in f.trace:
                out.append(f"    {step.path}:{step.line}: {step.note}")
    for e in result.errors:
        out.append(f"{e.path}: error: {e.message}")
    for path, line, codes in result.unused_suppressions:
        out.append(f"{path}:{line}: unused suppression ({codes})")
    if ctx.statistics and result.findings:
        counts = Counter(f.rule_id for f in result.findings)
        names = {r.id: r.name for r in ctx.rules}
        for rule_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{n:6d}  {rule_id}  {names.get(rule_id, '')}")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"


def summary_line(result: ScanResult) -> str:
    n = len(result.findings)
    by = result.by_severity()
    parts = ", ".join(f"{by[s]} {s}" for s in SEVERITIES if s in by)
    text = f"Found {n} finding{'s' if n != 1 else ''}"
    if parts:
        text += f" ({parts})"
    text += f" in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''}"
    if result.errors:
        text += f"; {len(result.errors)} file error{'s' if len(result.errors) != 1 else ''}"
    if result.suppressed:
        text += f"; {result.suppressed} suppressed"
    return text + f" ({result.duration_s:.2f} s)."
