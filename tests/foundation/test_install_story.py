"""What a new user copies from the README works as written (issue 18 §3).

* the README's pre-commit block, run by the real pre-commit against a local clone of this repository
  (its `repo:` and `rev:` placeholders replaced by the clone's path and commit, nothing else);
* no install instruction names a package that is not on PyPI, no link in the SARIF output points at a
  page that does not exist, and every relative link in the README resolves inside the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _readme_block(after_heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {after_heading}\n", 1)[1]
    return re.search(r"```yaml\n(.*?)```", section, re.S).group(1)


def test_no_doc_installs_a_package_that_is_not_on_the_index():
    for doc in DOCS:
        for lineno, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            assert not re.search(r"pip install pcilint\b(?![ @])", line), f"{doc.name}:{lineno}: {line}"


def test_no_doc_pins_a_tag_that_does_not_exist():
    tags = subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for doc in DOCS:
        for rev in re.findall(r"^\s*rev:\s*\"?([^\s\"]+)", doc.read_text(encoding="utf-8"), re.M):
            assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev in tags, f"{doc.name}: rev {rev}"


def test_readme_relative_links_resolve_inside_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        resolved = (REPO / target).resolve()
        assert resolved.is_relative_to(REPO.resolve()), target
        assert resolved.exists(), target


def test_sarif_links_only_to_pages_that_exist(tmp_path):
    (tmp_path / "app.py").write_text(f"KEY = '{KEY}'\n")
    out = subprocess.run([sys.executable, "-m", "pcilint", "check", str(tmp_path), "--format", "sarif",
                          "--no-cache"], capture_output=True, text=True)
    driver = json.loads(out.stdout)["runs"][0]["tool"]["driver"]
    assert "pypi.org/project/pcilint" not in json.dumps(driver)
    assert "informationUri" not in driver  # an editable install: no home page to name


@pytest.mark.parametrize("source,home", [
    (("https://github.com/acme/pcilint.git", "a" * 40), "https://github.com/acme/pcilint"),
    (("https://git.example.org/sec/pcilint", "a" * 40), "https://git.example.org/sec/pcilint"),
    (("https://user:token@github.com/acme/pcilint", "a" * 40), None),  # never a credential
    (("ssh://git@github.com/acme/pcilint", "a" * 40), None),
    (None, None),
])
def test_sarif_information_uri_is_the_repository_pcilint_was_installed_from(monkeypatch, source,
                                                                             home):
    from pcilint import projectinit
    from pcilint.reporters import sarif

    monkeypatch.setattr(projectinit, "install_source", lambda: source)
    assert sarif._home_page() == home


@pytest.mark.slow
def test_readme_precommit_config_runs_as_written(tmp_path):
    if not shutil.which("git"):
        pytest.skip("git is needed")
    exe = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    if not Path(exe).exists() and not shutil.which(exe):
        pytest.skip("pre-commit is not installed")
    clone = tmp_path / "pcilint-clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True,
                            text=True).stdout.strip()

    config = yaml.safe_load(_readme_block("pre-commit"))
    (entry,) = config["repos"]
    assert re.fullmatch(r"[0-9a-f]{40}", str(entry["rev"])), "the README pins a commit"
    entry["repo"], entry["rev"] = str(clone), commit   # the only two placeholders

    project = tmp_path / "project"
    project.mkdir()
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "home"), PRE_COMMIT_COLOR="never",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    (project / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    (project / "requirements.txt").write_text("stripe==2.55.0\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True)

    run = subprocess.run([exe, "run", "--all-files"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PCI701" in run.stdout and "PCI901" in run.stdout, run.stdout
    assert KEY not in run.stdout + run.stderr

    (project / "settings.py").write_text("import os\nSTRIPE_KEY = os.environ['STRIPE_KEY']\n")
    (project / "requirements.txt").write_text("stripe>=16,<17\n")
    again = subprocess.run([exe, "run", "--all-files"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=900)
    assert again.returncode == 0, again.stdout + again.stderr


def _ci_doc_commands() -> list[str]:
    """Every `pcilint check` command of docs/ci.md's YAML recipes that needs no CI variable."""
    import textwrap

    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        data = yaml.safe_load(textwrap.dedent(block))
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack += list(item.values())
            elif isinstance(item, list):
                stack += item
            elif isinstance(item, str) and item.strip().startswith("pcilint check") \
                    and "$" not in item:
                commands.append(" ".join(item.split()))
    return commands


def test_ci_doc_scan_commands_run_as_written(tmp_path):
    import shlex

    commands = _ci_doc_commands()
    assert len(commands) >= 2  # GitHub Actions and GitLab CI
    (tmp_path / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    for command in commands:
        run = subprocess.run(shlex.split(command), cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 1, (command, run.stdout + run.stderr)
        assert "PCI701" in run.stdout and KEY not in run.stdout + run.stderr, command
        for out in re.findall(r"--output (\S+)", command):
            if out != "-":
                report = (tmp_path / out).read_text()
                assert "PCI701" in report and KEY not in report, (command, out)
