"""Finding the files to scan: Python sources, templates and settings files.

Directories are walked without following symlinks (no loops); ``.gitignore`` files (at every level)
and the default excludes are honoured, plus the configuration's ``exclude`` patterns.  Files named
explicitly on the command line (as pre-commit does) are scanned unless the configuration excludes them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pathspec

DEFAULT_EXCLUDES = {
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", ".tox", ".nox", "node_modules", "build",
    "dist", "site-packages", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".pcilint_cache", ".eggs", ".direnv", "__pypackages__", ".hypothesis",
}
PYTHON_SUFFIXES = {".py"}
TEMPLATE_SUFFIXES = {".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml"}
SETTINGS_SUFFIXES = {".cfg", ".ini", ".toml", ".yaml", ".yml", ".json", ".env"}
_SCANNED_SUFFIXES = PYTHON_SUFFIXES | TEMPLATE_SUFFIXES | SETTINGS_SUFFIXES


def file_kind(path: Path) -> str | None:
    """'python', 'template', 'settings' or None (not scanned)."""
    name = path.name
    suffix = path.suffix.lower()
    if suffix in PYTHON_SUFFIXES:
        return "python"
    if suffix in TEMPLATE_SUFFIXES:
        return "template"
    if suffix in SETTINGS_SUFFIXES or name == ".env" or name.startswith(".env."):
        return "settings"
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
    if absolute == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    if absolute.startswith(prefix):
        return absolute[len(prefix):].replace(os.sep, "/")
    return Path(absolute).as_posix()


class _IgnoreStack:
    """The .gitignore specs that apply inside one directory, each anchored at its own directory."""

    def __init__(self, specs: tuple[tuple[Path, pathspec.PathSpec], ...] = ()) -> None:
        self.specs = specs

    def child(self, directory: Path) -> "_IgnoreStack":
        gitignore = directory / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
                return _IgnoreStack(self.specs + ((directory, spec),))
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
    user_spec = pathspec.GitIgnoreSpec.from_lines(exclude) if exclude else None
    root = (exclude_root or cwd).resolve()
    found: dict[str, SourceFile] = {}
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
            size = p.stat().st_size
        except OSError as exc:
            problems.append((disp, f"cannot read: {exc.strerror or exc}"))
            return
        found[disp] = SourceFile(p, disp, kind, size)

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
            continue
        _walk(given, _ancestor_ignores(given).child(given), kinds, user_excluded, add, problems,
              cwd)
    files = sorted(found.values(), key=lambda f: f.display)
    return files, problems


def _walk(top: Path, stack: _IgnoreStack, kinds: set[str], user_excluded, add, problems, cwd) -> None:
    try:
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as exc:
        problems.append((display_path(top, cwd), f"cannot list directory: {exc.strerror or exc}"))
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = entry.is_file(follow_symlinks=True) and not is_dir
        except OSError:
            continue
        if is_file and os.path.splitext(entry.name)[1].lower() not in _SCANNED_SUFFIXES \
                and not entry.name.startswith(".env"):
            continue  # not a kind pcilint scans: skip before building a Path
        p = Path(entry.path)
        if is_dir:
            if entry.name in DEFAULT_EXCLUDES or entry.name.endswith(".egg-info"):
                continue
            if stack.ignored(p, True) or user_excluded(p, True):
                continue
            _walk(p, stack.child(p), kinds, user_excluded, add, problems, cwd)
        elif is_file:
            kind = file_kind(p)
            if kind is None or kind not in kinds:
                continue
            if stack.ignored(p, False) or user_excluded(p, False):
                continue
            add(p, kind)
        elif entry.is_symlink() and not p.is_dir():
            problems.append((display_path(p, cwd), "broken or looping symbolic link, skipped"))


def _ancestor_ignores(directory: Path) -> _IgnoreStack:
    """The .gitignore files of the enclosing git work tree, from its root down to ``directory``."""
    resolved = directory.resolve()
    chain = [resolved, *resolved.parents]
    for i, candidate in enumerate(chain):
        if (candidate / ".git").exists():
            stack = _IgnoreStack()
            for ancestor in reversed(chain[1: i + 1]):
                stack = stack.child(ancestor)
            return stack
    return _IgnoreStack()


def _looks_like_python(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.readline(200)
    except OSError:
        return False
    return head.startswith(b"#!") and b"python" in head
