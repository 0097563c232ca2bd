"""Cheap line numbers for the few nodes the flow analysis reports.

libcst nodes carry no positions; ``PositionProvider`` costs about twice a parse for a whole module.
The flow analysis needs the line of a handful of statements per file (sinks, sources, calls that
carry card data), so it locates them in the text instead:

* a regular expression over the text finds every ``def NAME`` line; the *k*-th function named NAME in
  the tree is the *k*-th such line;
* a statement's first line (rendered from its node, which libcst reproduces byte for byte) is searched
  forward from its function's ``def`` line, continuing from the previous hit in that function.

When the rendered line occurs more than once in the file, the text search could pick the wrong copy
(``log.info("x=%s", x)`` twice in one function, only the second carrying card data); then the exact
position is computed with ``PositionProvider`` over that one function only (wrapped in a scratch
module, without copying), so the cost stays with the rare ambiguous statements.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

def positions(module: cst.Module) -> Any:
    """Every node's ``CodeRange`` in ``module`` (the mapping ``PositionProvider`` resolves to).

    ``MetadataWrapper.resolve`` renders the module with position tracking and then visits the whole
    tree once more to hand the results out, which costs as much again; the ranges are already
    complete after the rendering, so they are taken from the provider directly.  Should a libcst
    release rename those internals, the documented path is used."""
    done = _provider_rendering(module)
    return done[0] if done is not None else _documented_positions(module)


def rendered(module: cst.Module) -> tuple[Any, str]:
    """(:func:`positions` of ``module``, its code) from one rendering."""
    done = _provider_rendering(module)
    if done is not None:
        return done[0], "".join(done[1])
    return _documented_positions(module), module.code


def _provider_rendering(module: cst.Module) -> tuple[Any, list[str]] | None:
    """``PositionProvider``'s rendering of ``module``, through its internals: (the ranges, the
    code's tokens), or None if those internals are not what this libcst release has."""
    try:
        from libcst.metadata.position_provider import PositionProvidingCodegenState

        provider = PositionProvider()
        state = PositionProvidingCodegenState(default_indent=module.default_indent,
                                              default_newline=module.default_newline,
                                              provider=provider)
        module._codegen(state)
        if provider._computed:
            return provider._computed, state.tokens
    except Exception:  # noqa: BLE001 - the documented path is the fallback
        pass
    return None


def _documented_positions(module: cst.Module) -> Any:
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


def scoped_position(text: str, lines: list[str], node: cst.CSTNode, scope: cst.CSTNode,
                    cache: dict[int, Any] | None = None, module: cst.Module | None = None
                    ) -> tuple[int, int, int, int] | None:
    """(line, column, end_line, end_column) of ``node`` inside ``scope``, from positions over
    that scope alone, or None (then the caller computes them over the module).  ``cache`` keeps
    each scope's rendering for its next node; ``module`` (the file's) gives the indentation and
    newline the scope is rendered with.

    ``scope`` is a definition (``FunctionDef``/``ClassDef``) at any depth, whose real line is a
    ``def``/``class`` line of that name in the text, or a top-level statement of the module, whose
    real line is a line of the text equal to the statement's own first line.  Rendered alone, the
    scope starts at column 0: each of its lines reads as in the file, or (a logical line of a
    nested definition) with the definition's indentation in front.  The answer is kept only if
    exactly one such line makes every line ``node`` spans read so (a statement written twice the
    same way is left to the module's positions)."""
    try:
        entry = cache.get(id(scope)) if cache is not None else None
        if entry is None or entry[0] is not scope:
            scratch = cst.Module(body=[scope]) if module is None else cst.Module(
                body=[scope], default_indent=module.default_indent,
                default_newline=module.default_newline)
            local, code = rendered(scratch)
            rendered_lines = code.splitlines()
            index = _index(text, lines, cache)
            if isinstance(scope, (cst.FunctionDef, cst.ClassDef)):
                keyword = "class" if isinstance(scope, cst.ClassDef) else "def"
                heads = index[0].get((keyword, scope.name.value), [])
                head_line = local[scope.name].start.line
            else:
                # the statement's first line (after its leading blank and comment lines)
                head_line = len(scope.leading_lines) + 1 \
                    if isinstance(scope, cst.BaseStatement) else 1
                head = rendered_lines[head_line - 1]
                heads = [(line, "") for line in index[1].get(head, ())]
            entry = (scope, local, head_line, heads, rendered_lines)
            if cache is not None:
                cache[id(scope)] = entry
        _, local, head_line, heads, rendered_lines = entry
        rng = local[node]
        span = rendered_lines[rng.start.line - 1:rng.end.line]
        hits = []
        for def_line, pad in heads:
            line = def_line + rng.start.line - head_line
            shifts = _shifts(lines, line, span, pad)
            if shifts is not None:
                hits.append((line, rng.start.column + shifts[0] + 1,
                             line + len(span) - 1, rng.end.column + shifts[-1] + 1))
        return hits[0] if len(hits) == 1 else None
    except Exception:  # noqa: BLE001 - the module's positions are the fallback
        return None


_HEAD = re.compile(r"^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([^\W\d]\w*)", re.M)


def _index(text: str, lines: list[str], cache: dict[Any, Any] | None) -> tuple[dict, dict]:
    """The text's ``def``/``class`` lines by (keyword, name) -> [(line, indentation)], and its
    lines by content -> [line numbers]: made once per file (kept in ``cache``)."""
    found = cache.get("#index") if cache is not None else None
    if found is None or found[0] is not text:
        heads: dict[tuple[str, str], list[tuple[int, str]]] = {}
        line_no = 1
        last = 0
        for m in _HEAD.finditer(text):
            line_no += text.count("\n", last, m.start())
            last = m.start()
            heads.setdefault((m.group(2), m.group(3)), []).append((line_no, m.group(1)))
        by_text: dict[str, list[int]] = {}
        for i, line in enumerate(lines):
            by_text.setdefault(line, []).append(i + 1)
        found = (text, heads, by_text)
        if cache is not None:
            cache["#index"] = found
    return found[1], found[2]


def _shifts(lines: list[str], line: int, span: list[str], pad: str) -> list[int] | None:
    """For each rendered line of ``span``, how far right it stands in the text from ``line``
    (1-based) on: ``len(pad)`` (a logical line, indented by the definition's own indentation) or
    0 (a continuation line, or a top-level scope); None if a line reads neither way."""
    if line < 1 or line + len(span) - 1 > len(lines):
        return None
    out = []
    for k, rendered_line in enumerate(span):
        real = lines[line - 1 + k]
        if pad and real == pad + rendered_line:
            out.append(len(pad))
        elif real == rendered_line:
            out.append(0)
        else:
            return None
    return out


_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)


class Locator:
    def __init__(self, module: cst.Module, text: str) -> None:
        self.module = module
        self.text = text
        self._line_starts: list[int] | None = None
        self._defs: dict[str, list[int]] | None = None
        # function key -> (last seq located, offset after it)
        self._cursor: dict[str, tuple[int, int]] = {}
        # id(scope node) -> positions of the nodes in it (computed only for ambiguous statements)
        self._positions: dict[int, Any] = {}

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

    def find(self, anchor: cst.CSTNode, scope: str, scope_start: int, seq: int,
             scope_node: cst.CSTNode | None = None) -> tuple[int, int]:
        """(line, column) where ``anchor`` starts, searching from its function's start.

        ``scope_node`` is the function (``FunctionDef``) the anchor is in, or None for module-level
        code; it is used only when the statement's text is not unique in the file."""
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
        if self.text.find(first, pos + 1) != -1 or self.text.rfind(first, 0, pos) != -1:
            exact = self._exact(anchor, scope_node, scope_start)
            if exact is not None:
                return exact
        if seq >= last_seq:
            self._cursor[scope] = (seq, pos)
        return self.line_col(pos)

    def _exact(self, anchor: cst.CSTNode, scope_node: cst.CSTNode | None,
               scope_start: int) -> tuple[int, int] | None:
        """The exact (line, column) of ``anchor`` from positions over its function only."""
        try:
            key = id(scope_node) if scope_node is not None else 0
            found = self._positions.get(key)
            if found is None:
                if isinstance(scope_node, cst.FunctionDef):
                    scratch = cst.Module(body=[scope_node])
                else:
                    scratch = self.module
                found = positions(scratch)
                self._positions[key] = found
            start = found[anchor].start
            if not isinstance(scope_node, cst.FunctionDef):
                return start.line, start.column + 1
            # the scratch module puts the function at column 0; shift by its real `def` line/column
            def_line, def_col = self.line_col(scope_start)
            name_line = found[scope_node.name].start.line
            return def_line + start.line - name_line, start.column + def_col
        except Exception:  # noqa: BLE001 - never let locating crash a scan
            return None


def statement_line(locator: Any, anchor: cst.CSTNode, scope: str, start: int, seq: int) -> int:
    return locator.find(anchor, scope, start, seq)[0]
