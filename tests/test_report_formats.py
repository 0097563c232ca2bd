"""The machine formats (SARIF, JUnit, GitLab, GitHub) and the review reports (HTML, Markdown):
structure, schema validity, masking and escaping, on built findings and on real scans."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, run_cli, write_tree
from pcilint.findings import Finding, ScanResult, TraceStep, assign_fingerprints
from pcilint.reporters import FORMATS, get_renderer
from report_fixtures import (make_rule, sample_context, sample_findings, sample_inventory,
                             sample_result, sample_rules)

# CI lays shared/ beside the repository (<repo>/../shared); a worktree may sit deeper, so look in
# every ancestor, nearest first.
SARIF_SCHEMA = next((d / "shared" / "schemas" / "sarif-2.1.0.json" for d in REPO.parents
                     if (d / "shared" / "schemas" / "sarif-2.1.0.json").is_file()),
                    REPO.parent / "shared" / "schemas" / "sarif-2.1.0.json")
FULL_KEY = "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"
SECRETS_TREE = {
    "app.py": f'''\
        import stripe
        stripe.api_key = "{FULL_KEY}"
        ''',
    "settings/.env": f"STRIPE_SECRET_KEY={FULL_KEY}9\n",
}


def render(fmt: str, result=None, ctx=None) -> str:
    return get_renderer(fmt)(result or sample_result(), ctx or sample_context())


@pytest.fixture(scope="module")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA} (shared/ must sit beside the repo)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def assert_valid_sarif(validator, doc) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_every_format_is_registered_with_a_module_of_its_own():
    for fmt in ("text", "json", "sarif", "junit", "gitlab", "github", "markdown", "html"):
        assert fmt in FORMATS
        assert callable(get_renderer(fmt))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_prints_a_full_secret_key(fmt):
    out = render(fmt)
    assert FULL_KEY not in out
    assert "51HxAbCdEfGhIjKlMnOpQrStUv" not in out


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_renders_an_empty_scan(fmt):
    out = render(fmt, ScanResult(files_scanned=3), sample_context())
    assert out.endswith("\n")


# -- SARIF -------------------------------------------------------------------------------------------

def test_sarif_of_built_findings_validates_against_the_official_schema(sarif_validator):
    doc = json.loads(render("sarif"))
    assert_valid_sarif(sarif_validator, doc)
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    assert len(run["results"]) == len(sample_findings())


def test_sarif_of_a_real_scan_validates_and_points_at_the_literal(tmp_path, sarif_validator):
    write_tree(tmp_path, SECRETS_TREE)
    code, out, _ = run_cli(["check", "--format", "sarif", "."], cwd=tmp_path)
    assert code == 1
    doc = json.loads(out)
    assert_valid_sarif(sarif_validator, doc)
    results = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
               for r in doc["runs"][0]["results"]}
    region = results["app.py"]["locations"][0]["physicalLocation"]["region"]
    # stripe.api_key = "sk_live_..." : the literal starts at column 18 and ends after its quote
    line = 'stripe.api_key = "' + FULL_KEY + '"'
    assert region["startLine"] == 2
    assert region["startColumn"] == line.index('"') + 1
    assert region["endColumn"] == len(line) + 1
    assert FULL_KEY not in region["snippet"]["text"]
    assert results["settings/.env"]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uriBaseId"] == "%SRCROOT%"
    base = doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.startswith("file://") and base.endswith("/")


def test_sarif_rules_carry_help_pci_tags_and_security_severity():
    doc = json.loads(render("sarif"))
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {r.id for r in sample_rules()}
    r701 = rules["PCI701"]
    assert "PCI-DSS-3.5.1" in r701["properties"]["tags"]
    assert "PCI-DSS-8.6.2" in r701["properties"]["tags"]
    assert "security" in r701["properties"]["tags"]
    assert r701["properties"]["security-severity"] == "9.5"
    assert "rotate" in r701["help"]["text"] and "rotate" in r701["help"]["markdown"]
    assert r701["helpUri"].startswith("https://")
    assert float(rules["PCI501"]["properties"]["security-severity"]) == 8.0
    for res in doc["runs"][0]["results"]:
        assert rules[res["ruleId"]] == doc["runs"][0]["tool"]["driver"]["rules"][res["ruleIndex"]]


def test_sarif_results_carry_fingerprints_and_code_flows_from_the_trace():
    findings = sample_findings()
    doc = json.loads(render("sarif"))
    by_fp = {r["partialFingerprints"]["pcilintFingerprint/v1"]: r for r in doc["runs"][0]["results"]}
    assert set(by_fp) == {f.fingerprint for f in findings}
    traced = next(f for f in findings if f.rule_id == "PCI101")
    flow = by_fp[traced.fingerprint]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [loc["location"]["physicalLocation"]["region"]["startLine"] for loc in flow] == [38, 40, 42]
    assert flow[0]["location"]["message"]["text"] == "card_number read from request.form"
    untraced = next(f for f in findings if f.rule_id == "PCI201")
    assert "codeFlows" not in by_fp[untraced.fingerprint]
    levels = {r["ruleId"]: r["level"] for r in doc["runs"][0]["results"]}
    assert levels["PCI701"] == "error" and levels["PCI101"] == "error"


def test_sarif_reports_unanalysed_files_as_notifications(sarif_validator):
    doc = json.loads(render("sarif"))
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == [
        "shop/legacy/broken.py"]


def test_sarif_columns_count_utf16_units_past_astral_characters(tmp_path, sarif_validator):
    # the emoji is one code point but two UTF-16 code units: GitHub counts the latter
    write_tree(tmp_path, {"app.py": f'LABEL = "🎉"; KEY = "{FULL_KEY}"\n'})
    code, out, _ = run_cli(["check", "--format", "sarif", "app.py"], cwd=tmp_path)
    doc = json.loads(out)
    assert_valid_sarif(sarif_validator, doc)
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    line = f'LABEL = "🎉"; KEY = "{FULL_KEY}"'
    utf16_start = len(line[: line.index('"sk_')].encode("utf-16-le")) // 2 + 1
    assert region["startColumn"] == utf16_start == line.index('"sk_') + 2
    assert region["endColumn"] == len(line.encode("utf-16-le")) // 2 + 1


def test_sarif_marks_results_new_against_a_baseline(sarif_validator):
    doc = json.loads(render("sarif", ctx=sample_context(baseline_path="b.json")))
    assert_valid_sarif(sarif_validator, doc)
    assert {r["baselineState"] for r in doc["runs"][0]["results"]} == {"new"}


# -- JUnit -------------------------------------------------------------------------------------------

def test_junit_has_one_testcase_per_rule_failing_where_findings_are():
    root = ET.fromstring(render("junit"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = suites[0].findall("testcase")
    rules = sample_rules()
    assert len(cases) == len(rules) + 1  # + the file that could not be analysed
    by_name = {c.get("name"): c for c in cases}
    failing = by_name["PCI201 card-data-model-field"].find("failure")
    assert failing is not None and failing.get("type") == "critical"
    assert failing.text.count("shop/models.py:") == 2
    assert by_name["PCI601 webhook-without-signature-check"].find("failure") is None
    skipped = by_name["shop/legacy/broken.py"].find("skipped")
    assert skipped is not None and "syntax error" in skipped.get("message")
    n_fail = sum(1 for c in cases if c.find("failure") is not None)
    for node in (root, suites[0]):
        assert int(node.get("tests")) == len(cases)
        assert int(node.get("failures")) == n_fail == 6
        assert int(node.get("skipped")) == 1
    assert by_name["PCI101 card-data-in-logs"].get("classname") == "pcilint.logging"
    assert "request.form" in by_name["PCI101 card-data-in-logs"].find("failure").text  # the trace


def test_junit_survives_control_characters_and_markup_in_messages():
    f = Finding("PCI101", "logging", "high", "a.py", 1, 1, 1, 5,
                "card <number> & \x1b[31m\x00 reaches print", pci_dss=("3.5.1",), snippet="print(x)")
    root = ET.fromstring(render("junit", ScanResult(findings=[f], files_scanned=1)))
    text = root.find(".//failure").text
    assert "card <number> &" in text


# -- GitLab ------------------------------------------------------------------------------------------

def test_gitlab_code_quality_issues():
    issues = json.loads(render("gitlab"))
    assert isinstance(issues, list) and len(issues) == len(sample_findings())
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    severities = {i["check_name"]: i["severity"] for i in issues}
    assert severities["PCI701"] == "blocker" and severities["PCI501"] == "critical"


# -- GitHub annotations -------------------------------------------------------------------------------

def test_github_annotations_one_per_finding_with_level_by_severity():
    lines = render("github").splitlines()
    commands = [ln for ln in lines if ln.startswith("::")]
    assert len(commands) == len(sample_findings()) + 1  # + the unanalysed file
    first = next(ln for ln in commands if "PCI201" in ln)
    assert first.startswith("::error file=shop/models.py,line=12,col=5,")
    assert "title=PCI201 card-data-model-field (critical)" in first
    assert any(ln.startswith("::warning file=shop/legacy/broken.py") for ln in commands)
    assert lines[-1].startswith("Found 7 findings")


def test_github_annotations_cannot_be_split_or_injected():
    f = Finding("PCI101", "logging", "medium", "odd,name:x.py", 3, 1, 3, 9,
                "bad\n::error::injected 100% sure", pci_dss=("3.5.1",),
                trace=(TraceStep("odd,name:x.py", 1, "from request"),))
    out = render("github", ScanResult(findings=[f], files_scanned=1))
    commands = [ln for ln in out.splitlines() if ln.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith("::warning file=odd%2Cname%3Ax.py,line=3,")
    assert "bad%0A::error::injected 100%25 sure%0A" in commands[0]


# -- HTML review report --------------------------------------------------------------------------------

def test_html_report_is_self_contained():
    page = render("html")
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    for needle in ("<script", "<link", "src=", "@import", "url(", "<iframe"):
        assert needle not in lowered, needle
    assert re.search(r"<style>.+</style>", page, re.S)


def test_html_report_sections_checklist_and_findings():
    page = render("html")
    for heading in ("Summary", "Compliance checklist", "Findings by category",
                    "PCI DSS v4.0.1 requirements touched", "Findings", "Scan errors", "Scan metadata"):
        assert f"<h2>{heading}</h2>" in page, heading
    # one section per requirement touched, and none for requirements nobody cites
    for req in ("3.2.1", "3.3.1", "3.5.1", "4.2.1", "8.6.2", "12.5.2"):
        assert f'id="req-{req}"' in page, req
    assert 'id="req-6.2.4"' not in page
    # checklist: webhook rule active with no finding -> pass with evidence; input validation is
    # not assessed; findings make the other items fail
    rows = re.findall(r"<tr><td><span class=\"status (\w+)\">[^<]*</span></td><td><strong>([^<]+)"
                      r"</strong></td><td>(.*?)</td></tr>", page, re.S)
    status = {text: cls for cls, text, _ in rows}
    assert status == {"Use Stripe.js for card data collection": "fail",
                      "Implement webhook signature verification": "pass",
                      "Store only tokens and non-sensitive data": "fail",
                      "Use HTTPS for all API calls": "fail",
                      "Validate all input data": "na",
                      "Regularly update Stripe SDK versions": "na"}  # no PCI9xx rule in the sample
    webhook_evidence = next(ev for _, text, ev in rows if text.startswith("Implement webhook"))
    assert "48 files" in webhook_evidence and "PCI601" in webhook_evidence
    # positive evidence: what was examined, with locations
    assert "1 webhook endpoint found (<code>shop/hooks.py:14</code>), 1 verifies the signature" \
        in webhook_evidence and "shop/hooks.py:17 construct_event" in webhook_evidence
    # findings: masked snippet, trace and fix guidance from the rule
    assert "sk_live_…StUv" in page
    assert "card_number read from request.form" in page
    assert "stripe.Webhook.construct_event" not in page.split('id="findings"')[1]  # no PCI601 finding
    assert "Store the Stripe PaymentMethod id" in page
    assert "2025-01-15 09:30:00 UTC" in page and "pyproject.toml" in page


def test_html_report_escapes_source_text():
    f = Finding("PCI101", "logging", "high", "t.py", 1, 1, 1, 9,
                'card <script>alert("x")</script> reaches print', pci_dss=("3.5.1",),
                snippet='print("<img src=x onerror=alert(1)>")')
    page = render("html", ScanResult(findings=[f], files_scanned=1))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_report_checklist_fails_when_known_findings_are_only_hidden_by_the_baseline():
    result = sample_result()
    known = [f for f in result.findings if f.category == "transport"]
    result.findings = [f for f in result.findings if f.category != "transport"]
    ctx = sample_context(baseline_path=".pcilint-baseline.json", baselined=known)
    from pcilint.reporters.review import build_review

    items = {i.text: i for i in build_review(result, ctx).checklist}
    https = items["Use HTTPS for all API calls"]
    assert https.status == "fail"
    assert any("accepted in the baseline" in e for e in https.evidence)


def test_report_checklist_not_assessed_without_active_rules():
    from pcilint.reporters.review import build_review

    ctx = sample_context(rules=[r for r in sample_rules() if r.category != "webhook"])
    items = {i.text: i for i in build_review(ScanResult(files_scanned=5,
                                                        inventory=sample_inventory()),
                                             ctx).checklist}
    assert items["Implement webhook signature verification"].status == "not assessed"
    assert items["Use HTTPS for all API calls"].status == "pass"
    assert "2 outgoing HTTP call sites, 1 https, 1 loopback." in items[
        "Use HTTPS for all API calls"].evidence


def test_report_checklist_never_passes_on_nothing():
    from pcilint.inventory import aggregate
    from pcilint.reporters.review import build_review

    # zero findings but no inventory: not evidence of anything
    items = {i.text: i for i in build_review(ScanResult(files_scanned=5), sample_context()).checklist}
    assert {i.status for i in items.values()} == {"not assessed"}
    # an inventory that found nothing relevant: not applicable, saying what was not found
    empty = ScanResult(files_scanned=5, inventory=aggregate({}, [], [], 5))
    items = {i.text: i for i in build_review(empty, sample_context()).checklist}
    hook = items["Implement webhook signature verification"]
    assert hook.status == "not applicable"
    assert hook.evidence[0] == "Not applicable (no webhook endpoint found in 5 files scanned)."
    assert items["Use HTTPS for all API calls"].status == "not applicable"
    assert items["Use Stripe.js for card data collection"].status == "not applicable"
    # one unverified endpoint found but no finding (rule inactive elsewhere): still evidence
    inv = aggregate({}, [{"path": "a.py", "line": 3, "handler": "h", "verified": False, "how": []}],
                    [], 5)
    items = {i.text: i for i in build_review(ScanResult(files_scanned=5, inventory=inv),
                                             sample_context()).checklist}
    assert "1 webhook endpoint found (`a.py:3`), 0 verify the signature." in items[
        "Implement webhook signature verification"].evidence


def test_report_checklist_assesses_sdk_updates_with_the_dependency_rules():
    from pcilint.reporters.review import build_review

    rule = make_rule("PCI901", "outdated-stripe-sdk", "dependencies", "medium", ("6.3.3",),
                     "A stripe requirement only allows unsupported majors.", "Upgrade the SDK.")
    ctx = sample_context(rules=[*sample_rules(), rule])
    inv = {**sample_inventory(), "stripe_requirements": [
        {"path": "requirements.txt", "line": 2, "requirement": "stripe==12.1.0", "locked": False}]}
    clean = {i.text: i for i in build_review(ScanResult(files_scanned=5, inventory=inv),
                                             ctx).checklist}
    assert clean["Regularly update Stripe SDK versions"].status == "pass"
    assert "1 `stripe` requirement (`requirements.txt:2 stripe==12.1.0`)." in clean[
        "Regularly update Stripe SDK versions"].evidence
    assert "PCI9xx dependencies (PCI901)" in " ".join(clean["Regularly update Stripe SDK versions"]
                                                       .evidence)
    outdated = Finding("PCI901", "dependencies", "medium", "requirements.txt", 2, 1, 2, 15,
                       "`stripe==2.55.0` pins major 2", pci_dss=("6.3.3",))
    review = build_review(ScanResult(findings=[outdated], files_scanned=5), ctx)
    items = {i.text: i for i in review.checklist}
    assert items["Regularly update Stripe SDK versions"].status == "fail"
    assert items["Regularly update Stripe SDK versions"].findings == [outdated]
    assert [r.number for r in review.requirements] == ["6.3.3"]
    assert review.requirements[0].title.startswith("System components are protected")
    (row,) = [c for c in review.categories if c.category == "dependencies"]
    assert (row.title, row.findings, row.active_rules) == ("Dependencies", 1, ["PCI901"])


# -- Markdown -------------------------------------------------------------------------------------------

def test_markdown_report_is_organised_like_the_html_one():
    md = render("markdown")
    order = ["## pcilint security review: 7 findings", "### Compliance checklist",
             "### Findings by category", "### PCI DSS v4.0.1 requirements touched", "### Findings\n",
             "### Scan errors", "Scan metadata"]
    positions = [md.index(h) for h in order]
    assert positions == sorted(positions)
    assert "| ✅ pass | Implement webhook signature verification |" in md
    assert "```python\n  42 | logger.info(" in md
    assert "1. `shop/payments.py:38` card_number read from request.form" in md
    assert FULL_KEY not in md


def test_markdown_escapes_tables_and_fits_a_pr_comment():
    findings = [Finding("PCI101", "logging", "high", f"m{i}.py", i + 1, 1, i + 1, 5,
                        "card `pan` | reaches <b>logger</b> " + "x" * 300, pci_dss=("3.5.1",),
                        snippet="logger.info(pan)  # " + "y" * 200) for i in range(400)]
    assign_fingerprints(findings)
    md = render("markdown", ScanResult(findings=findings, files_scanned=400))
    assert len(md) <= 65536
    assert "report cut to fit" in md or "more finding" in md
    assert "<b>" not in md
    assert md.count("```") % 2 == 0
    assert md.count("<details>") == md.count("</details>")


# -- the CLI --------------------------------------------------------------------------------------------

def test_several_formats_in_one_run_each_written_atomically(tmp_path, sarif_validator):
    write_tree(tmp_path, SECRETS_TREE)
    outs = {fmt: tmp_path / "reports" / f"r.{fmt}" for fmt in ("sarif", "junit", "html", "markdown")}
    args = ["check", "."]
    for fmt, path in outs.items():
        args += ["--format", fmt, "--output", str(path)]
    code, out, _ = run_cli(args, cwd=tmp_path)
    assert code == 1 and out == ""
    assert_valid_sarif(sarif_validator, json.loads(outs["sarif"].read_text(encoding="utf-8")))
    ET.fromstring(outs["junit"].read_text(encoding="utf-8"))
    assert "<h2>Findings</h2>" in outs["html"].read_text(encoding="utf-8")
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.endswith(".tmp")]
    for path in outs.values():
        assert FULL_KEY not in path.read_text(encoding="utf-8")


def test_statistics_go_to_stderr_with_machine_formats(tmp_path):
    write_tree(tmp_path, SECRETS_TREE)
    code, out, err = run_cli(["check", "--format", "json", "--statistics", "."], cwd=tmp_path)
    json.loads(out)  # stdout is exactly one JSON document
    assert re.search(r"^\s+2\s+PCI701\s+stripe-live-secret-key$", err, re.M)
    code, out, err = run_cli(["check", "--statistics", "."], cwd=tmp_path)
    assert re.search(r"^\s+2\s+PCI701", out, re.M) and "PCI701" not in err


def test_one_of_several_formats_can_go_to_stdout(tmp_path):
    write_tree(tmp_path, SECRETS_TREE)
    code, out, err = run_cli(["check", ".", "--format", "github", "--output", "-", "--format", "sarif",
                              "--output", "pcilint.sarif", "--statistics"], cwd=tmp_path)
    assert code == 1
    assert out.count("::error file=") == 2
    assert json.loads((tmp_path / "pcilint.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert "PCI701" in err  # statistics: no text report on stdout to carry them
    code, _, err = run_cli(["check", ".", "--format", "json", "--output", "-", "--format", "text",
                            "--output", "-"], cwd=tmp_path)
    assert code == 2 and "only one --format can go to stdout" in err
