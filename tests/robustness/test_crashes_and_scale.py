"""A check that hangs, raises or recurses, a worker that is SIGKILLed or stuck in native code, and a
generated tree: no file is ever lost (files_scanned + file errors = files discovered)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import libcst as cst
import pytest

import pcilint.engine as engine
from pcilint.checks import KINDS, register
from pcilint.checks.base import CheckKind
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.isolation import CRASH_HOOK_ENV, HANG_HOOK_ENV
from pcilint.ruleset import load_rules

from robust_helpers import LIVE_KEY, run_scan_json

REPO = Path(__file__).resolve().parents[2]


def _load_scale_module():
    spec = importlib.util.spec_from_file_location("pcilint_bench_scale", REPO / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Hostile(CheckKind):
    """Misbehaves on files whose text contains its trigger word."""

    trigger = ""

    def visitor(self, ctx):
        if self.trigger not in ctx.text:
            return None
        misbehave = self.misbehave

        class Visitor(cst.BatchableCSTVisitor):
            def visit_Module(self, node):
                misbehave()

        return Visitor()

    def misbehave(self):
        raise NotImplementedError


def _define_kinds():
    if "test-hang" in KINDS:
        return

    @register
    class Hang(_Hostile):
        kind, trigger = "test-hang", "HANG_HERE"

        def misbehave(self):
            while True:
                pass

    @register
    class Boom(_Hostile):
        kind, trigger = "test-boom", "BOOM_HERE"

        def misbehave(self):
            raise ValueError("4242424242424242 exploded\nsecond line")

    @register
    class Recurse(_Hostile):
        kind, trigger = "test-recurse", "RECURSE_HERE"

        def misbehave(self):
            def down(n):
                return down(n + 1) + 1
            down(0)


_define_kinds()

RULES_YAML = """
rules:
""" + "".join(f"""
  - id: PCI79{i}
    name: test-{kind}
    category: secrets
    severity: low
    message: "test rule {kind}"
    pci_dss: ["3.5.1"]
    summary: A test-only rule.
    why: Testing.
    fix: Nothing.
    check:
      kind: test-{kind}
    examples:
      bad: ["x = 1"]
      good: ["x = 1"]
""" for i, kind in enumerate(("hang", "boom", "recurse"), 1))


@pytest.fixture
def hostile_rules(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "hostile_rules.yaml"  # outside the scanned tree
    path.write_text(RULES_YAML)
    return load_rules([path])


def _tree(root, n_plain: int = 30):
    (root / "hang.py").write_text("HANG_HERE = 1\n")
    (root / "boom.py").write_text("BOOM_HERE = 1\n")
    (root / "recurse.py").write_text("RECURSE_HERE = 1\n")
    for i in range(n_plain):
        (root / f"plain_{i:03d}.py").write_text(f"value_{i} = {i}\nkey = '{LIVE_KEY}'\n")
    return 3 + n_plain


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_hanging_raising_or_recursing_check_costs_only_its_file(tmp_path, hostile_rules, jobs,
                                                                 monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    total = _tree(tmp_path)
    scanner = Scanner(Settings(), Options(jobs=jobs, file_timeout=1.0), rules=hostile_rules)
    started = time.monotonic()
    result = scanner.scan([tmp_path], cwd=tmp_path)
    assert time.monotonic() - started < 30
    errors = {e.path: e.message for e in result.errors}
    assert "took longer than 1 s" in errors["hang.py"]
    assert errors["boom.py"].startswith("internal error while analysing this file: ValueError: ")
    assert "4242424242424242" not in errors["boom.py"] and "second line" not in errors["boom.py"]
    assert "nested too deeply" in errors["recurse.py"]
    assert result.files_scanned + len(errors) == total
    findings = {f.path for f in result.findings if f.rule_id == "PCI701"}
    assert len(findings) == total - 3


def test_a_sigkilled_worker_loses_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    monkeypatch.setenv(CRASH_HOOK_ENV, "plain_007")
    total = _tree(tmp_path)
    code, doc, err = run_scan_json(["--jobs", "2", "."], tmp_path)
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    assert list(errors) == ["plain_007.py"], errors
    assert "killed by SIGKILL" in errors["plain_007.py"]
    assert doc["summary"]["files_scanned"] + len(errors) == total
    # every other file was analysed, in a fresh pool or on its own (3 files hold no key)
    assert len({f["path"] for f in doc["findings"] if f["rule_id"] == "PCI701"}) == total - 3 - 1


def test_a_worker_stuck_in_native_code_is_stopped_by_the_watchdog(tmp_path, monkeypatch):
    # SIGALRM cannot interrupt native code (simulated: the hook blocks SIGALRM and spins).
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    monkeypatch.setenv(HANG_HOOK_ENV, "plain_003")
    total = _tree(tmp_path, n_plain=8)
    started = time.monotonic()
    code, doc, err = run_scan_json(["--jobs", "2", "--file-timeout", "1", "."], tmp_path)
    assert time.monotonic() - started < 20
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    assert "took longer than 1 s" in errors.pop("plain_003.py")
    assert errors == {}  # the other files (no hostile rules here) all came through
    assert doc["summary"]["files_scanned"] + 1 == total


def test_generated_tree_scans_completely_with_two_workers(tmp_path):
    from pcilint.discovery import discover

    _load_scale_module().generate(tmp_path, 60, seed=3)
    files, _ = discover([tmp_path], Scanner(Settings(), Options()).kinds, [], tmp_path, tmp_path)
    assert len(files) > 50
    code, doc, err = run_scan_json(["--jobs", "2", "."], tmp_path)
    assert code in (0, 1), err
    assert doc["errors"] == []
    assert doc["summary"]["files_scanned"] == len(files)
