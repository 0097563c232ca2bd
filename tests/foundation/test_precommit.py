"""The real pre-commit framework runs the hook from this checkout (`pre-commit try-repo`).

It installs pcilint into pre-commit's own environment from this repository, so it needs PyPI access
for the dependencies (CI has it). It fails on a staged bad file and passes on a clean one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow

KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def precommit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


def _try_repo(repo: Path, home: Path, *files: str, hook: str = "pcilint"
              ) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    exe = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    return subprocess.run([exe, "try-repo", str(REPO), hook, "--files", *files],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600)


def test_hook_fails_on_bad_file_and_passes_on_clean_one(tmp_path, precommit_home):
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    (repo / "clean.py").write_text("import os\nSTRIPE_KEY = os.environ['STRIPE_KEY']\n")
    _git(repo, "add", ".")

    bad = _try_repo(repo, precommit_home, "settings.py")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "PCI701" in bad.stdout
    assert KEY not in bad.stdout + bad.stderr

    good = _try_repo(repo, precommit_home, "clean.py")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


def test_dependency_hook_checks_the_staged_manifests(tmp_path, precommit_home):
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "requirements.txt").write_text("flask==3.0.3\nstripe==2.55.0\n")
    (repo / "poetry.lock").write_text('[[package]]\nname = "stripe"\nversion = "16.1.0"\n')
    _git(repo, "add", ".")

    bad = _try_repo(repo, precommit_home, "requirements.txt", hook="pcilint-dependencies")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "requirements.txt:2:1: PCI901" in bad.stdout

    good = _try_repo(repo, precommit_home, "poetry.lock", hook="pcilint-dependencies")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
