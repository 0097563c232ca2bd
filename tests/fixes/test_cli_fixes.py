"""`pcilint check --fix / --unsafe-fixes / --show-fixes / --add-ignore` on real trees."""

from __future__ import annotations

import json
import shutil


import pytest

from conftest import REPO, run_cli, write_tree

DEMO = REPO / "examples" / "demo_shop"
LIVE = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"

# what a person has to decide: card data collected, stored, cached, sent; an unverified webhook
# parsed by hand; an old SDK pin; the audit log fed a dict that holds the number
NEEDS_A_HUMAN = {
    ("requirements.txt", "PCI901"), ("shop/audit.py", "PCI101"), ("shop/cache.py", "PCI301"),
    ("shop/cache.py", "PCI303"), ("shop/models.py", "PCI201"), ("shop/payments.py", "PCI401"),
    ("shop/payments.py", "PCI410"), ("shop/payments.py", "PCI801"), ("shop/webhooks.py", "PCI601"),
    ("templates/checkout.html", "PCI405"),
}


def _demo(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    return root


def _snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _findings(root):
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "."], root)
    return code, {(f["path"], f["rule_id"]) for f in json.loads(out)["findings"]}, \
        len(json.loads(out)["findings"])


def test_demo_has_18_findings_without_fix(tmp_path):
    assert _findings(_demo(tmp_path))[2] == 18


def test_show_fixes_prints_a_diff_and_writes_nothing(tmp_path):
    root = _demo(tmp_path)
    before = _snapshot(root)
    code, out, err = run_cli(["check", "--no-cache", "--show-fixes", "--unsafe-fixes", "."], root)
    assert code == 1
    assert _snapshot(root) == before
    assert "--- a/shop/stripe_client.py\n+++ b/shop/stripe_client.py\n" in out
    assert '+LEGACY_FILES_API = "https://files.stripe.com/v1/files"' in out
    assert '+STRIPE_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]' in out
    assert "sk_live_51Hx9demo" not in out + err  # the removed key is masked in the diff
    assert "5 fixes in 3 files would be applied; nothing was written" in err


def test_fix_applies_the_safe_fixes_and_reports_what_remains(tmp_path):
    root = _demo(tmp_path)
    code, out, err = run_cli(["check", "--no-cache", "--fix", "."], root)
    assert "fixed 2 findings in 1 file; 3 more with --unsafe-fixes" in err
    assert "Found 16 findings" in out
    assert "PCI501" not in out and "PCI503" not in out and "PCI701" in out
    assert code == 1


def test_unsafe_fixes_leave_only_the_findings_that_need_a_human(tmp_path):
    root = _demo(tmp_path)
    before = _snapshot(root)
    code, out, err = run_cli(["check", "--no-cache", "--unsafe-fixes", "."], root)
    assert "fixed 5 findings in 3 files" in err
    status, remaining, count = _findings(root)
    assert remaining == NEEDS_A_HUMAN and count == 13
    after = _snapshot(root)
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed == ["shop/payments.py", "shop/settings.py", "shop/stripe_client.py"]
    # a second run has nothing left to fix and changes nothing
    run_cli(["check", "--no-cache", "--unsafe-fixes", "."], root)
    assert _snapshot(root) == after


def test_add_ignore_suppresses_every_finding_with_the_reason(tmp_path):
    root = _demo(tmp_path)
    code, out, err = run_cli(["check", "--no-cache", "--add-ignore", "legacy, PAY-123", "."], root)
    assert code == 0, out + err
    assert "Found 0 findings" in out and "18 suppressed" in out
    assert "added suppressions for 18 findings in 9 files" in err
    payments = (root / "shop" / "payments.py").read_text()
    assert ('    )  # pcilint: ignore[PCI410] -- legacy, PAY-123\n' in payments)  # multi-line call
    html = (root / "templates" / "checkout.html").read_text()
    assert "    <!-- pcilint: ignore[PCI405] -- legacy, PAY-123 -->\n    <input" in html
    # the reasons are read back as written (no comment closer in them)
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "."], root)
    suppressed = json.loads(out)["suppressed"]
    assert len(suppressed) == 18
    assert {s["suppression"]["justification"] for s in suppressed} == {"legacy, PAY-123"}


def test_add_ignore_merges_into_an_existing_directive_and_skips_comment_lines(tmp_path):
    root = write_tree(tmp_path, {
        "app.py": f'''\
            import logging
            log = logging.getLogger(__name__)

            def pay(card_number):
                log.info("n %s", card_number)  # pcilint: ignore[PCI102] -- printed elsewhere
            # old: stripe.api_key = "{LIVE}"
            ''',
    })
    code, out, err = run_cli(["check", "--no-cache", "--add-ignore", "known", "."], root)
    text = (root / "app.py").read_text()
    assert 'log.info("n %s", card_number)  # pcilint: ignore[PCI102,PCI101] -- printed elsewhere' \
        in text
    assert "app.py:6: PCI701 not suppressed: not on a statement" in err
    assert "PCI701" in out and "PCI101" not in out


def test_fix_keeps_crlf_and_the_file_mode(tmp_path):
    path = tmp_path / "tool.py"
    path.write_bytes(b"#!/usr/bin/env python\r\nimport requests\r\n"
                     b"requests.get('https://x.acme.io', verify=False)\r\n")
    path.chmod(0o755)
    run_cli(["check", "--no-cache", "--fix", "."], tmp_path)
    assert path.read_bytes() == (b"#!/usr/bin/env python\r\nimport requests\r\n"
                                 b"requests.get('https://x.acme.io')\r\n")
    assert path.stat().st_mode & 0o777 == 0o755


@pytest.mark.parametrize("args", [["--fix", "--update-baseline", "--baseline", "b.json"],
                                  ["--add-ignore", "  "],
                                  ["--show-fixes", "--add-ignore", "legacy"]])
def test_bad_combinations_are_refused(tmp_path, args):
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    code, _, err = run_cli(["check", "--no-cache", *args, "."], tmp_path)
    assert code == 2 and "pcilint: error:" in err


def test_rule_page_shows_the_autofix():
    code, out, _ = run_cli(["rule", "PCI501"])
    assert "Autofix:\nhttps-url (safe, applied by `pcilint check --fix`)" in out
    code, out, _ = run_cli(["rule", "PCI701"])
    assert "env-secret (unsafe, applied by `pcilint check --fix --unsafe-fixes`)" in out
    code, out, _ = run_cli(["rule", "PCI201"])
    assert "Autofix" not in out



def test_a_file_too_deep_to_parse_is_not_fixed_and_nothing_crashes(tmp_path):
    deep = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"
    source = f"import stripe\nstripe.api_key = '{LIVE}'\n{deep}"
    write_tree(tmp_path, {"deep.py": source})
    code, out, err = run_cli(["check", "--no-cache", "--unsafe-fixes", "."], tmp_path)
    assert (tmp_path / "deep.py").read_text() == source
    assert "PCI701" in out and "internal error" not in err
    assert "fixed 0 findings in 0 files" in err


def test_a_file_that_cannot_be_written_is_reported_not_fatal(tmp_path, monkeypatch):
    import errno

    from pcilint.fixes import run

    def refuse(path, data):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(run, "_write", refuse)  # (the suite may run as root: chmod would not stop it)
    source = "import requests\nrequests.get('https://a.acme.io', verify=False)\n"
    write_tree(tmp_path, {"ro.py": source})
    code, out, err = run_cli(["check", "--no-cache", "--fix", "."], tmp_path)
    assert "ro.py:2: PCI503 not fixed: cannot write the file: Permission denied" in err
    assert "fixed 0 findings in 0 files" in err
    assert "PCI503" in out and code == 1 and (tmp_path / "ro.py").read_text() == source


def test_add_ignore_in_a_python2_file(tmp_path):
    source = f'print "Python 2"\nstripe.api_key = "{LIVE}"\n'
    write_tree(tmp_path, {"old.py": source})
    code, out, err = run_cli(["check", "--no-cache", "--no-fail-on-errors", "--add-ignore",
                              "py2 legacy", "."], tmp_path)
    assert (tmp_path / "old.py").read_text().splitlines()[1].endswith(
        "  # pcilint: ignore[PCI701] -- py2 legacy")
    assert "PCI701" not in out and code == 0, out + err
