"""``--diff REV`` / ``--changed-since REV``: only findings on lines changed since REV, on a real
temporary git repository; and the diff parser on its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_cli, run_json, write_tree
from pcilint.findings import Finding, ScanResult, TraceStep
from pcilint.gitdiff import ChangedLines, parse_diff, unquote_path
from pcilint.scope import Scope

KEY_OLD = "sk_live_51Pz8Kw3Rt6Yv1Nb5Qm7Hx2Jc"
KEY_NEW = "sk_live_51Rm5Gx2Vq9Tb7Wn4Kc8Zd3Ep"
KEY_UNTRACKED = "rk_live_51Ls4Dg9Fh2Tk7Wy3Xa6Vb8Mn"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True,
                          env=env).stdout


@pytest.fixture
def repo(tmp_path):
    write_tree(tmp_path, {
        "app/pay.py": f'''\
            import stripe

            stripe.api_key = "{KEY_OLD}"
            ''',
        "app/other.py": f'LEGACY = "{KEY_OLD}"\n',
        ".gitignore": "ignored/\n",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "initial")
    return tmp_path


@needs_git
def test_diff_reports_only_changed_lines_and_untracked_files(repo):
    # edit above the old finding (it moves down), add a new finding, add an untracked file and an
    # ignored one
    (repo / "app" / "pay.py").write_text(textwrap.dedent(f'''\
        """Payments."""
        import stripe

        stripe.api_key = "{KEY_OLD}"
        BACKUP = "{KEY_NEW}"
        '''), encoding="utf-8")
    write_tree(repo, {"app/new_module.py": f'K = "{KEY_UNTRACKED}"\n',
                      "ignored/junk.py": f'K = "{KEY_UNTRACKED}"\n'})
    code, doc, _ = run_json(["--diff", "HEAD", "."], cwd=repo)
    assert code == 1
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("app/new_module.py", 1),
                                                                  ("app/pay.py", 5)]
    # the alias, and from a subdirectory (paths relative to it, repository root elsewhere)
    code, doc, _ = run_json(["--changed-since", "HEAD", "."], cwd=repo / "app")
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("new_module.py", 1), ("pay.py", 5)]
    # without --diff everything is there
    code, doc, _ = run_json(["."], cwd=repo)
    assert len(doc["findings"]) == 4


@needs_git
def test_diff_counts_staged_changes_and_follows_renames(repo):
    git(repo, "mv", "app/other.py", "app/renamed.py")
    with open(repo / "app" / "renamed.py", "a", encoding="utf-8") as fh:
        fh.write(f'MORE = "{KEY_NEW}"\n')
    git(repo, "add", "-A")
    code, doc, _ = run_json(["--diff", "HEAD", "."], cwd=repo)
    # the renamed file's old line is not new; the appended one is
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("app/renamed.py", 2)]


@needs_git
def test_diff_against_an_older_commit_and_text_summary(repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    with open(repo / "app" / "other.py", "a", encoding="utf-8") as fh:
        fh.write(f'SECOND = "{KEY_NEW}"\n')
    git(repo, "commit", "-q", "-am", "second")
    code, out, _ = run_cli(["check", "--diff", first, "."], cwd=repo)
    assert code == 1
    assert "app/other.py:2:" in out and "app/pay.py" not in out
    assert f"Only lines changed since {first} are reported (2 findings elsewhere)." in out
    code, doc, _ = run_json(["--diff", "HEAD", "."], cwd=repo)
    assert code == 0 and doc["findings"] == []


@needs_git
def test_diff_with_a_bad_revision_or_outside_git_is_a_usage_error(repo, tmp_path_factory):
    code, _, err = run_cli(["check", "--diff", "no-such-branch", "."], cwd=repo)
    assert code == 2 and "unknown git revision 'no-such-branch'" in err
    code, _, err = run_cli(["check", "--diff", "--output=x", "."], cwd=repo)
    assert code == 2
    outside = tmp_path_factory.mktemp("not-a-repo")
    write_tree(outside, {"a.py": "x = 1\n"})
    code, _, err = run_cli(["check", "--diff", "HEAD", "."], cwd=outside)
    assert code == 2 and "git rev-parse failed" in err


@needs_git
def test_diff_with_baseline_both_narrow(repo):
    run_cli(["baseline", "create", "-o", "b.json"], cwd=repo)  # untracked, but not a .py file
    with open(repo / "app" / "pay.py", "a", encoding="utf-8") as fh:
        fh.write(f'NEW = "{KEY_NEW}"\n')
    code, doc, _ = run_json(["--diff", "HEAD", "--baseline", "b.json", "."], cwd=repo)
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("app/pay.py", 4)]


def test_parse_diff_hunks_new_deleted_and_quoted_files():
    out = textwrap.dedent('''\
        diff --git a/app.py b/app.py
        index 1..2 100644
        --- a/app.py
        +++ b/app.py
        @@ -3,0 +4,2 @@ def f():
        +x
        +y
        @@ -10 +12 @@
        -a
        +b
        @@ -20,3 +23,0 @@
        -gone
        diff --git a/old.py b/old.py
        deleted file mode 100644
        --- a/old.py
        +++ /dev/null
        @@ -1,2 +0,0 @@
        -a
        -b
        diff --git "a/sp ace\\303\\244.py" "b/sp ace\\303\\244.py"
        new file mode 100644
        --- /dev/null
        +++ "b/sp ace\\303\\244.py"
        @@ -0,0 +1,3 @@
        +1
        +2
        +3
        ''').encode()
    files = parse_diff(out)
    assert files == {"app.py": {4, 5, 12}, "sp aceä.py": {1, 2, 3}}


def test_unquote_path_escapes():
    assert unquote_path(b'"a\\tb\\"c\\\\d"') == 'a\tb"c\\d'
    assert unquote_path(b"plain/path.py") == "plain/path.py"


def test_a_finding_whose_trace_crosses_a_changed_line_is_reported(tmp_path):
    changed = ChangedLines("HEAD", {str(Path(os.path.realpath(tmp_path)) / "helpers.py"): {7}})
    f_trace = Finding("PCI101", "logging", "high", "views.py", 20, 1, 20, 10, "card reaches log",
                      trace=(TraceStep("helpers.py", 7, "pan returned by get_card()"),))
    f_plain = Finding("PCI101", "logging", "high", "views.py", 30, 1, 30, 10, "card reaches log")
    f_span = Finding("PCI101", "logging", "high", "helpers.py", 5, 1, 8, 2, "multi-line call")
    scope = Scope(cwd=tmp_path)
    scope.changed, scope.diff_rev = changed, "HEAD"
    result = ScanResult(findings=[f_trace, f_plain, f_span])
    info = scope.apply(result, [Path(".")])
    assert result.findings == [f_trace, f_span]
    assert info.outside_diff == [f_plain]
