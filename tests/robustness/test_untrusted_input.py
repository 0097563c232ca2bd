"""Inputs an attacker chooses (issue 14): files that crash or stall the parser, special files,
symlinks out of the tree, hostile output targets and interrupts.  Each one costs at most its own
file, is listed under ``errors`` and never changes what the rest of the scan reports."""

from __future__ import annotations

import json
import os
import signal
import stat
import sys

import pytest

import pcilint.engine as engine
from conftest import run_cli, run_json
from robust_helpers import LIVE_KEY, key_line

GOOD = key_line("STRIPE_KEY")  # one PCI701 finding, so we can see the good file survived

# Inputs that crashed libcst natively (SIGSEGV, rc 139) or held the GIL for minutes.
PARSER_BOMBS = {
    "elif_chain.py": "x = 0\nif x == 0:\n    pass\n"
                     + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 10_000)),
    "plus_chain.py": "x = (\n" + "    + 1\n" * 10_000 + ")\n",
    "backslashes.py": "x = 1 \\\n" + "    + 1 \\\n" * 50_000 + "    + 1\n",
    "attr_chain.py": "x = a" + ".b" * 8_000 + "\n",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parser_bombs_are_listed_and_the_good_file_still_reports(tmp_path, jobs, monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    for name, text in PARSER_BOMBS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.py").write_text(GOOD)
    code, report, err = run_json(["--no-cache", "--jobs", jobs, "."], tmp_path)
    assert code == 1, err
    assert [(f["path"], f["rule_id"]) for f in report["findings"]] == [("good.py", "PCI701")]
    errors = {e["path"]: e["message"] for e in report["errors"]}
    assert set(errors) == set(PARSER_BOMBS), errors
    for message in errors.values():
        assert "too deeply" in message


def test_parser_bombs_give_the_same_report_in_process_and_in_the_pool(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    for name, text in PARSER_BOMBS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "good.py").write_text(GOOD)
    reports = []
    for jobs in ("1", "2"):
        _, report, _ = run_json(["--no-cache", "--jobs", jobs, "."], tmp_path)
        reports.append((report["findings"], report["errors"]))
    assert reports[0] == reports[1]


def test_a_long_but_legal_elif_chain_below_the_limit_is_analysed(tmp_path):
    body = "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 200))
    (tmp_path / "ok.py").write_text("x = 0\nif x == 0:\n    pass\n" + body + GOOD)
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert [f["rule_id"] for f in report["findings"]] == ["PCI701"] and not report["errors"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_on_the_command_line_is_an_error_not_a_hang(tmp_path):
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    (tmp_path / "good.py").write_text(GOOD)
    code, report, err = run_json(["--no-cache", "pipe.py", "good.py"], tmp_path)
    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["good.py"]
    assert any("not a regular file" in e["message"] for e in report["errors"]), report["errors"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_on_the_command_line_is_an_error(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    code, report, _ = run_json(["--no-cache", "/dev/zero", "good.py"], tmp_path)
    assert code == 1 and len(report["findings"]) == 1
    assert any("not a regular file" in e["message"] for e in report["errors"])


def test_errors_fail_the_run_unless_told_otherwise(tmp_path):
    (tmp_path / "syntax.py").write_text("def f(:\n")
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert code == 1 and report["errors"] and not report["findings"]
    code, _, _ = run_json(["--no-cache", "--no-fail-on-errors", "."], tmp_path)
    assert code == 0
    (tmp_path / "pyproject.toml").write_text("[tool.pcilint]\nfail_on_errors = false\n")
    code, _, _ = run_json(["--no-cache", "."], tmp_path)
    assert code == 0
    code, _, _ = run_json(["--no-cache", "--fail-on-errors", "."], tmp_path)
    assert code == 1


def test_fail_on_errors_must_be_a_boolean(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pcilint]\nfail_on_errors = "maybe"\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = run_cli(["check", "."], tmp_path)
    assert code == 2 and "fail_on_errors" in err and "pyproject.toml" in err


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_symlink_out_of_the_scanned_tree_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(GOOD)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside / "secret.py")
    (tree / "passwd.py").symlink_to("/etc/passwd")
    (tree / "inside.py").write_text("x = 1\n")
    (tree / "alias.py").symlink_to(tree / "inside.py")
    code, report, _ = run_json(["--no-cache", "."], tree)
    assert report["findings"] == [] and report["errors"] == [], report
    assert code == 0


def test_output_to_a_directory_is_a_usage_error(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "out").mkdir()
    code, _, err = run_cli(["check", "--no-cache", "-o", "out", "."], tmp_path)
    assert code == 2 and "is a directory" in err


def test_output_file_respects_the_umask(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    old = os.umask(0o022)
    try:
        run_cli(["check", "--no-cache", "-o", "report.txt", "."], tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o644


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_output_to_a_device_writes_through_and_keeps_it(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    code, _, err = run_cli(["check", "--no-cache", "-o", "/dev/null", "."], tmp_path)
    assert code == 1, err
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "real.txt").write_text("")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    run_cli(["check", "--no-cache", "-o", "link.txt", "."], tmp_path)
    assert (tmp_path / "link.txt").is_symlink()
    assert "PCI701" in (tmp_path / "real.txt").read_text()


def test_an_interrupt_exits_130_with_one_line(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text(GOOD)

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine.Scanner, "scan", interrupted)
    code, out, err = run_cli(["check", "."], tmp_path)
    assert code == 128 + signal.SIGINT
    assert "interrupted" in err and "Traceback" not in err


def test_a_file_named_after_a_key_or_card_is_masked_everywhere(tmp_path):
    pan = "4539571747189258"
    d = tmp_path / pan
    d.mkdir()
    (d / f"{LIVE_KEY}.py").write_text("import stripe\nstripe.verify_ssl_certs = False\n")
    (d / "syntax.py").write_text("def f(:\n")
    for fmt in ("text", "json", "sarif", "html", "markdown", "junit", "gitlab", "github"):
        code, out, err = run_cli(["check", "--no-cache", "--format", fmt, "."], tmp_path)
        assert code in (1, 2), err
        for text in (out, err):
            assert pan not in text and LIVE_KEY[8:] not in text, fmt
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert report["findings"] and "4539********9258" in report["findings"][0]["path"]
    assert json.dumps(report).count("syntax.py") >= 1


PAN = "4539571747189258"


def test_echoed_user_strings_are_masked(tmp_path):
    """What the user typed comes back masked: an unknown rule id, an unused suppression's code."""
    code, out, err = run_cli(["rule", PAN], tmp_path)
    assert code == 2 and PAN not in out + err and "4539********9258" in err
    (tmp_path / "ig.py").write_text(f"x = 1  # pcilint: ignore[{PAN}]\n")
    code, out, err = run_cli(["check", "--no-cache", "--warn-unused-ignores", "ig.py"], tmp_path)
    assert "unused suppression" in out + err and PAN not in out + err


@pytest.mark.parametrize("rule_id", ["PCI701", "PCI702", "PCI704"])
def test_rule_pages_show_no_whole_example_value(rule_id):
    code, out, err = run_cli(["rule", rule_id])
    assert code == 0
    assert "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv" not in out and "whsec_" + "Q" * 3 not in out
    import re
    from pcilint.analysis.cardnumbers import find_pans
    for run in re.findall(r"[0-9][0-9 -]{11,}[0-9]", out):
        assert not find_pans(run) or run.replace(" ", "").startswith(("4242", "4111")), run


def test_a_custom_rule_fix_text_is_masked_in_html(tmp_path):
    (tmp_path / "rules.yaml").write_text(f"""
rules:
  - id: PCI797
    name: test-custom-fix
    category: secrets
    severity: high
    message: "test rule"
    pci_dss: ["3.5.1"]
    summary: Test only.
    why: Test only.
    fix: "replace {PAN} and {LIVE_KEY} with tokens"
    check:
      kind: literal-pattern
      pattern: 'tok_[a-z]+'
    examples:
      bad: ['T = "tok_abc"']
      good: ['T = "x"']
""")
    (tmp_path / ".pcilint.yaml").write_text("extend_rules: [rules.yaml]\n")
    (tmp_path / "a.py").write_text('T = "tok_abc"\n')
    for args in (["--format", "html"], ["--format", "html", "-o", "r.html"],
                 ["--format", "markdown"]):
        code, out, err = run_cli(["check", "--no-cache", *args, "."], tmp_path)
        text = out + err + ((tmp_path / "r.html").read_text() if "-o" in args else "")
        assert "PCI797" in text, err
        assert PAN not in text and LIVE_KEY[8:] not in text


# -- files the scanned tree names: .gitignore, configuration, rule packs, baselines ---------------

REDOS = "*a*a*a*a*a*a*a*a*a*a*a*a*a*b"  # backtracks for hours against a long name of a's


def test_a_backtracking_gitignore_pattern_is_not_applied_and_is_listed(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text(f"*.pyc\n{REDOS}\n")
    (tmp_path / ("a" * 200 + ".py")).write_text(GOOD)
    (tmp_path / "junk.pyc").write_bytes(b"\0")
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert [f["rule_id"] for f in report["findings"]] == ["PCI701"]
    assert report["errors"] == [{"path": ".gitignore:2", "message": report["errors"][0]["message"]}]
    assert "pattern not applied" in report["errors"][0]["message"]


@pytest.mark.parametrize("pattern,complex_", [
    ("*.py", False), ("**/*.py", False), ("*.py[cod]", False), ("**/migrations/**", False),
    ("a*b*c", False), ("**/a/**/b/*.py", False), (r"\*\*\*x", False),
    ("*a*a*b", True), ("a*b*c*d", True), ("a*a*/**/*a*a/**/b", True), (REDOS, True)])
def test_which_patterns_count_as_backtracking(pattern, complex_):
    from pcilint.discovery import glob_too_complex

    assert glob_too_complex(pattern) is complex_


def test_a_backtracking_exclude_pattern_is_a_configuration_error(tmp_path):
    (tmp_path / ".pcilint.yaml").write_text(f"select: [PCI7]\nexclude: ['{REDOS}']\n")
    (tmp_path / "a.py").write_text(GOOD)
    code, _, err = run_cli(["check", "."], tmp_path)
    assert code == 2 and ".pcilint.yaml:2: exclude:" in err and "hours" in err


def _laughs(levels: int = 9) -> str:
    lines = ["rules:", "  - id: PCI790", '    a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels + 1):
        lines.append(f"    a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name,content,fragment", [
    ("laughs.yaml", _laughs(), "aliases expand to more than"),
    ("deep.yaml", "rules: " + "[" * 50_000 + "]" * 50_000 + "\n", "invalid YAML"),
])
def test_hostile_rule_packs_are_one_line_errors(tmp_path, name, content, fragment):
    (tmp_path / name).write_text(content)
    (tmp_path / ".pcilint.yaml").write_text(f"extend_rules: [{name}]\n")
    (tmp_path / "a.py").write_text(GOOD)
    code, out, err = run_cli(["check", "."], tmp_path)
    assert code == 2 and name in err and fragment in err and "Traceback" not in err


def test_deeply_nested_toml_configuration_is_an_error_not_a_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.pcilint]\nselect = " + "[" * 100_000 + "]" * 100_000 + "\n")
    (tmp_path / "a.py").write_text(GOOD)
    code, _, err = run_cli(["check", "."], tmp_path)
    assert code == 2 and "pyproject.toml" in err and "nested too deeply" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="POSIX")
@pytest.mark.parametrize("target", ["/dev/zero", "fifo.yaml"])
def test_a_rule_pack_that_is_a_device_or_fifo_is_refused_without_blocking(tmp_path, target):
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / ".pcilint.yaml").write_text(f"extend_rules: ['{target}']\n")
    (tmp_path / "a.py").write_text(GOOD)
    code, _, err = run_cli(["check", "."], tmp_path)
    assert code == 2 and "not a regular file" in err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="POSIX")
def test_a_baseline_that_is_a_device_is_refused(tmp_path):
    (tmp_path / "a.py").write_text(GOOD)
    code, _, err = run_cli(["check", "--baseline", "/dev/zero", "."], tmp_path)
    assert code == 2 and "not a regular file" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_file_swapped_for_a_fifo_after_discovery_does_not_block(tmp_path, monkeypatch):
    (tmp_path / "swapped.py").write_text("x = 1\n")
    (tmp_path / "good.py").write_text(GOOD)
    real = engine.discover

    def discover_then_swap(*args, **kwargs):
        found = real(*args, **kwargs)
        (tmp_path / "swapped.py").unlink()
        os.mkfifo(tmp_path / "swapped.py")
        return found

    monkeypatch.setattr(engine, "discover", discover_then_swap)
    code, report, _ = run_json(["--no-cache", "--jobs", "1", "."], tmp_path)
    assert [f["path"] for f in report["findings"]] == ["good.py"]
    assert report["errors"] == [{"path": "swapped.py",
                                 "message": "skipped: not a regular file (a pipe, device or socket)"}]


@pytest.mark.parametrize("name,shown", [
    ("a\nFound 0 findings.py", "a\\x0aFound 0 findings.py"),       # forges a report line
    ("b\x1b[31mred.py", "b\\x1b[31mred.py"),                       # drives the terminal
    ("c\u202eyp.txt.py", "c\\u202eyp.txt.py"),                     # Trojan Source reordering
])
def test_control_characters_in_file_names_are_escaped(tmp_path, name, shown):
    try:
        (tmp_path / name).write_text(GOOD)
    except OSError:
        pytest.skip("the file system refuses this name")
    code, out, _ = run_cli(["check", "--no-cache", "--quiet", "."], tmp_path)
    assert out.splitlines()[0].startswith(f"{shown}:1:"), out
    assert name not in out and "\x1b" not in out
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert report["findings"][0]["path"] == shown


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_during_a_pool_scan_stops_the_workers(tmp_path):
    """The parent used to wait for every chunk already handed out (or for the watchdog) after
    Ctrl-C; now it kills its workers and exits 130.  A worker is made to spin (test hook)."""
    import subprocess
    import time

    from pcilint.isolation import HANG_HOOK_ENV

    for i in range(40):
        (tmp_path / f"m{i:02d}.py").write_text(GOOD)
    env = dict(os.environ, **{HANG_HOOK_ENV: "m00"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "pcilint", "check", "--no-cache", "--jobs", "2",
         "--file-timeout", "600", "."], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # discovery done, the pool started and m00 spinning
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)  # (the watchdog would take 900 s)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("pcilint kept running after Ctrl-C")
    assert proc.returncode == 130 and "interrupted" in err


def test_a_file_over_the_parse_budget_is_checked_as_text_and_listed(tmp_path, monkeypatch):
    """A 200,000-function file took 3.3 GB to parse: over the token budget it is not parsed, but
    a key in it is still reported, and the file is listed (so the run fails closed)."""
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    (tmp_path / "huge.py").write_text(GOOD + "X = [" + "1, " * 130_000 + "]\n")
    (tmp_path / "small.py").write_text("x = 1\n")
    reports = []
    for jobs in ("1", "2"):
        code, report, _ = run_json(["--no-cache", "--jobs", jobs, "."], tmp_path)
        assert code == 1
        assert [(f["path"], f["rule_id"]) for f in report["findings"]] == [("huge.py", "PCI701")]
        assert [e["path"] for e in report["errors"]] == ["huge.py"]
        assert "budget of 250,000 tokens" in report["errors"][0]["message"]
        reports.append((report["findings"], report["errors"]))
    assert reports[0] == reports[1]


def test_a_file_too_deep_to_parse_still_reports_its_key(tmp_path):
    (tmp_path / "chain.py").write_text(GOOD + "x = a" + ".b" * 1000 + "\n")
    code, report, _ = run_json(["--no-cache", "."], tmp_path)
    assert code == 1 and [f["rule_id"] for f in report["findings"]] == ["PCI701"]
    assert "too deeply" in report["errors"][0]["message"]


def test_quiet_drops_only_the_summary(tmp_path):
    (tmp_path / "Found it.py").write_text(GOOD)
    code, out, _ = run_cli(["check", "--no-cache", "--quiet", "."], tmp_path)
    assert out.startswith("Found it.py:1:") and "finding" not in out.splitlines()[-1].split(":")[0]
    assert len(out.splitlines()) == 1
