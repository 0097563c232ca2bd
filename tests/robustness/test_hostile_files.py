"""Hostile source files: each is reported under `errors` (or scanned correctly) and the scan completes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import pcilint.engine as engine
from pcilint.config import Settings
from pcilint.discovery import SourceFile, discover
from pcilint.engine import Options, Scanner, decode_source

from conftest import run_cli
from robust_helpers import KEY_BODY, LIVE_KEY, hostile_tree, run_scan_json


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    return root, hostile_tree(root)


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_hostile_file_is_reported_and_the_scan_completes(tree, jobs, monkeypatch):
    root, expect = tree
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)  # use the worker pool even for this tree
    code, doc, err = run_scan_json(["--jobs", str(jobs), "."], root)
    assert code == 1, err  # the secrets in the readable files are found
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    found = {f["path"] for f in doc["findings"] if f["rule_id"] == "PCI701"}
    for path, fragment in expect.items():
        if fragment is None:
            assert path in found, (path, errors.get(path))
            assert path not in errors
        elif fragment:
            assert path in errors, path
            assert fragment in errors[path], (path, errors[path])
    assert "alias_of_good.py" not in found | set(errors)  # the symlinked copy is scanned once
    for message in errors.values():
        assert "\n" not in message and len(message) <= 300
        assert KEY_BODY not in message
    # no file is lost: every discovered file was scanned or reported
    kinds = Scanner(Settings(), Options()).kinds
    files, _ = discover([root], kinds, [], root, root)
    file_errors = [p for p in errors if not p.startswith("loop_")]
    assert doc["summary"]["files_scanned"] + len(file_errors) == len(files)


def test_crlf_and_bom_files_report_the_right_line(tree):
    root, _ = tree
    code, doc, _ = run_scan_json(["--jobs", "1", "crlf.py", "bom.py", "cr_only.py"], root)
    lines = {f["path"]: f["line"] for f in doc["findings"]}
    assert lines == {"crlf.py": 2, "bom.py": 1, "cr_only.py": 2}


def test_deep_but_legal_nesting_is_still_analysed_in_process(tmp_path):
    # Just under the guard's limits: CPython accepts these, so pcilint must analyse them, in the
    # main process too (where the recursion limit is Python's default).
    scanner = Scanner(Settings(), Options(jobs=1))
    before = sys.getrecursionlimit()
    cases = ["x = " + "[" * 190 + "]" * 190, "x = a" + ".b" * 250, "x = " + "not " * 250 + "y",
             "x = " + " + ".join(["1"] * 250), "x = " + "(" * 190 + "1" + ")" * 190,
             "x = " + "{'k': " * 190 + "1" + "}" * 190, "x = f" + "(a)" * 250]
    for i, code in enumerate(cases):
        text = code + f"\nk = '{LIVE_KEY}'\n" + "# padding\n" * 300
        path = tmp_path / f"deep{i}.py"
        path.write_text(text)
        result = scanner.analyze_file(SourceFile(path, path.name, "python", len(text)))
        assert result.error is None, (code[:20], result.error)
        assert [f.rule_id for f in result.findings] == ["PCI701"]
    assert sys.getrecursionlimit() == before  # the head-room given to the analysis is taken back


def test_unreadable_file_is_reported(tmp_path, monkeypatch):
    # Tests run as root, where chmod 000 does not stop reading: simulate the permission error.
    (tmp_path / "secret.py").write_text("x = 1\n")
    (tmp_path / "ok.py").write_text(f"k = '{LIVE_KEY}'\n")
    import pcilint.safeio as safeio

    real = safeio.read_bytes

    def read_bytes(path, *args, **kwargs):
        if Path(path).name == "secret.py":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(safeio, "read_bytes", read_bytes)
    code, doc, _ = run_scan_json(["--jobs", "1", "."], tmp_path)
    assert doc["errors"] == [{"path": "secret.py", "message": "cannot read: Permission denied"}]
    assert [f["path"] for f in doc["findings"]] == ["ok.py"]


def test_unlistable_directory_is_reported(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text("x = 1\n")
    (tmp_path / "ok.py").write_text("x = 1\n")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    code, doc, _ = run_scan_json(["--jobs", "1", "."], tmp_path)
    assert code == 1  # fails closed: a directory nobody read
    assert doc["errors"] == [{"path": "locked", "message": "cannot list directory: Permission denied"}]
    assert doc["summary"]["files_scanned"] == 1


def test_file_deleted_between_discovery_and_analysis(tmp_path, monkeypatch):
    (tmp_path / "gone.py").write_text("x = 1\n")
    (tmp_path / "stays.py").write_text("x = 1\n")
    real_discover = engine.discover

    def discover_then_delete(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (tmp_path / "gone.py").unlink()
        return found

    monkeypatch.setattr(engine, "discover", discover_then_delete)
    code, doc, _ = run_scan_json(["--jobs", "1", "."], tmp_path)
    assert doc["errors"] == [{"path": "gone.py", "message": "file disappeared during the scan"}]
    assert doc["summary"]["files_scanned"] == 1


def test_missing_path_on_the_command_line_is_a_usage_error(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    code, out, err = run_cli(["check", "--jobs", "1", "a.py", "no such.py"], tmp_path)
    assert code == 2 and "no such file or directory: no such.py" in err and not out


@pytest.mark.parametrize("data,kind,fragment", [
    (b"\xff\xfeS\x00K\x00", "settings", None),  # UTF-16 with BOM decodes for text files
    ("x = 1\n".encode("utf-32"), "python", "UTF-32"),
    (b"# vim: set fileencoding=cp1252 :\nx = '\x80'\n", "python", None),
    (b"#!/usr/bin/env python\n# -*- coding: iso-8859-15 -*-\nx = '\xa4'\n", "python", None),
    (b"\n\n# coding: latin-1\nx = '\xe9'\n", "python", "cannot decode"),  # cookie only on lines 1-2
    (b"x = 1\n" * 5000 + b"\x00", "template", "NUL byte at line 5001"),
])
def test_decode_source(data, kind, fragment):
    text, problem = decode_source(data, kind)
    if fragment is None:
        assert text is not None and problem == ""
    else:
        assert text is None and fragment in problem and "\n" not in problem
