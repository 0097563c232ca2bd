"""``pcilint init``: configuration, a pre-commit hook and a CI workflow for the project it runs in.

Nothing is overwritten: a file that exists is skipped (and said so), except ``pyproject.toml``, which
gets a ``[tool.pcilint]`` section appended when it has none.  Where pcilint is installed from decides
how the hook and the CI job get it (pcilint is not on PyPI):

- installed from a git URL (``pip install "pcilint @ git+URL@COMMIT"``, recorded by pip in
  ``direct_url.json``, PEP 610), or ``--repo URL --rev COMMIT``: pre-commit installs it from that
  repository and commit, and CI runs ``pip install "pcilint @ git+URL@COMMIT"``;
- otherwise (a clone, an editable install): the hook is a ``repo: local`` hook running the
  ``pcilint`` on your PATH, and the CI install line is a placeholder to edit, said so on stderr.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER_URL = "https://github.com/your-org/pcilint"
PLACEHOLDER_REV = "<commit>"

CONFIG_TOML = """\
[tool.pcilint]
# pcilint's settings; every key is optional (see pcilint's README, "Configuration").
fail_on = "low"                  # lowest severity that fails `pcilint check`
exclude = []                     # gitignore-style paths not to scan, on top of .gitignore
warn_unused_ignores = true       # list suppression comments that suppress nothing
"""

CONFIG_YAML = """\
# pcilint's settings; every key is optional (see pcilint's README, "Configuration").
fail_on: low                     # lowest severity that fails `pcilint check`
exclude: []                      # gitignore-style paths not to scan, on top of .gitignore
warn_unused_ignores: true        # list suppression comments that suppress nothing
"""

# the same files the shipped hooks (.pre-commit-hooks.yaml) pass to pcilint, in one hook
LOCAL_FILES = (r"\.(py|html?|jinja2?|j2|djhtml|cfg|ini|toml|ya?ml|json)$|(^|/)\.env(\..*)?$"
               r"|(^|/)(Pipfile(\.lock)?|(poetry|uv|pdm)\.lock"
               r"|([^/]*[-_.])?(requirements|constraints)([-_.][^/]*)?\.txt|requirements/[^/]*\.txt)$")

PRECOMMIT_REMOTE = """\
  - repo: {url}
    rev: "{rev}"
    hooks:
      - id: pcilint              # Python files
      - id: pcilint-templates    # card <input> fields in templates
      - id: pcilint-settings     # Stripe secrets in .env/.ini/.toml/.yaml/.json
      - id: pcilint-dependencies # outdated stripe pins and locks
"""

PRECOMMIT_LOCAL = """\
  # runs the pcilint installed where you commit (pcilint is not on PyPI: pip install it from its git
  # repository, or let pre-commit install it: `pcilint init --repo URL --rev COMMIT`)
  - repo: local
    hooks:
      - id: pcilint
        name: pcilint (PCI card-data leaks)
        entry: pcilint check
        language: system
        files: '{files}'
"""

GITHUB = """\
# pcilint: card-data leaks as code-scanning alerts (SARIF) and annotations on the pull request.
name: pcilint
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
  security-events: write   # upload-sarif
jobs:
  pcilint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install "pcilint @ git+{url}@{rev}"{note}
      - name: Scan for card-data leaks
        run: >
          pcilint check .
          --format github --output -
          --format sarif --output pcilint.sarif
      - name: Upload to code scanning
        if: always()            # upload even when pcilint found something (exit 1)
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: pcilint.sarif
          category: pcilint
"""

GITLAB = """\
# pcilint: card-data leaks in the merge-request widget (Code Quality) and the Tests tab (JUnit).
pcilint:
  stage: test
  image: python:3.12-slim
  script:
    - apt-get update -qq && apt-get install -y -qq git   # pip installs pcilint from git
    - pip install "pcilint @ git+{url}@{rev}"{note}
    - >
      pcilint check .
      --format text --output -
      --format gitlab --output gl-code-quality-report.json
      --format junit --output pcilint-junit.xml
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
      junit: pcilint-junit.xml
"""

NOTE = "   # edit: your copy of pcilint and a commit (not on PyPI)"


@dataclass
class Step:
    path: str
    action: str  # "wrote", "appended", "skipped"
    why: str = ""


def install_source() -> tuple[str, str] | None:
    """(git URL, commit) when this pcilint was pip-installed from a git repository (PEP 610)."""
    from importlib import metadata

    try:
        raw = metadata.distribution("pcilint").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        data = json.loads(raw or "null")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id") and \
            isinstance(data.get("url"), str) and not data["url"].startswith("file:"):
        return data["url"], str(vcs["commit_id"])
    return None


def init_project(root: Path, ci: str = "auto", repo: str | None = None,
                 rev: str | None = None) -> tuple[list[Step], list[str]]:
    """Write what is missing under ``root``; returns the steps taken and notes for the user."""
    steps: list[Step] = []
    notes: list[str] = []
    source = (repo, rev) if repo and rev else install_source()
    steps.append(_config(root))
    steps.append(_precommit(root, source))
    if ci == "auto":
        ci = "gitlab" if (root / ".gitlab-ci.yml").exists() else "github"
    url, commit = source or (PLACEHOLDER_URL, PLACEHOLDER_REV)
    note = "" if source else NOTE
    if ci == "github":
        steps.append(_write(root, ".github/workflows/pcilint.yml",
                            GITHUB.format(url=url, rev=commit, note=note)))
    elif ci == "gitlab":
        target = ".gitlab-ci.yml"
        if (root / target).exists():
            target = ".gitlab/ci/pcilint.yml"
            notes.append(f"add `include: [{{local: {target}}}]` to .gitlab-ci.yml to run the job")
        steps.append(_write(root, target, GITLAB.format(url=url, rev=commit, note=note)))
    if not source and ci in ("github", "gitlab"):
        notes.append("pcilint is not on PyPI and was not installed from a git URL here: edit the "
                     "`pip install` line of the CI job (your copy's git URL and a commit), or rerun "
                     "`pcilint init --repo URL --rev COMMIT`")
    return steps, notes


def _write(root: Path, name: str, text: str) -> Step:
    path = root / name
    if path.exists() or path.is_symlink():
        return Step(name, "skipped", "exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as fh:  # noqa: PTH123 - never overwrite
        fh.write(text)
    return Step(name, "wrote")


def _config(root: Path) -> Step:
    for name in (".pcilint.yaml", ".pcilint.yml"):
        if (root / name).exists():
            return Step(name, "skipped", "exists (the configuration is there)")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8", errors="replace")
        if re.search(r"^\s*\[tool\.pcilint[\].]", text, re.M):
            return Step("pyproject.toml", "skipped", "already has [tool.pcilint]")
        raw = pyproject.read_bytes()
        newline = b"\r\n" if b"\r\n" in raw else b"\n"
        sep = b"" if not raw or raw.endswith(b"\n\n") or raw.endswith(b"\r\n\r\n") else (
            newline if raw.endswith(b"\n") else newline * 2)
        with open(pyproject, "ab") as fh:  # noqa: PTH123
            fh.write(sep + CONFIG_TOML.replace("\n", newline.decode()).encode())
        return Step("pyproject.toml", "appended", "[tool.pcilint]")
    return _write(root, ".pcilint.yaml", CONFIG_YAML)


def _precommit(root: Path, source: tuple[str, str] | None) -> Step:
    name = ".pre-commit-config.yaml"
    if source:
        hook = PRECOMMIT_REMOTE.format(url=source[0], rev=source[1])
    else:
        hook = PRECOMMIT_LOCAL.format(files=LOCAL_FILES)
    if (root / name).exists():
        return Step(name, "skipped", "exists; add this under `repos:`\n" + hook.rstrip())
    return _write(root, name, "repos:\n" + hook)
