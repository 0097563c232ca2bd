"""What git knows about the scanned code, for the report's evidence: the revision scanned (commit,
branch, uncommitted changes) and who last changed a suppression's line, and when (``git blame``).

Everything here is best effort: outside a git work tree, without git, or on any git error the answer
is "not known" (None / empty), never an error of the scan.  Only what we ask for is read: one
``git blame --porcelain`` per file holding a suppression, limited to those lines.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

GIT_TIMEOUT = 30


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", "--no-pager", *args], cwd=cwd,
                              capture_output=True, timeout=GIT_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Revision:
    commit: str
    branch: str | None  # None: detached HEAD
    dirty: bool  # tracked files changed (staged or not) or untracked files present

    def describe(self) -> str:
        where = f"branch {self.branch}" if self.branch else "detached HEAD"
        state = "with uncommitted changes" if self.dirty else "clean working tree"
        return f"{self.commit[:12]} ({where}, {state})"

    def to_json(self) -> dict[str, object]:
        return {"commit": self.commit, "branch": self.branch, "dirty": self.dirty}


def revision(path: Path) -> Revision | None:
    """The revision of the git work tree holding ``path`` (None outside one)."""
    cwd = path if path.is_dir() else path.parent
    commit = _git(["rev-parse", "--verify", "-q", "HEAD"], cwd)
    if not commit:
        return None
    branch = _git(["symbolic-ref", "-q", "--short", "HEAD"], cwd)
    status = _git(["status", "--porcelain", "--untracked-files=normal", "--", "."], cwd)
    return Revision(commit.strip(), (branch or "").strip() or None,
                    dirty=bool(status and status.strip()))


def blame(path: Path, lines: list[int]) -> dict[int, tuple[str, str]]:
    """line -> (author, ISO date) for the committed ``lines`` of ``path``; uncommitted lines and
    files git does not track are left out."""
    wanted = sorted({n for n in lines if n > 0})
    if not wanted:
        return {}
    args = ["blame", "--porcelain", "-w"]
    for n in wanted:
        args += ["-L", f"{n},{n}"]
    out = _git([*args, "--", path.name], path.parent)
    if out is None:
        return {}
    line_sha: dict[int, str] = {}
    commits: dict[str, dict[str, str]] = {}
    sha = ""
    for row in out.splitlines():
        if row.startswith("\t"):
            continue
        head = row.split(" ")
        if len(head) >= 3 and len(head[0]) == 40 and all(c in "0123456789abcdef" for c in head[0]) \
                and head[2].isdigit():
            sha = head[0]
            commits.setdefault(sha, {"_sha": sha})
            line_sha[int(head[2])] = sha
            continue
        key, _, value = row.partition(" ")
        if sha and key in ("author", "author-time"):
            commits[sha][key] = value
    result = {}
    for n, sha in line_sha.items():
        who = _who(commits[sha])
        if who[0]:
            result[n] = who
    return result


def _who(info: dict[str, str]) -> tuple[str, str]:
    if info.get("_sha") == "0" * 40:
        return ("", "")
    author = info.get("author", "")
    try:
        when = datetime.fromtimestamp(int(info["author-time"]), timezone.utc).date().isoformat()
    except (KeyError, ValueError, OverflowError, OSError):
        when = ""
    return (author, when)
