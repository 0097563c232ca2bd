"""Cheap line numbers for the few nodes the flow analysis reports.

libcst nodes carry no positions; ``PositionProvider`` costs about twice a parse for a whole module.
The flow analysis needs the line of a handful of statements per file (sinks, sources, calls that
carry card data), so it locates them in the text instead:

* a regular expression over the text finds every ``def NAME`` line; the *k*-th function named NAME in
  the tree is the *k*-th such line;
* a statement's first line (rendered from its node, which libcst reproduces byte for byte) is searched
  forward from its function's ``def`` line, continuing from the previous hit in that function.

An identical earlier statement in the same function that is not a finding could be found instead;
that costs at most a wrong line inside the right function (documented in docs/analysis.md).
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import libcst as cst

_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)


class Locator:
    def __init__(self, module: cst.Module, text: str) -> None:
        self.module = module
        self.text = text
        self._line_starts: list[int] | None = None
        self._defs: dict[str, list[int]] | None = None
        # function key -> (last seq located, offset after it)
        self._cursor: dict[str, tuple[int, int]] = {}

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        starts = self.line_starts
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def def_offset(self, name: str, ordinal: int) -> int:
        """Offset of the ``ordinal``-th (0-based) ``def name`` line in the text (0 when unknown)."""
        if self._defs is None:
            defs: dict[str, list[int]] = {}
            for m in _DEF.finditer(self.text):
                whole = m.group(0)
                defs.setdefault(m.group(1), []).append(m.start() + len(whole) - len(whole.lstrip()))
            self._defs = defs
        offsets = self._defs.get(name)
        if not offsets:
            return 0
        return offsets[min(ordinal, len(offsets) - 1)]

    def find(self, anchor: cst.CSTNode, scope: str, scope_start: int, seq: int) -> tuple[int, int]:
        """(line, column) where ``anchor`` starts, searching from its function's start."""
        try:
            code = self.module.code_for_node(anchor)
        except Exception:  # noqa: BLE001 - never let locating crash a scan
            return self.line_col(scope_start)
        first = ""
        for part in code.split("\n"):
            if part.strip():
                first = part.strip()
                break
        if not first:
            return self.line_col(scope_start)
        last_seq, last_off = self._cursor.get(scope, (-1, scope_start))
        start = last_off if seq >= last_seq else scope_start
        pos = self.text.find(first, start)
        if pos == -1 and start != scope_start:
            pos = self.text.find(first, scope_start)
        if pos == -1:
            return self.line_col(scope_start)
        if seq >= last_seq:
            self._cursor[scope] = (seq, pos)
        return self.line_col(pos)


def statement_line(locator: Any, anchor: cst.CSTNode, scope: str, start: int, seq: int) -> int:
    return locator.find(anchor, scope, start, seq)[0]
