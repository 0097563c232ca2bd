"""Which lines changed since a git revision (``pcilint check --diff REV``).

``git diff -U0 REV`` (working tree against REV, staged and unstaged) gives the added and modified
lines of each file; untracked files (not ignored) count as changed throughout.  Renames are followed,
so a moved file is not "all new".  The user's git configuration cannot change the output we parse
(prefixes, colour, external diff drivers and textconv are all forced off).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from pcilint.errors import PcilintError

HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
GIT_TIMEOUT = 120


@dataclass
class ChangedLines:
    """Changed lines per file (absolute, symlink-resolved paths); ``None`` = the whole file."""

    rev: str
    files: dict[str, set[int] | None] = field(default_factory=dict)

    def _key(self, path: str, cwd: Path) -> str:
        p = Path(path)
        return os.path.realpath(p if p.is_absolute() else cwd / p)

    def file_changed(self, path: str, cwd: Path) -> bool:
        return self._key(path, cwd) in self.files

    def touches(self, path: str, lines: Iterable[int], cwd: Path) -> bool:
        key = self._key(path, cwd)
        if key not in self.files:
            return False
        changed = self.files[key]
        return changed is None or any(line in changed for line in lines)


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                              capture_output=True, timeout=GIT_TIMEOUT,
                              env={**os.environ, "GIT_EXTERNAL_DIFF": "", "LC_ALL": "C"})
    except FileNotFoundError:
        raise PcilintError("--diff needs git, and git was not found on PATH", field="--diff") from None
    except subprocess.TimeoutExpired:
        raise PcilintError(f"git {args[0]} took longer than {GIT_TIMEOUT} s", field="--diff") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PcilintError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}",
                           field="--diff")
    return proc.stdout


def unquote_path(raw: bytes) -> str:
    """A path as git prints it: C-quoted (``"a\\303\\244.py"``) when it has special characters."""
    if not raw.startswith(b'"'):
        return raw.decode("utf-8", "surrogateescape")
    body = raw[1:-1] if raw.endswith(b'"') else raw[1:]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == 0x5C and i + 1 < len(body):  # backslash
            nxt = chr(body[i + 1])
            if nxt in "01234567":
                out.append(int(body[i + 1: i + 4], 8) & 0xFF)
                i += 4
                continue
            out.append(_ESCAPES.get(nxt, ord(nxt)))
            i += 2
            continue
        out.append(ch)
        i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_diff(output: bytes) -> dict[str, set[int] | None]:
    """File (relative to the repository root) -> added/modified line numbers in the new version."""
    files: dict[str, set[int] | None] = {}
    current: str | None = None
    for line in output.split(b"\n"):
        if line.startswith(b"diff --git "):
            current = None
        elif line.startswith(b"+++ "):
            target = line[4:].rstrip(b"\r")
            if target == b"/dev/null":
                current = None  # deleted file
                continue
            name = unquote_path(target)
            current = name[2:] if name.startswith("b/") else name
            files.setdefault(current, set())
        elif line.startswith(b"@@") and current is not None:
            m = HUNK.match(line)
            if not m:
                continue
            start = int(m.group(1))
            count = int(m.group(2)) if m.group(2) is not None else 1
            lines = files[current]
            if lines is not None:
                lines.update(range(start, start + count))
    return files


def changed_lines(rev: str, cwd: Path | None = None) -> ChangedLines:
    """The lines changed since ``rev`` in the git work tree that holds ``cwd``."""
    cwd = cwd or Path.cwd()
    if not rev or rev.startswith("-"):
        raise PcilintError(f"not a git revision: {rev!r}", field="--diff")
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).decode("utf-8", "surrogateescape").strip())
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd)
    except PcilintError:
        raise PcilintError(f"unknown git revision {rev!r}", field="--diff") from None
    diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "--find-renames",
                 "--src-prefix=a/", "--dst-prefix=b/", "--ignore-submodules", rev, "--"], top)
    result = ChangedLines(rev)
    root = os.path.realpath(top)
    for rel, lines in parse_diff(diff).items():
        result.files[os.path.join(root, rel)] = lines
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"], top)
    for raw in untracked.split(b"\0"):
        if raw:
            result.files[os.path.join(root, raw.decode("utf-8", "surrogateescape"))] = None
    return result
