"""``pcilint check --add-ignore "reason"``: write ``# pcilint: ignore[PCIxxx] -- reason`` where
:mod:`pcilint.suppressions` reads it, for adopting pcilint on a code base with known findings.

Python: at the end of the last line of the finding's statement (a line comment covers every line of
its statement, so this works for multi-line calls and strings, where a comment could not go on the
finding's own line); a directive already there gets the new codes added to its list.  Templates,
settings files and manifests: a directive alone on the line above, in the file's comment syntax.
A finding on a comment-only line (a key in a commented-out line), in a JSON file or in a file that
cannot be decoded is left alone and reported back.  Bytes other than the inserted comments are
kept as they were: encoding, BOM, line endings.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pcilint.suppressions import DIRECTIVE, statement_spans


@dataclass
class IgnoreResult:
    new_source: bytes
    added: list[Any] = field(default_factory=list)  # findings now suppressed
    skipped: list[tuple[Any, str]] = field(default_factory=list)  # (finding, why not)


def directive(codes: list[str], reason: str) -> str:
    return f"pcilint: ignore[{','.join(codes)}] -- {reason}"


def add_ignores(path: str, source: bytes, findings: list[Any], reason: str) -> IgnoreResult:
    reason = " ".join(reason.split())
    result = IgnoreResult(new_source=source)
    if not findings:
        return result
    encoding = _encoding(path, source)
    if encoding is None:
        result.skipped = [(f, "the file's encoding is not ASCII-compatible") for f in findings]
        return result
    try:
        text = source.decode(encoding)
        reason.encode(encoding)
    except (UnicodeDecodeError, UnicodeEncodeError, LookupError):
        result.skipped = [(f, f"the reason or the file cannot be written as {encoding}")
                          for f in findings]
        return result
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = source.split(b"\n")
    if PurePath(path).suffix.lower() == ".py":
        edits = _python_edits(text, findings, reason, result)
    else:
        edits = _text_edits(path, text, findings, reason, result)
    for line_no, new_line in sorted(edits.items(), reverse=True):
        if isinstance(new_line, tuple):  # (insert above, with this text)
            lines.insert(line_no - 1, new_line[0].encode(encoding) + _eol(lines[line_no - 1]))
        else:
            lines[line_no - 1] = new_line.encode(encoding) + _eol(lines[line_no - 1])
    result.new_source = b"\n".join(lines)
    return result


def _eol(raw: bytes) -> bytes:
    return b"\r" if raw.endswith(b"\r") else b""


def _encoding(path: str, source: bytes) -> str | None:
    if source[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in source[:8192]:
        return None
    if PurePath(path).suffix.lower() == ".py":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        except SyntaxError:
            return None
        return "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _python_edits(text: str, findings: list[Any], reason: str,
                  result: IgnoreResult) -> dict[int, str]:
    spans, comments = statement_spans(text)
    span_of: dict[int, tuple[int, int]] = {}
    for s, e in spans:
        for ln in range(s, e + 1):
            span_of.setdefault(ln, (s, e))
    trailing = {line: comment for line, comment, alone in comments if not alone}
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    codes_at: dict[int, list[str]] = {}
    for f in findings:
        span = span_of.get(f.line)
        if span is None and 0 < f.line <= len(lines) and lines[f.line - 1].strip() and \
                not lines[f.line - 1].lstrip().startswith("#") and not spans:
            span = (f.line, f.line)  # the tokenizer gave up (Python 2...): the line itself
        if span is None:
            result.skipped.append((f, "not on a statement (a comment or blank line)"))
            continue
        codes = codes_at.setdefault(span[1], [])
        if f.rule_id not in codes:
            codes.append(f.rule_id)
        result.added.append(f)
    edits: dict[int, str] = {}
    for line_no, codes in codes_at.items():
        line = lines[line_no - 1]
        comment = trailing.get(line_no)
        match = DIRECTIVE.search(comment) if comment else None
        if comment and match and match.group("what") == "ignore" and match.group("codes"):
            have = [c.strip() for c in match.group("codes").split(",") if c.strip()]
            merged = have + [c for c in codes if c not in have]
            at = line.rindex(comment) + match.start("codes")
            edits[line_no] = line[:at] + ",".join(merged) + line[at + len(match.group("codes")):]
        else:
            edits[line_no] = line.rstrip() + "  # " + directive(codes, reason)
    return edits


def _text_edits(path: str, text: str, findings: list[Any], reason: str,
                result: IgnoreResult) -> dict[int, tuple[str]]:
    suffix = PurePath(path).suffix.lower()
    if suffix == ".json" or text.lstrip().startswith(("{", "[")):
        result.skipped += [(f, "JSON has no comments") for f in findings]
        return {}
    html = suffix in (".html", ".htm", ".jinja", ".jinja2", ".j2", ".djhtml")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    codes_at: dict[int, list[str]] = {}
    for f in findings:
        if not 0 < f.line <= len(lines):
            result.skipped.append((f, "line out of range"))
            continue
        codes = codes_at.setdefault(f.line, [])
        if f.rule_id not in codes:
            codes.append(f.rule_id)
        result.added.append(f)
    edits: dict[int, tuple[str]] = {}
    for line_no, codes in codes_at.items():
        indent = re.match(r"[ \t]*", lines[line_no - 1]).group(0)  # type: ignore[union-attr]
        body = directive(codes, reason)
        edits[line_no] = (indent + (f"<!-- {body} -->" if html else f"# {body}"),)
    return edits
