"""Inline suppressions: ``# pcilint: ignore[PCI101,PCI2] -- reason`` and ``# pcilint: ignore-file``.

A line comment suppresses matching findings on its own line and on every line of the statement it
belongs to (so it works on any line of a multi-line call); alone on a line, it suppresses the statement
that follows (with its decorators, for a ``def``).  In templates and settings files the comment may be
in any comment syntax (``<!-- pcilint: ignore -->``, ``{# ... #}``, ``# ...``).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

DIRECTIVE = re.compile(
    r"pcilint:\s*(?P<what>ignore-file|ignore)(?:\[(?P<codes>[^\]]*)\])?(?:\s*--\s*(?P<reason>.*))?")


@dataclass
class Suppression:
    line: int  # where the comment is
    codes: tuple[str, ...]  # empty = everything
    reason: str = ""
    used: bool = False

    def matches(self, code: str) -> bool:
        return not self.codes or any(code.startswith(c) for c in self.codes)


@dataclass
class SuppressionMap:
    file_wide: list[Suppression] = field(default_factory=list)
    by_line: dict[int, list[Suppression]] = field(default_factory=dict)
    all: list[Suppression] = field(default_factory=list)

    def suppresses(self, code: str, line: int) -> bool:
        return self.match(code, line) is not None

    def match(self, code: str, line: int) -> Suppression | None:
        """The suppression that applies to ``code`` at ``line`` (a line comment before a file-wide
        one), marking every matching one used; None when none applies."""
        hit = None
        for s in self.file_wide:
            if s.matches(code):
                s.used = True
                hit = hit or s
        for s in self.by_line.get(line, ()):
            if s.matches(code):
                s.used = True
                hit = s
        return hit

    def unused(self) -> list[Suppression]:
        return [s for s in self.all if not s.used]


def _parse(comment: str, line: int) -> tuple[str, Suppression] | None:
    m = DIRECTIVE.search(comment)
    if not m:
        return None
    codes = tuple(c.strip() for c in (m.group("codes") or "").split(",") if c.strip())
    # a directive in an HTML or Jinja comment: the comment's closer is not part of the reason
    reason = re.sub(r"\s*(?:-->|#\}|%\})\s*$", "", (m.group("reason") or "").strip())
    return m.group("what"), Suppression(line=line, codes=codes, reason=reason.strip())


def python_suppressions(text: str) -> SuppressionMap:
    result = SuppressionMap()
    if "pcilint:" not in text:
        return result
    spans, comments = statement_spans(text)
    span_of = {}
    for s, e in spans:
        for ln in range(s, e + 1):
            span_of[ln] = (s, e)
    lines = text.splitlines()
    for line, comment, alone in comments:
        parsed = _parse(comment, line)
        if parsed is None:
            continue
        what, sup = parsed
        result.all.append(sup)
        if what == "ignore-file":
            result.file_wide.append(sup)
            continue
        if alone:
            target = _next_code_line(lines, line)
            if target is None:
                continue
            s, e = span_of.get(target, (target, target))
            # a decorator line extends through the decorated def/class header
            while lines[s - 1].lstrip().startswith("@") and e < len(lines):
                nxt = _next_code_line(lines, e)
                if nxt is None:
                    break
                s2, e2 = span_of.get(nxt, (nxt, nxt))
                e = e2
                if not lines[s2 - 1].lstrip().startswith("@"):
                    break
            covered = range(s, e + 1)
        else:
            s, e = span_of.get(line, (line, line))
            covered = range(s, e + 1)
        for ln in covered:
            result.by_line.setdefault(ln, []).append(sup)
    return result


def statement_spans(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, str, bool]]]:
    """The (first, last) line of every logical line (statement) and every comment as (line, text,
    alone on its line), from the tokenizer; for a file it rejects, every ``#`` tail is a comment."""
    # Logical lines (statement spans) from the tokenizer: a comment applies to its whole statement.
    spans: list[tuple[int, int]] = []
    comments: list[tuple[int, str, bool]] = []  # (line, text, alone on its line)
    try:
        start = None
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                alone = tok.line[: tok.start[1]].strip() == ""
                comments.append((tok.start[0], tok.string, alone))
                continue
            if tok.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
                            tokenize.ENDMARKER):
                continue
            if start is None:
                start = tok.start[0]
            if tok.type == tokenize.NEWLINE:
                spans.append((start, tok.start[0]))
                start = None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # Fall back to single lines for files the tokenizer rejects.
        for i, line in enumerate(text.splitlines(), 1):
            if "#" in line:
                comments.append((i, line[line.index("#"):], line.lstrip().startswith("#")))
    return spans, comments


def _next_code_line(lines: list[str], after: int) -> int | None:
    for i in range(after, len(lines)):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i + 1
    return None


def text_suppressions(text: str) -> SuppressionMap:
    """Suppressions in templates and settings files: same line, or alone on the line above."""
    result = SuppressionMap()
    if "pcilint:" not in text:
        return result
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        parsed = _parse(line, i)
        if parsed is None:
            continue
        what, sup = parsed
        result.all.append(sup)
        if what == "ignore-file":
            result.file_wide.append(sup)
            continue
        result.by_line.setdefault(i, []).append(sup)
        before = line[: line.index("pcilint:")]
        if not re.sub(r"(<!--|\{#|\{%\s*comment\s*%\}|#|//|;)", "", before).strip():
            nxt = _next_code_line(lines, i)
            if nxt is not None:
                result.by_line.setdefault(nxt, []).append(sup)
    return result
