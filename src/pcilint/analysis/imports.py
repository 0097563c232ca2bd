"""The module's own import table: resolves aliases without libcst's costly scope metadata.

``import requests as r`` makes ``r.get`` resolve to ``requests.get``; ``from stripe import Webhook as W``
makes ``W.construct_event`` resolve to ``stripe.Webhook.construct_event``.  Imports at module level
(including inside top-level ``if``/``try`` blocks) and at the top level of function bodies are read.
Relative imports keep their leading dots (``.audit.audit_event``) for the project resolver.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def _module_name(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


@dataclass
class ImportTable:
    #: local name -> fully qualified dotted name (``r`` -> ``requests``, ``W`` -> ``stripe.Webhook``)
    names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_module(cls, module: cst.Module) -> "ImportTable":
        table = cls()
        table._collect(module.body, depth=0)
        return table

    def _collect(self, body: object, depth: int) -> None:
        for stmt in body:  # type: ignore[attr-defined]
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        self.add(small)
            elif isinstance(stmt, (cst.If, cst.Try, cst.With)) and depth < 3:
                self._collect(stmt.body.body, depth + 1)
                for extra in (getattr(stmt, "orelse", None), getattr(stmt, "finalbody", None)):
                    if extra is not None and hasattr(extra, "body"):
                        inner = extra.body
                        self._collect(inner.body if hasattr(inner, "body") else [inner], depth + 1)
                for handler in getattr(stmt, "handlers", ()):
                    self._collect(handler.body.body, depth + 1)
            elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)) and depth < 2:
                inner = stmt.body
                if isinstance(inner, cst.IndentedBlock):
                    self._collect(inner.body, depth + 1)

    def add(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _module_name(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.names[alias.asname.name.value] = full
                else:
                    head = full.split(".")[0]
                    self.names.setdefault(head, head)
            return
        dots = "." * len(node.relative)
        module = dots + (_module_name(node.module) if node.module is not None else "")
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _module_name(alias.name)
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if module.endswith("."):
                self.names[local] = module + name
            else:
                self.names[local] = f"{module}.{name}" if module else name

    def qualify(self, node: cst.BaseExpression | None) -> str | None:
        """The qualified dotted name of a Name/Attribute chain, resolving the first part via imports.

        Names that were not imported come back unchanged (``logger.info`` stays ``logger.info``).
        """
        raw = dotted_name(node)
        if raw is None:
            return None
        return self.resolve(raw)

    def resolve(self, raw: str) -> str:
        head, _, rest = raw.partition(".")
        full = self.names.get(head)
        if full is None:
            return raw
        return f"{full}.{rest}" if rest else full

    def is_imported(self, local: str) -> bool:
        return local.split(".")[0] in self.names
