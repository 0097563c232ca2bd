"""Check kind ``sql-card-columns``: a SQL string literal that writes or declares card-data columns.

Every string literal of a Python file (plain, implicitly concatenated, or an f-string whose
expressions are read as placeholders) is tokenized by :mod:`pcilint.analysis.sql`; the columns an
``INSERT``/``REPLACE``/``UPDATE ... SET``/``CREATE TABLE``/``ALTER TABLE ... ADD`` writes are
classified by words (``card_number`` yes; ``card_number_last4``, ``cvv_check`` no).  That covers SQL
passed to ``cursor.execute``, SQLAlchemy ``text()``, Django ``RawSQL``/``migrations.RunSQL``, and SQL
held in a constant executed elsewhere.  Docstrings are not SQL.  Reported once per literal, at the line
where the literal starts; the severity follows the most sensitive column (SAD over PAN).
"""

from __future__ import annotations

import libcst as cst

from pcilint.analysis.declarations import WEAK_NAMES, declared_card_data, describe
from pcilint.analysis.literals import string_value
from pcilint.analysis.names import SAD, vocabulary
from pcilint.analysis.sql import looks_like_sql, written_columns
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.prefilter import card_data_terms


def sql_text(node: cst.BaseExpression, constants: dict[str, str] | None = None) -> str | None:
    """The text of a string literal; f-string expressions become ``?`` placeholders.  With
    ``constants``, a ``+`` concatenation is read too: module-level string constants by their value,
    any other operand as a ``?`` placeholder (``"INSERT INTO t (" + COLUMNS + ") VALUES ..."``)."""
    if constants is not None and isinstance(node, cst.BinaryOperation) \
            and isinstance(node.operator, cst.Add):
        parts = []
        for operand in (node.left, node.right):
            text = sql_text(operand, constants)
            if text is None and isinstance(operand, cst.Name):
                text = constants.get(operand.value)
            parts.append(" ? " if text is None else text)
        return "".join(parts)
    if isinstance(node, cst.SimpleString):
        return string_value(node)
    if isinstance(node, cst.FormattedString):
        parts = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
            else:
                parts.append(" ? ")
        return "".join(parts)
    if isinstance(node, cst.ConcatenatedString):
        left, right = sql_text(node.left), sql_text(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


@register
class SqlCardColumns(CheckKind):
    """A SQL string literal that writes or declares card-data columns (``INSERT``, ``REPLACE``,
    ``UPDATE ... SET``, ``CREATE TABLE``, ``ALTER TABLE ... ADD``), wherever the SQL is executed.

    Columns are classified by words (``card_number`` yes, ``card_number_last4`` no); ``weak_names``
    count only in a card table or beside card columns.  Reported once per literal, at the line where
    it starts; message fields ``statement``, ``data``, ``name``, ``table``; the severity follows the
    most sensitive column (``sad_severity`` for SAD).
    """

    kind = "sql-card-columns"
    PARAMS = {
        "sad_severity": Param("str", default=None, doc="Severity when a SAD column is written."),
        "weak_names": Param("list[str]", default=list(WEAK_NAMES),
                            doc="Column names that count only in a card table or next to card columns."),
        "skip_in_tests": Param("bool", default=True, doc="Do not report in test code."),
    }

    def prefilter_terms(self) -> list[str] | None:
        # every finding needs a name the card-data vocabulary classifies (pcilint.prefilter)
        return card_data_terms()

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self
        vocab = vocabulary(ctx.settings.sensitive_names)
        weak = tuple(self.p["weak_names"])

        class Visitor(cst.BatchableCSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.inside_concat = 0
                self.docstrings: set[int] = set()
                self.binops: set[int] = set()
                self.depth = 0  # function/class nesting: module-level constants have depth 0
                self.constants: dict[str, str] = {}

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.depth += 1

            def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                self.depth -= 1

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.depth += 1

            def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                self.depth -= 1

            def visit_Assign(self, node: cst.Assign) -> None:
                if self.depth == 0 and len(node.targets) == 1 \
                        and isinstance(node.targets[0].target, cst.Name):
                    text = sql_text(node.value)
                    if text is not None:
                        self.constants[node.targets[0].target.value] = text

            def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
                # SQL assembled with `+`: read as one statement, its literals not one by one
                if isinstance(node.operator, cst.Add) and not self.inside_concat \
                        and self._has_literal(node):
                    self._literal(node)
                    self.inside_concat += 1
                    self.binops.add(id(node))

            def leave_BinaryOperation(self, original_node: cst.BinaryOperation) -> None:
                if id(original_node) in self.binops:
                    self.binops.discard(id(original_node))
                    self.inside_concat -= 1

            @staticmethod
            def _has_literal(node: cst.BaseExpression) -> bool:
                while isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
                    if isinstance(node.right, (cst.SimpleString, cst.ConcatenatedString,
                                               cst.FormattedString)):
                        return True
                    node = node.left
                return isinstance(node, (cst.SimpleString, cst.ConcatenatedString,
                                         cst.FormattedString))

            def visit_Expr(self, node: cst.Expr) -> None:
                if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
                    self.docstrings.add(id(node.value))

            def _literal(self, node: cst.BaseExpression) -> None:
                if id(node) in self.docstrings:
                    return
                text = sql_text(node, self.constants)
                if not text or not looks_like_sql(text):
                    return
                columns = written_columns(text)
                if not columns:
                    return
                names = [c.column for c in columns]
                hits = []
                for col in columns:
                    kind = declared_card_data(col.column, vocab, col.table, names, weak)
                    if kind:
                        hits.append((kind, col))
                if not hits:
                    return
                hits.sort(key=lambda h: h[0] != SAD)
                kind, first = hits[0]
                shown = ", ".join(dict.fromkeys(c.column for _, c in hits))
                fields = {"name": shown, "table": first.table, "statement": first.statement,
                          "data": describe(kind), "involves": {k for k, _ in hits}}
                if kind == SAD and check.p["sad_severity"]:
                    fields["severity"] = check.p["sad_severity"]
                ctx.report(check.rule, node, **fields)

            def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
                if not self.inside_concat:
                    self._literal(node)
                self.inside_concat += 1

            def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
                self.inside_concat -= 1

            def visit_SimpleString(self, node: cst.SimpleString) -> None:
                if not self.inside_concat:
                    self._literal(node)

            def visit_FormattedString(self, node: cst.FormattedString) -> None:
                if not self.inside_concat:
                    self._literal(node)

        return Visitor()
