"""From pcilint's findings to the protocol's values: diagnostics, hovers and code-action edits.

Positions: a finding's ``line``/``column`` are 1-based and its ``end_column`` is exclusive, in
characters (code points); LSP positions are 0-based, in the client's units (UTF-16 by default).
Ranges are built here in code points and converted by the caller's document
(:meth:`pygls.workspace.TextDocument.range_to_client_units`).

Every text that leaves here was masked: findings, errors and trace notes are masked when the engine
makes them, rule pages (whose examples hold fake keys and card numbers) here.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from typing import Sequence

from lsprotocol import types

from pcilint.findings import Finding, ScanError
from pcilint.masking import mask_output
from pcilint.ruleset import Rule
from pcilint.suppressions import DIRECTIVE

SOURCE = "pcilint"
SEVERITY = {
    "critical": types.DiagnosticSeverity.Error,
    "high": types.DiagnosticSeverity.Error,
    "medium": types.DiagnosticSeverity.Warning,
    "low": types.DiagnosticSeverity.Information,
}
#: The placeholder a "suppress with reason" action writes: the reviewer must replace it.
REASON_PLACEHOLDER = "TODO: reason"


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def document_lines(text: str) -> list[str]:
    """The document's lines with their ends, split where the protocol and Python split them
    (``\\n``, ``\\r\\n``, ``\\r``; not at the form feeds and Unicode separators
    ``str.splitlines`` also splits at)."""
    return _LINE.findall(text)


def finding_range(f: Finding, lines: Sequence[str]) -> types.Range:
    """The finding's range in code points, 0-based, kept inside the document."""
    last = max(len(lines) - 1, 0)

    def clamp(line: int, column: int) -> types.Position:
        row = min(max(line - 1, 0), last)
        width = len(lines[row].rstrip("\r\n")) if lines else 0
        return types.Position(row, min(max(column - 1, 0), width))

    start = clamp(f.line, f.column)
    end = clamp(f.end_line or f.line, f.end_column or f.column)
    if (end.line, end.character) < (start.line, start.character):
        end = start
    return types.Range(start, end)


def diagnostic(f: Finding, rng: types.Range, rule: Rule | None,
               related: list[types.DiagnosticRelatedInformation] | None = None
               ) -> types.Diagnostic:
    href = rule.references[0] if rule is not None and rule.references else None
    return types.Diagnostic(
        range=rng, message=mask_output(f.message), severity=SEVERITY.get(f.severity),
        code=f.rule_id, source=SOURCE,
        code_description=types.CodeDescription(href=href) if href else None,
        related_information=related or None,
        data={"rule_id": f.rule_id, "line": f.line, "fingerprint": f.fingerprint})


def error_diagnostic(error: ScanError, lines: Sequence[str], fails_run: bool) -> types.Diagnostic:
    """A file the engine could not analyse: one diagnostic on its first line (Error when such a
    file fails `pcilint check`, the configuration's ``fail_on_errors``)."""
    width = len(lines[0].rstrip("\r\n")) if lines else 0
    return types.Diagnostic(
        range=types.Range(types.Position(0, 0), types.Position(0, width)),
        message=mask_output(f"pcilint could not analyse this file: {error.message}"),
        severity=types.DiagnosticSeverity.Error if fails_run else types.DiagnosticSeverity.Warning,
        code="error", source=SOURCE)


def hover_text(findings: Sequence[Finding], rules: dict[str, Rule], markdown: bool) -> str:
    """The messages of the findings under the cursor, then each rule's page (`pcilint rule`)."""
    from pcilint.ruledoc import render_rule_page

    parts: list[str] = []
    for f in findings:
        parts.append(f"**{f.rule_id}** ({f.severity}): {f.message}" if markdown
                     else f"{f.rule_id} ({f.severity}): {f.message}")
    seen: set[str] = set()
    for f in findings:
        rule = rules.get(f.rule_id)
        if rule is None or rule.id in seen:
            continue
        seen.add(rule.id)
        try:
            page = render_rule_page(rule, markdown=markdown)
        except (IndexError, AttributeError):  # a rule without examples: its summary
            page = f"{rule.id} {rule.name}\n\n{rule.summary}\n"
        parts.append(page)
    return mask_output(("\n\n---\n\n" if markdown else "\n\n").join(parts))


# -- "suppress with reason" ---------------------------------------------------------------------
def _comment(codes: str, kind: str, path: str) -> str | None:
    body = f"pcilint: ignore[{codes}] -- {REASON_PLACEHOLDER}"
    if kind == "template":
        return f"<!-- {body} -->"
    if kind in ("settings", "manifest") and path.lower().endswith((".json", ".lock")) \
            and not path.lower().endswith(("poetry.lock", "pdm.lock", "uv.lock")):
        return None  # JSON has no comments
    return f"# {body}"


def suppression_edit(f: Finding, text: str, kind: str) -> types.TextEdit | None:
    """The edit that suppresses ``f`` where :mod:`pcilint.suppressions` reads it (positions in
    code points): in Python, a trailing comment on the finding's line (or, when that line ends
    inside a string, on the last line of its statement), an existing ``pcilint: ignore[...]``
    there gaining the code; elsewhere, a comment line above (same line or the line above is what
    templates and settings files honour).  None when the file kind has no comments (JSON)."""
    lines = document_lines(text)
    if not lines:
        return None
    comment = _comment(f.rule_id, kind, f.path)
    if comment is None:
        return None
    row = min(max(f.line, 1), len(lines)) - 1
    if kind != "python":
        indent = re.match(r"[ \t]*", lines[row]).group(0)
        eol = _eol(lines[row])
        return types.TextEdit(types.Range(types.Position(row, 0), types.Position(row, 0)),
                              f"{indent}{comment}{eol}")
    row = _comment_row(text, row)
    line = lines[row].rstrip("\r\n")
    existing = _existing_directive(text, row)
    if existing is not None:
        start, end, codes = existing
        merged = ",".join(dict.fromkeys([*codes, f.rule_id]))
        return types.TextEdit(types.Range(types.Position(row, start), types.Position(row, end)),
                              f"ignore[{merged}]")
    end = len(line)
    return types.TextEdit(types.Range(types.Position(row, end), types.Position(row, end)),
                          ("  " if line.strip() else "") + comment)


def _eol(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped):] or "\n"


def _tokens(text: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _comment_row(text: str, row: int) -> int:
    """The 0-based line where a trailing comment can go for a finding on ``row``: that line,
    unless a token (a triple-quoted string) runs on past its end; then the line where the
    statement ends."""
    tokens = _tokens(text)
    if tokens is None:
        return row
    line = row + 1
    crossing = any(t.start[0] <= line < t.end[0] for t in tokens
                   if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.DEDENT))
    if not crossing:
        return row
    for t in tokens:
        if t.type == tokenize.NEWLINE and t.start[0] >= line:
            return t.start[0] - 1
    return row


def _existing_directive(text: str, row: int) -> tuple[int, int, list[str]] | None:
    """A ``pcilint: ignore[...]`` comment on ``row`` with codes: the columns of its
    ``ignore[...]`` and the codes (None when there is none, or it suppresses every code)."""
    tokens = _tokens(text) or []
    for t in tokens:
        if t.type == tokenize.COMMENT and t.start[0] == row + 1:
            m = DIRECTIVE.search(t.string)
            if m and m.group("what") == "ignore" and m.group("codes") is not None:
                start = t.start[1] + m.start("what")
                end = t.start[1] + m.end("codes") + 1  # the closing bracket
                codes = [c.strip() for c in m.group("codes").split(",") if c.strip()]
                return start, end, codes
    return None


def minimal_edits(old_text: str, new_text: str) -> list[types.TextEdit]:
    """The fix as edits of only the lines it changes (one per changed run of lines, in the
    original document's coordinates): unchanged lines, which may hold a card number or key that
    another finding is about, never travel in a code action."""
    old, new = document_lines(old_text), document_lines(new_text)
    edits = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 == len(old) and old and not old[-1].endswith(("\n", "\r")):
            end = types.Position(len(old) - 1, len(old[-1]))
        else:
            end = types.Position(i2, 0)
        edits.append(types.TextEdit(types.Range(types.Position(i1, 0), end), "".join(new[j1:j2])))
    return edits


def contains(rng: types.Range, pos: types.Position) -> bool:
    return ((rng.start.line, rng.start.character) <= (pos.line, pos.character)
            <= (rng.end.line, rng.end.character))


def overlaps(a: types.Range, b: types.Range) -> bool:
    return not ((a.end.line, a.end.character) < (b.start.line, b.start.character)
                or (b.end.line, b.end.character) < (a.start.line, a.start.character))
