"""Baselines: old findings stay hidden when code moves, new ones show, and nothing secret is stored."""

from __future__ import annotations

import json
import textwrap

from conftest import run_cli, run_json, write_tree
from pcilint.baseline import covered_by
from pcilint.findings import Finding, assign_fingerprints

KEY_A = "sk_live_51HqT7sKd82LmQz4RbW9vXyP0aA"
KEY_B = "rk_live_51Jf3Pw8NcZ6Ek2YtUv4Hs1Lb"
KEY_NEW = "sk_live_51Rm5Gx2Vq9Tb7Wn4Kc8Zd3Ep"

ORIGINAL = f'''\
    import stripe

    stripe.api_key = "{KEY_A}"


    def restricted():
        return "{KEY_B}"
    '''


def test_round_trip_old_findings_stay_hidden_after_edits_and_a_new_one_shows(tmp_path):
    write_tree(tmp_path, {"app/pay.py": ORIGINAL})
    code, out, err = run_cli(["baseline", "create", "-o", ".pcilint-baseline.json"], cwd=tmp_path)
    assert code == 0, err
    assert "wrote 2 findings" in err
    baseline = tmp_path / ".pcilint-baseline.json"

    code, doc, _ = run_json(["--baseline", str(baseline), "."], cwd=tmp_path)
    assert code == 0 and doc["findings"] == []

    # lines inserted above, the function moved above the assignment, a new key added
    (tmp_path / "app" / "pay.py").write_text(textwrap.dedent(f'''\
        """Payments."""
        import logging
        import os

        import stripe

        log = logging.getLogger(__name__)


        def restricted():
            # moved up, and re-indented code around it
            return "{KEY_B}"


        stripe.api_key = "{KEY_A}"
        FALLBACK = "{KEY_NEW}"
        '''), encoding="utf-8")
    code, doc, _ = run_json(["--baseline", str(baseline), "."], cwd=tmp_path)
    assert code == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("app/pay.py", 16)]
    assert "sk_live_…d3Ep" in doc["findings"][0]["message"]

    # without the baseline all three are there
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert len(doc["findings"]) == 3


def test_baseline_file_holds_no_secret_only_fingerprint_rule_path_and_masked_message(tmp_path):
    write_tree(tmp_path, {"app/pay.py": ORIGINAL, "conf/.env": f"KEY={KEY_A}\n"})
    run_cli(["baseline", "create", "-o", "b.json"], cwd=tmp_path)
    raw = (tmp_path / "b.json").read_text(encoding="utf-8")
    for secret in (KEY_A, KEY_B, KEY_A[8:], KEY_B[8:]):
        assert secret not in raw
    doc = json.loads(raw)
    assert doc["version"] == 1
    assert len(doc["findings"]) == 3
    for entry in doc["findings"]:
        assert set(entry) == {"fingerprint", "rule_id", "path", "message"}
        assert "…" in entry["message"]


def test_update_baseline_accepts_new_findings_and_forgets_fixed_ones(tmp_path):
    write_tree(tmp_path, {"app/pay.py": ORIGINAL})
    run_cli(["baseline", "create", "-o", "b.json"], cwd=tmp_path)
    # fix KEY_B, add KEY_NEW
    (tmp_path / "app" / "pay.py").write_text(
        textwrap.dedent(ORIGINAL).replace(KEY_B, "") + f'NEW = "{KEY_NEW}"\n', encoding="utf-8")
    code, doc, err = run_json(["--baseline", "b.json", "--update-baseline", "."], cwd=tmp_path)
    assert code == 0 and doc["findings"] == []
    assert "b.json updated: 2 findings (1 added, 1 no longer found)" in err
    entries = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["findings"]
    assert len(entries) == 2
    code, doc, _ = run_json(["--baseline", "b.json", "."], cwd=tmp_path)
    assert code == 0 and doc["findings"] == []


def test_update_baseline_keeps_entries_of_files_not_scanned_this_time(tmp_path):
    write_tree(tmp_path, {"a/one.py": f'K = "{KEY_A}"\n', "b/two.py": f'K = "{KEY_B}"\n'})
    run_cli(["baseline", "create", "-o", "b.json"], cwd=tmp_path)
    (tmp_path / "a" / "one.py").write_text(f'K = "{KEY_NEW}"\n', encoding="utf-8")
    code, _, _ = run_cli(["check", "a", "--baseline", "b.json", "--update-baseline"], cwd=tmp_path)
    assert code == 0
    paths = sorted(e["path"] for e in json.loads((tmp_path / "b.json").read_text())["findings"])
    assert paths == ["a/one.py", "b/two.py"]


def test_update_baseline_creates_a_missing_file(tmp_path):
    write_tree(tmp_path, {"app.py": f'K = "{KEY_A}"\n'})
    code, doc, _ = run_json(["--baseline", "new.json", "--update-baseline", "."], cwd=tmp_path)
    assert code == 0 and (tmp_path / "new.json").is_file()


def test_bad_baselines_are_usage_errors(tmp_path):
    write_tree(tmp_path, {"app.py": "x = 1\n", "bad.json": "{not json", "other.json": "[1, 2]",
                          "future.json": '{"version": 99, "findings": []}'})
    for name, needle in (("missing.json", "not found"), ("bad.json", "not valid JSON"),
                         ("other.json", "not a pcilint baseline"), ("future.json", "version 99")):
        code, _, err = run_cli(["check", "--baseline", name, "."], cwd=tmp_path)
        assert code == 2 and needle in err, (name, err)
    code, _, err = run_cli(["check", "--update-baseline", "."], cwd=tmp_path)
    assert code == 2 and "needs --baseline" in err


def test_text_report_says_how_many_findings_the_baseline_hides(tmp_path):
    write_tree(tmp_path, {"app/pay.py": ORIGINAL})
    run_cli(["baseline", "create", "-o", "b.json"], cwd=tmp_path)
    code, out, _ = run_cli(["check", "--baseline", "b.json", "."], cwd=tmp_path)
    assert code == 0
    assert "2 known findings hidden by the baseline b.json." in out


def _finding(line: int, snippet: str, message: str) -> Finding:
    return Finding("PCI101", "logging", "high", "app.py", line, 5, line + 2, 6, message,
                   pci_dss=("3.5.1",), snippet=snippet)


def test_fingerprints_ignore_line_numbers_even_inside_messages():
    a = [_finding(10, "logger.info(", "card `pan` (read at line 7) reaches logger.info")]
    b = [_finding(30, "logger.info(", "card `pan` (read at line 27) reaches logger.info")]
    assign_fingerprints(a)
    assign_fingerprints(b)
    assert a[0].fingerprint == b[0].fingerprint


def test_a_new_finding_with_the_same_first_line_does_not_take_an_old_ones_identity():
    old = [_finding(10, "logger.info(", "card `pan` reaches logger.info"),
           _finding(20, "logger.info(", "card `cvv` reaches logger.info")]
    assign_fingerprints(old)
    new = [_finding(5, "logger.info(", "card `card_number` reaches logger.info"),
           _finding(15, "logger.info(", "card `pan` reaches logger.info"),
           _finding(25, "logger.info(", "card `cvv` reaches logger.info")]
    assign_fingerprints(new)
    known = {f.fingerprint for f in old}
    assert [f.line for f in new if f.fingerprint not in known] == [5]


def test_covered_by_matches_scanned_directories_and_files():
    assert covered_by("a/b.py", ["."]) and covered_by("a/b.py", ["a"]) and covered_by("a/b.py", ["a/"])
    assert covered_by("a/b.py", ["a/b.py"])
    assert not covered_by("ab/c.py", ["a"]) and not covered_by("/abs/x.py", ["."])


def test_write_baseline_masks_card_numbers_even_from_unmasked_entries(tmp_path):
    from pcilint.baseline import load_baseline, write_baseline

    f = Finding("PCI702", "secrets", "high", "a.py", 3, 1, 3, 20,
                "card number literal 4242424242424242 in code", pci_dss=("3.5.1",),
                snippet='CARD = "4242424242424242"')
    assign_fingerprints([f])
    # an entry written by hand (or an older tool) with a raw number is masked when carried over
    keep = [{"fingerprint": "0" * 32, "rule_id": "PCI702", "path": "b.py",
             "message": "card 4000 0566 5566 5556 in code"}]
    write_baseline(tmp_path / "b.json", [f], keep)
    raw = (tmp_path / "b.json").read_text(encoding="utf-8")
    assert "4242424242424242" not in raw and "0566 5566" not in raw
    assert "4242********4242" in raw
    assert len(load_baseline(tmp_path / "b.json").entries) == 2
