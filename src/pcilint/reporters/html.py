"""The security review report (``--format html``): one self-contained HTML file (inline CSS, no script,
no external resource), readable on screen and printable.

Sections: verdict and summary by severity; findings by category; the Stripe guide's compliance
checklist with pass / fail / not assessed and evidence; one section per PCI DSS requirement touched;
every finding with its masked snippet, trace and fix guidance; scan errors; scan metadata and rules.
"""

from __future__ import annotations

import re
from html import escape

from pcilint.findings import SEVERITIES, Finding, ScanResult
from pcilint.reporters import ReportContext
from pcilint.reporters.review import (FAIL, MANUAL, NOT_APPLICABLE, NOT_ASSESSED, PASS, Review,
                                      build_review, fix_blocks, plural, rule_family)

CSS = """
:root{--ink:#1d2433;--muted:#5b6478;--line:#e3e7ef;--bg:#f5f7fb;--card:#fff;--navy:#14213d;
--critical:#a4161a;--high:#d9480f;--medium:#b7791f;--low:#2b6cb0;--pass:#2f855a;--na:#718096}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 -apple-system,BlinkMacSystemFont,
"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.top{background:var(--navy);color:#fff;padding:28px 0 24px}
.wrap{max-width:1120px;margin:0 auto;padding:0 28px}
header.top .eyebrow{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:#9fb3d9}
header.top h1{margin:4px 0 6px;font-size:26px;font-weight:650}
header.top .sub{color:#c9d4ea;font-size:13px}
.verdict{float:right;margin-top:6px;padding:8px 16px;border-radius:6px;font-weight:700;
font-size:13px;letter-spacing:.06em;text-transform:uppercase}
.verdict.fail{background:#fde8e8;color:var(--critical)}.verdict.pass{background:#e6f4ea;color:var(--pass)}
main{padding:24px 0 48px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:20px 24px;
margin:0 0 20px}
h2{font-size:18px;margin:0 0 14px;font-weight:650}
h3{font-size:15px;margin:18px 0 8px}
.cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:14px 16px;background:#fbfcfe;
border-top:4px solid var(--muted)}
.card .n{font-size:28px;font-weight:700;line-height:1.1}.card .l{color:var(--muted);font-size:12px;
text-transform:uppercase;letter-spacing:.08em}
.card.critical{border-top-color:var(--critical)}.card.high{border-top-color:var(--high)}
.card.medium{border-top-color:var(--medium)}.card.low{border-top-color:var(--low)}
.card.total{border-top-color:var(--navy)}.card.zero .n{color:#a0a8b8}
.note{color:var(--muted);font-size:13px;margin:10px 0 0}p.note+p.note{margin-top:4px}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;
letter-spacing:.05em;border-bottom:2px solid var(--line);padding:8px 10px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:9px 10px;vertical-align:top}
tr:last-child td{border-bottom:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:flex;height:8px;border-radius:4px;overflow:hidden;background:#edf0f6;min-width:120px}
.bar span{display:block;height:100%}
.sev{display:inline-block;border-radius:4px;padding:1px 8px;font-size:11px;font-weight:700;
text-transform:uppercase;letter-spacing:.05em;color:#fff;white-space:nowrap}
.sev.critical,.bar .critical{background:var(--critical)}.sev.high,.bar .high{background:var(--high)}
.sev.medium,.bar .medium{background:var(--medium)}.sev.low,.bar .low{background:var(--low)}
.status{display:inline-block;min-width:104px;text-align:center;border-radius:12px;padding:2px 10px;
font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;white-space:nowrap}
.status.pass{background:#e6f4ea;color:var(--pass)}.status.fail{background:#fde8e8;color:var(--critical)}
.status.na{background:#edf0f6;color:var(--na)}.status.nap{background:#eef2f8;color:#3d5a80}
.status.manual{background:#fff4e0;color:#8a5a00}
.attest td.blank{border-bottom:1px dashed #b8c0d0;min-width:120px}
pre.fixcode{margin:6px 0;background:#fff;border:1px solid #cfe6d7;border-radius:4px;padding:8px 10px;
font-size:12.5px;overflow-x:auto;white-space:pre}
.fix p{margin:4px 0}
ul.evidence{margin:0;padding-left:18px;color:#39425a}ul.evidence li{margin:2px 0}
.req{border-left:4px solid var(--navy);padding-left:14px;margin:0 0 18px}
.req h3{margin:0 0 6px}.req .count{color:var(--muted);font-weight:400}
a{color:#2251a8;text-decoration:none}a:hover{text-decoration:underline}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
code{font-size:12.5px;background:#f0f2f7;border-radius:3px;padding:0 4px}
.finding{border:1px solid var(--line);border-radius:8px;margin:0 0 16px;overflow:hidden}
.finding .fh{display:flex;gap:10px;align-items:center;padding:10px 14px;background:#fafbfd;
border-bottom:1px solid var(--line);flex-wrap:wrap}
.finding .fh .rule{font-weight:650}.finding .fh .loc{margin-left:auto;color:var(--muted);font-size:12.5px}
.finding .fb{padding:12px 14px}
.finding .msg{margin:0 0 10px;font-size:14px}
pre.snippet{margin:0 0 12px;background:#1e2433;color:#e6e9f0;border-radius:6px;padding:10px 12px;
font-size:12.5px;overflow-x:auto;white-space:pre}
pre.snippet .ln{color:#7d869c;user-select:none;display:inline-block;min-width:3.5em;
padding-right:1em;text-align:right}
.label{font-size:11px;font-weight:700;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;
margin:10px 0 4px}
ol.trace{margin:0;padding-left:22px;font-size:13px}ol.trace li{margin:2px 0}
ol.trace .where{color:var(--muted)}ol.trace li.sink{font-weight:600}
.fix{background:#f1f7f3;border:1px solid #cfe6d7;border-radius:6px;padding:10px 12px;font-size:13px}
.meta td:first-child{width:220px;color:var(--muted)}
details summary{cursor:pointer;color:#2251a8;font-weight:600;margin:6px 0}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 32px}
@media print{@page{size:A4;margin:16mm 14mm 18mm}
body{background:#fff;font-size:11pt;color:#000}.wrap{max-width:none;padding:0}
header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 8pt;margin:0 0 10pt}
header.top .eyebrow,header.top .sub{color:#333}.verdict{border:1px solid #000}
main{padding:0}section{border:0;border-top:1px solid #999;border-radius:0;padding:10pt 0 0;margin:0 0 12pt}
.finding,tr,pre,.fix{break-inside:avoid}h2,h3{break-after:avoid}.finding{border-color:#999}
.sev,.status,.bar span,.card{-webkit-print-color-adjust:exact;print-color-adjust:exact}
pre.snippet{background:#f3f3f3;color:#000;border:1px solid #bbb;white-space:pre-wrap}
pre.fixcode{white-space:pre-wrap}.cards{grid-template-columns:repeat(5,1fr)}
a{color:#000}details>summary{display:none}
footer{padding:8pt 0 0;color:#333}}
@media (max-width:760px){.cards{grid-template-columns:repeat(2,1fr)}.verdict{float:none;display:inline-block}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _rich(text: object) -> str:
    """Escaped text whose `backticked` parts (as rule messages and fixes write code) become <code>."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", _e(text))


def _sev(severity: str) -> str:
    return f'<span class="sev {_e(severity)}">{_e(severity)}</span>'


def _status(status: str) -> str:
    cls = {PASS: "pass", FAIL: "fail", NOT_ASSESSED: "na", NOT_APPLICABLE: "nap",
           MANUAL: "manual"}[status]
    return f'<span class="status {cls}">{_e(status)}</span>'


def _bar(by_severity: dict[str, int], total: int) -> str:
    if not total:
        return '<div class="bar"></div>'
    spans = "".join(f'<span class="{s}" style="width:{100 * by_severity[s] / total:.1f}%"></span>'
                    for s in SEVERITIES if by_severity.get(s))
    return f'<div class="bar">{spans}</div>'


def _loc(f: Finding) -> str:
    return f"{f.path}:{f.line}"


def _summary(rv: Review) -> str:
    total = len(rv.findings)
    cards = [f'<div class="card total"><div class="n">{total}</div><div class="l">findings</div></div>']
    for s in SEVERITIES:
        zero = " zero" if not rv.severity_counts[s] else ""
        cards.append(f'<div class="card {s}{zero}"><div class="n">{rv.severity_counts[s]}</div>'
                     f'<div class="l">{s}</div></div>')
    notes = []
    r = rv.result
    notes.append(f"{plural(r.files_scanned, 'file')} scanned in {r.duration_s:.2f} s; "
                 f"{plural(rv.failing, 'finding')} at or above the failing severity "
                 f"({_e(rv.ctx.fail_on)}).")
    if r.errors:
        notes.append(f'{plural(len(r.errors), "file")} could not be analysed '
                     f'(<a href="#errors">scan errors</a>).')
    if r.suppressed:
        notes.append(f"{plural(r.suppressed, 'finding')} suppressed by inline "
                     '<code>pcilint: ignore</code> comments (<a href="#exceptions">Exceptions</a>).')
    if rv.ctx.baseline_path:
        notes.append(f"{plural(len(rv.ctx.baselined), 'known finding')} accepted in the baseline "
                     f"<code>{_e(rv.ctx.baseline_path)}</code> are listed under "
                     '<a href="#exceptions">Exceptions</a>.')
    if rv.ctx.diff_rev:
        notes.append(f"Only findings on lines changed since <code>{_e(rv.ctx.diff_rev)}</code> are "
                     f"listed ({plural(len(rv.ctx.outside_diff), 'finding')} elsewhere).")
    return (f'<section id="summary"><h2>Summary</h2><div class="cards">{"".join(cards)}</div>'
            + "".join(f'<p class="note">{n}</p>' for n in notes) + "</section>")


def _categories(rv: Review) -> str:
    rows = []
    for c in rv.categories:
        rules = (", ".join(c.active_rules) if c.active_rules
                 else '<span class="empty" style="white-space:nowrap">no active rule</span>')
        rows.append(
            f"<tr><td><strong>{_e(c.title)}</strong><br><span class='note'>{_e(rule_family(c.category))}"
            f" — {_e(c.description)}</span></td><td class='num'>{c.findings}</td>"
            f"<td>{_bar(c.by_severity, c.findings)}</td><td class='mono' style='font-size:12px'>"
            f"{rules}</td></tr>")
    return ('<section id="categories"><h2>Findings by category</h2><table><thead><tr><th>Category</th>'
            '<th class="num">Findings</th><th style="width:160px">Severity mix</th><th>Rules run</th>'
            '</tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _checklist(rv: Review) -> str:
    rows = []
    for item in rv.checklist:
        ev = "".join(f"<li>{_rich(e)}</li>" for e in item.evidence)
        links = ""
        if item.findings:
            shown = item.findings[:12]
            links = ('<div class="note">' + ", ".join(
                f'<a href="#{rv.anchor(f)}">{_e(f.rule_id)} {_e(_loc(f))}</a>' for f in shown)
                + (f" and {len(item.findings) - len(shown)} more" if len(item.findings) > len(shown)
                   else "") + "</div>")
        rows.append(f"<tr><td>{_status(item.status)}</td><td><strong>{_e(item.text)}</strong></td>"
                    f"<td><ul class='evidence'>{ev}</ul>{links}</td></tr>")
    attest = "".join(
        f"<tr><td>{_status(MANUAL)}</td><td><strong>{_e(text)}</strong></td>"
        "<td class='blank'></td><td class='blank'></td><td class='blank'></td></tr>"
        for text in rv.operational)
    return ('<section id="checklist"><h2>Compliance checklist</h2>'
            '<p class="note" style="margin:0 0 10px">The technical requirements of the Stripe PCI '
            'guide\'s compliance checklist (and its advice to update the Stripe SDK), assessed '
            'from this scan: each says what was examined. <em>Not applicable</em> means nothing '
            'the item is about was found.</p><table><thead><tr><th style="width:130px">Status</th>'
            '<th style="width:260px">Requirement</th><th>Evidence</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>"
            '<h3>Operational requirements</h3><p class="note" style="margin:0 0 10px">Outside a '
            'static scan: the reviewer attests each one.</p><table class="attest"><thead><tr>'
            '<th style="width:130px">Status</th><th style="width:260px">Requirement</th>'
            '<th>Reviewer</th><th>Date</th><th>Evidence / notes</th></tr></thead><tbody>'
            + attest + "</tbody></table></section>")


def _exceptions(rv: Review) -> str:
    if not rv.exceptions:
        return ('<section id="exceptions"><h2>Exceptions</h2><p class="empty">No finding is '
                'suppressed inline or accepted in a baseline.</p></section>')
    rows = "".join(
        f"<tr><td>{_sev(x.finding.severity)}</td><td class='mono'>{_e(x.finding.rule_id)}</td>"
        f"<td class='mono'>{_e(_loc(x.finding))}</td><td>{_rich(x.finding.message)}</td>"
        f"<td>{_e(x.kind)}</td><td>{_e(x.reason)}</td><td class='mono'>{_e(x.where)}</td>"
        f"<td>{_e(x.who) if x.who else NOT_COMMITTED}</td></tr>"
        for x in rv.exceptions)
    return ('<section id="exceptions"><h2>Exceptions</h2><p class="note" style="margin:0 0 10px">'
            'Findings suppressed by <code>pcilint: ignore</code> comments or accepted in a baseline: '
            'not counted above, listed for review with the reason given and who last changed the '
            'suppression (git blame).</p><table><thead><tr><th>Severity</th><th>Rule</th>'
            '<th>Location</th><th>Finding</th><th>Kind</th><th>Reason</th><th>Suppressed at</th>'
            f'<th>Who, when</th></tr></thead><tbody>{rows}</tbody></table></section>')


NOT_COMMITTED = '<span class="empty">unknown (not committed)</span>'


def _fix(text: str) -> str:
    """How-to-fix text: paragraphs, and code blocks that keep their lines and indentation."""
    return "".join(f"<p>{_rich(body)}</p>" if kind == "p" else f'<pre class="fixcode">{_e(body)}</pre>'
                   for kind, body in fix_blocks(text))


def _requirements(rv: Review) -> str:
    if not rv.requirements:
        return ('<section id="requirements"><h2>PCI DSS requirements</h2>'
                '<p class="empty">No finding touches a PCI DSS requirement.</p></section>')
    parts = []
    for sec in rv.requirements:
        rows = "".join(
            f"<tr><td>{_sev(f.severity)}</td><td class='mono'>{_e(f.rule_id)}</td>"
            f"<td><a href='#{rv.anchor(f)}'>{_e(_loc(f))}</a></td><td>{_rich(f.message)}</td></tr>"
            for f in sec.findings)
        parts.append(
            f'<div class="req" id="req-{_e(sec.number)}"><h3>Requirement {_e(sec.number)}: '
            f'{_e(sec.title)} <span class="count">· {plural(len(sec.findings), "finding")}</span></h3>'
            f"<table><thead><tr><th style='width:90px'>Severity</th><th style='width:70px'>Rule</th>"
            f"<th style='width:240px'>Location</th><th>Finding</th></tr></thead><tbody>{rows}"
            "</tbody></table></div>")
    return ('<section id="requirements"><h2>PCI DSS v4.0.1 requirements touched</h2>' + "".join(parts)
            + "</section>")


def _finding(rv: Review, f: Finding) -> str:
    rule = rv.rule(f.rule_id)
    name = f" {rule.name}" if rule else ""
    snippet = ""
    if f.snippet:
        snippet = (f'<pre class="snippet"><span class="ln">{f.line}</span>{_e(f.snippet)}</pre>')
    trace = ""
    if f.trace:
        steps = "".join(f'<li><span class="where">{_e(s.path)}:{s.line}</span> — {_e(s.note)}</li>'
                        for s in f.trace)
        steps += (f'<li class="sink"><span class="where">{_e(_loc(f))}</span> — '
                  f"reported here</li>")
        trace = f'<div class="label">Trace</div><ol class="trace">{steps}</ol>'
    fix = ""
    if rule is not None:
        fix = f'<div class="label">How to fix</div><div class="fix">{_fix(rule.fix)}</div>'
    reqs = ", ".join(f'<a href="#req-{_e(r)}">{_e(r)}</a>' for r in f.pci_dss)
    return (f'<div class="finding" id="{rv.anchor(f)}"><div class="fh">{_sev(f.severity)}'
            f'<span class="rule">{_e(f.rule_id)}{_e(name)}</span>'
            f'<span class="note" style="margin:0">{_e(f.category)} · PCI DSS {reqs}</span>'
            f'<span class="loc mono">{_e(f.path)}:{f.line}:{f.column}</span></div>'
            f'<div class="fb"><p class="msg">{_rich(f.message)}</p>{snippet}{trace}{fix}</div></div>')


def _findings(rv: Review) -> str:
    if not rv.findings:
        body = '<p class="empty">No findings.</p>'
    else:
        body = "".join(_finding(rv, f) for f in rv.findings)
    return f'<section id="findings"><h2>Findings</h2>{body}</section>'


def _errors(rv: Review) -> str:
    if not rv.result.errors:
        return ""
    rows = "".join(f"<tr><td class='mono'>{_e(e.path)}</td><td>{_e(e.message)}</td></tr>"
                   for e in rv.result.errors)
    return ('<section id="errors"><h2>Scan errors</h2><p class="note" style="margin:0 0 10px">These '
            'files were not analysed; nothing in this report covers them.</p><table><thead><tr>'
            f'<th>File</th><th>Problem</th></tr></thead><tbody>{rows}</tbody></table></section>')


def _metadata(rv: Review) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td class='mono' style='font-size:12.5px'>{_e(v)}</td></tr>"
                   for k, v in rv.metadata)
    rules = ""
    if rv.ctx.rules:
        rule_rows = "".join(
            f"<tr><td class='mono'>{_e(r.id)}</td><td>{_e(r.name)}</td><td>{_sev(r.severity)}</td>"
            f"<td>{_e(r.category)}</td><td>{_e(', '.join(r.pci_dss))}</td><td>{_e(r.summary)}</td></tr>"
            for r in rv.ctx.rules)
        rules = ("<details><summary>Active rules</summary><table><thead><tr><th>Rule</th><th>Name</th>"
                 "<th>Severity</th><th>Category</th><th>PCI DSS</th><th>What it finds</th></tr></thead>"
                 f"<tbody>{rule_rows}</tbody></table></details>")
    return (f'<section id="metadata"><h2>Scan metadata</h2><table class="meta"><tbody>{rows}</tbody>'
            f"</table>{rules}</section>")


def render(result: ScanResult, ctx: ReportContext) -> str:
    rv = build_review(result, ctx)
    verdict = ("fail" if rv.verdict == "fail" else "pass")
    verdict_text = (f"{plural(rv.failing, 'finding')} to fix" if rv.verdict == "fail"
                    else "no failing findings")
    paths = ", ".join(ctx.scanned_paths) or "."
    head = (f'<header class="top"><div class="wrap"><div class="verdict {verdict}">{_e(verdict_text)}'
            f'</div><div class="eyebrow">pcilint · PCI DSS security review</div>'
            f"<h1>Card-data security review</h1><div class='sub'>{_e(paths)} · "
            f"{_e(rv.metadata[1][1])} · pcilint {_e(rv.metadata[0][1])}</div></div></header>")
    body = "".join((_summary(rv), _checklist(rv), _categories(rv), _requirements(rv), _findings(rv),
                    _exceptions(rv), _errors(rv), _metadata(rv)))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>pcilint security review — {_e(paths)}</title><style>{CSS}</style></head>"
            f"<body>{head}<main><div class='wrap'>{body}</div></main>"
            "<footer>Generated by pcilint. Code snippets and messages are masked: no full card "
            "number or secret key appears in this report.</footer></body></html>\n")
