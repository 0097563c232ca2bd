"""Check kind ``dependency-version``: a package's requirement or locked version, judged against the
SDK version table (see :mod:`pcilint.versiontable`).

* ``report: outdated`` - every version the requirement allows is in a major before the support
  window: a pin (``stripe==2.55.0``), a lock entry, a compatible-release or caret range that stays
  in an old major (``~=2.5``, ``^2.5``), an upper bound below the window (``<3``).  A lower bound alone
  (``stripe>=2``, common in a library's metadata) leaves newer majors open and is not reported.
* ``report: unbounded`` - the requirement has no upper bound or no version at all (``stripe``,
  ``stripe>=2.0``); not in a requirements file that applies a constraints file (``-c``), which is
  where such a file's pins live, nor in a constraints file itself.

Manifests are read by :mod:`pcilint.manifests` (``formats`` chooses which); ``setup.py`` from its
syntax tree: the ``install_requires`` and ``extras_require`` of its ``setup(...)`` call (literals,
or module-level names bound to them), never by running it.  Findings are reported at the
requirement's line (a lock entry's ``name`` line).  Message fields: ``requirement`` (as written),
``what`` (what it allows), ``major``, ``min_major`` (the oldest major in the window), ``latest`` (the newest release
in the table), ``date`` (the table's date).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import libcst as cst

from pcilint.analysis.bindings import bindings_for
from pcilint.analysis.literals import string_value
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.errors import RuleError
from pcilint.manifests import (FORMATS, Requirement, has_constraints, manifest_format,
                               normalize_name, parse_requirement, read_manifest)
from pcilint.specifiers import allowed
from pcilint.versiontable import Policy, load_table, policy

REPORTS = ("outdated", "unbounded")
#: the discovery kind each manifest format arrives as (pyproject.toml and setup.cfg are also
#: settings files, setup.py a Python file)
FORMAT_KINDS = {"manifest": set(FORMATS) - {"pyproject", "setup-cfg", "setup-py"},
                "settings": {"pyproject", "setup-cfg"}, "python": {"setup-py"}}
SETUP_CALLS = ("setup", "setuptools.setup", "distutils.core.setup")


def table_path(rule: Any, value: str) -> Path:
    """A rule's version table: its ``versions`` parameter, relative to the rule file."""
    path = Path(value)
    if not path.is_absolute():
        path = Path(rule.source.rpartition(":")[0]).resolve().parent / path
    return path


class TableCheck(CheckKind):
    """Shared by the dependency checks: the ``versions`` table, loaded (and validated) with the
    rules, and the policy the configuration makes of it."""

    def _load_table(self) -> None:
        self.table_path = table_path(self.rule, self.p["versions"])
        try:
            load_table(self.table_path, RuleError)
        except RuleError as exc:
            path, _, line = self.rule.source.rpartition(":")
            raise RuleError(f"bad version table: {exc}", path=path,
                            line=self.rule.param_lines.get("versions", int(line or 0)) or None,
                            field=f"{self.rule.id}.check.versions") from None
        self._policies: dict[Any, Policy] = {}

    def policy(self, ctx: FileContext, default_age_days: int = 0) -> Policy:
        key = ctx.settings.dependencies
        found = self._policies.get(key)
        if found is None:
            found = self._policies[key] = policy(self.table_path, key, default_age_days)
        return found


@register
class DependencyVersion(TableCheck):
    """A requirement or lock entry of a package that is outdated (every allowed version is in a
    major past the support window) or unbounded (no upper bound).

    Read from every manifest format in ``formats`` (requirements, ``pyproject.toml``, ``setup.cfg``,
    ``setup.py``, Pipfile, lock files) against the SDK version table.  Reported at the requirement's
    line; message fields ``requirement``, ``what``, ``min_major``, ``latest``.
    """

    kind = "dependency-version"
    FILE_KINDS = ("manifest", "settings", "python")
    PARAMS = {
        "package": Param("str", required=True, doc="The package (PyPI name) to judge."),
        "report": Param("str", default="outdated",
                        doc="outdated: every allowed version is in a major before the support "
                            "window; unbounded: no upper bound or no version at all."),
        "formats": Param("list[str]", default=list(FORMATS),
                         doc="Manifest formats to read: " + ", ".join(FORMATS) + "."),
        "versions": Param("str", default="data/stripe-versions.yaml",
                          doc="The version table (relative to the rule file)."),
        "skip_in_tests": Param("bool", default=True,
                               doc="Do not report in test code (tests/, test_*.py, conftest.py)."),
    }

    def setup(self) -> None:
        path, _, line = self.rule.source.rpartition(":")

        def fail(name: str, msg: str) -> RuleError:
            return RuleError(msg, path=path, line=self.rule.param_lines.get(name, int(line or 0))
                             or None, field=f"{self.rule.id}.check.{name}")

        if self.p["report"] not in REPORTS:
            raise fail("report", f"must be one of {', '.join(REPORTS)}")
        unknown = [f for f in self.p["formats"] if f not in FORMATS]
        if unknown:
            raise fail("formats", f"unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})")
        self.package = normalize_name(self.p["package"])
        self.formats = set(self.p["formats"])
        # only the file kinds the formats come in (PCI902 reads no Python file)
        self.FILE_KINDS = tuple(kind for kind, formats in FORMAT_KINDS.items()  # type: ignore[misc]
                                if self.formats & formats)
        self._load_table()

    def prefilter_terms(self) -> list[Any] | None:
        """The package written as a requirement or lock entry would write it, not merely named:
        Python files that only ``import stripe`` are not parsed for this rule."""
        # package names are case-insensitive, and ``-``/``_``/``.`` are the same (PEP 503)
        name = "[-_.]".join(re.escape(part) for part in re.split(r"[-_.]+", self.package))
        extras = r"(?:\[[^\]\n]*\][ \t]*)?"
        terms: list[Any] = [
            # a requirements / setup.cfg line, a Pipfile or Poetry key: ``stripe==2.55.0``,
            # ``stripe = "^2.5"``, ``pay = stripe==2.1``
            rf"(?im:^[ \t]*[\"']?{name}[\"']?[ \t]*{extras}(?:[=<>~!;@#(\\]|$))",
            rf"(?im:^[\w.-]+[ \t]*[=:][ \t]*{name}[ \t]*{extras}[=<>~!(])",
            rf"(?i:\.{name}\])",  # a Poetry sub-table: ``[tool.poetry.dependencies.stripe]``
            # a PEP 508 string with a version (pyproject.toml arrays, setup.py lists)
            rf"(?i:[\"']{name}[ \t]*{extras}[=<>~!;@(])",
            # lock entries: ``name = "stripe"`` (TOML), ``"stripe": {`` (Pipfile.lock)
            rf"(?i:\bname[ \t]*=[ \t]*[\"']{name}[\"'])",
            rf"(?i:[\"']{name}[\"'][ \t]*:[ \t]*\{{)",
        ]
        if "setup-py" in self.formats:  # ``setup(install_requires=REQUIRES)``
            terms.append((f"(?i:{name})", ["install_requires", "extras_require"]))
        return terms

    def _applies(self, ctx: FileContext) -> str | None:
        fmt = manifest_format(ctx.path)
        if fmt not in self.formats or (self.p["skip_in_tests"] and ctx.is_test):
            return None
        return fmt

    def check_text(self, ctx: FileContext) -> None:
        fmt = self._applies(ctx)
        if fmt is None or fmt == "setup-py":
            return
        if self.p["report"] == "unbounded" and fmt == "requirements" and (
                "constraints" in Path(ctx.path).name.lower() or has_constraints(ctx.text)):
            return
        self.judge(ctx, read_manifest(fmt, ctx.text))

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self._applies(ctx) != "setup-py":
            return None
        check = self

        class Visitor(cst.BatchableCSTVisitor):
            def visit_Call(self, node: cst.Call) -> None:
                name = ctx.imports.qualify(node.func)
                if name in SETUP_CALLS:
                    check.judge(ctx, setup_requirements(ctx, node))

        return Visitor()

    def judge(self, ctx: FileContext, requirements: Iterable[Requirement]) -> None:
        window = self.policy(ctx)
        table = window.table
        for req in requirements:
            if req.name != self.package or req.direct:
                continue
            versions = allowed(req.spec, req.poetry)
            if versions is None:
                continue  # unreadable (``stripe==${VERSION}``) or contradictory: not judged
            fields: dict[str, Any] = {
                "requirement": req.text.split(";", 1)[0].strip(),
                "min_major": window.min_supported_major, "latest": table.latest.last_release,
                "date": table.generated.isoformat()}
            if self.p["report"] == "outdated":
                newest = versions.newest_major
                if newest is None or newest >= window.min_supported_major:
                    continue
                if req.locked:
                    what = f"is locked at {versions.pinned} (major {newest})"
                elif versions.pinned:
                    what = f"pins major {newest}"
                else:
                    what = f"allows nothing newer than major {newest}"
                fields.update(what=what, major=newest)
            else:
                if versions.bounded or req.locked:
                    continue
                fields["what"] = "upper bound" if req.spec else "version"
            ctx.report(self.rule, line=req.line, column=req.column, **fields)


def setup_requirements(ctx: FileContext, call: cst.Call) -> list[Requirement]:
    """The requirement strings of a ``setup(...)`` call: ``install_requires`` and every list of
    ``extras_require``, as literals or through module-level names."""
    bindings = bindings_for(ctx)
    out: list[Requirement] = []

    def strings(node: cst.BaseExpression) -> Iterable[cst.BaseExpression]:
        node = bindings.value_of(node, None)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            for element in node.elements:
                if not isinstance(element, cst.StarredElement):
                    yield bindings.value_of(element.value, None)
        elif isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            yield node  # ``install_requires="stripe>=2"`` (one requirement a line)

    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword == "install_requires":
            values = list(strings(arg.value))
        elif keyword == "extras_require":
            mapping = bindings.value_of(arg.value, None)
            values = [s for element in getattr(mapping, "elements", ())
                      if isinstance(element, cst.DictElement) for s in strings(element.value)]
        else:
            continue
        for node in values:
            text = string_value(node) if isinstance(node, (cst.SimpleString,
                                                           cst.ConcatenatedString)) else None
            for requirement in (text or "").splitlines():
                parsed = parse_requirement(requirement)
                if parsed is None:
                    continue
                line, column, _, _ = ctx.position(node)
                name, spec, direct = parsed
                out.append(Requirement(name, requirement.strip(), spec, line, column,
                                       direct=direct))
    return out
