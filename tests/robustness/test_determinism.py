"""The same tree gives byte-identical JSON (apart from duration_s and the report's time) with --jobs 1 and --jobs N, and
across runs."""

from __future__ import annotations

import re

import pcilint.engine as engine
from conftest import run_cli

from robust_helpers import LIVE_KEY


def _tree(root):
    for i in range(30):
        d = root / f"pkg{i % 4}"
        d.mkdir(exist_ok=True)
        body = f"x_{i} = {i}\n" * (i % 7)
        if i % 3 == 0:
            body += f'KEY = "{LIVE_KEY}"\nOTHER = "{LIVE_KEY}"  # pcilint: ignore[PCI701]\n'
        if i % 5 == 0:
            body += "def broken(:\n"
        if i % 8 == 0:
            body += "# pcilint: ignore[PCI701]\ny = 1\n"
        (d / f"mod_{i:02d}.py").write_text(body)
    (root / "conf.env").write_text(f"STRIPE={LIVE_KEY}\n")
    (root / "latin.py").write_bytes(b"n = '\xe9'\n")


def _json(root, jobs: int) -> str:
    code, out, err = run_cli(["check", "--format", "json", "--warn-unused-ignores", "--jobs",
                              str(jobs), "."], root)
    assert code == 1, err
    out = re.sub(r'"generated_at": "[^"]+"', '"generated_at": ""', out)  # the report's time
    return re.sub(r'"duration_s": [0-9.e+-]+', '"duration_s": 0', out)


def test_json_is_identical_across_job_counts_and_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    _tree(tmp_path)
    first = _json(tmp_path, 1)
    assert '"errors": [\n    {' in first  # the tree has errors and findings to order
    assert first == _json(tmp_path, 2)
    assert first == _json(tmp_path, 1)
    assert first == _json(tmp_path, 2)
