"""What ``pcilint check --fix / --unsafe-fixes / --show-fixes / --add-ignore`` do to the files of
a finished scan (the command line re-scans afterwards and reports what remains)."""

from __future__ import annotations

import difflib
import io
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcilint.fixes import apply_fixes
from pcilint.fixes.ignores import add_ignores


@dataclass
class FileChanges:
    """The outcome over all files: counts, and the unified diff of every change."""

    diff: str = ""
    fixed: int = 0  # findings fixed (or suppressed, for --add-ignore)
    files: list[str] = field(default_factory=list)
    unsafe_left: int = 0  # fixes held back because they are unsafe
    not_done: list[tuple[Any, str]] = field(default_factory=list)


def _by_file(findings: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in findings:
        out.setdefault(f.path, []).append(f)
    return out


def _read(path: str) -> bytes | None:
    p = Path(path)
    try:
        if p.is_symlink() or not p.is_file():
            return None
        return p.read_bytes()
    except OSError:
        return None


def _write(path: str, data: bytes) -> None:
    # in place: the file keeps its mode, owner and hard links (an editor's save does the same)
    with open(path, "r+b") as fh:  # noqa: PTH123
        fh.write(data)
        fh.truncate()


def _text(path: str, data: bytes) -> str:
    encoding = "utf-8"
    if path.endswith(".py"):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError:
            pass
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


def _diff(path: str, old: bytes, new: bytes) -> str:
    a = _text(path, old).splitlines(keepends=True)
    b = _text(path, new).splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, f"a/{path}", f"b/{path}"))
    return "".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n"
                   for ln in lines)


def fix_files(findings: list[Any], *, unsafe: bool, write: bool,
              rules: list[Any] | None = None) -> FileChanges:
    changes = FileChanges()
    for path, group in sorted(_by_file(findings).items()):
        source = _read(path)
        if source is None:
            continue
        result = apply_fixes(path, source, group, unsafe=unsafe, rules=rules)
        changes.unsafe_left += sum(1 for f in result.skipped if not f.safe and not unsafe)
        if result.new_source == source:
            continue
        if write:
            try:
                _write(path, result.new_source)
            except OSError as exc:
                done = {(f.rule_id, f.line, f.column) for f in result.applied}
                changes.not_done += [(f, f"cannot write the file: {exc.strerror}")
                                     for f in group if (f.rule_id, f.line, f.column) in done]
                continue
        changes.fixed += len(result.applied)
        changes.files.append(path)
        changes.diff += _diff(path, source, result.new_source)
    return changes


def ignore_files(findings: list[Any], reason: str, *, write: bool = True) -> FileChanges:
    changes = FileChanges()
    for path, group in sorted(_by_file(findings).items()):
        source = _read(path)
        if source is None:
            changes.not_done += [(f, "file not readable") for f in group]
            continue
        result = add_ignores(path, source, group, reason)
        changes.not_done += result.skipped
        if result.new_source == source:
            continue
        if write:
            try:
                _write(path, result.new_source)
            except OSError as exc:
                changes.not_done += [(f, f"cannot write the file: {exc.strerror}")
                                     for f in result.added]
                continue
        changes.fixed += len(result.added)
        changes.files.append(path)
        changes.diff += _diff(path, source, result.new_source)
    return changes
