"""A small cross-module check kind for the prefilter and cache tests (registered once, test-only).

``test-helper-print``: a caller passes a variable named ``card_number`` to a function defined in
another module, and that function prints its parameter: the finding is at the ``print`` in the
helper, a file with no card-data words in it (exactly what a per-file prefilter would miss).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import libcst as cst

from pcilint.checks import KINDS, register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.config import Settings
from pcilint.engine import Options, Scanner


class HelperPrint(CheckKind):
    """Test kind: card_number passed to a helper (another module) that prints its parameter."""

    kind = "test-helper-print"
    PARAMS = {"declare": Param("bool", default=False, doc="call ctx.need_module for callees")}

    def prefilter_terms(self) -> list[str]:
        return [r"\bcard_number\b"]

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor:
        facts = ctx.shared.setdefault("helper-print", {"calls": [], "prints": []})
        check = self

        class Visitor(cst.BatchableCSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.params: list[set[str]] = []
                self.funcs: list[str] = []

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.funcs.append(node.name.value)
                self.params.append({p.name.value for p in node.params.params})

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.funcs.pop()
                self.params.pop()

            def visit_Call(self, node: cst.Call) -> None:
                name = ctx.imports.qualify(node.func)
                args = [a.value for a in node.args]
                if name == "print" and self.params:
                    for a in args:
                        if isinstance(a, cst.Name) and a.value in self.params[-1]:
                            line = ctx.position(node)[0]
                            facts["prints"].append((self.funcs[-1], line))
                elif name and any(isinstance(a, cst.Name) and a.value == "card_number"
                                  for a in args):
                    facts["calls"].append(name)
                    if check.p["declare"]:
                        ctx.need_module(name)

        return Visitor()

    def project_facts(self, ctx: FileContext) -> Any:
        return ctx.shared.get("helper-print")

    def check_project(self, facts: dict[str, Any], report: Any) -> None:
        called = {c.rsplit(".", 1)[-1] for f in facts.values() for c in f["calls"]}
        for path, f in sorted(facts.items()):
            for func, line in f["prints"]:
                if func in called:
                    report.report(self.rule, path, line, 1, line, 2, func=func)


if "test-helper-print" not in KINDS:
    register(HelperPrint)


class Declaring(HelperPrint):
    DECLARES_DEPENDENCIES = True
    kind = "test-helper-print-declared"


if "test-helper-print-declared" not in KINDS:
    register(Declaring)

RULE_YAML = """\
rules:
  - id: PCI199
    name: test-helper-print
    category: logging
    severity: high
    pci_dss: ["3.3.1"]
    message: "card number reaches print in {func}"
    summary: test rule
    why: test rule
    fix: test rule
    check:
      kind: {kind}
      declare: {declare}
    examples:
      bad: ["x = 1"]
      good: ["x = 1"]
"""


def write_rule(directory: Path, kind: str = "test-helper-print", declare: bool = False) -> Path:
    path = directory / "helper-rule.yaml"
    text = RULE_YAML.replace("{kind}", kind).replace("{declare}", "true" if declare else "false")
    path.write_text(text, encoding="utf-8")
    return path


def project(root: Path) -> Path:
    """A caller with card data, and a helper module without any card-data word."""
    files = {
        "app/__init__.py": "",
        "app/views.py": """\
            from app.audit import audit_event

            def checkout(card_number):
                audit_event(card_number)
        """,
        "app/audit.py": """\
            def audit_event(value):
                print(value)
        """,
        "app/unrelated.py": """\
            def other(x):
                print(x)
        """,
    }
    for name, code in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(code), encoding="utf-8")
    return root


def scan(paths: list[Path], cwd: Path, **options: Any):
    """Scan with the real engine from ``cwd``; returns (scanner, result)."""
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        scanner = Scanner(Settings(), Options(jobs=1, **options))
        return scanner, scanner.scan(paths, cwd=cwd)
    finally:
        os.chdir(old)


def summary(result) -> list[tuple]:
    return [(f.rule_id, f.path, f.line, f.column, f.message, f.severity) for f in result.findings]
