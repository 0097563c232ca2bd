"""Broken configuration and rule files: one-line error naming file, line and field; exit code 2;
no traceback unless --debug."""

from __future__ import annotations

import re

import pytest

from conftest import run_cli
from pcilint.ruleset import builtin_rules_dir

SECRETS = (builtin_rules_dir() / "secrets.yaml").read_text(encoding="utf-8")
FIRST_RULE = SECRETS[: SECRETS.index("  - id: PCI702")] if "  - id: PCI702" in SECRETS else SECRETS


def rule_file(**replace: str) -> str:
    """The first shipped rule under a fresh code, with textual replacements applied."""
    text = FIRST_RULE.replace("PCI701", "PCI791")
    for old, new in replace.items():
        old = {"kind": "kind: literal-pattern", "severity": "severity: critical",
               "prefilter": "prefilter: ['live_']", "message": "{literal}",
               "id": "id: PCI791"}.get(old, old)
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


CONFIG_CASES = [
    # name, file name, content, expected "file:line: field:" prefix, fragment
    ("malformed yaml", ".pcilint.yaml", "select: [PCI1\nignore: []\n", ".pcilint.yaml:", "invalid YAML"),
    ("wrong type", ".pcilint.yaml", "exclude: [a]\nselect: 5\n", ".pcilint.yaml:2: select:",
     "list of strings"),
    ("bad severity", ".pcilint.yaml", "fail_on: severe\n", ".pcilint.yaml:1: fail_on:", "one of"),
    ("unknown key", ".pcilint.yaml", "selct: [PCI1]\n", ".pcilint.yaml:1: selct:", "unknown"),
    ("not a mapping", ".pcilint.yaml", "- PCI1\n", ".pcilint.yaml:1:", "mapping"),
    ("unknown code", ".pcilint.yaml", "exclude: []\nselect: [PCI999]\n", ".pcilint.yaml:2: select:",
     "matches no rule"),
    ("bad code in per-file ignores", ".pcilint.yaml", "per_file_ignores:\n  'a.py': [XX1]\n",
     ".pcilint.yaml:1: per_file_ignores:", "not a rule code"),
    ("toml wrong type", "pyproject.toml",
     "[tool.black]\nselect = 1\n\n[tool.pcilint]\nexclude = ['a']\nselect = 5\n[tool.x]\nselect = 2\n",
     "pyproject.toml:6: select:", "list of strings"),
    ("toml unknown code", "pyproject.toml", "[tool.pcilint]\nexclude = []\nignore = ['PCI0']\n",
     "pyproject.toml:3: ignore:", "matches no rule"),
    ("toml sub-table", "pyproject.toml", "[tool.pcilint]\nexclude = []\n\n[tool.pcilint.per_file_ignores]\n"
     "'a.py' = 5\n", "pyproject.toml:4: per_file_ignores:", "list of codes"),
    ("toml malformed", "pyproject.toml", "[tool.pcilint]\nselect = [\n", "pyproject.toml:2:",
     "invalid TOML"),
    ("not utf-8", ".pcilint.yaml", b"select: ['\xff']\n", ".pcilint.yaml:", "cannot read"),
]

RULE_CASES = [
    ("unknown check kind", rule_file(kind="kind: no-such-kind"), "PCI791.check.kind",
     "unknown check kind", "kind: no-such-kind"),
    ("invalid regex", rule_file(**{"pattern: '": "pattern: '([a-z"}), "PCI791.check.pattern",
     "invalid regular expression", "pattern:"),
    ("duplicate code", rule_file(id="id: PCI701"), "id", "duplicate rule id PCI701", "id: PCI701"),
    ("code outside the scheme", rule_file(id="id: PCI091"), "id", "PCI<category digit",
     "id: PCI091"),
    ("code too long", rule_file(id="id: PCI7001"), "id", "PCI<category digit", "id: PCI7001"),
    ("wrong category", rule_file(**{"category: secrets": "category: logging"}), "category",
     "belongs to category", "category: logging"),
    ("wrong type", rule_file(prefilter="prefilter: 5"), "PCI791.check.prefilter", "must be a list",
     "prefilter: 5"),
    ("unknown parameter", rule_file(prefilter="prefilterz: ['x']"), "PCI791.check.prefilterz",
     "unknown parameter", "prefilterz"),
    ("bad severity", rule_file(severity="severity: severe"), "severity", "must be one of",
     "severity: severe"),
    ("template reaching into values", rule_file(message="{literal.__class__}"), "message",
     "plain name", "message:"),
    ("tab indentation", rule_file(**{"    severity: critical": "\tseverity: critical"}), None,
     "invalid YAML", "\tseverity"),
]


def _assert_one_line_error(code: int, err: str, prefix: str, fragment: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("pcilint: error: " + prefix), lines[0]
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("name,filename,content,prefix,fragment", CONFIG_CASES,
                         ids=[c[0] for c in CONFIG_CASES])
def test_broken_configuration(tmp_path, name, filename, content, prefix, fragment):
    (tmp_path / "a.py").write_text("x = 1\n")
    target = tmp_path / filename
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _out, err = run_cli(["check", "--config", filename, "a.py"], tmp_path)
    _assert_one_line_error(code, err, prefix, fragment)
    if name == "malformed yaml":
        assert re.match(r"pcilint: error: \.pcilint\.yaml:\d+: ", err)


@pytest.mark.parametrize("name,content,field,fragment,needle", RULE_CASES,
                         ids=[c[0] for c in RULE_CASES])
def test_broken_rule_file(tmp_path, name, content, field, fragment, needle):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "custom.yaml").write_text(content)
    code, _out, err = run_cli(["check", "--rules", "custom.yaml", "a.py"], tmp_path)
    line = _line_of(content, needle)
    prefix = f"custom.yaml:{line}: " + (f"{field}: " if field else "")
    _assert_one_line_error(code, err, prefix, fragment)


def test_rules_directory_with_one_broken_file_names_that_file(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a_good.yaml").write_text(rule_file())
    broken = rule_file(id="id: PCI792", **{"pattern: '": "pattern: '(?P<"})
    (rules / "b_broken.yaml").write_text(broken)
    code, _out, err = run_cli(["check", "--rules", "rules", "a.py"], tmp_path)
    _assert_one_line_error(code, err, f"rules/b_broken.yaml:{_line_of(broken, 'pattern:')}: "
                           "PCI792.check.pattern:", "invalid regular expression")


@pytest.mark.parametrize("args,prefix,fragment", [
    (["--select", "PCI999"], "--select:", "matches no rule"),
    (["--select", "FOO"], "--select:", "not a rule code"),
    (["--ignore", "PCI0"], "--ignore:", "matches no rule"),  # no family 0
    (["--rules", "missing.yaml"], "missing.yaml:", "not found"),
    (["--format", "xml"], "--format:", "unknown format"),
    (["--config", "nope.toml"], "nope.toml:", "not found"),
])
def test_bad_command_line(tmp_path, args, prefix, fragment):
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _out, err = run_cli(["check", *args, "a.py"], tmp_path)
    _assert_one_line_error(code, err, prefix, fragment)


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "custom.yaml").write_text(rule_file(kind="kind: no-such-kind"))
    code, _out, err = run_cli(["check", "--debug", "--rules", "custom.yaml", "a.py"], tmp_path)
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("pcilint: error: custom.yaml:")


def test_config_errors_never_echo_a_card_number_or_key(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / ".pcilint.yaml").write_text(
        "select: ['4242424242424242', 'sk_live_51HxAbCdEfGhIjKlMnOpQrStUv']\n")
    code, _out, err = run_cli(["check", "a.py"], tmp_path)
    assert code == 2
    assert "4242424242424242" not in err and "51HxAbCdEfGhIjKlMnOpQrStUv" not in err
    assert "4242" in err  # masked, not dropped


def test_format_spec_that_does_not_fit_the_value_does_not_crash_the_scan(tmp_path):
    (tmp_path / "a.py").write_text('k = "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"\n')
    (tmp_path / "custom.yaml").write_text(rule_file(message="{literal:>d}"))
    code, out, err = run_cli(["check", "--rules", "custom.yaml", "--select", "PCI791", "a.py"],
                             tmp_path)
    assert code == 1, err
    assert "PCI791" in out and "sk_live_…StUv" in out
