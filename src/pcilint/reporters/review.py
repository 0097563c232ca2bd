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
# The guide's operational requirements: outside a static scan, attested by the reviewer.
OPERATIONAL = (
    "Regular security reviews",
    "Staff training on data handling",
    "Incident response procedures",
    "Data retention policies",
    "Access control and monitoring",
)

PASS, FAIL, NOT_ASSESSED, NOT_APPLICABLE, MANUAL = (
    "pass", "fail", "not assessed", "not applicable", "manual: attest")
#: how many locations an evidence line names before "and N more"
SHOWN = 6


def requirement_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split("."))


def prose(text: str) -> str:
    """Rule text written as wrapped YAML blocks -> paragraphs of unwrapped lines."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def fix_blocks(text: str) -> list[tuple[str, str]]:
    """Rule text (a YAML block: paragraphs, and code indented by four spaces) -> ``("p", text)``
    paragraphs of unwrapped lines and ``("code", text)`` blocks that keep their lines and indentation."""
    import textwrap

    lines = textwrap.dedent(text.strip("\n")).splitlines()
    blocks: list[tuple[str, str]] = []
    para: list[str] = []
    code: list[str] = []

    def flush_para() -> None:
        if para:
            blocks.append(("p", " ".join(" ".join(para).split())))
            para.clear()

    def flush_code() -> None:
        while code and not code[-1].strip():
            code.pop()
        if code:
            blocks.append(("code", textwrap.dedent("\n".join(code))))
            code.clear()

    for line in lines:
        if line.startswith("    ") and (code or not para or not line.strip()) and line.strip():
            flush_para()
            code.append(line)
        elif not line.strip():
            if code:
                code.append("")
            else:
                flush_para()
        else:
            flush_code()
            para.append(line)
    flush_para()
    flush_code()
    return blocks


def verb(n: int, singular: str) -> str:
    """``verb(1, "verifies")`` -> verifies, ``verb(2, "verifies")`` -> verify."""
    if n == 1:
        return singular
    if singular.endswith("ies"):
        return singular[:-3] + "y"
    if singular.endswith(("sses", "shes", "ches", "xes")):
        return singular[:-2]
    return singular[:-1]


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
    status: str  # pass, fail, not applicable, not assessed
    evidence: list[str]
    categories: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Exception_:
    """A suppressed or baselined finding, as the Exceptions section lists it."""

    finding: Finding
    kind: str  # "inline" or "baseline"
    reason: str
    where: str  # path:line of the suppression comment or baseline entry
    who: str  # "author, date" from git blame, or ""


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
    exceptions: list[Exception_] = field(default_factory=list)
    operational: tuple[str, ...] = OPERATIONAL

    def anchor(self, f: Finding) -> str:
        return self.anchors[id(f)]

    def rule(self, rule_id: str) -> Any:
        return self.ctx.rule(rule_id)


def _count_by_rule(findings: list[Finding]) -> str:
    counts = Counter(f.rule_id for f in findings)
    return ", ".join(f"{rid} ×{n}" if n > 1 else rid for rid, n in sorted(counts.items()))


def _at(row: dict[str, Any], extra: str = "") -> str:
    return f"{row['path']}:{row['line']}" + (f" {extra}" if extra else "")


def _places(items: list[str], total: int | None = None) -> str:
    total = len(items) if total is None else total
    shown = ", ".join(f"`{i}`" for i in items[:SHOWN])
    more = total - min(len(items), SHOWN)
    return shown + (f", and {more} more" if more > 0 else "")


def _examined(text: str, inv: dict[str, Any]) -> tuple[list[str], str | None]:
    """What the inventory says was examined for one checklist item: evidence lines, and the
    reason the item does not apply (None when something relevant was found)."""
    ev: list[str] = []
    if text.startswith("Use Stripe.js"):
        templates = inv.get("stripe_js_templates", [])
        posting = inv.get("templates_posting_card_fields", [])
        hosted = [c for c in inv.get("stripe_money_calls", []) if "checkout" in c["call"].lower()
                  or "payment_link" in c["call"].lower()]
        intents = [c for c in inv.get("stripe_money_calls", []) if "paymentintent" in
                   c["call"].lower().replace("_", "") or "setupintent" in c["call"].lower()]
        mounting = [t for t in templates if t["mounts"]]
        if templates:
            ev.append(f"{plural(len(templates), 'template')} {verb(len(templates), 'loads')} "
                      f"Stripe.js ({_places([_at(t) for t in templates])}); "
                      f"{len(mounting)} {verb(len(mounting), 'mounts')} Elements or "
                      f"{verb(len(mounting), 'confirms')} payments in the browser; "
                      f"{plural(len(posting), 'template')} {verb(len(posting), 'posts')} card "
                      "fields to the server.")
        if hosted:
            ev.append(f"{plural(len(hosted), 'Stripe-hosted Checkout/Payment Link call')} "
                      f"({_places([_at(c) for c in hosted])}).")
        if intents:
            ev.append(f"{plural(len(intents), 'PaymentIntent/SetupIntent call')} "
                      f"({_places([_at(c) for c in intents])}).")
        raw = inv.get("raw_card_to_stripe_calls", 0)
        if ev or posting or raw:
            ev.append(f"{plural(raw, 'server-side call')} sending raw card data to Stripe.")
            return ev, None
        return ev, "no payment page, Stripe.js template or Stripe payment call found"
    if text.startswith("Implement webhook"):
        hooks = inv.get("webhook_endpoints", [])
        if not hooks:
            return ev, "no webhook endpoint found"
        verified = [h for h in hooks if h["verified"]]
        how = [f"{h['how'][0]}" for h in verified if h.get("how")]
        ev.append(f"{plural(len(hooks), 'webhook endpoint')} found "
                  f"({_places([_at(h) for h in hooks])}), "
                  f"{len(verified)} {verb(len(verified), 'verifies')} the signature"
                  + (f" ({_places(how)})" if how else "") + ".")
        return ev, None
    if text.startswith("Store only tokens"):
        models = inv.get("stripe_id_models", [])
        cards = inv.get("card_data_fields", [])
        if not models and not cards:
            return ev, "no model or table storing payment data found"
        prefixes = sorted({p for m in models for p in m["id_prefixes"]})
        ev.append(f"{plural(len(models), 'model')} {verb(len(models), 'stores')} Stripe ids"
                  + (f" ({', '.join(f'`{p}`' for p in prefixes)})" if prefixes else "")
                  + (f": {_places([_at(m, m['model']) for m in models])}"
                     if models else "")
                  + f"; {plural(len(cards), 'card-data column')}.")
        return ev, None
    if text.startswith("Use HTTPS"):
        http = inv.get("http_calls", {})
        total = http.get("total", 0)
        stripe_calls = len(inv.get("stripe_money_calls", []))
        if not total and not stripe_calls:
            return ev, "no outgoing HTTP call site or Stripe API call found"
        if total:
            by = http.get("by_scheme", {})
            parts = [f"{n} {k}" for k, n in sorted(by.items(), key=lambda kv: -kv[1])]
            label = "all https" if by.get("https", 0) == total else ", ".join(parts)
            ev.append(f"{plural(total, 'outgoing HTTP call site')}, {label}.")
            dynamic = [f"{s['path']}:{s['line']}" for s in http.get("sites", [])
                       if s["scheme"] == "dynamic"]
            if dynamic:
                ev.append(f"{plural(len(dynamic), 'URL')} built at run time cannot be checked "
                          f"statically: {_places(dynamic)}.")
        if stripe_calls:
            ev.append(f"{plural(stripe_calls, 'Stripe SDK call')} {verb(stripe_calls, 'uses')} the "
                      "SDK's HTTPS API base "
                      "unless a PCI5xx finding says otherwise.")
        return ev, None
    if text.startswith("Validate all input"):
        calls = inv.get("stripe_money_calls", [])
        if not calls:
            return ev, "no Stripe call setting an amount, price, customer or account found"
        ev.append(f"{plural(len(calls), 'Stripe call')} {verb(len(calls), 'sets')} amounts, prices, "
                  "customers or accounts "
                  f"({_places([_at(c, c['call']) for c in calls])}); "
                  f"{plural(inv.get('client_controlled_params', 0), 'argument')} "
                  f"{verb(inv.get('client_controlled_params', 0), 'takes')} a "
                  "client-controlled value unchecked.")
        return ev, None
    if text.startswith("Regularly update"):
        reqs = inv.get("stripe_requirements", [])
        if not reqs:
            return ev, "no `stripe` requirement found in a dependency manifest"
        ev.append(f"{plural(len(reqs), '`stripe` requirement')} "
                  f"({_places([_at(r, r['requirement']) for r in reqs])}).")
        return ev, None
    return ev, None


def _checklist(result: ScanResult, ctx: ReportContext, active: dict[str, list[str]]) -> list[ChecklistItem]:
    items = []
    hidden_base = ctx.baselined
    hidden_diff = ctx.outside_diff
    inv = result.inventory
    for text, cats in CHECKLIST:
        found = [f for f in result.findings if f.category in cats]
        known = [f for f in hidden_base if f.category in cats]
        unchanged = [f for f in hidden_diff if f.category in cats]
        suppressed = [s for s in result.suppressed_findings
                      if s.finding.category in cats and s.kind == "inSource"]
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
        examined, not_applicable = _examined(text, inv) if inv is not None else ([], None)
        if found or known or unchanged:
            status = FAIL
            evidence += examined
        elif len(inactive) == len(cats):
            status = NOT_ASSESSED
            evidence.append("No rule of " + ", ".join(rule_family(c) for c in cats)
                            + " was active in this scan (see --select / --ignore / configuration).")
        elif result.files_scanned == 0:
            status = NOT_ASSESSED
            evidence.append("No file was scanned.")
        elif inv is None:
            status = NOT_ASSESSED
            evidence.append("No inventory of what was examined was collected for this report, "
                            "so zero findings are not evidence on their own.")
        elif not_applicable:
            status = NOT_APPLICABLE
            evidence.append(f"Not applicable ({not_applicable} in "
                            f"{plural(result.files_scanned, 'file')} scanned).")
        else:
            status = PASS
            evidence += examined
            ran = [c for c in cats if active.get(c)]
            evidence.append(
                "No finding from " + "; ".join(f"{rule_family(c)} ({', '.join(active[c])})"
                                               for c in ran)
                + f" over {plural(result.files_scanned, 'file')} scanned in "
                f"{', '.join(ctx.scanned_paths) or '.'}.")
        if suppressed:
            evidence.append(f"{plural(len(suppressed), 'finding')} suppressed inline "
                            f"({_count_by_rule([s.finding for s in suppressed])}): see Exceptions.")
        if inactive and status not in (NOT_ASSESSED,):
            evidence.append("Not assessed here (no active rule): "
                            + ", ".join(rule_family(c) for c in inactive) + ".")
        if result.errors and status in (PASS, NOT_APPLICABLE):
            evidence.append(f"{plural(len(result.errors), 'file')} could not be analysed "
                            "(see Scan errors): this assessment does not cover them.")
        if ctx.diff_rev and status in (PASS, NOT_APPLICABLE):
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
    exceptions = []
    listed = set()
    for sup in result.suppressed_findings:
        listed.add(sup.finding.fingerprint)
        exceptions.append(Exception_(
            sup.finding, "inline" if sup.kind == "inSource" else "baseline",
            sup.justification or "(no reason given)",
            f"{sup.path}:{sup.line}" if sup.line else sup.path,
            ", ".join(x for x in (sup.author, sup.date) if x)))
    for f in ctx.baselined:
        if f.fingerprint not in listed:
            exceptions.append(Exception_(f, "baseline", f"accepted in the baseline {ctx.baseline_path}",
                                         ctx.baseline_path or "", ""))
    meta = ctx.metadata or {}
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
    revision = meta.get("revision")
    if meta:
        metadata.insert(3, ("Scanned revision", (
            f"{revision['commit']} ({'branch ' + revision['branch'] if revision.get('branch') else 'detached HEAD'}, "
            f"{'uncommitted changes' if revision.get('dirty') else 'clean working tree'})"
            if revision else "not a git work tree (revision unknown)")))
        metadata.insert(4, ("Rule-set digest", str(meta.get("rules_digest", ""))))
        config = meta.get("configuration") or {}
        used = ", ".join(f"{k}={v}" for k, v in config.items()
                         if k != "file" and v not in (None, [], {}, ""))
        metadata.insert(7, ("Configuration used", used or "defaults"))
    if ctx.baseline_path:
        metadata.append(("Baseline", f"{ctx.baseline_path}: "
                         f"{plural(len(ctx.baselined), 'known finding')} not repeated"))
    if ctx.diff_rev:
        metadata.append(("Changed since", f"{ctx.diff_rev}: "
                         f"{plural(len(ctx.outside_diff), 'finding')} on unchanged lines not repeated"))
    return Review(result=result, ctx=ctx, findings=findings, anchors=anchors,
                  severity_counts=severity_counts, categories=categories,
                  requirements=requirements, checklist=_checklist(result, ctx, active),
                  metadata=metadata, failing=failing, verdict="fail" if failing else "pass",
                  exceptions=exceptions)
