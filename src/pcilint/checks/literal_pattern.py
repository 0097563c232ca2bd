"""Check kind ``literal-pattern``: a literal (Python string/number, or a line of a settings file)
matching a regular expression, optionally confirmed by a validator (``pan``: Luhn + issuer prefix).

Used by the secrets rules (Stripe keys, webhook signing secrets, card-number literals).
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import libcst as cst

from pcilint.analysis.cardnumbers import is_pan
from pcilint.analysis.literals import literal_text, string_value
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.masking import mask_text
from pcilint.prefilter import PAN_LITERAL

VALIDATORS = {"none", "pan"}


def _folded(node: cst.BaseExpression, depth: int = 0) -> str | None:
    """The value of a ``+`` of string literals (``"sk_" + "live_..."``), else None."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return string_value(node)
    if depth < 50 and isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _folded(node.left, depth + 1), _folded(node.right, depth + 1)
        if left is not None and right is not None:
            return left + right
    return None


@register
class LiteralPattern(CheckKind):
    """A literal matching a regular expression (optionally confirmed as a card number), in Python
    string/integer literals and in the lines of settings files.

    ``pattern`` is searched in each literal (``+`` chains of literals folded, escapes decoded);
    ``validator: pan`` confirms a match by Luhn and issuer prefix; ``comments`` extends the search to
    comments; ``downgrade`` lowers (or drops) the severity of listed values such as Stripe's test
    card numbers.  Reported at the literal; message field ``literal`` (masked).
    """

    kind = "literal-pattern"
    FILE_KINDS = ("python", "settings", "template")  # narrowed per rule by `file_kinds`
    PARAMS = {
        "pattern": Param("regex", required=True,
                         doc="Regular expression searched in each literal (group 0 is the secret)."),
        "validator": Param("str", default="none", doc="Extra confirmation: none or pan."),
        "skip_in_tests": Param("bool", default=False,
                               doc="Do not report in test code (tests/, test_*.py, conftest.py)."),
        "file_kinds": Param("list[str]", default=["python", "settings"],
                            doc="Which files to search: python, settings, template."),
        "show_literal": Param("bool", default=False,
                              doc="Show the matched text in messages (masked for PANs and keys); "
                                  "off, only its first characters are shown (for secrets)."),
        "integers": Param("bool", default=False, doc="Also search integer literals."),
        "comments": Param("bool", default=False,
                          doc="Also search comments, and every line of a Python file that does not "
                              "parse (Python 2 code, a syntax error): a key in a comment or a broken "
                              "file is as committed as one in a string."),
        "prefilter": Param("list[str]", default=None,
                           doc="Regex fragments one of which must be in a file (default: none)."),
        "downgrade": Param("dict", default=None,
                           doc="{values: [...], patterns: [regex...], severity: low}: matches in "
                               "this list (or matching a pattern) get this severity; severity `none` "
                               "means they are not reported (published test numbers)."),
        "ignore": Param("list[regex]", default=[],
                        doc="A match that one of these regexes finds is a placeholder, not reported."),
    }

    def setup(self) -> None:
        if self.p["validator"] not in VALIDATORS:
            from pcilint.errors import RuleError

            path, _, line = self.rule.source.rpartition(":")
            raise RuleError(f"unknown validator (known: {', '.join(sorted(VALIDATORS))})",
                            path=path, line=self.rule.param_lines.get("validator", int(line)),
                            field=f"{self.rule.id}.check.validator")
        self.FILE_KINDS = tuple(self.p["file_kinds"])  # type: ignore[misc]
        down = self.p["downgrade"] or {}
        self.downgrade_values = {str(v).replace(" ", "").replace("-", "") for v in
                                 down.get("values", [])}
        self.downgrade_severity = down.get("severity")
        try:
            self.downgrade_patterns = [re.compile(p) for p in down.get("patterns", [])]
        except (re.error, TypeError) as exc:
            from pcilint.errors import RuleError

            path, _, line = self.rule.source.rpartition(":")
            raise RuleError(f"invalid downgrade pattern: {exc}", path=path,
                            line=self.rule.param_lines.get("downgrade", int(line)),
                            field=f"{self.rule.id}.check.downgrade") from None

    def prefilter_terms(self) -> list[str] | None:
        if self.p["prefilter"] is None and self.p["validator"] == "pan":
            return [PAN_LITERAL]
        return self.p["prefilter"]

    def _matches(self, text: str) -> Iterator[tuple[int, int, str]]:
        for m in self.p["pattern"].finditer(text):
            value = m.group(0)
            if self.p["validator"] == "pan" and not is_pan(value):
                continue
            if any(p.search(value) for p in self.p["ignore"]):
                continue
            if self.downgrade_severity == "none" and self._listed(value):
                continue
            yield m.start(), m.end(), value

    def _fields(self, value: str) -> dict[str, Any]:
        if self.p["show_literal"]:
            shown = mask_text(value)  # a URL, say: still never a PAN or key in full
        else:
            shown = mask_text(value) if mask_text(value) != value else value[:4] + "…"
        fields: dict[str, Any] = {"literal": shown}
        if self.downgrade_severity and self._listed(value):
            fields["severity"] = self.downgrade_severity
        return fields

    def _listed(self, value: str) -> bool:
        """Is ``value`` one of the downgrade list's values (or does it match one of its patterns)?"""
        normalized = value.replace(" ", "").replace("-", "")
        return normalized in self.downgrade_values or any(
            p.fullmatch(normalized) for p in self.downgrade_patterns)

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self

        class Visitor(cst.BatchableCSTVisitor):
            def _literal(self, node: cst.CSTNode) -> None:
                text = (string_value(node) if isinstance(node, cst.ConcatenatedString)
                        else literal_text(node))
                if not text:
                    return
                for _start, _end, value in check._matches(text):
                    ctx.report(check.rule, node, **check._fields(value))
                    return

            def visit_SimpleString(self, node: cst.SimpleString) -> None:
                self._literal(node)

            def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
                self._literal(node)

            def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
                self._literal(node)

            def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
                # "sk_live_" + "51Hx...": a constant Python folds.  Reported once, on the smallest
                # sum that holds the whole value (a piece that matches alone is reported by itself).
                if not isinstance(node.operator, cst.Add):
                    return
                text = _folded(node)
                if not text or not any(True for _ in check._matches(text)):
                    return
                if any(_folded(side) and any(True for _ in check._matches(_folded(side) or ""))
                       for side in (node.left, node.right)):
                    return
                for _start, _end, value in check._matches(text):
                    ctx.report(check.rule, node, **check._fields(value))
                    return

            def visit_Integer(self, node: cst.Integer) -> None:
                if check.p["integers"]:
                    self._literal(node)

            def visit_Comment(self, node: cst.Comment) -> None:
                if check.p["comments"]:
                    for _start, _end, value in check._matches(node.value):
                        ctx.report(check.rule, node, **check._fields(value))
                        return

        return Visitor()

    def check_unparsed(self, ctx: FileContext) -> None:
        if self.p["comments"]:
            self.check_text(ctx)

    def check_text(self, ctx: FileContext) -> None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return
        for number, line in enumerate(ctx.lines, 1):
            for start, end, value in self._matches(line):
                ctx.report(self.rule, line=number, column=start + 1, end_line=number,
                           end_column=end + 1, **self._fields(value))
                break
