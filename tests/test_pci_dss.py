"""Per-finding PCI DSS v4.0.1 references (docs/contract.md §2, `pci_dss`; rules/data/pci-dss.yaml).

One test per mapping of the table (what a finding involves -> the requirements it evidences), the
corrections issue 17 names, end-to-end through real scans, and the consistency of the table with the
rules, the contract's category column and docs/pci-dss.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pcilint.pcidss import involved, requirements_for, table
from pcilint.ruleset import load_rules

from conftest import REPO, scan_snippet

# (rule, what the finding involves) -> requirements: one row per mapping of the table
EXPECTED = {
    ("PCI101", "pan"): ("3.4.1", "3.5.1"),
    ("PCI101", "sad"): ("3.3.1",),
    ("PCI102", "pan"): ("3.4.1", "3.5.1"),
    ("PCI102", "sad"): ("3.3.1",),
    ("PCI210", "pan"): ("3.2.1", "3.5.1"),
    ("PCI210", "sad"): ("3.2.1", "3.3.1"),
    ("PCI301", "pan"): ("3.5.1",),
    ("PCI301", "sad"): ("3.3.1",),
    ("PCI401", "pan"): ("12.5.2",),
    ("PCI405", "sad"): ("12.5.2",),
    ("PCI410", "pan"): ("12.5.2",),
    ("PCI410", "sad"): ("12.5.2",),
    ("PCI411", "pan"): ("4.2.1", "12.5.2"),
    ("PCI411", "sad"): ("4.2.1", "12.5.2"),
    ("PCI412", "pan"): ("4.2.2", "12.5.2"),
    ("PCI412", "sad"): ("4.2.2", "12.5.2"),
    ("PCI704", ""): ("3.5.1",),
    ("PCI701", ""): ("8.6.2",),
    ("PCI501", ""): ("4.2.1",),
    ("PCI601", ""): ("6.2.4",),
    ("PCI801", ""): ("6.2.4",),
    ("PCI901", ""): ("6.3.3",),
    ("PCI902", ""): ("6.3.2",),
}


@pytest.mark.parametrize("rule,data", list(EXPECTED))
def test_each_mapping(rule, data):
    assert table().requirements(rule, [data] if data else []) == EXPECTED[(rule, data)]


def test_every_mapping_row_is_tested():
    t = table()
    tested = set()
    for (rule, data) in EXPECTED:
        entry = t.rules[rule]
        tested.add((entry["action"], data or entry.get("data"), entry.get("channel", "")))
    assert set(t.mappings) <= tested, set(t.mappings) - tested


def test_pan_and_sad_together_get_both():
    assert table().requirements("PCI101", ["pan", "sad"]) == ("3.3.1", "3.4.1", "3.5.1")


def test_unknown_rule_keeps_its_declared_references():
    assert requirements_for("PCI199", ("3.5.1",), {"data": "card number (PAN)"}) == ("3.5.1",)


def test_involved_reads_the_checks_fields():
    assert involved({"what": "card number"}) == ("pan",)
    assert involved({"data": "card security code / track data (SAD)"}) == ("sad",)
    assert involved({"involves": {"sad", "pan"}}) == ("pan", "sad")
    assert involved({"literal": "sk_live_…"}) == ()


def _refs(code: str, path: str = "app/views.py", select=None):
    result = scan_snippet(code, path, select=select)
    assert result.error is None
    return {f.rule_id: f.pci_dss for f in result.findings}


def test_logging_a_card_number_is_not_filed_under_sad_retention():
    refs = _refs("""
        import logging
        from flask import request
        log = logging.getLogger(__name__)

        def pay():
            card_number = request.form["card_number"]
            log.info("paying with %s", card_number)
        """, select=["PCI101", "PCI401"])
    assert refs["PCI101"] == ("3.4.1", "3.5.1")
    assert refs["PCI401"] == ("12.5.2",)  # a request read is not end-user messaging (4.2.2)


def test_logging_a_cvc_is_sad_retention():
    refs = _refs("""
        import logging
        log = logging.getLogger(__name__)

        def pay(cvc):
            log.info("cvc %s", cvc)
        """, select=["PCI101"])
    assert refs["PCI101"] == ("3.3.1",)


def test_email_is_end_user_messaging():
    refs = _refs("""
        from django.core.mail import send_mail

        def notify(card_number):
            send_mail("card", f"number {card_number}", "shop@example.invalid", ["ops@example.invalid"])
        """, select=["PCI412"])
    assert refs["PCI412"] == ("4.2.2", "12.5.2")


def test_raw_card_to_stripe_is_scope_not_messaging():
    refs = _refs("""
        import stripe

        def tokenize(card_number, exp_month, exp_year):
            return stripe.Token.create(card={"number": card_number, "exp_month": exp_month,
                                             "exp_year": exp_year})
        """, select=["PCI410"])
    assert refs["PCI410"] == ("12.5.2",)


def test_a_hardcoded_key_is_not_pan_storage():
    key = "sk_live_" + "51HxYzAbCdEfGhIjKlMnOpQrStUvWx"
    refs = _refs(f'STRIPE_KEY = "{key}"\n', "app/settings.py", select=["PCI701"])
    assert refs["PCI701"] == ("8.6.2",)


def test_a_model_with_pan_and_cvv_fields_cites_per_field():
    result = scan_snippet("""
        from django.db import models

        class Payment(models.Model):
            card_number = models.CharField(max_length=19)
            cvv = models.CharField(max_length=4)
        """, "shop/models.py", select=["PCI201"])
    by_line = {f.line: f.pci_dss for f in result.findings}
    assert by_line == {5: ("3.2.1", "3.5.1"), 6: ("3.2.1", "3.3.1")}


CONTRACT_COLUMN = {
    "logging": {"3.3.1", "3.4.1", "3.5.1"}, "storage": {"3.2.1", "3.3.1", "3.5.1"},
    "caching": {"3.3.1", "3.5.1"}, "transmission": {"4.2.1", "4.2.2", "12.5.2"},
    "transport": {"4.2.1"}, "webhook": {"6.2.4"}, "secrets": {"3.5.1", "8.6.2"},
    "validation": {"6.2.4"}, "dependencies": {"6.3.3", "6.3.2"},
}


def test_every_rule_is_in_the_table_and_declares_the_union_within_the_contract_column():
    t = table()
    for rule in load_rules():
        assert rule.id in t.rules, rule.id
        entry = t.rules[rule.id]
        datas = [entry["data"]] if "data" in entry else ["pan", "sad"]
        union = set()
        for d in datas:
            union |= set(t.requirements(rule.id, [d]))
        assert set(rule.pci_dss) == union, rule.id
        assert union <= CONTRACT_COLUMN[rule.category], rule.id


def test_docs_quote_every_requirement():
    doc = (REPO / "docs" / "pci-dss.md").read_text(encoding="utf-8")
    for number in table().titles:
        assert re.search(rf"^### {re.escape(number)} ", doc, re.M), number
    assert "4.0.1" in doc
