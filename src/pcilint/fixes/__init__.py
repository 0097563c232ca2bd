"""Autofixes: rewrite the code a finding points at, losslessly, with libcst.

The API (used by ``pcilint check --fix`` and by the editor server)::

    from pcilint.fixes import fixes_for, apply_fixes

    fixes = fixes_for(path, source, findings)          # list[Fix], one per fixable finding
    result = apply_fixes(path, source, findings, unsafe=False)   # FixResult

- ``path`` is the file's path as the findings name it (``Finding.path``; its suffix decides how the
  file is read: Python through libcst, settings/template files as text); ``source`` the file's bytes
  as they are on disk (any PEP 263 encoding, any line endings); ``findings`` the findings of a scan
  for that file (others are ignored).  ``rules`` (keyword, optional) is the loaded rule set; the
  built-in rules are used when it is not given.
- ``Fix`` is a frozen dataclass: ``rule_id, line, column, end_line, end_column`` (the finding's
  range, 1-based as in the JSON contract), ``safe: bool``, ``title: str`` (one line, for a code
  action or a diff header) and ``new_source: bytes`` (the whole file after applying that one fix,
  encoded as the original was, its line endings and comments kept).  A fix whose result would not
  re-parse is never returned.
- ``apply_fixes`` applies every fix of ``findings`` at once (only the safe ones unless
  ``unsafe=True``) and returns ``FixResult(new_source, applied: list[Fix], skipped: list[Fix])``
  (``skipped``: unsafe fixes left out, or fixes that conflicted); ``new_source == source`` when
  nothing applied.
- Which rule has which fix is declared in the rule's YAML: ``autofix: {kind: https-url, safety:
  safe}`` (``pcilint rule PCI501`` shows it); :data:`pcilint.fixes.kinds.FIX_KINDS` lists the kinds.

``add_ignores(path, source, findings, reason)`` (in :mod:`pcilint.fixes.ignores`) is the other
rewrite: it adds ``# pcilint: ignore[PCIxxx] -- reason`` comments where :mod:`pcilint.suppressions`
reads them.
"""

from __future__ import annotations

import ast

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Any, Iterable

from pcilint.fixes.kinds import FIX_KINDS, SAFETIES

__all__ = ["Fix", "FixResult", "fixes_for", "apply_fixes", "FIX_KINDS", "SAFETIES"]


@dataclass(frozen=True)
class Fix:
    rule_id: str
    line: int
    column: int
    end_line: int
    end_column: int
    safe: bool
    title: str
    new_source: bytes


@dataclass
class FixResult:
    new_source: bytes
    applied: list[Fix] = field(default_factory=list)
    skipped: list[Fix] = field(default_factory=list)


@lru_cache(maxsize=1)
def _builtin_autofixes() -> dict[str, dict[str, str]]:
    from pcilint.ruleset import load_rules

    return {r.id: r.autofix for r in load_rules() if r.autofix}


def _autofixes(rules: Iterable[Any] | None) -> dict[str, dict[str, str]]:
    if rules is None:
        return _builtin_autofixes()
    return {r.id: r.autofix for r in rules if getattr(r, "autofix", None)}


def _is_python(path: str) -> bool:
    return PurePath(path).suffix.lower() in (".py", ".pyw", ".pyi")


def _same_file(finding_path: str, path: str) -> bool:
    """``Finding.path`` is relative to the scan's working directory; ``path`` may be that, or
    absolute (an editor's document)."""
    import os

    return PurePath(finding_path).as_posix() == PurePath(path).as_posix() or \
        os.path.abspath(finding_path) == os.path.abspath(path)


def fixes_for(path: str, source: bytes, findings: list[Any], *, rules: Iterable[Any] | None = None
              ) -> list[Fix]:
    """One :class:`Fix` per fixable finding of ``path`` (each applied alone to ``source``)."""
    declared = _autofixes(rules)
    wanted = [f for f in findings if f.rule_id in declared and _same_file(f.path, path)]
    if not wanted:
        return []
    if _is_python(path):
        return _python_fixes(path, source, wanted, declared)
    return _text_fixes(source, wanted, declared)


def apply_fixes(path: str, source: bytes, findings: list[Any], *, unsafe: bool = False,
                rules: Iterable[Any] | None = None) -> FixResult:
    """Apply every safe fix of ``findings`` (and the unsafe ones with ``unsafe``) in one pass."""
    declared = _autofixes(rules)
    wanted = [f for f in findings if f.rule_id in declared and _same_file(f.path, path)]
    result = FixResult(new_source=source)
    if not wanted:
        return result
    if not _is_python(path):
        fixes = _text_fixes(source, wanted, declared)
        chosen = [f for f in fixes if f.safe or unsafe]
        result.skipped = [f for f in fixes if f not in chosen]
        for fix in chosen:  # text fixes keep the length of every other line: apply in turn
            finding = next(w for w in wanted if (w.rule_id, w.line, w.column) ==
                           (fix.rule_id, fix.line, fix.column))
            new = _text_fixes(result.new_source, [finding], declared)
            if new:
                result.new_source = new[0].new_source
                result.applied.append(fix)
        return result
    from pcilint.fixes import python as py

    parsed = _parse(source)
    if parsed is None:
        return result
    module, compiles = parsed
    try:
        tree = py.Tree(module)
    except Exception:  # noqa: BLE001 - positions cannot be computed: nothing to fix
        return result
    planned: list[tuple[Fix, py.Plan]] = []
    for finding in wanted:
        one = _plan_one(tree, finding, declared)
        if one is None:
            continue
        plan, title, safe = one
        new = _render(module, plan, compiles)
        if new is None:
            continue
        fix = Fix(finding.rule_id, finding.line, finding.column, finding.end_line,
                  finding.end_column, safe, title, new)
        if not (safe or unsafe):
            result.skipped.append(fix)
            continue
        planned.append((fix, plan))
    combined = py.Plan()
    touched: set[tuple[int, int]] = set()
    for fix, plan in planned:
        # two fixes that rewrite the same node are not combined: the second waits for a re-run
        if plan.touched() & touched:
            result.skipped.append(fix)
            continue
        trial = py.Plan()
        trial.merge(combined)
        trial.merge(plan)
        if _render(module, trial, compiles) is None:
            result.skipped.append(fix)
            continue
        combined = trial
        touched |= plan.touched()
        result.applied.append(fix)
    if result.applied:
        result.new_source = _render(module, combined, compiles) or source
    return result


def _plan_one(tree: Any, finding: Any, declared: dict[str, dict[str, str]]):
    from pcilint.fixes import python as py

    spec = declared[finding.rule_id]
    planner = py.PLANNERS.get(spec["kind"])
    if planner is None:
        return None
    try:
        planned = planner(tree, finding)
    except Exception:  # noqa: BLE001 - an odd tree never breaks a scan: no fix, not a crash
        return None
    if planned is None:
        return None
    plan, title = planned
    return plan, title, spec.get("safety", "unsafe") == "safe"


def _python_fixes(path: str, source: bytes, findings: list[Any],
                  declared: dict[str, dict[str, str]]) -> list[Fix]:
    from pcilint.fixes import python as py

    parsed = _parse(source)
    if parsed is None:
        return []
    module, compiles = parsed
    try:
        tree = py.Tree(module)
    except Exception:  # noqa: BLE001
        return []
    out = []
    for finding in findings:
        one = _plan_one(tree, finding, declared)
        if one is None:
            continue
        plan, title, safe = one
        new = _render(module, plan, compiles)
        if new is not None and new != source:
            out.append(Fix(finding.rule_id, finding.line, finding.column, finding.end_line,
                           finding.end_column, safe, title, new))
    return out


def _parse(source: bytes):
    """The libcst module of ``source``, or None for a file the engine would not parse either
    (undecodable, over the token budget, or nested deeply enough to crash libcst's native parser:
    :mod:`pcilint.guard` decides before libcst sees it)."""
    import libcst as cst

    from pcilint.engine import DEFAULT_MAX_PARSE_TOKENS, _TOKEN, decode_source
    from pcilint.guard import structure_problem

    text, _why = decode_source(source, "python")
    if text is None or structure_problem(text) is not None:
        return None
    if len(text) > DEFAULT_MAX_PARSE_TOKENS and sum(1 for _ in _TOKEN.finditer(text)) > \
            DEFAULT_MAX_PARSE_TOKENS:
        return None
    try:
        module = cst.parse_module(source)
    except Exception:  # noqa: BLE001 - not parseable: nothing to fix
        return None
    return module, _compiles(source)


def _compiles(source: bytes) -> bool:
    try:
        compile(source, "<fix>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def _render(module: Any, plan: Any, compiles: bool) -> bytes | None:
    """The module's bytes with ``plan`` applied, or None when the result would not re-parse (with
    libcst, and with this Python's compiler when the original compiled)."""
    import libcst as cst

    from pcilint.fixes import python as py

    try:
        new = module.visit(py.Apply(plan))
        if plan.need_os and not py.has_import_os(new):
            new = py.add_import_os(new)
        data = new.bytes
        cst.parse_module(data)
    except Exception:  # noqa: BLE001 - a fix that cannot be rendered or re-parsed is not offered
        return None
    if compiles and not _compiles(data):
        return None
    return data


# ---------------------------------------------------------------------------------------------
# settings files, templates, manifests: text edits inside the finding's own line


def _text_fixes(source: bytes, findings: list[Any], declared: dict[str, dict[str, str]]
                ) -> list[Fix]:
    from pcilint.fixes.python import STRIPE_HTTP

    text, encoding = _decode_text(source)
    if text is None:
        return []
    lines = text.split("\n")
    out = []
    for finding in findings:
        spec = declared[finding.rule_id]
        if spec["kind"] != "https-url" or not 0 < finding.line <= len(lines):
            continue
        line = lines[finding.line - 1]
        start = max(finding.column - 1, 0)
        end = finding.end_column - 1 if finding.end_line == finding.line else len(line)
        piece = line[start:end]
        fixed = STRIPE_HTTP.sub(r"https://\1", piece)
        if fixed == piece:
            continue
        new_lines = list(lines)
        new_lines[finding.line - 1] = line[:start] + fixed + line[end:]
        new = "\n".join(new_lines).encode(encoding, "surrogateescape")
        if source.startswith(b"\xef\xbb\xbf") and not new.startswith(b"\xef\xbb\xbf"):
            new = b"\xef\xbb\xbf" + new
        out.append(Fix(finding.rule_id, finding.line, finding.column, finding.end_line,
                       finding.end_column, spec.get("safety") == "safe",
                       "use https:// for the Stripe URL", new))
    return out


def _decode_text(source: bytes) -> tuple[str | None, str]:
    if source[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in source[:8192]:
        return None, ""
    body = source[3:] if source.startswith(b"\xef\xbb\xbf") else source
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return body.decode("latin-1"), "latin-1"



