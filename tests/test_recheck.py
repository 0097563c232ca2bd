"""``Scanner.recheck``: one file checked again against the last full scan (the editor server's path)
reports exactly what a full scan of the tree with that text would."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcilint.config import find_config, load_config
from pcilint.engine import Options, ProjectState, Scanner

ROOT = Path(__file__).resolve().parent.parent
TREES = [ROOT / "examples" / "demo_shop", ROOT / "tests" / "fixtures" / "flow",
         ROOT / "tests" / "fixtures" / "webhooks"]


def shown(findings: list) -> list[tuple]:
    return sorted((f.path, f.line, f.column, f.end_line, f.end_column, f.rule_id, f.message)
                  for f in findings)


def scan(tree: Path, state: ProjectState | None = None):
    scanner = Scanner(load_config(find_config(tree)), Options(jobs=1, cache_dir=None))
    return scanner, scanner.scan([tree], cwd=tree, state=state)


@pytest.fixture
def in_tree(monkeypatch: pytest.MonkeyPatch):
    def enter(tree: Path) -> Path:
        monkeypatch.chdir(tree)
        return tree
    return enter


@pytest.mark.parametrize("tree", TREES, ids=lambda p: p.name)
def test_rechecking_an_unchanged_file_gives_the_full_scans_findings(tree: Path, in_tree) -> None:
    in_tree(tree)
    state = ProjectState()
    scanner, result = scan(tree, state)
    assert result.findings  # (a tree with something to find)
    for path in sorted(p for p in state.sources if p.endswith(".py")):
        text = (tree / path).read_text(encoding="utf-8")
        again = scanner.recheck(state, path, text)
        assert shown(again.findings) == shown(f for f in result.findings if f.path == path), path


def test_an_edit_in_one_file_changes_the_cross_module_findings_of_another(
        tmp_path: Path, in_tree) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("")
    (shop / "audit.py").write_text('import logging\n\nlogger = logging.getLogger("audit")\n\n\n'
                                   "def record(event, value):\n"
                                   '    logger.info("%s: %s", event, value)\n')
    (shop / "views.py").write_text("from shop.audit import record\n\n\ndef pay(request):\n"
                                   '    token = request.POST["token"]\n'
                                   '    record("payment", token)\n')
    in_tree(tmp_path)
    state = ProjectState()
    scanner, result = scan(tmp_path, state)
    assert result.findings == []
    leaky = (shop / "views.py").read_text().replace('request.POST["token"]',
                                                     'request.POST["card_number"]')
    own = scanner.recheck(state, "shop/views.py", leaky, also=["shop/audit.py"])
    # what a full scan with the edit saved reports, in both files
    (shop / "views.py").write_text(leaky)
    _, full = scan(tmp_path)
    assert shown(own.findings) == shown(full.findings)
    assert {f.path for f in own.findings} == {"shop/views.py", "shop/audit.py"}


def test_a_new_import_brings_in_a_file_the_scan_did_not_analyse(tmp_path: Path, in_tree) -> None:
    # helpers.py has no card words: the prefilter leaves it out of the first scan
    (tmp_path / "helpers.py").write_text("import logging\n\n\ndef note(value):\n"
                                         "    logging.getLogger('x').warning('%s', value)\n")
    (tmp_path / "views.py").write_text("def pay(request):\n    return request.POST['token']\n")
    in_tree(tmp_path)
    state = ProjectState()
    scanner, _ = scan(tmp_path, state)
    edited = ("from helpers import note\n\n\ndef pay(request):\n"
              "    card_number = request.POST['card_number']\n    note(card_number)\n")
    again = scanner.recheck(state, "views.py", edited, also=["helpers.py"])
    (tmp_path / "views.py").write_text(edited)
    _, full = scan(tmp_path)
    assert shown(again.findings) == shown(full.findings)
    assert any(f.path == "helpers.py" and f.rule_id == "PCI101" for f in again.findings)


def test_a_file_that_does_not_parse_is_an_error_not_an_exception(tmp_path: Path, in_tree) -> None:
    (tmp_path / "ok.py").write_text("X = 1\n")
    in_tree(tmp_path)
    state = ProjectState()
    scanner, _ = scan(tmp_path, state)
    result = scanner.recheck(state, "ok.py", "def f(:\n")
    assert [e.path for e in result.errors] == ["ok.py"]
    assert "syntax error at line 1" in result.errors[0].message
    deep = scanner.recheck(state, "ok.py", "x = " + "[" * 3000 + "]" * 3000 + "\n")
    assert deep.errors and deep.findings == []
