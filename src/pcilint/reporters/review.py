"""The security-review model shared by the HTML and Markdown reports.

It only organises what the scan found (no analysis): a summary by severity and category, one section
per PCI DSS requirement touched, the Stripe guide's *Compliance Checklist* (technical requirements,
and its advice to "Regularly update Stripe SDK versions") with each item marked pass / fail / not assessed and its evidence, every finding with its rule's fix
guidance, and the scan's metadata.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pcilint import __version__
from pcilint.findings import CATEGORIES, SEVERITIES, SEVERITY_RANK, Finding, ScanResult
from pcilint.reporters import ReportContext

def requirement_title(number: str) -> str:
    """A requirement's title, from the PCI DSS table (``rules/data/pci-dss.yaml``)."""
    from pcilint.pcidss import table

    return table().titles.get(number, "PCI DSS requirement")

CATEGORY_INFO = {
    "logging": ("Logging", "card data reaching logs, prints, exception messages or error trackers"),
    "storage": ("Storage", "card data written to databases, files or object stores"),
    "caching": ("Caching", "card data in caches, sessions or cookies"),
    "transmission": ("Card data on the server",
                     "raw card data read from requests, accepted by server-side forms or sent on "
                     "instead of being collected with Stripe.js / Elements"),
    "transport": ("Transport security", "communication without verified HTTPS"),
    "webhook": ("Webhooks", "Stripe webhooks acted on without signature verification"),
    "secrets": ("Secrets", "hardcoded Stripe secret keys, webhook secrets and card numbers"),
    "validation": ("Input validation",
                   "client-controlled values reaching money or object parameters of Stripe calls"),
    "dependencies": ("Dependencies", "Stripe SDK requirements and pinned API versions that are "
                                     "out of date"),
}

# The guide's Compliance Checklist, technical requirements, and the rule categories that assess each;
# last, the one item of its "What You Should Do" list that a scan can assess on its own.
CHECKLIST = (
    ("Use Stripe.js for card data collection", ("transmission",)),
    ("Implement webhook signature verification", ("webhook",)),
    ("Store only tokens and non-sensitive data", ("storage", "caching", "logging", "secrets")),
    ("Use HTTPS for all API calls", ("transport",)),
    ("Validate all input data", ("validation",)),
    ("Regularly update Stripe SDK versions", ("dependencies",)),
)
NOT_IN_SCOPE = ("pcilint does not check general input validation; review form, serializer and "
                "schema validation manually.")

PASS, FAIL, NOT_ASSESSED = "pass", "fail", "not assessed"


def requirement_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split("."))


def prose(text: str) -> str:
    """Rule text written as wrapped YAML blocks -> paragraphs of unwrapped lines."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def rule_family(category: str) -> str:
    digit = next((d for d, c in CATEGORIES.items() if c == category), "?")
    return f"PCI{digit}xx {category}"


@dataclass
class CategoryRow:
    category: str
    title: str
    description: str
    findings: int
    by_severity: dict[str, int]
    active_rules: list[str]


@dataclass
class RequirementSection:
    number: str
    title: str
    findings: list[Finding]


@dataclass
class ChecklistItem:
    text: str
    status: str  # pass, fail, not assessed
    evidence: list[str]
    categories: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Review:
    result: ScanResult
    ctx: ReportContext
    findings: list[Finding]  # most severe first, then by location
    anchors: dict[int, str]  # id(finding) -> anchor
    severity_counts: dict[str, int]
    categories: list[CategoryRow]
    requirements: list[RequirementSection]
    checklist: list[ChecklistItem]
    metadata: list[tuple[str, str]]
    failing: int  # findings at or above the failing severity
    verdict: str  # "pass" / "fail"

    def anchor(self, f: Finding) -> str:
        return self.anchors[id(f)]

    def rule(self, rule_id: str) -> Any:
        return self.ctx.rule(rule_id)


def _count_by_rule(findings: list[Finding]) -> str:
    counts = Counter(f.rule_id for f in findings)
    return ", ".join(f"{rid} ×{n}" if n > 1 else rid for rid, n in sorted(counts.items()))


def _checklist(result: ScanResult, ctx: ReportContext, active: dict[str, list[str]]) -> list[ChecklistItem]:
    items = []
    hidden_base = ctx.baselined
    hidden_diff = ctx.outside_diff
    for text, cats in CHECKLIST:
        if not cats:
            items.append(ChecklistItem(text, NOT_ASSESSED, [NOT_IN_SCOPE], cats))
            continue
        found = [f for f in result.findings if f.category in cats]
        known = [f for f in hidden_base if f.category in cats]
        unchanged = [f for f in hidden_diff if f.category in cats]
        evidence: list[str] = []
        for cat in cats:
            n = sum(1 for f in found if f.category == cat)
            if n:
                evidence.append(f"{plural(n, 'finding')} in {rule_family(cat)} "
                                f"({_count_by_rule([f for f in found if f.category == cat])}).")
        if known:
            evidence.append(f"{plural(len(known), 'known finding')} accepted in the baseline "
                            f"{ctx.baseline_path} ({_count_by_rule(known)}) still stand.")
        if unchanged:
            evidence.append(f"{plural(len(unchanged), 'finding')} on lines not changed since "
                            f"{ctx.diff_rev} ({_count_by_rule(unchanged)}).")
        inactive = [c for c in cats if not active.get(c)]
        if found or known or unchanged:
            status = FAIL
        elif len(inactive) == len(cats):
            status = NOT_ASSESSED
            evidence.append("No rule of " + ", ".join(rule_family(c) for c in cats)
                            + " was active in this scan (see --select / --ignore / configuration).")
        elif result.files_scanned == 0:
            status = NOT_ASSESSED
            evidence.append("No file was scanned.")
        else:
            status = PASS
            ran = [c for c in cats if active.get(c)]
            evidence.append(
                f"{plural(result.files_scanned, 'file')} scanned ({', '.join(ctx.scanned_paths) or '.'}); "
                "active with zero findings: "
                + "; ".join(f"{rule_family(c)} ({', '.join(active[c])})" for c in ran) + ".")
        if inactive and status != NOT_ASSESSED:
            evidence.append("Not assessed here (no active rule): "
                            + ", ".join(rule_family(c) for c in inactive) + ".")
        if result.errors and status == PASS:
            evidence.append(f"{plural(len(result.errors), 'file')} could not be analysed "
                            "(see Scan errors): this pass does not cover them.")
        if ctx.diff_rev and status == PASS:
            evidence.append(f"Only findings on lines changed since {ctx.diff_rev} are reported.")
        items.append(ChecklistItem(text, status, evidence, cats, found))
    return items


def build_review(result: ScanResult, ctx: ReportContext) -> Review:
    findings = sorted(result.findings,
                      key=lambda f: (-SEVERITY_RANK[f.severity], f.path, f.line, f.column, f.rule_id))
    anchors = {id(f): f"finding-{i + 1}" for i, f in enumerate(findings)}
    severity_counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}

    active: dict[str, list[str]] = {}
    for rule in ctx.rules:
        active.setdefault(rule.category, []).append(rule.id)
    categories = []
    for cat in CATEGORIES.values():
        in_cat = [f for f in findings if f.category == cat]
        title, description = CATEGORY_INFO[cat]
        categories.append(CategoryRow(
            cat, title, description, len(in_cat),
            {s: n for s in SEVERITIES if (n := sum(1 for f in in_cat if f.severity == s))},
            active.get(cat, [])))

    by_req: dict[str, list[Finding]] = {}
    for f in findings:
        for req in f.pci_dss:
            by_req.setdefault(req, []).append(f)
    requirements = [RequirementSection(req, requirement_title(req),
                                       by_req[req])
                    for req in sorted(by_req, key=requirement_key)]

    failing = sum(1 for f in findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[ctx.fail_on])
    rules_text = (f"{len(ctx.rules)} active: " + ", ".join(r.id for r in ctx.rules)
                  if ctx.rules else "none listed")
    metadata = [
        ("pcilint version", __version__),
        ("Generated", ctx.timestamp().strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Scanned paths", ", ".join(ctx.scanned_paths) or "."),
        ("Working directory", ctx.cwd or "(not recorded)"),
        ("Configuration", ctx.config_source or "defaults (no configuration file found)"),
        ("Rules", rules_text),
        ("Failing severity", f"{ctx.fail_on} and above"),
        ("Files scanned", str(result.files_scanned)),
        ("Files not analysed", str(len(result.errors))),
        ("Findings suppressed inline", str(result.suppressed)),
        ("Duration", f"{result.duration_s:.2f} s"),
    ]
    if ctx.baseline_path:
        metadata.append(("Baseline", f"{ctx.baseline_path}: "
                         f"{plural(len(ctx.baselined), 'known finding')} not repeated"))
    if ctx.diff_rev:
        metadata.append(("Changed since", f"{ctx.diff_rev}: "
                         f"{plural(len(ctx.outside_diff), 'finding')} on unchanged lines not repeated"))
    return Review(result=result, ctx=ctx, findings=findings, anchors=anchors,
                  severity_counts=severity_counts, categories=categories,
                  requirements=requirements, checklist=_checklist(result, ctx, active),
                  metadata=metadata, failing=failing, verdict="fail" if failing else "pass")
