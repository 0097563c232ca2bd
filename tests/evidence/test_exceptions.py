"""Exceptions an auditor can review (issue 17 §3): suppressed and baselined findings with their
reason, place and git blame; SARIF suppressions (validated against the schema); JSON `suppressed`
and `unused_suppressions`; `warn_unused_ignores = "fail"`; scan metadata."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import run_cli, write_tree
from test_report_formats import assert_valid_sarif, sarif_validator  # noqa: F401 - fixture

APP = {
    "app.py": """\
        import logging
        log = logging.getLogger(__name__)

        def pay(card_number):
            log.info("card %s", card_number)  # pcilint: ignore[PCI101] -- legacy endpoint, removed in Q3

        def unused(x):
            return x  # pcilint: ignore[PCI2]
        """,
    "keys.py": 'KEY = "sk_test_' + "51HxAbCdEfGhIjKlMnOpQrStUv" + '"\n',
}


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "Alice Auditor", "GIT_AUTHOR_EMAIL": "a@example.invalid",
                        "GIT_COMMITTER_NAME": "Alice Auditor",
                        "GIT_COMMITTER_EMAIL": "a@example.invalid",
                        "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z",
                        "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z", "HOME": str(cwd),
                        "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path):
    write_tree(tmp_path, APP)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    return tmp_path


def test_json_lists_suppressed_findings_with_reason_place_and_blame(repo):
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "."], cwd=repo)
    doc = json.loads(out)
    assert [f["rule_id"] for f in doc["findings"]] == ["PCI703"]
    (sup,) = doc["suppressed"]
    assert sup["rule_id"] == "PCI101" and sup["line"] == 5 and sup["fingerprint"]
    assert sup["suppression"] == {"kind": "inSource", "justification": "legacy endpoint, removed in Q3",
                                  "path": "app.py", "line": 5, "author": "Alice Auditor",
                                  "date": "2026-03-01"}
    assert doc["unused_suppressions"] == []  # only with --warn-unused-ignores
    meta = doc["metadata"]
    assert meta["revision"]["branch"] == "main" and meta["revision"]["dirty"] is False
    assert len(meta["revision"]["commit"]) == 40
    assert meta["rules_digest"].startswith("sha256:") and meta["tool_version"]
    assert meta["configuration"]["fail_on"] == "low"


def test_dirty_tree_and_uncommitted_suppressions(repo):
    (repo / "new.py").write_text("import logging\n\ndef f(cvv):\n"
                                 "    logging.info(cvv)  # pcilint: ignore -- tmp\n")
    _, out, _ = run_cli(["check", "--format", "json", "--no-cache", "."], cwd=repo)
    doc = json.loads(out)
    assert doc["metadata"]["revision"]["dirty"] is True
    new = next(s for s in doc["suppressed"] if s["path"] == "new.py")
    assert new["suppression"]["justification"] == "tmp"
    assert "author" not in new["suppression"]  # not committed: git does not know who


def test_baselined_findings_are_external_suppressions_with_a_written_reason(repo):
    code, _, _ = run_cli(["baseline", "create", "-o", "base.json", "."], cwd=repo)
    assert code == 0
    base = json.loads((repo / "base.json").read_text())
    base["findings"][0]["reason"] = "test key, rotated 2026-02"
    (repo / "base.json").write_text(json.dumps(base, indent=2))
    _git(repo, "add", "base.json")
    _git(repo, "commit", "-qm", "baseline")
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "--baseline", "base.json",
                            "."], cwd=repo)
    doc = json.loads(out)
    assert code == 0 and doc["findings"] == []
    ext = [s for s in doc["suppressed"] if s["suppression"]["kind"] == "external"]
    assert [s["rule_id"] for s in ext] == ["PCI703"]
    assert ext[0]["suppression"]["justification"] == "test key, rotated 2026-02"
    assert ext[0]["suppression"]["path"] == "base.json" and ext[0]["suppression"]["line"] > 0
    assert ext[0]["suppression"]["author"] == "Alice Auditor"


def test_sarif_suppressions_validate(repo, sarif_validator):  # noqa: F811
    run_cli(["baseline", "create", "-o", "base.json", "keys.py"], cwd=repo)
    code, out, _ = run_cli(["check", "--format", "sarif", "--no-cache", "--baseline", "base.json",
                            "."], cwd=repo)
    doc = json.loads(out)
    assert_valid_sarif(sarif_validator, doc)
    results = doc["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    inline = by_rule["PCI101"]["suppressions"]
    assert inline[0]["kind"] == "inSource"
    assert inline[0]["justification"] == "legacy endpoint, removed in Q3"
    assert inline[0]["location"]["physicalLocation"]["region"]["startLine"] == 5
    external = by_rule["PCI703"]
    assert external["suppressions"][0]["kind"] == "external"
    assert external["baselineState"] == "unchanged"
    assert "revision" in doc["runs"][0]["invocations"][0]["properties"]


def test_unused_ignores_warn_or_fail_by_setting(repo):
    code, out, err = run_cli(["check", "--format", "json", "--no-cache", "--warn-unused-ignores",
                              "--select", "PCI1", "."], cwd=repo)
    assert code == 0
    assert json.loads(out)["unused_suppressions"] == [{"path": "app.py", "line": 8, "codes": "PCI2"}]
    assert "app.py:8: unused suppression" in err
    (repo / ".pcilint.yaml").write_text('warn_unused_ignores: "fail"\n')
    code, out, _ = run_cli(["check", "--format", "json", "--no-cache", "--select", "PCI1", "."],
                           cwd=repo)
    assert code == 1 and json.loads(out)["findings"] == []
    assert json.loads(out)["metadata"]["configuration"]["warn_unused_ignores"] == "fail"
    (repo / ".pcilint.yaml").write_text("warn_unused_ignores: sometimes\n")
    code, _, err = run_cli(["check", "--no-cache", "."], cwd=repo)
    assert code == 2 and "warn_unused_ignores" in err


def test_outside_git_the_revision_is_unknown(tmp_path):
    write_tree(tmp_path, {"a.py": "x = 1\n"})
    _, out, _ = run_cli(["check", "--format", "json", "--no-cache", "."], cwd=tmp_path)
    assert json.loads(out)["metadata"]["revision"] is None


def test_update_baseline_keeps_hand_written_reasons(repo):
    run_cli(["baseline", "create", "-o", "base.json", "."], cwd=repo)
    base = json.loads((repo / "base.json").read_text())
    base["findings"][0]["reason"] = "accepted until the Q3 key rotation"
    (repo / "base.json").write_text(json.dumps(base, indent=2))
    code, _, _ = run_cli(["check", "--no-cache", "--baseline", "base.json", "--update-baseline",
                          "."], cwd=repo)
    assert code == 0
    rewritten = json.loads((repo / "base.json").read_text())["findings"]
    assert [e.get("reason") for e in rewritten] == ["accepted until the Q3 key rotation"]
