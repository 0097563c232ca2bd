"""The bundled demo shop: every violation is found, exactly where the contract says, and every correct
twin beside it stays clean."""

from __future__ import annotations

from conftest import REPO, run_json

D = "examples/demo_shop/"

EXPECTED = {
    ("PCI101", D + "shop/audit.py", 10),        # helper logs what a caller passes: card data
    ("PCI301", D + "shop/cache.py", 8),         # cache.set(card_number)
    ("PCI303", D + "shop/cache.py", 9),         # request.session["card_number"] =
    ("PCI201", D + "shop/models.py", 10),       # card_number column
    ("PCI201", D + "shop/models.py", 11),       # cvv column
    ("PCI401", D + "shop/payments.py", 19),     # request.form["card_number"]
    ("PCI401", D + "shop/payments.py", 20),     # request.form["cvc"]
    ("PCI101", D + "shop/payments.py", 21),     # log.info(card_number)
    ("PCI410", D + "shop/payments.py", 22),     # stripe.Token.create(card={...})
    ("PCI701", D + "shop/settings.py", 8),      # sk_live_
    ("PCI702", D + "shop/settings.py", 10),     # whsec_
    ("PCI501", D + "shop/stripe_client.py", 9),  # http://files.stripe.com
    ("PCI503", D + "shop/stripe_client.py", 15),  # verify=False
    ("PCI601", D + "shop/webhooks.py", 15),     # unverified webhook handler's def
    ("PCI405", D + "templates/checkout.html", 8),  # <input name="card_number">
    ("PCI405", D + "templates/checkout.html", 9),  # <input name="cvc">
    ("PCI901", D + "requirements.txt", 5),      # stripe==2.55.0: a major past the support window
    ("PCI801", D + "shop/payments.py", 57),     # amount=int(request.form["amount"]): tampering
}


def test_demo_findings_are_exactly_the_planted_violations():
    code, doc, _ = run_json([D], cwd=REPO)
    assert code == 1
    found = {(f["rule_id"], f["path"], f["line"]) for f in doc["findings"]}
    assert found == EXPECTED
    assert doc["errors"] == []
    assert doc["summary"]["files_scanned"] == 11  # 9 Python files, the template, requirements.txt


def test_demo_covers_every_category():
    _, doc, _ = run_json([D], cwd=REPO)
    assert {f["category"] for f in doc["findings"]} == {
        "logging", "storage", "caching", "transmission", "transport", "webhook", "secrets",
        "validation", "dependencies"}


def test_demo_trace_leads_from_the_request_to_the_helper_in_another_module():
    _, doc, _ = run_json([D], cwd=REPO)
    (audit,) = [f for f in doc["findings"] if f["path"].endswith("audit.py")]
    steps = [(s["path"], s["line"]) for s in audit["trace"]]
    assert steps[0] == (D + "shop/payments.py", 19)
    assert steps[-1] == (D + "shop/audit.py", 10)


def test_demo_review_assesses_every_technical_item_with_evidence():
    import re

    from conftest import run_cli

    code, page, _ = run_cli(["check", D, "--format", "html", "--no-cache"], cwd=REPO)
    assert code == 1
    rows = re.findall(r"<tr><td><span class=\"status (\w+)\">[^<]*</span></td><td><strong>([^<]+)"
                      r"</strong></td><td><ul class='evidence'>(.*?)</ul>", page, re.S)
    status = {text: cls for cls, text, _ in rows}
    assert status == {"Use Stripe.js for card data collection": "fail",
                      "Implement webhook signature verification": "fail",
                      "Store only tokens and non-sensitive data": "fail",
                      "Use HTTPS for all API calls": "fail",
                      "Validate all input data": "fail",
                      "Regularly update Stripe SDK versions": "fail"}
    evidence = {text: ev for _, text, ev in rows}
    assert "2 webhook endpoints found" in evidence["Implement webhook signature verification"]
    assert "1 verifies the signature" in evidence["Implement webhook signature verification"]
    assert "construct_event" in evidence["Implement webhook signature verification"]
    assert "3 outgoing HTTP call sites, 1 http, 1 https, 1 loopback" in evidence[
        "Use HTTPS for all API calls"]
    assert "1 mounts Elements" in evidence["Use Stripe.js for card data collection"]
    assert "2 models store Stripe ids" in evidence["Store only tokens and non-sensitive data"]
    assert "5 Stripe calls set amounts" in evidence["Validate all input data"]
    assert page.count("manual: attest</span>") == 5
