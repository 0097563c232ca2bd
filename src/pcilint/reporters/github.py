"""GitHub Actions workflow commands (``--format github``): one ``::error``/``::warning``/``::notice``
annotation per finding, shown on the pull request's diff, and a closing summary line.

Critical and high findings are errors, medium ones warnings, low ones notices.  Files that could not be
analysed are warnings.  Values are escaped as the runner requires (``%``, CR, LF; and ``:``/``,`` in
properties), so a message can never inject a command of its own.
"""

from __future__ import annotations

from pcilint.findings import ScanResult
from pcilint.reporters import ReportContext
from pcilint.reporters.text import summary_line

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: ScanResult, ctx: ReportContext) -> str:
    names = {r.id: r.name for r in ctx.rules}
    out = []
    for f in result.findings:
        props = [f"file={escape_property(f.path)}", f"line={f.line}", f"col={f.column}"]
        if f.end_line >= f.line:
            props.append(f"endLine={f.end_line}")
            if f.end_line == f.line and f.end_column > f.column:
                props.append(f"endColumn={f.end_column}")
        title = f"{f.rule_id} {names.get(f.rule_id, '')}".strip() + f" ({f.severity})"
        props.append(f"title={escape_property(title)}")
        message = f.message
        if f.trace:
            message += "\n" + "\n".join(f"  {s.path}:{s.line}: {s.note}" for s in f.trace)
        out.append(f"::{LEVEL[f.severity]} {','.join(props)}::{escape_data(message)}")
    for e in result.errors:
        out.append(f"::warning file={escape_property(e.path)},title=pcilint could not analyse this "
                   f"file::{escape_data(e.message)}")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
