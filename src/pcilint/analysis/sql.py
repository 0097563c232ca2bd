"""A small SQL tokenizer and the columns a statement *writes*: enough to tell, without a database,
whether a SQL literal stores card data.

:func:`written_columns` returns, for every ``INSERT``/``REPLACE`` column list (and MySQL ``INSERT ...
SET``), ``UPDATE ... SET`` target, ``ON CONFLICT DO UPDATE SET``/``ON DUPLICATE KEY UPDATE`` target,
``CREATE TABLE`` column definition and ``ALTER TABLE ... ADD [COLUMN]`` column, the column name and the
table it belongs to.  Columns read in ``SELECT``/``WHERE`` are not written and are not returned.  The
grammar is strict on purpose: prose such as "update your card number" is not SQL (no ``SET``), and
quoted identifiers (``"card_number"``, `` `cvv` ``, ``[pan]``), comments, string literals and
placeholders (``%s``, ``?``, ``:name``, ``$1``, ``%(name)s``) are tokens of their own, so a column is
never found inside a string value or a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|$)|\#[^\n]*)
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<quoted>"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])
  | (?P<placeholder>%\([^)]*\)s|%s|%d|\?|:[A-Za-z_]\w*|\$\d+|\{[^}]*\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<op>::|<=|>=|<>|!=|\|\||[(),;.=*+\-/<>%:])
  | (?P<other>.)
""", re.X | re.S)


@dataclass(frozen=True)
class Token:
    kind: str  # word, quoted, string, placeholder, number, op, other
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def ident(self) -> str | None:
        """The identifier this token names (quotes removed), or None."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":
            return self.text[1:-1]
        return None


def tokenize(text: str) -> list[Token]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        out.append(Token(kind, m.group(0)))
    return out


@dataclass(frozen=True)
class WrittenColumn:
    table: str
    column: str
    statement: str  # INSERT, UPDATE, CREATE TABLE, ALTER TABLE


CONSTRAINT_WORDS = {"PRIMARY", "FOREIGN", "UNIQUE", "CONSTRAINT", "CHECK", "INDEX", "KEY", "EXCLUDE",
                    "LIKE", "FULLTEXT", "SPATIAL", "PERIOD"}
UPDATE_END = {"WHERE", "FROM", "RETURNING", "ORDER", "LIMIT", "ON", "OUTPUT"}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.out: list[WrittenColumn] = []

    def at(self, i: int) -> Token | None:
        return self.t[i] if 0 <= i < len(self.t) else None

    def word(self, i: int) -> str:
        tok = self.at(i)
        return tok.upper if tok else ""

    def is_op(self, i: int, op: str) -> bool:
        tok = self.at(i)
        return tok is not None and tok.kind == "op" and tok.text == op

    def qualified_name(self, i: int) -> tuple[str | None, int]:
        """``schema.table`` / ``"t"`` / a placeholder: (last part, index after it)."""
        tok = self.at(i)
        if tok is None:
            return None, i
        if tok.kind == "placeholder":
            return "?", i + 1
        name = tok.ident
        if name is None:
            return None, i
        i += 1
        while self.is_op(i, ".") and self.at(i + 1) is not None and self.at(i + 1).ident:  # type: ignore[union-attr]
            name = self.at(i + 1).ident  # type: ignore[union-attr]
            i += 2
        return name, i

    def skip_expression(self, i: int, stop: set[str]) -> int:
        """Index of the next top-level ``,`` / ``)`` / ``;`` / stop keyword at or after i."""
        depth = 0
        while i < len(self.t):
            tok = self.t[i]
            if tok.kind == "op":
                if tok.text == "(":
                    depth += 1
                elif tok.text == ")":
                    if depth == 0:
                        return i
                    depth -= 1
                elif depth == 0 and tok.text in (",", ";"):
                    return i
            elif depth == 0 and tok.upper in stop:
                return i
            i += 1
        return i

    def clears(self, start: int, end: int) -> bool:
        """Whether the expression ``t[start:end]`` is ``NULL``, ``DEFAULT`` or an empty string."""
        if end != start + 1:
            return False
        tok = self.t[start]
        return tok.upper in ("NULL", "DEFAULT") or (tok.kind == "string" and tok.text == "''")

    def column_list(self, i: int, table: str, statement: str) -> int:
        """``( a, b, c )`` starting at i (the ``(``)."""
        i += 1
        while i < len(self.t):
            name, j = self.qualified_name(i)
            if name is None:
                return i
            if name != "?":
                self.out.append(WrittenColumn(table, name, statement))
            if self.is_op(j, ","):
                i = j + 1
                continue
            return j
        return i

    def set_list(self, i: int, table: str, statement: str) -> int:
        """``col = expr, col = expr`` starting at i."""
        while i < len(self.t):
            if self.is_op(i, "("):  # SET (a, b) = (...)
                end = self.column_list(i, table, statement)
                if not self.is_op(end, ")") or not self.is_op(end + 1, "="):
                    return end
                i = self.skip_expression(end + 2, UPDATE_END)
            else:
                name, j = self.qualified_name(i)
                if name is None or not self.is_op(j, "="):
                    return i
                end = self.skip_expression(j + 1, UPDATE_END)
                # `SET card_number = NULL` purges the column: nothing is written
                if name != "?" and not self.clears(j + 1, end):
                    self.out.append(WrittenColumn(table, name, statement))
                i = end
            if self.is_op(i, ","):
                i += 1
                continue
            return i
        return i

    def create_table(self, i: int) -> int:
        # after CREATE [..] TABLE [IF NOT EXISTS]
        if self.word(i) == "IF" and self.word(i + 1) == "NOT" and self.word(i + 2) == "EXISTS":
            i += 3
        table, i = self.qualified_name(i)
        if table is None or not self.is_op(i, "("):
            return i
        i += 1
        while i < len(self.t):
            tok = self.t[i]
            if tok.upper not in CONSTRAINT_WORDS:
                name, j = self.qualified_name(i)
                # a column definition is a name followed by its type
                nxt = self.at(j)
                if name is not None and name != "?" and nxt is not None and nxt.kind == "word":
                    self.out.append(WrittenColumn(table, name, "CREATE TABLE"))
            i = self.skip_expression(i, set())
            if self.is_op(i, ","):
                i += 1
                continue
            return i
        return i

    def alter_table(self, i: int) -> int:
        if self.word(i) == "IF" and self.word(i + 1) == "EXISTS":
            i += 2
        if self.word(i) == "ONLY":
            i += 1
        table, i = self.qualified_name(i)
        if table is None:
            return i
        while i < len(self.t):
            if self.word(i) != "ADD":
                return i
            i += 1
            if self.word(i) == "COLUMN":
                i += 1
            if self.word(i) == "IF" and self.word(i + 1) == "NOT" and self.word(i + 2) == "EXISTS":
                i += 3
            if self.word(i) in CONSTRAINT_WORDS:
                i = self.skip_expression(i, set())
            else:
                name, j = self.qualified_name(i)
                nxt = self.at(j)
                if name is not None and nxt is not None and nxt.kind == "word":
                    self.out.append(WrittenColumn(table, name, "ALTER TABLE"))
                i = self.skip_expression(j, set())
            if self.is_op(i, ","):
                i += 1
                continue
            return i
        return i

    def run(self) -> list[WrittenColumn]:
        i = 0
        table_of_insert = ""
        while i < len(self.t):
            w = self.word(i)
            if w in ("INSERT", "REPLACE", "UPSERT"):
                j = i + 1
                while self.word(j) in ("OR", "REPLACE", "IGNORE", "ROLLBACK", "ABORT", "FAIL",
                                       "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY"):
                    j += 1
                if self.word(j) == "INTO":
                    j += 1
                    table, k = self.qualified_name(j)
                    if table is not None:
                        table_of_insert = table
                        if self.word(k) == "AS":
                            k += 2
                        if self.is_op(k, "("):
                            i = self.column_list(k, table, "INSERT")
                            continue
                        if self.word(k) == "SET":
                            i = self.set_list(k + 1, table, "INSERT")
                            continue
                i = j
                continue
            if w == "UPDATE":
                # ON DUPLICATE KEY UPDATE col = ... / DO UPDATE SET col = ...
                if self.word(i - 1) == "KEY" and self.word(i - 2) == "DUPLICATE":
                    i = self.set_list(i + 1, table_of_insert, "INSERT")
                    continue
                if self.word(i - 1) == "DO" and self.word(i + 1) == "SET":
                    i = self.set_list(i + 2, table_of_insert, "INSERT")
                    continue
                j = i + 1
                while self.word(j) in ("ONLY", "LOW_PRIORITY", "IGNORE", "OR", "REPLACE",
                                       "ROLLBACK", "ABORT", "FAIL"):
                    j += 1
                table, k = self.qualified_name(j)
                if table is not None:
                    if self.word(k) != "SET" and self.at(k) is not None and \
                            self.at(k).kind in ("word", "quoted") and self.word(k + 1) == "SET":  # type: ignore[union-attr]
                        k += 1  # alias
                    if self.word(k) == "AS" and self.word(k + 2) == "SET":
                        k += 2
                    if self.word(k) == "SET":
                        i = self.set_list(k + 1, table, "UPDATE")
                        continue
                i = j
                continue
            if w == "CREATE":
                j = i + 1
                while self.word(j) in ("TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "OR",
                                       "REPLACE", "VIRTUAL"):
                    j += 1
                if self.word(j) == "TABLE":
                    i = self.create_table(j + 1)
                    continue
                i = j
                continue
            if w == "ALTER" and self.word(i + 1) == "TABLE":
                i = self.alter_table(i + 2)
                continue
            i += 1
        return self.out


def written_columns(sql: str) -> list[WrittenColumn]:
    """The columns ``sql`` writes or declares (see the module docstring)."""
    return _Parser(tokenize(sql)).run()


STATEMENT_HINT = re.compile(r"(?i)\b(insert|update|create|alter|replace|upsert)\b")


def looks_like_sql(text: str) -> bool:
    return STATEMENT_HINT.search(text) is not None


__all__ = ["Token", "WrittenColumn", "looks_like_sql", "tokenize", "written_columns"]
