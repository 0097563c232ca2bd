"""Check kind ``api-usage``: a dangerous setting passed to, assigned on or referenced from an API.

Everything is matched on *qualified* names, so aliases (``import requests as r``, ``from ssl import
CERT_NONE``) and client instances (``s = requests.Session(); s.get(...)``) are recognised; see
:mod:`pcilint.analysis.bindings`.  Name patterns are globs (``requests.*``, ``*.check_hostname``) and
are tried against both the qualified and the written name.

* ``calls``: ``{call: [globs], keyword: name, arg: index, values: [...], argument_refs: [globs],
  what: text}`` - a call matching ``call`` whose argument (keyword ``keyword`` or positional ``arg``)
  is a literal (or a module constant) in ``values``; with neither keyword nor arg, the call itself;
  with ``argument_refs``, a call one of whose arguments names a matching object.
* ``assignments``: ``{target: [globs], values: [...], exclude: [globs], what: text}`` -
  ``x.verify = False``.
* ``references``: ``{name: [globs], what: text}`` - a use of ``ssl.CERT_NONE`` or
  ``ssl._create_unverified_context`` (comparisons such as ``mode == CERT_NONE`` are not uses).

Reported at the call, assignment or reference; message fields: ``what``, ``name``.
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from pcilint.analysis.globs import matches_any
from pcilint.analysis.bindings import NOT_CONSTANT, bindings_for, constant_value
from pcilint.analysis.imports import dotted_name
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param


def _globs(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _matches(names: tuple[str | None, ...], globs: list[str]) -> bool:
    return any(matches_any(n, globs) for n in names)


@register
class ApiUsage(CheckKind):
    """A dangerous setting passed to, assigned on or referenced from an API (``verify=False``,
    ``ssl.CERT_NONE``), matched on qualified names so aliases and client instances count.

    ``calls``: ``{call: [globs], keyword: name, arg: index, values: [...], argument_refs: [globs],
    what: text}`` - a call whose argument (keyword or positional) is a literal or module constant in
    ``values``; with neither ``keyword`` nor ``arg``, the call itself; with ``argument_refs``, a call
    one of whose arguments names a matching object.  ``assignments``: ``{target: [globs], values:
    [...], exclude: [globs], what: text}`` - ``x.verify = False``.  ``references``: ``{name: [globs],
    what: text}`` - a use of ``ssl.CERT_NONE`` (comparisons are not uses).  Reported at the call,
    assignment or reference; message fields ``what``, ``name``.
    """

    kind = "api-usage"
    PARAMS = {
        "calls": Param("list[dict]", default=[], doc="Call patterns (see module doc)."),
        "assignments": Param("list[dict]", default=[], doc="Attribute assignment patterns."),
        "references": Param("list[dict]", default=[], doc="Name reference patterns."),
        "prefilter": Param("list[str]", default=None,
                           doc="Regex fragments one of which must be in a file (default: none)."),
    }

    def setup(self) -> None:
        from pcilint.errors import RuleError

        def fail(msg: str) -> RuleError:
            path, _, line = self.rule.source.rpartition(":")
            return RuleError(msg, path=path, line=int(line or 0) or None,
                             field=f"{self.rule.id}.check")

        self.calls = []
        for spec in self.p["calls"]:
            if "call" not in spec:
                raise fail("each `calls` entry needs `call` (name globs)")
            self.calls.append({**spec, "call": _globs(spec["call"]),
                               "argument_refs": _globs(spec.get("argument_refs"))})
        self.assignments = []
        for spec in self.p["assignments"]:
            if "target" not in spec or "values" not in spec:
                raise fail("each `assignments` entry needs `target` and `values`")
            self.assignments.append({**spec, "target": _globs(spec["target"])})
        self.references = []
        for spec in self.p["references"]:
            if "name" not in spec:
                raise fail("each `references` entry needs `name`")
            self.references.append({**spec, "name": _globs(spec["name"])})
        terms = self.p["prefilter"]
        self._prefilter = re.compile("|".join(terms)) if terms else None

    def prefilter_terms(self) -> list[str] | None:
        return self.p["prefilter"]

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self._prefilter is not None and not self._prefilter.search(ctx.text):
            return None
        check = self
        bindings = bindings_for(ctx)
        functions: list[cst.FunctionDef] = []
        state = {"compare": 0, "import": 0}
        attr_names: set[int] = set()  # the `.attr` Name of an Attribute is not a reference

        def value_in(node: cst.BaseExpression, values: list[Any]) -> bool:
            node = bindings.value_of(node, functions[-1] if functions else None)
            value = constant_value(node)
            if value is NOT_CONSTANT:
                return False
            return any(type(value) is type(v) and value == v for v in values)

        def names(node: cst.BaseExpression) -> tuple[str | None, ...]:
            return bindings.qualify_expr(node), dotted_name(node)

        class Visitor(cst.BatchableCSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.pop()

            def visit_Comparison(self, node: cst.Comparison) -> None:
                state["compare"] += 1

            def leave_Comparison(self, node: cst.Comparison) -> None:
                state["compare"] -= 1

            def visit_Import(self, node: cst.Import) -> None:
                state["import"] += 1

            def leave_Import(self, node: cst.Import) -> None:
                state["import"] -= 1

            def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
                state["import"] += 1

            def leave_ImportFrom(self, node: cst.ImportFrom) -> None:
                state["import"] -= 1

            def visit_Call(self, node: cst.Call) -> None:
                if not check.calls:
                    return
                call_names = names(node.func)
                for spec in check.calls:
                    if not _matches(call_names, spec["call"]):
                        continue
                    hit = _call_hit(node, spec, value_in, names)
                    if hit is not None:
                        shown = dotted_name(node.func) or call_names[0] or "call"
                        ctx.report(check.rule, hit, what=spec.get("what", shown), name=shown)
                        return

            def visit_DictElement(self, node: cst.DictElement) -> None:
                # ``{ssl.CERT_NONE: ...}`` is a lookup table, not a setting
                attr_names.add(id(node.key))

            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    self._assigned(target.target, node.value, node)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                if node.value is not None:
                    self._assigned(node.target, node.value, node)

            def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression,
                          stmt: cst.CSTNode) -> None:
                if not isinstance(target, cst.Attribute):
                    return
                target_names = names(target)
                for spec in check.assignments:
                    if _matches(target_names, spec["target"]) and value_in(value, spec["values"]) \
                            and not _matches(target_names, _globs(spec.get("exclude"))):
                        shown = dotted_name(target) or "attribute"
                        ctx.report(check.rule, stmt, what=spec.get("what", shown), name=shown)
                        return

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                attr_names.add(id(node.attr))
                self._reference(node)
                return True

            def visit_Name(self, node: cst.Name) -> None:
                if id(node) not in attr_names:
                    self._reference(node)

            def _reference(self, node: cst.BaseExpression) -> None:
                if not check.references or state["compare"] or state["import"] \
                        or id(node) in attr_names:
                    return
                # imports only: ``ctx = ssl._create_unverified_context()`` makes ``ctx`` an
                # instance of what the call returned, not a reference to the function
                ref_names = (ctx.imports.qualify(node), dotted_name(node))
                if ref_names[0] == ref_names[1] and isinstance(node, cst.Name):
                    return  # a bare name that was not imported: a local of the same name
                for spec in check.references:
                    if _matches(ref_names, spec["name"]):
                        shown = dotted_name(node) or "name"
                        ctx.report(check.rule, node, what=spec.get("what", shown), name=shown)
                        return

        return Visitor()


def _call_hit(node: cst.Call, spec: dict[str, Any], value_in: Any, names: Any) -> cst.CSTNode | None:
    """The node to report when ``node`` matches the argument part of ``spec``, else None."""
    keyword, index = spec.get("keyword"), spec.get("arg")
    if spec["argument_refs"]:
        for arg in node.args:
            if _matches(names(arg.value), spec["argument_refs"]):
                return node
        return None
    if keyword is None and index is None:
        return node
    values = spec.get("values", [])
    positional = [a for a in node.args if a.keyword is None and not a.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg if value_in(arg.value, values) else None
    if isinstance(index, int) and index < len(positional):
        arg = positional[index]
        return arg if value_in(arg.value, values) else None
    return None
