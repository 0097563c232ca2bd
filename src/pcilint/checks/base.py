"""The check-kind interface: the few kinds of check that YAML rules instantiate.

A check kind is a Python class registered under a ``kind`` name.  A YAML rule names the kind and
gives its parameters; the kind validates them (declared in ``PARAMS``) when rules are loaded.  At scan
time the engine parses each file once and gives every active check a :class:`FileContext`:

* Python checks return a :class:`libcst.BatchableCSTVisitor` from :meth:`CheckKind.visitor`; the engine
  runs all of them in one batched traversal of the module.  Checks that need the card-data flow
  analysis ask ``ctx.analysis()``, which is computed once per file and shared.
* Text checks (templates, settings files) implement :meth:`CheckKind.check_text`.
* Checks that need the whole project (cross-module flow) return picklable per-file facts from
  :meth:`CheckKind.project_facts` and report in :meth:`CheckKind.check_project`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from pcilint.errors import RuleError
from pcilint.findings import Finding, TraceStep

if TYPE_CHECKING:
    # libcst is imported only when a file is parsed: a scan served from the cache or the prefilter
    # never pays its import (~0.3-0.5 s).
    import libcst as cst

    from pcilint.config import Settings
    from pcilint.ruleset import Rule

FILE_KINDS = ("python", "template", "settings", "manifest")


@dataclass(frozen=True)
class Param:
    """A declared check parameter: its type, whether it is required, its default and its doc."""

    type: str  # "str", "bool", "int", "regex", "list[str]", "list[regex]", "dict", "list[dict]", "any"
    required: bool = False
    default: Any = None
    doc: str = ""


def _validate_param(rule: "Rule", name: str, spec: Param, value: Any) -> Any:
    def fail(msg: str) -> RuleError:
        path, _, line = rule.source.rpartition(":")
        return RuleError(msg, path=path, line=rule.param_lines.get(name, int(line or 0)) or None,
                         field=f"{rule.id}.check.{name}")

    def regex(v: Any) -> re.Pattern[str]:
        if not isinstance(v, str):
            raise fail(f"must be a regular expression string, got {type(v).__name__}")
        try:
            return re.compile(v)
        except re.error as exc:
            raise fail(f"invalid regular expression: {exc}") from None

    t = spec.type
    if t == "any":
        return value
    if t == "str":
        if not isinstance(value, str):
            raise fail(f"must be a string, got {type(value).__name__}")
        return value
    if t == "bool":
        if not isinstance(value, bool):
            raise fail(f"must be true or false, got {value!r}")
        return value
    if t == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(f"must be an integer, got {value!r}")
        return value
    if t == "regex":
        return regex(value)
    if t in ("list[str]", "list[regex]", "list[dict]"):
        if isinstance(value, str) and t != "list[dict]":
            value = [value]
        if not isinstance(value, list):
            raise fail(f"must be a list, got {type(value).__name__}")
        if t == "list[str]":
            if not all(isinstance(v, str) for v in value):
                raise fail("must be a list of strings")
            return list(value)
        if t == "list[dict]":
            if not all(isinstance(v, dict) for v in value):
                raise fail("must be a list of mappings")
            return list(value)
        return [regex(v) for v in value]
    if t == "dict":
        if not isinstance(value, dict):
            raise fail(f"must be a mapping, got {type(value).__name__}")
        return value
    raise AssertionError(f"unknown param type {t}")


class CheckKind:
    """Base class of every check kind.  Subclasses set ``kind``, ``PARAMS`` and ``FILE_KINDS``."""

    kind: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Param]] = {}
    FILE_KINDS: ClassVar[tuple[str, ...]] = ("python",)
    #: Whether the check needs ``ctx.analysis()`` (the card-data flow analysis) for Python files.
    USES_ANALYSIS: ClassVar[bool] = False
    #: For checks with a project phase: True promises that the check (or the analysis it uses) calls
    #: ``ctx.need_module()`` / ``ctx.need_importers()`` for every other file its project phase needs
    #: facts from.  False (the safe default) makes the engine analyse every file import-connected to
    #: an analysed one.  See :mod:`pcilint.prefilter`.
    DECLARES_DEPENDENCIES: ClassVar[bool] = False

    def __init__(self, rule: "Rule") -> None:
        self.rule = rule
        values: dict[str, Any] = {}
        for name in rule.params:
            if name not in self.PARAMS:
                allowed = ", ".join(sorted(self.PARAMS)) or "none"
                path, _, line = rule.source.rpartition(":")
                raise RuleError(f"unknown parameter for check kind {self.kind!r} (allowed: {allowed})",
                                path=path, line=rule.param_lines.get(name, int(line)),
                                field=f"{rule.id}.check.{name}")
        for name, spec in self.PARAMS.items():
            if name in rule.params:
                values[name] = _validate_param(rule, name, spec, rule.params[name])
            elif spec.required:
                path, _, line = rule.source.rpartition(":")
                raise RuleError(f"check kind {self.kind!r} requires parameter `{name}`", path=path,
                                line=int(line), field=f"{rule.id}.check")
            else:
                values[name] = spec.default
        self.p = values
        self.setup()

    # -- hooks for subclasses -------------------------------------------------------------------
    def setup(self) -> None:
        """Prepare compiled state from ``self.p`` (called once when rules are loaded)."""

    def prefilter_terms(self) -> list[str] | None:
        """Regex fragments at least one of which must occur in a file for this check to matter.

        ``None`` means the check must see every file of its kinds.  The engine ORs the terms of all
        active checks into one textual prefilter (see :mod:`pcilint.prefilter`): a file in which no
        term matches is not parsed, so every file where this check can report MUST match one term.
        The rule examples are analysed through the prefilter too: a term list that misses a ``bad``
        example fails that example's test.
        """
        return None

    def visitor(self, ctx: "FileContext") -> cst.BatchableCSTVisitor | None:
        """A visitor for one Python file, run in the engine's single batched traversal."""
        return None

    def check_text(self, ctx: "FileContext") -> None:
        """Check a non-Python file (template or settings) from ``ctx.text``."""

    def check_unparsed(self, ctx: "FileContext") -> None:
        """Check, as text, a Python file that does not parse (it is also listed under ``errors``).
        Only checks that can judge raw lines (secrets, card numbers) implement it."""

    def project_facts(self, ctx: "FileContext") -> Any:
        """Picklable per-file facts for :meth:`check_project` (None when there are none)."""
        return None

    def check_project(self, facts: dict[str, Any], report: "ProjectReporter") -> None:
        """Report findings that need facts from several files (e.g. cross-module flow)."""


def is_test_path(path: str) -> bool:
    """Test code: under a ``tests``/``test`` directory, ``test_*.py``, ``*_test.py``, ``conftest.py``."""
    p = PurePosixPath(path)
    name = p.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py") \
            or name == "tests.py":
        return True
    return any(part in ("tests", "test", "testing") for part in p.parts[:-1])


class FileContext:
    """Everything a check may know about one file; shared by all checks for that file."""

    def __init__(self, path: str, text: str, file_kind: str, settings: "Settings",
                 module: cst.Module | None = None) -> None:
        self.path = path  # display path, '/'-separated
        self.text = text
        self.file_kind = file_kind
        self.settings = settings
        self.module = module
        self.is_test = is_test_path(path)
        self.findings: list[Finding] = []
        self.shared: dict[str, Any] = {}  # per-file caches of analyses, keyed by their module
        self._lines: list[str] | None = None
        self._positions: Any = None
        self._scoped: dict[int, Any] = {}  # see position()
        self._tops: dict[int, Any] | None = None  # see _top_statement()
        self._imports: Any = None
        self._analysis: Any = None
        # the rule whose project_facts() is running (set by the engine): declarations are its own
        self.declaring = ""
        # need_module() / need_importers() as (when, kind, name, rule id): what the engine records
        # (FileDeps.conditional; "" when: unconditional)
        self.declarations: list[tuple[str, str, str, str]] = []

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def masked_line(self, line: int) -> str:
        """Line ``line`` masked in the context of its neighbours (see :func:`mask_window`)."""
        from pcilint.masking import mask_window

        lines = self.lines
        return mask_window(lines, line - 1) if 0 < line <= len(lines) else ""

    @property
    def imports(self) -> Any:
        """The module's import table (local name -> qualified name); see :mod:`pcilint.analysis.imports`."""
        if self._imports is None:
            from pcilint.analysis.imports import ImportTable

            assert self.module is not None
            self._imports = ImportTable.from_module(self.module)
        return self._imports

    def analysis(self) -> Any:
        """The card-data flow analysis of this file, computed once and shared by all checks."""
        if self._analysis is None:
            from pcilint.analysis import analyze_module

            self._analysis = analyze_module(self)
        return self._analysis

    def need_module(self, name: str, when: str | None = None, passes_data: bool = True) -> None:
        """Cross-module flow: the project phase needs facts from the module defining ``name``.

        ``name`` is dotted as this file imports it (``app.audit``, ``.audit.audit_event``, a
        ``module.function``); the engine then analyses that file even if the prefilter skipped it.
        Call it e.g. for a callee in another module that receives card data from this file.

        ``when`` makes the need conditional (a file holding card data itself declares without):

        * ``"called"``: only if another file's declarations pass card data into this one (a
          parameter passed on matters only then); ``"called:<name>"``: into this top-level
          function or class of this file (``need_module("app.audit.record")`` calls ``record``);
        * ``"returns:<callee>"``: only if the module defining ``<callee>`` (as this file names it)
          returns card data to its importers (a call's result passed on or returned);
        * ``"asked:<name>"``: only if another file's declaration needs this one for the top-level
          name ``<name>`` (``need_module("core.fields.UpperCharField")`` asks ``core/fields.py``
          for ``UpperCharField``; a whole module named asks for every name);
        * ``"reached"``: if any of these happens.

        ``passes_data=False``: only the module's facts are needed (a base class), no card data is
        handed to it, so its own ``"called"`` declarations do not follow from this one.
        """
        kind = "module" if passes_data else "facts"
        self.declarations.append((when or "", kind, name, self.declaring))

    def need_importers(self, when: str | None = None, carries: str | None = "data") -> None:
        """Cross-module flow: files importing this one need analysing too (e.g. a function here
        returns card data to callers elsewhere); ``when`` as for :meth:`need_module`.

        ``carries``: what the importers get from here, for other files' conditions: ``"data"``
        (card data: ``when="returns:<callee>"`` of a file calling into this one holds), ``"fields"``
        (classes with card fields: ``when="inherits:<base>"`` holds), None (only facts)."""
        self.declarations.append((when or "", f"importers:{carries or ''}", "", self.declaring))

    def position(self, node: cst.CSTNode,
                 scope: cst.FunctionDef | cst.ClassDef | None = None) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column), 1-based; positions are computed only on demand.

        Only the part of the module around ``node`` is rendered with positions (see
        :func:`pcilint.analysis.locate.scoped_position`): ``scope``, the function or class it is
        in when the caller knows it, else the top-level statement holding it.  Positions over
        the whole module (which can cost more than its parse) are the fallback."""
        if self._positions is None:
            from pcilint.analysis.locate import scoped_position

            assert self.module is not None
            found = None
            if scope is not None:
                found = scoped_position(self.text, self.lines, node, scope, self._scoped,
                                        self.module)
            top = self._top_statement(node) if found is None else None
            if top is not None and top is not scope:
                found = scoped_position(self.text, self.lines, node, top, self._scoped,
                                        self.module)
            if found is not None:
                return found
        if self._positions is None:
            from pcilint.analysis.locate import positions

            assert self.module is not None
            self._positions = positions(self.module)
        rng = self._positions[node]
        return rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1

    def _top_statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The statement of the module's body that holds ``node`` (a walk of the tree the first
        time: about a tenth of the module's positions), or None."""
        if self._tops is None:
            from pcilint.walk import iter_nodes

            assert self.module is not None
            self._tops = {id(n): stmt for stmt in self.module.body for n in iter_nodes(stmt)}
        return self._tops.get(id(node))

    def report(self, rule: "Rule", node: cst.CSTNode | None = None, *, line: int | None = None,
               column: int = 1, end_line: int | None = None, end_column: int | None = None,
               trace: Iterable[TraceStep] = (), **fields: Any) -> None:
        """Record a finding of ``rule`` at ``node`` (or at an explicit line/column)."""
        if node is not None:
            line, column, end_line, end_column = self.position(node)
        assert line is not None
        if end_line is None:
            end_line = line
        if end_column is None:
            end_column = len(self.line_text(end_line)) + 1
        self.findings.append(make_finding(rule, self.path, line, column, end_line, end_column,
                                          self.masked_line(line), trace, fields))


def make_finding(rule: "Rule", path: str, line: int, column: int, end_line: int, end_column: int,
                 snippet: str, trace: Iterable[TraceStep], fields: dict[str, Any]) -> Finding:
    from pcilint.pcidss import requirements_for

    pci_dss = requirements_for(rule.id, rule.pci_dss, fields)
    fields.pop("involves", None)
    return Finding(
        rule_id=rule.id, category=rule.category, severity=fields.pop("severity", None) or rule.severity,
        path=path, line=line, column=column, end_line=end_line, end_column=end_column,
        message=rule.render_message(**fields), pci_dss=pci_dss, trace=tuple(trace),
        snippet=snippet.strip(),
    )


class ProjectReporter:
    """Reporting for :meth:`CheckKind.check_project`, where findings carry explicit positions."""

    def __init__(self, line_of: Callable[[str, int], str]) -> None:
        self._line_of = line_of
        self.findings: list[Finding] = []
        # what the project phase examined, for the scan's inventory (section -> rows of plain
        # data; see pcilint.inventory): e.g. the webhook check's endpoints and how they verify
        self.inventory: dict[str, list[Any]] = {}

    def report(self, rule: "Rule", path: str, line: int, column: int, end_line: int,
               end_column: int, trace: Iterable[TraceStep] = (), **fields: Any) -> None:
        self.findings.append(make_finding(rule, path, line, column, end_line, end_column,
                                          self._line_of(path, line), trace, fields))
