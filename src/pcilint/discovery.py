"""Finding the files to scan: Python sources, templates, settings files and dependency manifests.

Directories are walked without following symlinks (no loops); ``.gitignore`` files (at every level)
and the default excludes are honoured, plus the configuration's ``exclude`` patterns.  Files named
explicitly on the command line (as pre-commit does) are scanned unless the configuration excludes them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec


DEFAULT_EXCLUDES = {
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", ".tox", ".nox", "node_modules", "build",
    "dist", "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".pcilint_cache", ".eggs", ".direnv", "__pypackages__", ".hypothesis",
}
PYTHON_SUFFIXES = {".py"}
TEMPLATE_SUFFIXES = {".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml"}
SETTINGS_SUFFIXES = {".cfg", ".ini", ".toml", ".yaml", ".yml", ".json", ".env"}
# Dependency manifests that are neither Python nor settings files: requirements*.txt, Pipfile and
# the lock files (pyproject.toml, setup.cfg and setup.py keep their kinds; see pcilint.manifests).
MANIFEST_SUFFIXES = {".txt", ".lock"}
MANIFEST_NAMES = {"Pipfile"}
_SCANNED_SUFFIXES = PYTHON_SUFFIXES | TEMPLATE_SUFFIXES | SETTINGS_SUFFIXES | MANIFEST_SUFFIXES


def file_kind(path: Path) -> str | None:
    """'python', 'template', 'settings', 'manifest' or None (not scanned)."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffix in TEMPLATE_SUFFIXES:
        return "template"
    if suffix in SETTINGS_SUFFIXES or name == ".env" or name.startswith(".env."):
        return "settings"
    if suffix in MANIFEST_SUFFIXES or name in MANIFEST_NAMES:
        from pcilint.manifests import manifest_format

        if manifest_format(path.as_posix()) is not None:
            return "manifest"
    return None


@dataclass(frozen=True)
class SourceFile:
    path: Path  # as found (absolute or relative to the working directory)
    display: str  # relative to the working directory when below it, '/'-separated
    kind: str
    size: int


def display_path(path: Path, cwd: Path) -> str:
    # String operations: this runs for every file found, and pathlib is slow at that scale.
    absolute = os.path.normpath(os.path.join(cwd, path))
    base = str(cwd)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if absolute == base:
        shown = "."
    elif absolute.startswith(prefix):
        shown = absolute[len(prefix):].replace(os.sep, "/")
    else:
        shown = Path(absolute).as_posix()
    return printable(shown)


#: Characters a file name must not carry into a terminal, a log or a report: C0/C1 controls (a
#: newline forges a report line, ESC drives the terminal), DEL, and the bidirectional overrides of
#: "Trojan Source" (CVE-2021-42574), which reorder what a reviewer sees.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(name: str) -> str:
    """A file name that can be printed and JSON-encoded: bytes that are not UTF-8 (kept by Python as
    lone surrogates) become ``\\xNN`` escapes instead of crashing every output format, and control
    and bidirectional-override characters become ``\\xNN`` / ``\\uNNNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if _UNPRINTABLE.search(name):
        name = _UNPRINTABLE.sub(lambda m: (f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                                           else f"\\u{ord(m.group(0)):04x}"), name)
    return name


#: Limits on `*` in one gitignore-style pattern.  Python's regular expressions backtrack: a line
#: like ``*a*a*a*a*b`` takes 11 s against one 250-character name (and grows exponentially), so a
#: `.gitignore` in a pull request could stall the scan.  Real patterns use one or two (`*.py[cod]`,
#: `**/migrations/*`); a pattern over the limit is not applied (which scans more, never less).
MAX_STARS_PER_SEGMENT = 2
MAX_STAR_RUNS = 4
MAX_GITIGNORE_BYTES = 1 << 20


def glob_too_complex(pattern: str) -> bool:
    """Whether matching ``pattern`` could backtrack for minutes (see MAX_STARS_PER_SEGMENT)."""
    if pattern.count("*") <= MAX_STARS_PER_SEGMENT:
        return False
    import re

    runs = re.findall(r"\*+", pattern.replace("\\*", ""))
    if len(runs) > MAX_STAR_RUNS:
        return True
    for segment in pattern.replace("\\*", "").split("/"):
        if segment.strip("*") and len(re.findall(r"\*+", segment)) > MAX_STARS_PER_SEGMENT:
            return True
    return False


def _gitignore_spec(lines: list[str]) -> "pathspec.PathSpec":
    # (imported here: importing pathspec takes ~0.07 s, which a pre-commit run naming its files,
    # with no exclude patterns, never needs)
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


class _IgnoreStack:
    """The .gitignore specs that apply inside one directory, each anchored at its own directory."""

    def __init__(self, specs: tuple[tuple[Path, pathspec.PathSpec], ...] = (),
                 problems: list[tuple[str, str]] | None = None, cwd: Path | None = None) -> None:
        self.specs = specs
        self.problems = problems if problems is not None else []
        self.cwd = cwd or Path.cwd()

    def child(self, directory: Path) -> "_IgnoreStack":
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            try:
                with open(gitignore, "rb") as fh:
                    data = fh.read(MAX_GITIGNORE_BYTES)
                lines = data.decode("utf-8", errors="replace").splitlines()
                for number, line in enumerate(lines, 1):
                    if glob_too_complex(line.strip()):
                        lines[number - 1] = ""
                        self.problems.append((
                            f"{display_path(gitignore, self.cwd)}:{number}",
                            f"pattern not applied: more than {MAX_STARS_PER_SEGMENT} `*` in one "
                            f"path segment or {MAX_STAR_RUNS} in all could take hours to match"))
                spec = _gitignore_spec(lines)
                return _IgnoreStack(self.specs + ((directory, spec),), self.problems, self.cwd)
            except (OSError, ValueError):
                return self
        return self

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self.specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + ("/" if is_dir else "")):
                return True
        return False


def discover(paths: list[Path], kinds: set[str], exclude: list[str], exclude_root: Path | None,
             cwd: Path | None = None) -> tuple[list[SourceFile], list[tuple[str, str]]]:
    """Return (files to scan, [(path, problem)]) for the given command-line paths."""
    cwd = cwd or Path.cwd()
    user_spec = _gitignore_spec(exclude) if exclude else None
    root = (exclude_root or cwd).resolve()
    found: dict[str, SourceFile] = {}
    # (device, inode) -> display path: a file reached twice (through a symlink) is scanned once,
    # under its real name.
    identities: dict[tuple[int, int], str] = {}
    problems: list[tuple[str, str]] = []

    def user_excluded(p: Path, is_dir: bool) -> bool:
        if user_spec is None:
            return False
        try:
            rel = p.resolve().relative_to(root).as_posix()
        except (ValueError, OSError):
            rel = p.as_posix()
        return user_spec.match_file(rel + ("/" if is_dir else "")) or user_spec.match_file(p.name)

    def add(p: Path, kind: str) -> None:
        disp = display_path(p, cwd)
        if disp in found:
            return
        try:
            st = p.stat()
        except FileNotFoundError:
            problems.append((disp, "file disappeared during the scan"))
            return
        except OSError as exc:
            problems.append((disp, f"cannot read: {exc.strerror or type(exc).__name__}"))
            return
        identity = (st.st_dev, st.st_ino)
        if st.st_ino:  # 0 = the file system has no inode numbers
            seen = identities.get(identity)
            if seen is not None:
                if p.is_symlink() or not found[seen].path.is_symlink():
                    return
                del found[seen]
            identities[identity] = disp
        found[disp] = SourceFile(p, disp, kind, st.st_size)

    for given in paths:
        if not given.exists() and not given.is_symlink():
            problems.append((display_path(given, cwd), "no such file or directory"))
            continue
        if given.is_file():
            kind = file_kind(given)
            if kind is None and given.suffix == "":
                kind = "python" if _looks_like_python(given) else None
            if kind in kinds and not user_excluded(given, False):
                add(given, kind)
            continue
        if not given.is_dir():
            problems.append((display_path(given, cwd),
                             "not a regular file or directory (a pipe, device or socket), not scanned"))
            continue
        stack = _ancestor_ignores(given, problems, cwd).child(given)
        _walk(given, stack, kinds, user_excluded, add, problems,
              cwd, os.path.realpath(given))
    files = sorted(found.values(), key=lambda f: f.display)
    return files, problems


def _walk(top: Path, stack: _IgnoreStack, kinds: set[str], user_excluded, add, problems, cwd,
          tree: str) -> None:
    """Walk ``top``; ``tree`` is the real path of the directory given on the command line: a
    symbolic link to a file outside it (``/etc/passwd``, ``/proc/self/...``) is not followed."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as exc:
        problems.append((display_path(top, cwd), f"cannot list directory: {exc.strerror or exc}"))
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=True) and not is_dir
        except OSError:  # ELOOP from a symlink cycle, or a name that cannot be stat'ed
            is_dir = is_file = False
        if is_file and os.path.splitext(entry.name)[1].lower() not in _SCANNED_SUFFIXES \
                and not entry.name.startswith(".env") and entry.name not in MANIFEST_NAMES:
            continue  # not a kind pcilint scans: skip before building a Path
        p = Path(entry.path)
        if is_dir:
            if entry.name in DEFAULT_EXCLUDES or entry.name.endswith(".egg-info"):
                continue
            if stack.ignored(p, True) or user_excluded(p, True):
                continue
            _walk(p, stack.child(p), kinds, user_excluded, add, problems, cwd, tree)
        elif is_file:
            kind = file_kind(p)
            if kind is None or kind not in kinds:
                continue
            if _is_symlink(entry) and not _inside(os.path.realpath(p), tree):
                continue  # a link out of the scanned tree: not what the user asked to scan
            if stack.ignored(p, False) or user_excluded(p, False):
                continue
            add(p, kind)
        elif _is_symlink(entry) and not _is_dir(p) and file_kind(p) in kinds:
            problems.append((display_path(p, cwd), "broken or looping symbolic link, skipped"))


def _inside(real: str, tree: str) -> bool:
    return real == tree or real.startswith(tree.rstrip(os.sep) + os.sep)


def _is_symlink(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _ancestor_ignores(directory: Path, problems: list[tuple[str, str]] | None = None,
                      cwd: Path | None = None) -> _IgnoreStack:
    """The .gitignore files of the enclosing git work tree, from its root down to ``directory``."""
    resolved = directory.resolve()
    chain = [resolved, *resolved.parents]
    for i, candidate in enumerate(chain):
        if (candidate / ".git").exists():
            stack = _IgnoreStack(problems=problems, cwd=cwd)
            for ancestor in reversed(chain[1: i + 1]):
                stack = stack.child(ancestor)
            return stack
    return _IgnoreStack(problems=problems, cwd=cwd)


def _looks_like_python(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.readline(200)
    except OSError:
        return False
    return head.startswith(b"#!") and b"python" in head
