"""`pcilint init` (issue 18 §3): configuration, pre-commit hook and CI workflow, never overwriting;
the hook it writes is run by the real pre-commit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli
from pcilint.config import find_config, load_config

KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


def _init(root: Path, *args: str):
    return run_cli(["init", *args], root)


def test_init_in_an_empty_project_writes_yaml_config_hook_and_github_workflow(tmp_path):
    code, _, err = _init(tmp_path)
    assert code == 0
    assert "wrote .pcilint.yaml" in err and "wrote .pre-commit-config.yaml" in err
    assert "wrote .github/workflows/pcilint.yml" in err
    settings = load_config(find_config(tmp_path))
    assert settings.fail_on == "low" and settings.warn_unused_ignores == "warn"
    workflow = yaml.safe_load((tmp_path / ".github/workflows/pcilint.yml").read_text())
    steps = workflow["jobs"]["pcilint"]["steps"]
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
    assert any("--format sarif --output pcilint.sarif" in s.get("run", "") for s in steps)
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks[0]["repo"] == "local" and hooks[0]["hooks"][0]["entry"] == "pcilint check"
    # the placeholder install line is said to need editing
    assert "edit the `pip install` line" in err


def test_init_appends_to_pyproject_and_never_overwrites(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(b'[project]\r\nname = "shop"\r\n')
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "pcilint.yml").write_text("# mine\n")
    code, _, err = _init(tmp_path)
    assert code == 0
    text = pyproject.read_bytes()
    assert text.startswith(b'[project]\r\nname = "shop"\r\n\r\n[tool.pcilint]\r\n')
    assert b"\n" not in text.replace(b"\r\n", b"")  # the file's CRLF kept
    assert load_config(find_config(tmp_path)).source.endswith("pyproject.toml")
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert (tmp_path / ".github/workflows/pcilint.yml").read_text() == "# mine\n"
    assert "skipped .pre-commit-config.yaml (exists; add this under `repos:`" in err
    assert "skipped .github/workflows/pcilint.yml (exists)" in err
    # a second run changes nothing and says why
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = _init(tmp_path)
    assert "skipped pyproject.toml (already has [tool.pcilint])" in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_init_for_gitlab_writes_code_quality_job_or_an_include(tmp_path):
    code, _, err = _init(tmp_path, "--ci", "gitlab", "--repo", "https://git.example.org/sec/pcilint",
                         "--rev", "a" * 40)
    job = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())["pcilint"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert any(f'pip install "pcilint @ git+https://git.example.org/sec/pcilint@{"a" * 40}"' == s
               for s in job["script"])
    assert "edit the" not in err
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert hooks[0]["repo"] == "https://git.example.org/sec/pcilint" and hooks[0]["rev"] == "a" * 40
    # an existing .gitlab-ci.yml is kept; the job goes to a file to include (auto picks GitLab)
    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    code, _, err = _init(other)
    assert (other / ".gitlab-ci.yml").read_text() == "test:\n  script: [make test]\n"
    assert "pcilint" in yaml.safe_load((other / ".gitlab/ci/pcilint.yml").read_text())
    assert "include: [{local: .gitlab/ci/pcilint.yml}]" in err


def test_init_refuses_half_a_pin(tmp_path):
    code, _, err = _init(tmp_path, "--repo", "https://example.org/x")
    assert code == 2 and "--repo and --rev go together" in err
    assert not any(tmp_path.iterdir())


def _precommit() -> str | None:
    exe = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
    return exe if Path(exe).exists() or shutil.which(exe) else None


def _git_project(root: Path) -> dict[str, str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(root.parent / "pc-home"), PRE_COMMIT_COLOR="never",
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, env=env)
    return env


def test_the_local_hook_init_writes_runs_in_pre_commit(tmp_path):
    exe = _precommit()
    if exe is None or not shutil.which("git"):
        pytest.skip("pre-commit and git are needed")
    project = tmp_path / "project"
    project.mkdir()
    env = _git_project(project)
    _init(project)
    (project / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    (project / "requirements.txt").write_text("stripe==2.55.0\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True, env=env)
    run = subprocess.run([exe, "run", "--all-files"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PCI701" in run.stdout and "PCI901" in run.stdout
    assert KEY not in run.stdout + run.stderr
    (project / "settings.py").write_text("import os\nSTRIPE_KEY = os.environ['STRIPE_KEY']\n")
    (project / "requirements.txt").write_text("stripe>=16,<17\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True, env=env)
    again = subprocess.run([exe, "run", "--all-files"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.slow
def test_the_pinned_hook_init_writes_runs_in_pre_commit_from_a_clone(tmp_path):
    exe = _precommit()
    if exe is None or not shutil.which("git"):
        pytest.skip("pre-commit and git are needed")
    clone = tmp_path / "pcilint-clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, check=True,
                            capture_output=True, text=True).stdout.strip()
    project = tmp_path / "project"
    project.mkdir()
    env = _git_project(project)
    _init(project, "--repo", str(clone), "--rev", commit, "--ci", "none")
    assert not (project / ".github").exists()
    (project / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    subprocess.run(["git", "add", "."], cwd=project, check=True, env=env)
    run = subprocess.run([exe, "run", "--all-files"], cwd=project, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PCI701" in run.stdout and KEY not in run.stdout + run.stderr


def test_init_pins_the_git_url_pcilint_was_installed_from(tmp_path, monkeypatch):
    from pcilint import projectinit

    monkeypatch.setattr(projectinit, "install_source",
                        lambda: ("https://github.com/acme/pcilint", "b" * 40))
    code, _, err = _init(tmp_path)
    assert code == 0 and "edit the" not in err
    (hook,) = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())["repos"]
    assert (hook["repo"], hook["rev"]) == ("https://github.com/acme/pcilint", "b" * 40)
    assert [h["id"] for h in hook["hooks"]] == ["pcilint", "pcilint-templates", "pcilint-settings",
                                                "pcilint-dependencies"]
    workflow = (tmp_path / ".github/workflows/pcilint.yml").read_text()
    assert f'pip install "pcilint @ git+https://github.com/acme/pcilint@{"b" * 40}"\n' in workflow


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_the_ci_scan_command_init_writes_runs_as_written(tmp_path, ci):
    """The job's pcilint command, exactly as written in the generated file, run by a shell in the
    project (the install step and the upload are the CI service's part)."""
    import json
    import shlex

    _init(tmp_path, "--ci", ci)
    if ci == "github":
        steps = yaml.safe_load((tmp_path / ".github/workflows/pcilint.yml").read_text())[
            "jobs"]["pcilint"]["steps"]
        command = next(s["run"] for s in steps if s.get("name") == "Scan for card-data leaks")
        reports = {"pcilint.sarif": "runs"}
    else:
        script = yaml.safe_load((tmp_path / ".gitlab-ci.yml").read_text())["pcilint"]["script"]
        command = next(line for line in script if line.startswith("pcilint check"))
        reports = {"gl-code-quality-report.json": None, "pcilint-junit.xml": None}
    (tmp_path / "settings.py").write_text(f"STRIPE_KEY = '{KEY}'\n")
    argv = shlex.split(command)
    assert argv[:2] == ["pcilint", "check"]
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    run = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr  # the job fails on the leak
    assert "PCI701" in run.stdout and KEY not in run.stdout + run.stderr
    for name, key in reports.items():
        text = (tmp_path / name).read_text()
        assert "PCI701" in text and KEY not in text
        if key:
            assert json.loads(text)[key][0]["results"]
