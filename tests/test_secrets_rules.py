"""PCI7xx secrets: keys and card numbers in code and settings files, reported masked; placeholders
and published test numbers are not secrets."""

from __future__ import annotations

import json

from conftest import run_json, scan_snippet, write_tree


def _hits(findings, prefix=""):
    return sorted((f["rule_id"], f["path"], f["line"]) for f in findings
                  if f["rule_id"].startswith(prefix))


LIVE = "sk_live_" + "51Hx9TqLmZ2vR8wYpK3dN7cJ"
WHSEC = "whsec_" + "1f3Qk9ZbT0aXw7LmNc4RpE2sVy8UdHgJ"
TEST = "sk_test_" + "51Hx9TqLmZ2vR8wYpK3dN7cJ"


def test_secrets_in_code_and_settings_files_are_reported_masked(tmp_path):
    write_tree(tmp_path, {
        "app/config.py": f'STRIPE_KEY = "{LIVE}"\nHOOK = "{WHSEC}"\nDEV = "{TEST}"\n'
                         'CARD = "4539 1488 0343 6467"\nDEMO = "4242424242424242"\n',
        ".env": f"STRIPE_SECRET_KEY={LIVE}\n",
        "deploy/values.yaml": f"stripe:\n  webhook_secret: {WHSEC}\n",
        "tests/test_pay.py": f'KEY = "{TEST}"\nCARD = "4539 1488 0343 6467"\n',
    })
    code, out, _err = run_json(["--select", "PCI7", "."], cwd=tmp_path)
    assert code == 1
    assert _hits(out["findings"]) == [
        ("PCI701", ".env", 1),
        ("PCI701", "app/config.py", 1),
        ("PCI702", "app/config.py", 2),
        ("PCI702", "deploy/values.yaml", 2),
        ("PCI703", "app/config.py", 3),
        ("PCI704", "app/config.py", 4),   # line 5, Stripe's published test Visa, is not card data
    ]
    sev = {(f["rule_id"], f["line"]): f["severity"] for f in out["findings"]
           if f["path"] == "app/config.py"}
    assert sev[("PCI704", 4)] == "high"
    assert sev[("PCI703", 3)] == "low" and sev[("PCI701", 1)] == "critical"
    text = json.dumps(out)
    for secret in (LIVE, WHSEC, TEST, "4539 1488 0343 6467", "4242424242424242"):
        assert secret not in text


def test_placeholder_keys_are_not_secrets():
    result = scan_snippet('''
        A = "sk_live_..."
        B = "sk_test_xxx"
        C = "sk_live_<your key>"
        D = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        E = "whsec_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
        F = "sk_test_1234567890abcdefghijklmnop"
        ''', path="settings.py", select=["PCI7"])
    assert result.findings == []


def test_published_gateway_test_numbers_are_not_reported_and_real_looking_ones_are():
    result = scan_snippet('''
        TEST_NUMBERS = ["378734493671000", "4007000000027", "5431111111111111", "4000000000000002"]
        REAL = "4539 1488 0343 6467"
        MIXED = ["4242424242424242", "4916 3385 0608 2832"]
        ''', path="payments/cards.py", select=["PCI704"])
    # a published number hides nothing next to it: the real-looking one on line 4 is still reported
    assert sorted((f.line, f.severity) for f in result.findings) == [(3, "high"), (4, "high")]
