"""Cheap name bindings of one module: constants and client instances, without scope metadata.

A statement-level walk (it never descends into expressions) records

* module-level constants: ``API_URL = "http://..."``, ``VERIFY = False`` (name -> value node);
* function-local single assignments of literals (``url = "http://..."`` inside a function);
* instances of imported classes: ``s = requests.Session()``, ``with httpx.Client() as c``,
  ``self.session = requests.session()`` (local name -> qualified constructor, normalised);
* names and attributes bound to a library module of the models (``sdk = stripe``,
  ``self.stripe = stripe``, ``self.http = requests``): ``sdk.Charge.create`` is ``stripe.Charge.create``.

Checks use :func:`Bindings.qualify_call` so that ``s.get`` resolves to ``requests.Session.get`` and
``requests.Session().get`` to the same.  The table is computed once per file (``ctx.shared``).
"""

from __future__ import annotations

from typing import Any, Iterable

import libcst as cst

from pcilint import models
from pcilint.analysis.imports import ImportTable, dotted_name

# Factory functions and re-exports that stand for the same client class (``requests.session`` is a
# ``requests.Session``) are library models: ``aliases`` in rules/models/http-clients.yaml, stripe.yaml.

LITERAL_NODES = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer,
                 cst.Name, cst.BinaryOperation, cst.Dict, cst.Call, cst.Attribute)


def normalize(qualified: str) -> str:
    return models.current().aliases.get(qualified, qualified)


class Bindings:
    def __init__(self, imports: ImportTable) -> None:
        self.imports = imports
        self.constants: dict[str, cst.BaseExpression] = {}
        self._constant_counts: dict[str, int] = {}
        #: id(FunctionDef) -> {name: value} for names assigned exactly once in that function
        self.locals: dict[int, dict[str, cst.BaseExpression]] = {}
        #: dotted local name (``s``, ``self.session``) -> qualified constructor
        self.instances: dict[str, str] = {}
        #: dotted local name (``sdk``, ``self.stripe``) -> the library module it is bound to
        self.modules: dict[str, str] = {}
        self._local_counts: dict[int, dict[str, int]] = {}

    # -- building ---------------------------------------------------------------------------------
    @classmethod
    def from_module(cls, module: cst.Module, imports: ImportTable) -> "Bindings":
        table = cls(imports)
        table._walk(module.body, function=None, top=True)
        for name, count in table._constant_counts.items():
            if count != 1:
                table.constants.pop(name, None)
        return table

    def _walk(self, body: Iterable[cst.CSTNode], function: cst.FunctionDef | None,
              top: bool) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign)):
                        self._assign(small, function, top)
            elif isinstance(stmt, cst.FunctionDef):
                self.locals.setdefault(id(stmt), {})
                self._walk(_block(stmt.body), stmt, False)
                self._finish_locals(stmt)
            elif isinstance(stmt, cst.ClassDef):
                self._walk(_block(stmt.body), None, False)
            elif isinstance(stmt, (cst.With,)):
                for item in stmt.items:
                    if item.asname is not None and isinstance(item.item, cst.Call):
                        self._instance(item.asname.name, item.item)
                self._walk(_block(stmt.body), function, top)
            elif isinstance(stmt, (cst.If, cst.For, cst.While, cst.Try, cst.TryStar)):
                self._walk(_block(stmt.body), function, top)
                for handler in getattr(stmt, "handlers", ()):
                    self._walk(_block(handler.body), function, top)
                for extra in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
                    if isinstance(extra, cst.If):
                        self._walk([extra], function, top)
                    elif extra is not None:
                        self._walk(_block(extra.body), function, top)

    def _assign(self, node: cst.Assign | cst.AnnAssign, function: cst.FunctionDef | None,
                top: bool) -> None:
        value = node.value
        if value is None:
            return
        targets = ([t.target for t in node.targets] if isinstance(node, cst.Assign)
                   else [node.target])
        for target in targets:
            if isinstance(value, cst.Call):
                self._instance(target, value)
            elif isinstance(value, (cst.Name, cst.Attribute)):
                self._module_alias(target, value)
            if not isinstance(target, cst.Name):
                continue
            name = target.value
            if top:
                self._constant_counts[name] = self._constant_counts.get(name, 0) + 1
                self.constants[name] = value
            elif function is not None:
                counts = self._local_counts.setdefault(id(function), {})
                counts[name] = counts.get(name, 0) + 1
                self.locals.setdefault(id(function), {})[name] = value

    def _finish_locals(self, function: cst.FunctionDef) -> None:
        scope = self.locals.get(id(function), {})
        counts = self._local_counts.pop(id(function), {})
        for name, count in counts.items():
            if count != 1:
                scope.pop(name, None)

    def _instance(self, target: cst.BaseExpression, call: cst.Call) -> None:
        local = dotted_name(target)
        qualified = self.qualify_expr(call.func)
        if local is None or qualified is None:
            return
        head = qualified.split(".")[0]
        if qualified == dotted_name(call.func) and not self.imports.is_imported(head):
            return  # not an imported class: nothing known about the instance
        self.instances[local] = normalize(qualified)

    def _module_alias(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        raw, local = dotted_name(value), dotted_name(target)
        if raw is None or local is None or not self.imports.is_imported(raw.split(".")[0]):
            return
        qualified = self.imports.resolve(raw)
        m = models.current()
        if qualified in m.stripe_modules or qualified in m.http_modules:
            self.modules[local] = qualified

    # -- queries ----------------------------------------------------------------------------------
    def qualify_module(self, raw: str | None) -> str | None:
        """``sdk.Charge.create`` -> ``stripe.Charge.create`` when ``sdk`` is bound to a library
        module of the models (``sdk = stripe``, ``self.stripe = stripe``); None otherwise."""
        if not raw or not self.modules:
            return None
        parts = raw.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in self.modules:
                return ".".join([self.modules[prefix], *parts[i:]])
        return None

    def qualify_expr(self, node: cst.BaseExpression | None) -> str | None:
        """Qualified dotted name of a Name/Attribute chain, through imports and known instances.

        ``s.get`` with ``s = requests.Session()`` gives ``requests.Session.get``; the chained
        ``requests.Session().get`` gives the same.
        """
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):
            inner = self.qualify_expr(node.value.func)
            return f"{normalize(inner)}.{node.attr.value}" if inner else None
        raw = dotted_name(node)
        if raw is None:
            return None
        parts = raw.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in self.instances:
                rest = parts[i:]
                return ".".join([self.instances[prefix], *rest])
        bound = self.qualify_module(raw)
        if bound is not None:
            return normalize(bound)
        return normalize(self.imports.resolve(raw))

    def value_of(self, node: cst.BaseExpression, function: cst.FunctionDef | None,
                 depth: int = 0) -> cst.BaseExpression:
        """Follow a Name to the value it was bound to once (function local, then module constant)."""
        while isinstance(node, cst.Name) and depth < 5:
            depth += 1
            scope = self.locals.get(id(function), {}) if function is not None else {}
            if node.value in scope:
                node = scope[node.value]
            elif node.value in self.constants:
                node = self.constants[node.value]
                function = None
            else:
                break
        return node


def _block(body: cst.BaseSuite) -> list[cst.CSTNode]:
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=body.body)]
    return []


def bindings_for(ctx: Any) -> Bindings:
    """The module's bindings, computed once per file and shared by all checks."""
    table = ctx.shared.get("bindings")
    if table is None:
        table = Bindings.from_module(ctx.module, ctx.imports)
        ctx.shared["bindings"] = table
    return table


def constant_value(node: cst.BaseExpression) -> Any:
    """The Python value of a simple literal (True/False/None, numbers, plain strings), else a sentinel."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return NOT_CONSTANT
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus) \
            and isinstance(node.expression, cst.Integer):
        value = constant_value(node.expression)
        return -value if isinstance(value, int) else NOT_CONSTANT
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        from pcilint.analysis.literals import string_value

        value = string_value(node)
        return NOT_CONSTANT if value is None else value
    return NOT_CONSTANT


class _NotConstant:
    def __repr__(self) -> str:
        return "NOT_CONSTANT"


NOT_CONSTANT: Any = _NotConstant()
