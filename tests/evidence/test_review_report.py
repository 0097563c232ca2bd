"""The review reports as an auditor's evidence pack (issue 17 §2-3): exceptions listed with reason,
place and who/when; operational items to attest; scan metadata; a print stylesheet; multi-line
fix code keeping its formatting."""

from __future__ import annotations

import re

from pcilint.findings import Finding, ScanResult, Suppressed
from pcilint.reporters import get_renderer
from pcilint.reporters.review import build_review, fix_blocks
from report_fixtures import make_rule, sample_context, sample_result

META = {"tool_version": "0.1.0", "rules_digest": "sha256:0123456789abcdef",
        "revision": {"commit": "a" * 40, "branch": "main", "dirty": True},
        "configuration": {"file": "pyproject.toml", "fail_on": "high", "select": None,
                          "ignore": ["PCI7"], "warn_unused_ignores": "fail"}}


def _with_exceptions() -> ScanResult:
    result = sample_result()
    f = Finding("PCI101", "logging", "high", "shop/legacy.py", 30, 5, 30, 40,
                "card number `pan` reaches log.info", pci_dss=("3.4.1", "3.5.1"),
                fingerprint="f" * 32)
    g = Finding("PCI703", "secrets", "low", "shop/keys.py", 2, 7, 2, 30, "test key", pci_dss=("8.6.2",),
                fingerprint="e" * 32)
    result.suppressed_findings = [
        Suppressed(f, "inSource", "legacy endpoint, removed in Q3", "shop/legacy.py", 30,
                   "Alice Auditor", "2026-03-01"),
        Suppressed(g, "external", "test key, rotated", ".pcilint-baseline.json", 12)]
    return result


def test_html_lists_exceptions_metadata_and_operational_items():
    page = get_renderer("html")(_with_exceptions(), sample_context(metadata=META))
    section = page.split('id="exceptions"')[1].split("</section>")[0]
    assert "legacy endpoint, removed in Q3" in section and "shop/legacy.py:30" in section
    assert "Alice Auditor, 2026-03-01" in section
    assert "test key, rotated" in section and ".pcilint-baseline.json:12" in section
    assert "unknown (not committed)" in section  # the baseline entry has no blame
    meta = page.split('id="metadata"')[1]
    assert "a" * 40 + " (branch main, uncommitted changes)" in meta
    assert "sha256:0123456789abcdef" in meta
    assert "fail_on=high" in meta and "warn_unused_ignores=fail" in meta
    for item in ("Regular security reviews", "Staff training on data handling",
                 "Incident response procedures", "Data retention policies",
                 "Access control and monitoring"):
        assert re.search(r'status manual">manual: attest</span></td><td><strong>' + item, page), item


def test_html_has_a_print_stylesheet():
    page = get_renderer("html")(sample_result(), sample_context())
    css = re.search(r"@media print\{(.*?)\}\s*@media \(max-width", page, re.S).group(1)
    assert "@page{size:A4" in css and "break-inside:avoid" in css
    assert "print-color-adjust:exact" in css and "white-space:pre-wrap" in css


MULTILINE_FIX = """\
Verify it first:

    payload = request.get_data()
    try:
        event = construct(payload)
    except ValueError:
        return "", 400

Then act on `event` only.
"""


def test_fix_blocks_keep_code_lines_and_indentation():
    assert fix_blocks(MULTILINE_FIX) == [
        ("p", "Verify it first:"),
        ("code", 'payload = request.get_data()\ntry:\n    event = construct(payload)\n'
                 'except ValueError:\n    return "", 400'),
        ("p", "Then act on `event` only.")]


def test_multiline_fix_keeps_its_formatting_in_html_and_markdown():
    rule = make_rule("PCI601", "webhook-signature-not-verified", "webhook", "high", ("6.2.4",),
                     "summary", MULTILINE_FIX)
    f = Finding("PCI601", "webhook", "high", "hooks.py", 3, 1, 3, 9, "unverified", pci_dss=("6.2.4",))
    result = ScanResult(findings=[f], files_scanned=1)
    ctx = sample_context(rules=[rule])
    page = get_renderer("html")(result, ctx)
    assert ('<pre class="fixcode">payload = request.get_data()\ntry:\n    event = construct(payload)'
            in page)
    md = get_renderer("markdown")(result, ctx)
    assert "```python\npayload = request.get_data()\ntry:\n    event = construct(payload)\n" in md
    assert "Then act on `event` only." in md


def test_markdown_lists_exceptions_and_operational_items():
    md = get_renderer("markdown")(_with_exceptions(), sample_context(metadata=META))
    part = md.split("### Exceptions")[1].split("###")[0]
    assert "| PCI101 |" in part and "legacy endpoint, removed in Q3" in part
    assert "Alice Auditor, 2026-03-01" in part and "| baseline |" in part
    assert "| 📝 manual: attest | Incident response procedures | | | |" in md


def test_review_model_counts_baselined_findings_once():
    result = _with_exceptions()
    baselined = result.suppressed_findings[1].finding
    rv = build_review(result, sample_context(baseline_path=".pcilint-baseline.json",
                                             baselined=[baselined]))
    assert [x.finding.rule_id for x in rv.exceptions] == ["PCI101", "PCI703"]


def test_inventory_hides_credentials_of_a_direct_url_requirement(tmp_path):
    from conftest import run_cli

    token = "ghp_" + "S3cretT0kenValue42"
    (tmp_path / "requirements.txt").write_text(
        f"stripe @ git+https://bob:{token}@github.com/stripe/stripe-python@v9.0.0\n")
    for fmt in ("json", "html", "markdown"):
        code, out, err = run_cli(["check", "--no-cache", "--format", fmt, str(tmp_path)])
        assert token not in out + err and "bob" not in out + err
        if fmt == "json":
            reqs = __import__("json").loads(out)["inventory"]["stripe_requirements"]
            assert [r["requirement"] for r in reqs] == [
                "stripe @ git+https://***@github.com/stripe/stripe-python@v9.0.0"]
