"""Realistic multi-module apps, one per family: the exact findings (rule, path, line), and the
look-alikes in the same apps (masked values, last4, Stripe ids, sets named like caches) stay clean."""

from __future__ import annotations

import pytest

from conftest import FIXTURES, run_json

FLOW_RULES = "PCI1,PCI21,PCI3,PCI41"

EXPECTED = {
    "logging": [
        ("PCI101", "shop/audit.py", 8),    # helper logging its argument; caller in shop/views.py
        ("PCI101", "shop/cards.py", 16),   # self.number in a Card class
        ("PCI101", "shop/views.py", 20),   # a helper formats the card, the caller logs it
        ("PCI105", "shop/views.py", 23),   # Sentry set_extra
        ("PCI104", "shop/views.py", 25),   # raise with the number in the message
    ],
    "storage": [
        ("PCI210", "store/services.py", 11),  # Model.objects.create(card_number=...) via a caller
        ("PCI211", "store/services.py", 16),  # DB-API execute with the PAN as a parameter
        ("PCI212", "store/views.py", 18),     # a dict holding the card written to a file
        ("PCI213", "store/views.py", 20),     # Mongo insert_one with the CVV
    ],
    "caching": [
        ("PCI301", "basket/store.py", 8),
        ("PCI302", "basket/store.py", 12),
        ("PCI303", "basket/views.py", 8),
        ("PCI304", "basket/views.py", 10),
    ],
    "transmission": [
        ("PCI411", "checkout/gateway.py", 7),
        ("PCI410", "checkout/views.py", 8),
        ("PCI412", "checkout/views.py", 28),
    ],
}


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_fixture_app_findings_are_exact(family):
    code, data, err = run_json(["--select", FLOW_RULES, "-j", "1", "."], cwd=FIXTURES / "flow" / family)
    assert code == 1, err
    assert data["errors"] == []
    got = sorted((f["rule_id"], f["path"], f["line"]) for f in data["findings"])
    assert got == sorted(EXPECTED[family])
    for f in data["findings"]:
        assert f["trace"], f
        assert f["trace"][-1]["path"] == f["path"] and f["trace"][-1]["line"] == f["line"]


def test_cross_module_trace_names_the_caller():
    _, data, _ = run_json(["--select", "PCI101", "-j", "1", "."], cwd=FIXTURES / "flow" / "logging")
    [audit] = [f for f in data["findings"] if f["path"] == "shop/audit.py"]
    assert [(s["path"], s["line"]) for s in audit["trace"]] == [
        ("shop/views.py", 16), ("shop/views.py", 18), ("shop/audit.py", 8)]
