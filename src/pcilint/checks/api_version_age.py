"""Check kind ``api-version-age``: a pinned API version (a dated string such as ``"2019-12-03"`` or
``"2024-09-30.acacia"``) older than the SDK version table allows.

* ``assignments``: ``[globs]`` - attributes that pin the version: ``stripe.api_version = "..."``
  (also through an alias of the module, or a module constant holding the string);
* ``calls``: ``[globs]`` - calls whose ``keyword`` argument pins it
  (``stripe.StripeClient(..., stripe_version="...")``, ``stripe.Customer.create(...,
  stripe_version=...)``), or a dict literal argument with that key (``options={"stripe_version":
  ...}`` of a ``StripeClient`` service method).

A version is too old when it is dated more than ``max_age_days`` (``max_api_version_age_days`` in
the configuration) before the version table's ``generated`` date: the reference is the table, never the
scanning machine's clock, so the result does not change from one day to the next.  Values that are
not literal API versions (read from the environment or settings) are not judged.  Reported at the
assignment statement, keyword argument or dict entry; message fields: ``version``, ``name`` (what
pins it), ``age`` (the limit, e.g. ``2 years``), ``date`` (the table's date), ``newest`` (the
newest API version in the table).
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from pcilint.analysis.bindings import NOT_CONSTANT, bindings_for, constant_value
from pcilint.analysis.globs import matches_any
from pcilint.analysis.imports import dotted_name
from pcilint.checks import register
from pcilint.checks.base import FileContext, Param
from pcilint.checks.dependency_version import TableCheck
from pcilint.versiontable import api_version_date


def describe_days(days: int) -> str:
    """730 -> ``2 years``, 180 -> ``180 days``."""
    if days and days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


@register
class ApiVersionAge(TableCheck):
    """A literal API version pinned through an attribute, a keyword argument or an options dict,
    dated too long before the version table's date.

    ``assignments`` (``stripe.api_version = ...``) and ``calls`` with their ``keyword``
    (``stripe_version=``) say where a version is pinned; ``max_age_days`` how old it may be.
    Reported at the version literal; message fields ``version``, ``name``, ``age``, ``date``,
    ``newest``.
    """

    kind = "api-version-age"
    PARAMS = {
        "assignments": Param("list[str]", default=[],
                             doc="Attributes whose assignment pins the API version (globs)."),
        "calls": Param("list[str]", default=[],
                       doc="Calls whose `keyword` argument (or options dict key) pins it (globs)."),
        "keyword": Param("str", default="stripe_version", doc="The keyword / dict key."),
        "max_age_days": Param("int", default=730,
                              doc="How much older than the table's date a version may be."),
        "versions": Param("str", default="data/stripe-versions.yaml",
                          doc="The version table (relative to the rule file)."),
        "skip_in_tests": Param("bool", default=True,
                               doc="Do not report in test code (tests/, test_*.py, conftest.py)."),
    }

    def setup(self) -> None:
        self._load_table()

    def prefilter_terms(self) -> list[Any] | None:
        """An attribute or keyword that pins, and a dated string literal in the same file (only a
        literal, or a constant of this module, is judged)."""
        words = {self.p["keyword"]} | {glob.rsplit(".", 1)[-1] for glob in self.p["assignments"]}
        words = {w for w in words if w and not any(c in w for c in "*?[")}
        if not words:
            return None
        pins = "|".join(re.escape(w) for w in sorted(words))
        return [(rf"\b(?:{pins})\b", r"[\"']\d{4}-\d{2}-\d{2}")]

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self
        bindings = bindings_for(ctx)
        functions: list[cst.FunctionDef] = []
        keyword = self.p["keyword"]

        def names(node: cst.BaseExpression) -> tuple[str | None, ...]:
            return bindings.qualify_expr(node), dotted_name(node)

        def judge(value: cst.BaseExpression, at: cst.CSTNode, name: str) -> None:
            text = constant_value(bindings.value_of(value, functions[-1] if functions else None))
            if text is NOT_CONSTANT or not isinstance(text, str):
                return
            dated = api_version_date(text)
            window = check.policy(ctx, check.p["max_age_days"])
            if dated is None or dated >= window.api_cutoff:
                return
            latest = window.table.latest
            ctx.report(check.rule, at, version=text.strip(), name=name,
                       age=describe_days(window.max_api_age_days),
                       date=window.table.generated.isoformat(),
                       newest=latest.last_api_version or latest.api_version or "unknown")

        class Visitor(cst.BatchableCSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.pop()

            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    self._assigned(target.target, node.value, node)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                if node.value is not None:
                    self._assigned(node.target, node.value, node)

            def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression,
                          stmt: cst.CSTNode) -> None:
                if isinstance(target, cst.Attribute) and any(
                        matches_any(n, check.p["assignments"]) for n in names(target)):
                    judge(value, stmt, dotted_name(target) or "api_version")

            def visit_Call(self, node: cst.Call) -> None:
                if not check.p["calls"] or not any(
                        matches_any(n, check.p["calls"]) for n in names(node.func)):
                    return
                shown = dotted_name(node.func) or "call"
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value == keyword:
                        judge(arg.value, arg, f"{keyword}= of {shown}")
                    elif isinstance(arg.value, cst.Dict):
                        for element in arg.value.elements:
                            if isinstance(element, cst.DictElement) and \
                                    constant_value(element.key) == keyword:
                                judge(element.value, element, f'"{keyword}" option of {shown}')

        return Visitor()
