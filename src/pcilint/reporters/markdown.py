"""Markdown review report (``--format markdown``), sized for a pull-request comment and organised like
the HTML report: verdict and summary table, compliance checklist, findings by category, PCI DSS
requirements touched, then each finding (masked snippet, trace, fix guidance) and scan metadata.

GitHub caps a comment at 65,536 characters: past :data:`DETAIL_LIMIT` findings only a table row is
kept, and the text is cut (with a note) if it would still be too long.
"""

from __future__ import annotations

import re

from pcilint.findings import SEVERITIES, Finding, ScanResult
from pcilint.reporters import ReportContext
from pcilint.reporters.review import (FAIL, MANUAL, NOT_APPLICABLE, NOT_ASSESSED, PASS, Review,
                                      build_review, fix_blocks, plural, rule_family)

DETAIL_LIMIT = 40
MAX_CHARS = 60000
ICON = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵"}
STATUS = {PASS: "✅ pass", FAIL: "❌ fail", NOT_ASSESSED: "➖ not assessed",
          NOT_APPLICABLE: "⚪ not applicable", MANUAL: "📝 manual: attest"}


def fix_text(text: str) -> str:
    """How-to-fix text as Markdown: paragraphs, and fenced code blocks that keep their formatting."""
    return "\n\n".join(body if kind == "p" else code_block(body)
                       for kind, body in fix_blocks(text))


def inline(text: str) -> str:
    """Text safe in a Markdown paragraph or table cell: no HTML, no table breaks, no line breaks."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def code_span(text: str) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    ticks = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (ticks + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or ticks else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, lang: str = "python") -> str:
    ticks = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, ticks + 1)
    return f"{fence}{lang}\n{text}\n{fence}"


def fence_language(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name == ".env" or name.startswith(".env."):
        return "ini"
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    return {"py": "python", "html": "html", "htm": "html", "jinja": "jinja", "jinja2": "jinja",
            "j2": "jinja", "djhtml": "html", "yaml": "yaml", "yml": "yaml", "toml": "toml",
            "json": "json", "ini": "ini", "cfg": "ini", "env": "ini"}.get(ext, "")


def _finding(rv: Review, f: Finding) -> str:
    rule = rv.rule(f.rule_id)
    name = f" {rule.name}" if rule else ""
    lines = [f"#### {ICON[f.severity]} {f.severity} · {f.rule_id}{name} · {code_span(f'{f.path}:{f.line}:{f.column}')}",
             "", inline(f.message), ""]
    if f.snippet:
        lines += [code_block(f"{f.line:>4} | {f.snippet}", fence_language(f.path)), ""]
    details = []
    if f.trace:
        details.append("**Trace**\n")
        details += [f"{i}. {code_span(f'{s.path}:{s.line}')} {inline(s.note)}"
                    for i, s in enumerate(f.trace, 1)]
        details.append(f"{len(f.trace) + 1}. {code_span(f'{f.path}:{f.line}')} reported here")
        details.append("")
    if rule is not None:
        details += (["**How to fix**", ""] if f.trace else []) + [fix_text(rule.fix), ""]
    details.append(f"PCI DSS {', '.join(f.pci_dss)} · category {f.category} · "
                   f"fingerprint `{f.fingerprint or '-'}`")
    lines += ["<details><summary>Trace and fix</summary>" if f.trace else
              "<details><summary>How to fix</summary>", "", *details, "", "</details>", ""]
    return "\n".join(lines)


def render(result: ScanResult, ctx: ReportContext) -> str:
    rv = build_review(result, ctx)
    paths = ", ".join(ctx.scanned_paths) or "."
    total = len(rv.findings)
    verdict = (f"❌ **{plural(rv.failing, 'finding')} at or above `{ctx.fail_on}`**"
               if rv.verdict == "fail" else "✅ **No failing findings**")
    out = [f"## pcilint security review: {plural(total, 'finding')}", "",
           f"{verdict} · {plural(result.files_scanned, 'file')} scanned in {code_span(paths)} · "
           f"pcilint {rv.metadata[0][1]}", ""]
    out += ["| Severity | Findings |", "|---|---:|"]
    out += [f"| {ICON[s]} {s} | {rv.severity_counts[s]} |" for s in SEVERITIES]
    out += [f"| **total** | **{total}** |", ""]
    notes = []
    if result.errors:
        notes.append(f"⚠️ {plural(len(result.errors), 'file')} could not be analysed (see *Scan errors*).")
    if ctx.baseline_path:
        notes.append(f"{plural(len(ctx.baselined), 'known finding')} accepted in the baseline "
                     f"{code_span(ctx.baseline_path)} are listed under *Exceptions*.")
    if ctx.diff_rev:
        notes.append(f"Only findings on lines changed since {code_span(ctx.diff_rev)} are listed "
                     f"({plural(len(ctx.outside_diff), 'finding')} elsewhere).")
    if result.suppressed:
        notes.append(f"{plural(result.suppressed, 'finding')} suppressed by inline comments "
                     "(see *Exceptions*).")
    if notes:
        out += [" ".join(notes), ""]

    out += ["### Compliance checklist", "",
            "Technical requirements of the Stripe PCI guide's checklist (and its advice to update the "
            "Stripe SDK), as assessed by this scan.", "",
            "| Status | Requirement | Evidence |", "|---|---|---|"]
    for item in rv.checklist:
        out.append(f"| {STATUS[item.status]} | {inline(item.text)} | "
                   f"{'<br>'.join(inline(e) for e in item.evidence)} |")
    out += ["", "**Operational requirements** (outside a static scan: the reviewer attests each one)", "",
            "| Status | Requirement | Reviewer | Date | Evidence / notes |", "|---|---|---|---|---|"]
    out += [f"| {STATUS[MANUAL]} | {inline(text)} | | | |" for text in rv.operational]
    out.append("")

    out += ["### Findings by category", "", "| Category | Findings | Critical | High | Medium | Low |",
            "|---|---:|---:|---:|---:|---:|"]
    for c in rv.categories:
        label = f"{c.title} ({rule_family(c.category)})"
        if not c.active_rules:
            label += " · *no active rule*"
        out.append(f"| {inline(label)} | {c.findings} | "
                   + " | ".join(str(c.by_severity.get(s, 0)) for s in SEVERITIES) + " |")
    out.append("")

    out += ["### PCI DSS v4.0.1 requirements touched", ""]
    if not rv.requirements:
        out += ["No finding touches a PCI DSS requirement.", ""]
    for sec in rv.requirements:
        out += [f"**{sec.number}** {inline(sec.title)}: {plural(len(sec.findings), 'finding')}", ""]
        out += [f"- {ICON[f.severity]} {f.rule_id} {code_span(f'{f.path}:{f.line}')} {inline(f.message)}"
                for f in sec.findings[:DETAIL_LIMIT]]
        if len(sec.findings) > DETAIL_LIMIT:
            out.append(f"- … and {len(sec.findings) - DETAIL_LIMIT} more")
        out.append("")

    out += ["### Findings", ""]
    if not rv.findings:
        out += ["No findings.", ""]
    for f in rv.findings[:DETAIL_LIMIT]:
        out.append(_finding(rv, f))
    rest = rv.findings[DETAIL_LIMIT:]
    if rest:
        out += [f"{plural(len(rest), 'more finding')} (details in the HTML or SARIF report):", "",
                "| Severity | Rule | Location | Finding |", "|---|---|---|---|"]
        out += [f"| {ICON[f.severity]} {f.severity} | {f.rule_id} | {code_span(f'{f.path}:{f.line}')} "
                f"| {inline(f.message)} |" for f in rest]
        out.append("")

    out += ["### Exceptions", ""]
    if not rv.exceptions:
        out += ["No finding is suppressed inline or accepted in a baseline.", ""]
    else:
        out += ["| Rule | Location | Finding | Kind | Reason | Suppressed at | Who, when |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {x.finding.rule_id} | {code_span(f'{x.finding.path}:{x.finding.line}')} | "
                f"{inline(x.finding.message)} | {x.kind} | {inline(x.reason)} | "
                f"{code_span(x.where) if x.where else ''} | {inline(x.who or 'unknown (not committed)')} |"
                for x in rv.exceptions[:DETAIL_LIMIT]]
        if len(rv.exceptions) > DETAIL_LIMIT:
            out.append(f"\n… and {len(rv.exceptions) - DETAIL_LIMIT} more (see the JSON `suppressed` list)")
        out.append("")

    if result.errors:
        out += ["### Scan errors", "", "| File | Problem |", "|---|---|"]
        out += [f"| {code_span(e.path)} | {inline(e.message)} |" for e in result.errors]
        out.append("")

    out += ["<details><summary>Scan metadata</summary>", "", "| | |", "|---|---|"]
    out += [f"| {inline(k)} | {inline(v)} |" for k, v in rv.metadata]
    out += ["", "</details>", ""]
    text = "\n".join(out)
    if len(text) > MAX_CHARS:
        # cut between two findings, so no code block or <details> is left open
        cut = text.rfind("\n#### ", 0, MAX_CHARS - 300)
        if cut < 0:
            cut = text.rfind("\n", 0, MAX_CHARS - 300)
        text = (text[:cut] + "\n\n*… report cut to fit a pull-request comment; run with "
                "`--format html` or `--format sarif` for the full list.*\n")
    return text
