"""Inline suppressions: same line, any line of a multi-line statement, the line above, file-wide."""

from __future__ import annotations

from conftest import run_cli, run_json, write_tree

K = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


def _findings(tmp_path, source):
    write_tree(tmp_path, {"app.py": source})
    return run_json(["."], cwd=tmp_path)[1]["findings"]


def test_same_line(tmp_path):
    assert _findings(tmp_path, f"A = '{K}'  # pcilint: ignore[PCI701]\n") == []


def test_prefix_code_and_reason(tmp_path):
    assert _findings(tmp_path, f"A = '{K}'  # pcilint: ignore[PCI7] -- rotated, kept for docs\n") == []


def test_other_code_does_not_suppress(tmp_path):
    assert len(_findings(tmp_path, f"A = '{K}'  # pcilint: ignore[PCI1]\n")) == 1


def test_any_line_of_a_multiline_statement(tmp_path):
    src = f"configure(\n    key='{K}',\n    debug=True,  # pcilint: ignore[PCI701]\n)\n"
    assert _findings(tmp_path, src) == []


def test_comment_alone_on_the_line_above(tmp_path):
    src = f"# pcilint: ignore[PCI701] -- fixture for the docs\nconfigure(\n    key='{K}',\n)\nB = '{K}'\n"
    found = _findings(tmp_path, src)
    assert [f["line"] for f in found] == [5]


def test_bare_ignore_suppresses_everything_on_the_line(tmp_path):
    assert _findings(tmp_path, f"A = '{K}'  # pcilint: ignore\n") == []


def test_file_wide(tmp_path):
    assert _findings(tmp_path, f"# pcilint: ignore-file[PCI7]\nA = '{K}'\nB = '{K}'\n") == []


def test_suppression_inside_a_string_is_not_a_comment(tmp_path):
    assert len(_findings(tmp_path, f"A = '{K} # pcilint: ignore'\n")) == 1


def test_warn_unused_ignores(tmp_path):
    write_tree(tmp_path, {"app.py": "x = 1  # pcilint: ignore[PCI101]\n"})
    code, out, _ = run_cli(["check", ".", "--warn-unused-ignores"], cwd=tmp_path)
    assert code == 0
    assert "app.py:1: unused suppression (PCI101)" in out


def test_settings_file_suppression(tmp_path):
    write_tree(tmp_path, {".env.example": f"# pcilint: ignore[PCI701]\nSTRIPE_KEY={K}\nOTHER={K}\n"})
    found = run_json(["."], cwd=tmp_path)[1]["findings"]
    assert [f["line"] for f in found] == [3]
