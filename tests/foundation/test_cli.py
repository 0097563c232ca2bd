"""The command line: exit codes, formats, selection, rule pages (docs/contract.md §4)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO, run_cli, run_json, write_tree

LIVE_KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


def test_clean_tree_exits_0(tmp_path):
    write_tree(tmp_path, {"app.py": "import os\nKEY = os.environ['STRIPE_SECRET_KEY']\n"})
    code, out, _ = run_cli(["check", "."], cwd=tmp_path)
    assert code == 0
    assert "Found 0 findings" in out


def test_finding_exits_1_with_one_line_per_finding(tmp_path):
    write_tree(tmp_path, {"app.py": f"import stripe\nstripe.api_key = '{LIVE_KEY}'\n"})
    code, out, _ = run_cli(["check", "."], cwd=tmp_path)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("app.py:2:18: PCI701 [critical] ")
    assert LIVE_KEY not in out


def test_json_document_follows_the_contract(tmp_path):
    write_tree(tmp_path, {"pkg/app.py": f"KEY = '{LIVE_KEY}'\n", "pkg/broken.py": "def f(:\n"})
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert code == 1
    assert doc["version"] == 1
    assert doc["tool"]["name"] == "pcilint"
    (finding,) = doc["findings"]
    assert set(finding) >= {"rule_id", "category", "severity", "path", "line", "column", "end_line",
                            "end_column", "message", "pci_dss", "fingerprint", "trace"}
    assert finding["path"] == "pkg/app.py"
    assert (finding["line"], finding["column"]) == (1, 7)
    assert finding["category"] == "secrets"
    assert doc["errors"] == [{"path": "pkg/broken.py", "message": doc["errors"][0]["message"]}]
    assert "syntax error at line 1" in doc["errors"][0]["message"]
    assert doc["summary"]["files_scanned"] == 1
    assert doc["summary"]["findings"] == 1
    assert doc["summary"]["by_severity"] == {"critical": 1}
    assert isinstance(doc["summary"]["duration_s"], float)


def test_exit_zero_and_fail_on(tmp_path):
    write_tree(tmp_path, {"app.py": f"KEY = '{LIVE_KEY}'\n"})
    assert run_cli(["check", ".", "--exit-zero"], cwd=tmp_path)[0] == 0
    assert run_cli(["check", ".", "--fail-on", "critical"], cwd=tmp_path)[0] == 1


def test_select_and_ignore(tmp_path):
    write_tree(tmp_path, {"app.py": f"KEY = '{LIVE_KEY}'\n"})
    assert run_cli(["check", ".", "--ignore", "PCI7"], cwd=tmp_path)[0] == 0
    assert run_cli(["check", ".", "--select", "PCI701"], cwd=tmp_path)[0] == 1


def test_unknown_select_code_is_a_usage_error(tmp_path):
    code, _, err = run_cli(["check", ".", "--select", "PCI999"], cwd=tmp_path)
    assert code == 2
    assert "PCI999" in err and "matches no rule" in err


def test_broken_rule_file_exits_2_naming_file_and_line(tmp_path):
    rules = tmp_path / "my-rules.yaml"
    rules.write_text("rules:\n  - id: PCI1234\n    name: x\n")
    code, _, err = run_cli(["check", ".", "--rules", str(rules)], cwd=tmp_path)
    assert code == 2
    assert "my-rules.yaml:2" in err
    assert "Traceback" not in err


def test_rule_page_and_list():
    code, out, _ = run_cli(["rule", "PCI701"])
    assert code == 0
    assert "Why is this bad?" in out and "Use instead" in out and "PCI DSS" in out
    code, out, _ = run_cli(["rules"])
    assert code == 0 and "PCI701" in out


def test_module_entry_point_and_version():
    res = subprocess.run([sys.executable, "-m", "pcilint", "--version"], capture_output=True,
                         text=True, cwd=REPO)
    assert res.returncode == 0
    assert res.stdout.startswith("pcilint, version ")


def test_bad_files_do_not_lose_the_rest_of_the_scan(tmp_path):
    write_tree(tmp_path, {
        "a_syntax.py": "def f(:\n",
        "b_latin1.py": b"x = '\xe9t\xe9'\n",
        "c_empty.py": "",
        "d_good.py": f"KEY = '{LIVE_KEY}'\n",
    })
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert code == 1
    assert [f["path"] for f in doc["findings"]] == ["d_good.py"]
    assert {e["path"] for e in doc["errors"]} == {"a_syntax.py", "b_latin1.py"}
    assert doc["summary"]["files_scanned"] == 2  # the empty file and the good one


def test_demo_shop_json_exits_1():
    code, doc, _ = run_json(["examples/demo_shop"], cwd=REPO)
    assert code == 1
    assert doc["findings"], "the demo has violations"
    assert all(f["path"].startswith("examples/demo_shop/") for f in doc["findings"])
    text = json.dumps(doc)
    assert "sk_live_51Hx9demo" not in text
