"""The package's import graph has no cycle: every pcilint module can be understood (and imported)
after the modules it imports, never before.

The graph is read with `ast` from the `import` / `from` statements of src/pcilint: the module-level
ones (what importing a module runs), and, for the layers, also those inside functions (a late
import is how a cycle hides: `ruleset -> checks -> ... -> ruleset` was one).  An import under
`if TYPE_CHECKING:` is never run and does not count.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "pcilint"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(tree: ast.Module):
    """Import statements run when the module is imported: the body, and the branches of module-level
    `if` (except `if TYPE_CHECKING:`), `try`, `with`."""
    todo = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            todo += (node.orelse if _is_type_checking(node.test) else node.body + node.orelse)
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [
                stmt for handler in node.handlers for stmt in handler.body]
        elif isinstance(node, ast.With):
            todo += node.body


def _all_imports(tree: ast.Module):
    """Every import statement, at any depth, except under `if TYPE_CHECKING:`."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            todo += node.orelse
        else:
            todo += ast.iter_child_nodes(node)


@lru_cache(maxsize=2)
def import_graph(late: bool = False) -> dict[str, set[str]]:
    """Module -> the pcilint modules it imports (with ``late``, also inside functions)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in (_all_imports(tree) if late else _module_level_imports(tree)):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".")
                    base = base[:len(base) - node.level + (1 if is_package else 0)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                # `from a import b` imports the module a.b when there is one, else a name of a
                targets = [f"{prefix}.{alias.name}" if f"{prefix}.{alias.name}" in modules else prefix
                           for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read():
    graph = import_graph()
    assert "pcilint.engine" in graph and "pcilint.findings" in graph["pcilint.engine"]
    assert "pcilint.checks.base" in graph["pcilint.checks.card_flow"]


def test_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_pcilint_modules():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_import_cycle_even_through_imports_inside_functions():
    cycles = find_cycles(import_graph(late=True))
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_late_imports_are_read():
    late = import_graph(late=True)
    assert "pcilint.inventory" in late["pcilint.scan_file"]  # imported inside analyze_text
    assert "pcilint.inventory" not in import_graph()["pcilint.scan_file"]


def test_the_leaf_modules_import_nothing_of_pcilint():
    graph = import_graph(late=True)
    for leaf in ("pcilint.paths", "pcilint.gc_tuning", "pcilint.masking"):
        assert not graph[leaf], (leaf, graph[leaf])
    # the rule loader returns data: it never imports the check kinds or the analysis
    assert not {m for m in graph["pcilint.ruleset"] if m.startswith(("pcilint.checks",
                                                                     "pcilint.analysis"))}
