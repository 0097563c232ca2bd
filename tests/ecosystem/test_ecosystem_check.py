"""benchmarks/ecosystem/check.py: the lists' validation, the reserved-list refusal, checkouts from a
mirror folder, the scorer's arithmetic and the findings diff.  No network: the "mirror" is a git
repository made here, and pcilint is replaced by a stub unless the test is about its JSON."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO

_spec = importlib.util.spec_from_file_location("eco_check", REPO / "benchmarks" / "ecosystem" / "check.py")
eco = importlib.util.module_from_spec(_spec)
sys.modules["eco_check"] = eco  # dataclasses look their module up
_spec.loader.exec_module(eco)

HEADER = "repo\tpath\tline\tlabel\tcategory\tnote\n"
TRIAGE_HEADER = "repo\tpath\tline\trule_id\tverdict\tclass\treason\n"
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}

# A stand-in for pcilint: reports a finding on every line that carries a `# F:<rule>:<category>`
# marker, with the path relative to the directory it runs in (as the contract says).
STUB = textwrap.dedent('''
    import json, os, re, sys
    assert sys.argv[1:5] == ["check", ".", "--format", "json"] and "--no-cache" in sys.argv
    findings = []
    for root, _, files in os.walk("."):
        for name in sorted(files):
            path = os.path.relpath(os.path.join(root, name), ".").replace(os.sep, "/")
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                for rule, category in re.findall(r"# F:(PCI\\d{3}):(\\w+)", line):
                    findings.append({"rule_id": rule, "category": category, "severity": "high",
                                     "path": path, "line": number, "message": "stub " + rule})
    print(json.dumps({"version": 1, "tool": {"name": "pcilint", "version": "stub"},
                      "findings": findings, "errors": [], "summary": {}}))
''')


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True,
                          text=True).stdout.strip()


def make_repo(path: Path, files: dict[str, str]) -> str:
    path.mkdir(parents=True)
    git("init", "-q", cwd=path)
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "fixture", cwd=path)
    return git("rev-parse", "HEAD", cwd=path)


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def result(projects: dict[str, list[tuple[str, int, str, str]]], failures=None) -> dict:
    """A results document with findings given as (path, line, rule, category) per repo."""
    failures = failures or {}
    return {"ecosystem_results": 1, "pcilint": {"command": "pcilint", "version": "x"},
            "projects": {repo: {"commit": "0" * 40, "errors": 0, "failure": failures.get(repo),
                                "findings": [{"path": p, "line": n, "rule_id": r, "category": c,
                                              "severity": "high", "message": r} for p, n, r, c in found]}
                         for repo, found in projects.items()}}


def label(repo, path, line, kind, category, note="n"):
    return eco.Label(repo, path, line, kind, category, note, "labels.tsv:1")


# -- the lists ----------------------------------------------------------------------------------
def test_projects_list_parses_pins_kinds_and_notes(tmp_path):
    projects = eco.parse_projects(write(tmp_path / "p.txt", f"""
        # comment
        acme/shop@{'a' * 40}  shop  # a Django shop
        acme/lib@{'b' * 40}  library
    """))
    assert [(p.repo, p.kind, p.note, p.slug) for p in projects] == [
        ("acme/shop", "shop", "a Django shop", "acme+shop"), ("acme/lib", "library", "", "acme+lib")]


@pytest.mark.parametrize("line, message", [
    ("acme/shop shop", "expected `owner/repo@commit kind"),
    ("acme/shop@abc shop", "40 lower-case hex"),
    (f"acme@{'a' * 40} shop", "is not owner/repo"),
    (f"acme/shop@{'a' * 40} bakery", "kind 'bakery'"),
])
def test_bad_project_line_names_file_and_line(tmp_path, line, message):
    path = write(tmp_path / "p.txt", f"# header\n{line}\n")
    with pytest.raises(eco.EcoError) as err:
        eco.parse_projects(path)
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)


def test_duplicate_project_is_an_error(tmp_path):
    path = write(tmp_path / "p.txt", f"acme/shop@{'a' * 40} shop\nACME/shop@{'b' * 40} shop\n")
    with pytest.raises(eco.EcoError, match=r"p\.txt:2: ACME/shop is listed twice"):
        eco.parse_projects(path)


@pytest.mark.parametrize("row, message", [
    ("acme/shop\ta.py\t3\tviolation", "expected 6 tab-separated columns"),
    ("acme/shop\ta.py\tx\tviolation\tlogging\tn", "line 'x' must be a positive integer"),
    ("acme/shop\ta.py\t0\tviolation\tlogging\tn", "line '0' must be a positive integer"),
    ("acme/shop\ta.py\t3\tbug\tlogging\tn", "label 'bug'"),
    ("acme/shop\ta.py\t3\tviolation\tlogs\tn", "category 'logs'"),
    ("acme/shop\ta.py\t3\tviolation\tlogging\t", "needs a note"),
    ("acme/other\ta.py\t3\tviolation\tlogging\tn", "not in the project list"),
    ("acme/shop\t../a.py\t3\tviolation\tlogging\tn", "must be relative"),
])
def test_bad_label_row_names_file_and_line(tmp_path, row, message):
    path = write(tmp_path / "labels.tsv", HEADER + "acme/shop\ta.py\t1\tlookalike\tlogging\tok\n" + row + "\n")
    with pytest.raises(eco.EcoError) as err:
        eco.parse_labels(path, {"acme/shop"})
    assert str(err.value).startswith(f"{path}:3: ") and message in str(err.value)


def test_label_header_and_duplicates_are_checked(tmp_path):
    with pytest.raises(eco.EcoError, match=r"labels\.tsv:1: the header must be"):
        eco.parse_labels(write(tmp_path / "labels.tsv", "repo\tpath\n"), {"acme/shop"})
    path = write(tmp_path / "labels.tsv", HEADER + "acme/shop\ta.py\t3\tviolation\tlogging\tn\n"
                 + "acme/shop\ta.py\t3\tlookalike\tlogging\tm\n")
    with pytest.raises(eco.EcoError, match=r"labels\.tsv:3: .* already labelled at .*labels\.tsv:2"):
        eco.parse_labels(path, {"acme/shop"})


def test_triage_rows_need_a_code_a_verdict_and_a_reason_when_false(tmp_path):
    good = eco.parse_triage(write(tmp_path / "t.tsv", TRIAGE_HEADER
                                  + "acme/shop\ta.py\t3\tPCI101\ttrue\t\t\n"
                                  + "acme/shop\ta.py\t4\tPCI702\tfalse\tpublished test card\ta Visa test number\n"),
                            {"acme/shop"})
    assert [(t.line, t.verdict, t.cls) for t in good] == [(3, "true", ""), (4, "false", "published test card")]
    for row, message in [("acme/shop\ta.py\t3\tX1\ttrue\t\t", "is not a PCI code"),
                         ("acme/shop\ta.py\t3\tPCI101\tmaybe\t\t", "verdict 'maybe'"),
                         ("acme/shop\ta.py\t3\tPCI101\tfalse\t\t", "needs a class and a reason")]:
        path = write(tmp_path / "t.tsv", TRIAGE_HEADER + row + "\n")
        with pytest.raises(eco.EcoError, match=rf"t\.tsv:2: .*{message}"):
            eco.parse_triage(path, {"acme/shop"})


# -- the reserved list --------------------------------------------------------------------------
def test_reserved_repositories_are_refused_in_every_list(tmp_path):
    reserved = write(tmp_path / "reserved.txt", "# kept for evaluation\nSecret/Eval-Repo\n")
    names = eco.load_reserved(reserved)
    assert names == {"secret/eval-repo"}
    projects = write(tmp_path / "p.txt", f"acme/shop@{'a' * 40} shop\nsecret/eval-repo@{'b' * 40} shop\n")
    with pytest.raises(eco.EcoError, match=r"p\.txt:2: secret/eval-repo is reserved for independent evaluation"):
        eco.parse_projects(projects, names)
    labels = write(tmp_path / "labels.tsv", HEADER + "SECRET/eval-repo\ta.py\t1\tviolation\tlogging\tn\n")
    with pytest.raises(eco.EcoError, match=r"labels\.tsv:2: SECRET/eval-repo is reserved"):
        eco.parse_labels(labels, {"acme/shop"}, names)
    with pytest.raises(eco.EcoError, match=r"--only: secret/EVAL-repo is reserved"):
        eco.select([], ["secret/EVAL-repo"], names)


def test_the_command_line_refuses_a_reserved_project_with_exit_2(tmp_path, capsys):
    reserved = write(tmp_path / "reserved.txt", "secret/eval-repo\n")
    projects = write(tmp_path / "p.txt", f"secret/eval-repo@{'a' * 40} student\n")
    code = eco.main(["validate", "--projects", str(projects), "--labels", str(tmp_path / "none.tsv"),
                     "--triage", str(tmp_path / "none.tsv"), "--reserved", str(reserved)])
    assert code == 2
    assert "p.txt:1: secret/eval-repo is reserved" in capsys.readouterr().err


def test_the_committed_lists_are_valid_and_use_no_reserved_repository():
    """The real projects.txt, labels.tsv and triage.tsv parse, against the reserved list when the
    machine has it (the refusal itself is tested above with a list of our own)."""
    reserved = eco.load_reserved(eco.DEFAULT_RESERVED)
    projects = eco.parse_projects(eco.PROJECTS, reserved)
    repos = {p.repo for p in projects}
    labels = eco.parse_labels(eco.LABELS, repos, reserved)
    eco.parse_triage(eco.TRIAGE, repos, reserved)
    assert len(projects) >= 40
    assert {l.category for l in labels if l.label == "violation"} >= set(eco.CATEGORIES)


# -- checkouts ----------------------------------------------------------------------------------
def test_prepare_checks_out_the_pinned_commit_from_bare_and_normal_mirrors(tmp_path):
    first = make_repo(tmp_path / "work" / "shop", {"app.py": "OLD = 1\n", "pkg/views.py": "x = 1\n"})
    (tmp_path / "work" / "shop" / "app.py").write_text("NEW = 2\n")
    git("commit", "-qam", "later", cwd=tmp_path / "work" / "shop")
    mirror = tmp_path / "mirror"
    (mirror / "acme").mkdir(parents=True)
    git("clone", "-q", "--bare", str(tmp_path / "work" / "shop"), str(mirror / "acme" / "shop.git"),
        cwd=tmp_path)
    lib_commit = make_repo(mirror / "acme+lib", {"lib.py": "y = 2\n"})
    projects = [eco.Project("acme/shop", first, "shop", ""), eco.Project("acme/lib", lib_commit, "library", "")]
    src = tmp_path / "src"
    eco.prepare(projects, src, mirror, log=lambda *a, **k: None)
    assert (src / "acme+shop" / "app.py").read_text() == "OLD = 1\n"  # the pin, not the branch head
    assert (src / "acme+shop" / "pkg" / "views.py").exists()
    assert (src / "acme+lib" / "lib.py").read_text() == "y = 2\n"
    assert not (src / "acme+lib" / ".git").exists()


def test_a_blob_missing_from_the_snapshot_skips_that_file_only(tmp_path):
    commit = make_repo(tmp_path / "mirror" / "acme+shop", {"app.py": "x = 1\n", "big.bin": "large\n"})
    git_dir = tmp_path / "mirror" / "acme+shop" / ".git"
    blob = git("rev-parse", f"{commit}:big.bin", cwd=git_dir.parent)
    (git_dir / "objects" / blob[:2] / blob[2:]).unlink()
    missing = eco.materialize(git_dir, commit, tmp_path / "out")
    assert missing == ["big.bin"]
    assert (tmp_path / "out" / "app.py").read_text() == "x = 1\n"


def test_a_commit_absent_from_the_mirror_is_a_clear_error(tmp_path):
    make_repo(tmp_path / "mirror" / "acme+shop", {"app.py": "x = 1\n"})
    with pytest.raises(eco.EcoError, match="commit c{40} of acme/shop is not there"):
        eco.prepare([eco.Project("acme/shop", "c" * 40, "shop", "")], tmp_path / "src",
                    tmp_path / "mirror", log=lambda *a, **k: None)
    with pytest.raises(eco.EcoError, match="no git repository for acme/none"):
        eco.find_in_mirror(tmp_path / "mirror", "acme/none")


# -- running and scoring ------------------------------------------------------------------------
def test_run_records_findings_relative_to_each_project_and_the_failures(tmp_path):
    commit = make_repo(tmp_path / "mirror" / "acme+shop", {
        "app.py": "log.info(card)  # F:PCI101:logging\nsafe = 1\n",
        "sub/keys.py": "KEY = 1  # F:PCI701:secrets\n"})
    projects = [eco.Project("acme/shop", commit, "shop", ""), eco.Project("acme/gone", "d" * 40, "shop", "")]
    eco.prepare(projects[:1], tmp_path / "src", tmp_path / "mirror", log=lambda *a, **k: None)
    stub = write(tmp_path / "stub.py", STUB)
    doc = eco.run_pcilint([sys.executable, str(stub)], projects, tmp_path / "src", 60, [],
                          log=lambda *a, **k: None)
    shop = doc["projects"]["acme/shop"]
    assert [(f["path"], f["line"], f["rule_id"]) for f in shop["findings"]] == [
        ("app.py", 1, "PCI101"), ("sub/keys.py", 1, "PCI701")]
    assert shop["failure"] is None and doc["pcilint"]["version"] == "stub"
    assert "not checked out" in doc["projects"]["acme/gone"]["failure"]


def test_run_parses_the_real_pcilint_json(tmp_path):
    """The real tool's JSON document feeds the scorer: an unverified TLS call is a transport
    finding on the keyword's line."""
    project = tmp_path / "src" / "acme+shop"
    project.mkdir(parents=True)
    (project / "client.py").write_text("import requests\n\nrequests.get('https://api.example.com',\n"
                                       "             verify=False)\n")
    doc = eco.run_pcilint([sys.executable, "-m", "pcilint"], [eco.Project("acme/shop", "e" * 40, "shop", "")],
                          tmp_path / "src", 120, [], log=lambda *a, **k: None)
    found = {(f["path"], f["line"], f["category"]) for f in doc["projects"]["acme/shop"]["findings"]}
    assert ("client.py", 4, "transport") in found


def test_score_counts_recall_lookalikes_and_unlabelled_findings_exactly():
    doc = result({"acme/shop": [("a.py", 3, "PCI101", "logging"),    # found
                                ("a.py", 9, "PCI101", "logging"),    # on a look-alike: flagged
                                ("a.py", 5, "PCI201", "storage"),    # right line, wrong category
                                ("b.py", 1, "PCI701", "secrets")],   # nobody labelled it
                  "acme/lib": [("c.py", 2, "PCI501", "transport")], "acme/broken": []},
                 failures={"acme/broken": "exit 2: boom"})
    labels = [label("acme/shop", "a.py", 3, "violation", "logging"),
              label("acme/shop", "a.py", 5, "violation", "logging"),    # missed (storage on its line)
              label("acme/shop", "a.py", 6, "violation", "storage"),    # missed, reported 1 line off
              label("acme/shop", "a.py", 9, "lookalike", "logging"),
              label("acme/shop", "a.py", 11, "lookalike", "logging"),   # clean look-alike
              label("acme/lib", "c.py", 2, "violation", "transport"),
              label("acme/broken", "x.py", 1, "violation", "webhook")]  # project not scanned
    s = eco.score(doc, labels)
    assert (s.rows["logging"]["violations"], s.rows["logging"]["found"]) == (2, 1)
    assert (s.rows["logging"]["lookalikes"], s.rows["logging"]["flagged"]) == (2, 1)
    assert (s.rows["storage"]["violations"], s.rows["storage"]["found"]) == (1, 0)
    assert (s.rows["transport"]["violations"], s.rows["transport"]["found"]) == (1, 1)
    assert (s.rows["webhook"]["violations"], s.rows["webhook"]["found"]) == (1, 0)
    assert {c: r["findings"] for c, r in s.rows.items() if r["findings"]} == {
        "logging": 2, "storage": 1, "secrets": 1, "transport": 1}
    assert sorted((repo, f["line"]) for repo, f in s.unlabelled) == [("acme/shop", 1), ("acme/shop", 5)]
    missed = {(m.path, m.line): [f["line"] for f in near] for m, near in s.misses}
    assert missed == {("a.py", 5): [], ("a.py", 6): [5], ("x.py", 1): []}
    assert s.failures == {"acme/broken": "exit 2: boom"}
    assert eco.score(doc, labels + [label("acme/elsewhere", "z.py", 1, "violation", "logging")]).rows \
        == s.rows  # a project the run did not cover (--only) is left out, not counted as missed
    table = eco.render_score(s, doc, details=True)
    assert "| logging | 2 | 1 | 50% | 2 | 1 | 2 | 0 |" in table
    assert "| **all** | 5 | 2 | 40% | 2 | 1 | 5 | 2 |" in table
    assert "- storage: acme/shop a.py:6 (reported at line 5) — n" in table
    assert "- acme/broken: exit 2: boom" in table


def test_score_computes_precision_from_the_triage_and_reports_stale_rows():
    doc = result({"acme/shop": [("a.py", 1, "PCI101", "logging"), ("a.py", 2, "PCI101", "logging"),
                                ("a.py", 3, "PCI701", "secrets"), ("a.py", 4, "PCI701", "secrets"),
                                ("a.py", 5, "PCI701", "secrets")],
                  "acme/lib": [("c.py", 1, "PCI501", "transport")]})
    triage = [eco.Triage("acme/shop", "a.py", 1, "PCI101", "true", "", "", "t:2"),
              eco.Triage("acme/shop", "a.py", 2, "PCI101", "duplicate", "", "", "t:3"),
              eco.Triage("acme/shop", "a.py", 3, "PCI701", "false", "published test card", "r", "t:4"),
              eco.Triage("acme/shop", "a.py", 4, "PCI701", "true", "", "", "t:5"),
              eco.Triage("acme/shop", "a.py", 9, "PCI701", "true", "", "", "t:6")]  # no longer reported
    s = eco.score(doc, [], triage)
    assert s.triaged_projects == ["acme/shop"]           # acme/lib is not triaged, so not counted
    assert dict(s.triage["logging"]) == {"true": 1, "duplicate": 1}
    assert dict(s.triage["secrets"]) == {"false": 1, "true": 1}
    assert [(f["line"]) for _, f in s.untriaged] == [5]
    assert [t.line for t in s.stale_triage] == [9]
    table = eco.render_score(s, doc, details=False)
    assert "| **all** | 2 | 1 | 1 | 67% |" in table
    assert "False findings by cause: published test card 1" in table
    assert "1 finding(s) without a verdict, 1 verdict(s) for findings no longer reported" in table


def test_compare_lists_what_a_change_added_and_removed():
    before = result({"acme/shop": [("a.py", 1, "PCI101", "logging"), ("a.py", 2, "PCI701", "secrets")]})
    after = result({"acme/shop": [("a.py", 1, "PCI101", "logging"), ("a.py", 7, "PCI201", "storage")]})
    after["pcilint"]["command"] = "pcilint-new"
    labels = [label("acme/shop", "a.py", 7, "violation", "storage"),
              label("acme/shop", "a.py", 2, "lookalike", "secrets")]
    text = eco.compare(before, after, labels)
    assert "## Findings: `pcilint` → `pcilint-new`" in text
    assert "| secrets | 1 | 0 | 0 | 1 |" in text and "| storage | 0 | 1 | 1 | 0 |" in text
    assert "| **all** | 2 | 2 | 1 | 1 |" in text
    assert "### Added (1)\n\n- [violation] acme/shop a.py:7 PCI201 PCI201" in text
    assert "### Removed (1)\n\n- [lookalike] acme/shop a.py:2 PCI701 PCI701" in text
    assert eco.compare(after, after).count("(0)\n\n(none)") == 2


def test_score_and_compare_from_the_command_line_are_deterministic(tmp_path, capsys):
    projects = write(tmp_path / "p.txt", f"acme/shop@{'a' * 40} shop\n")
    labels = write(tmp_path / "labels.tsv", HEADER + "acme/shop\ta.py\t1\tviolation\tlogging\tn\n")
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps(result({"acme/shop": [("a.py", 1, "PCI101", "logging")]})))
    b.write_text(json.dumps(result({"acme/shop": []})))
    common = ["--projects", str(projects), "--labels", str(labels), "--triage", str(tmp_path / "none"),
              "--reserved", str(tmp_path / "none")]
    outputs = []
    for _ in range(2):
        assert eco.main(["score", str(a), *common]) == 0
        assert eco.main(["compare", str(a), str(b), *common]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "| logging | 1 | 1 | 100% |" in outputs[0] and "### Removed (1)" in outputs[0]
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert eco.main(["score", str(bad), *common]) == 2
    assert "not a results file" in capsys.readouterr().err
