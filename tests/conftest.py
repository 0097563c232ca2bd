"""Shared test helpers: scan snippets and small trees with the real engine."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from pcilint.cli import main
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.ruleset import load_rules

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _cache_outside_the_repo(tmp_path_factory):
    """CLI runs in the fixture trees write their default cache to a temporary directory, not
    into tests/fixtures (tests that pass --cache-dir or --no-cache are unaffected)."""
    import os

    old = os.environ.get("PCILINT_CACHE_DIR")
    os.environ["PCILINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("pcilint-cache"))
    yield
    if old is None:
        os.environ.pop("PCILINT_CACHE_DIR", None)
    else:
        os.environ["PCILINT_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def all_rules():
    return load_rules()


def scan_snippet(code: str, path: str = "example.py", select: list[str] | None = None,
                 rules=None, settings: Settings | None = None):
    """Analyse one in-memory file with the real engine; returns its FileResult."""
    from pcilint.discovery import file_kind

    from pcilint.checks.base import ProjectReporter
    from pcilint.engine import _dedupe

    scanner = Scanner(settings or Settings(), Options(jobs=1, select=select), rules=rules)
    kind = file_kind(Path(path)) or "python"
    text = textwrap.dedent(code)
    result = scanner.analyze_text(path, text, kind)
    # flow rules report in the project phase (card data may come from another module): run it for
    # this one file too, as the engine does for a whole scan
    lines = text.splitlines()
    reporter = ProjectReporter(lambda p, n: lines[n - 1] if 0 < n <= len(lines) else "")
    for rule in scanner.rules:
        if rule.id in result.facts:
            rule.check.check_project({path: result.facts[rule.id]}, reporter)
    result.findings = _dedupe(result.findings + reporter.findings)
    return result


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def run_cli(args: list[str], cwd: Path | None = None):
    """Run the click CLI in-process; returns (exit_code, stdout, stderr)."""
    import os

    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        res = runner.invoke(main, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    return res.exit_code, res.stdout, res.stderr


def run_json(args: list[str], cwd: Path | None = None):
    code, out, err = run_cli(["check", "--format", "json", *args], cwd)
    return code, json.loads(out), err
