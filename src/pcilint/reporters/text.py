"""Human output: one line per finding (``path:line:col: CODE [severity] message``) and a summary."""

from __future__ import annotations

import click

from pcilint.findings import SEVERITIES, ScanResult
from pcilint.reporters import ReportContext
from pcilint.reporters.statistics import statistics_lines

# ``--color``: severity colours as Ruff and pytest use them; the text is the same without colour
SEVERITY_STYLE = {"critical": {"fg": "red", "bold": True}, "high": {"fg": "red"},
                  "medium": {"fg": "yellow"}, "low": {"fg": "cyan"}}


def render(result: ScanResult, ctx: ReportContext) -> str:
    def style(text: str, **how: object) -> str:
        return click.style(text, **how) if ctx.color else text  # type: ignore[arg-type]

    out: list[str] = []
    for f in result.findings:
        sev = SEVERITY_STYLE.get(f.severity, {})
        out.append(f"{style(f'{f.path}:{f.line}:{f.column}:', bold=True)} "
                   f"{style(f.rule_id, **sev)} {style(f'[{f.severity}]', **sev)} {f.message}")
        if ctx.show_trace:
            for step in f.trace:
                out.append(style(f"    {step.path}:{step.line}: {step.note}", dim=True))
    for e in result.errors:
        out.append(f"{style(e.path + ':', bold=True)} {style('error:', fg='red')} {e.message}")
    for path, line, codes in result.unused_suppressions:
        out.append(f"{path}:{line}: unused suppression ({codes})")
    if ctx.statistics:
        out += statistics_lines(result, ctx)
    summary = summary_line(result)
    # one line, so --quiet (which drops the summary) drops these remarks too
    if ctx.baseline_path:
        n = len(ctx.baselined)
        summary += (f" {n} known finding{'s' if n != 1 else ''} hidden by the baseline "
                    f"{ctx.baseline_path}.")
    if ctx.diff_rev:
        n = len(ctx.outside_diff)
        summary += (f" Only lines changed since {ctx.diff_rev} are reported ({n} finding"
                    f"{'s' if n != 1 else ''} elsewhere).")
    out.append(style(summary, bold=True))
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
