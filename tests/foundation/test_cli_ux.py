"""What a new user meets at the command line (issue 18 §3): colour, forgiving --format, the rule
list as JSON and by family, and help text on every option."""

from __future__ import annotations

import io
import json

import click
import pytest

from conftest import run_cli, write_tree
from pcilint.cli import main, use_color

LIVE = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"
ESC = "\x1b["


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("choice,env,tty,expected", [
    ("auto", {}, True, True),
    ("auto", {}, False, False),                  # a pipe or a file: never coloured
    ("auto", {"NO_COLOR": "1"}, True, False),    # https://no-color.org
    ("auto", {"TERM": "dumb"}, True, False),
    ("never", {}, True, False),
    ("always", {}, False, True),                 # `| less -R`
    ("always", {"NO_COLOR": "1"}, True, True),   # an explicit flag beats the environment
    ("AUTO", {}, True, True),
])
def test_colour_decision(monkeypatch, choice, env, tty, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = _Tty() if tty else io.StringIO()
    assert use_color(choice, stream) is expected


def test_text_report_is_coloured_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    write_tree(tmp_path, {"app.py": f"KEY = '{LIVE}'\n"})
    _, plain, _ = run_cli(["check", "--no-cache", "."], tmp_path)  # not a terminal
    assert ESC not in plain and "app.py:1:7: PCI701 [critical]" in plain
    _, coloured, _ = run_cli(["check", "--no-cache", "--color", "always", "."], tmp_path)
    assert f"{ESC}31m" in coloured and click.unstyle(coloured).splitlines()[0] == \
        plain.splitlines()[0]
    assert LIVE not in coloured
    # a report written to a file is never coloured, and neither is another format
    run_cli(["check", "--no-cache", "--color", "always", "-o", "out.txt", "."], tmp_path)
    assert ESC not in (tmp_path / "out.txt").read_text()
    _, js, _ = run_cli(["check", "--no-cache", "--color", "always", "--format", "json", "."],
                       tmp_path)
    assert ESC not in js and json.loads(js)["findings"]


def test_format_and_fail_on_are_case_insensitive(tmp_path):
    write_tree(tmp_path, {"app.py": f"KEY = '{LIVE}'\n"})
    code, out, _ = run_cli(["check", "--no-cache", "--format", "JSON", "--fail-on", "Critical",
                            "."], tmp_path)
    assert code == 1 and json.loads(out)["findings"][0]["rule_id"] == "PCI701"
    code, _, err = run_cli(["check", "--no-cache", "--format", "yaml", "."], tmp_path)
    assert code == 2 and "unknown format 'yaml'" in err


def test_rules_as_json():
    code, out, _ = run_cli(["rules", "--format", "json"])
    rules = json.loads(out)
    assert code == 0 and len(rules) >= 40
    by_id = {r["id"]: r for r in rules}
    assert by_id["PCI501"]["autofix"] == {"kind": "https-url", "safety": "safe"}
    assert by_id["PCI201"]["autofix"] is None
    assert set(by_id["PCI101"]) >= {"id", "name", "category", "severity", "pci_dss", "summary"}


@pytest.mark.parametrize("selector", ["PCI6", "pci6", "webhook"])
def test_rule_family_or_category_lists_its_rules(selector):
    code, out, _ = run_cli(["rule", selector])
    codes = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and codes and all(c.startswith("PCI6") for c in codes)
    assert "PCI601" in codes and "PCI607" in codes
    _, listed, _ = run_cli(["rules", selector])
    assert listed == out


def test_rule_code_still_shows_the_page_and_unknowns_fail():
    code, out, _ = run_cli(["rule", "PCI701"])
    assert code == 0 and out.startswith("PCI701 stripe-live-secret-key")
    code, _, err = run_cli(["rule", "PCI999"])
    assert code == 2 and "no rule 'PCI999'" in err
    code, _, err = run_cli(["rules", "PCI99"])
    assert code == 2


def _commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_option_of_every_command_has_help():
    missing = []
    for name, command in [("", main), *_commands(main)]:
        assert command.help, f"`pcilint {name}` has no docstring"
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"pcilint {name} {param.opts[0]}")
    assert not missing, missing


def test_shell_completion_script_is_generated():
    from click.testing import CliRunner

    result = CliRunner().invoke(main, [], prog_name="pcilint",
                                env={"_PCILINT_COMPLETE": "bash_source"})
    assert "_pcilint_completion" in result.output
    assert "complete -o nosort -F _pcilint_completion pcilint" in result.output
