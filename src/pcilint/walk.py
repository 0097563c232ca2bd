"""A read-only traversal of a libcst tree, for the engine's one batched pass and the checks' walks.

``module.visit(visitor)`` is libcst's *transforming* traversal: every node it passes is rebuilt
(``_visit_and_replace_children`` constructs a new node and validates it) even when nothing changes,
and every whitespace, comment and punctuation node is visited too.  On the benchmark corpus that cost
about twice the parse itself.  pcilint never changes a tree, so it walks the nodes' fields directly:

* children are visited in libcst's own order (source order), read once per node class from the
  field names that class's ``_visit_and_replace_children`` passes to libcst (its code constants);
* whitespace, comments and punctuation (``libcst._nodes.whitespace`` and ``libcst._nodes.op``,
  parentheses and brackets) are not visited: no check looks at them;
* ``visit_<Node>`` / ``leave_<Node>`` are called exactly as libcst's batched visitor calls them.

``tests/foundation/test_walk.py`` checks, over every Python file of the repository, that the walk
calls the same methods on the same nodes in the same order as libcst's traversal.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Iterable

import libcst as cst
from libcst._nodes import op as _op, whitespace as _ws

_CSTNode = cst.CSTNode

_PUNCTUATION = {"LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket",
                "LeftCurlyBrace", "RightCurlyBrace", "Asynchronous"}


def _subclasses(cls: type) -> Iterable[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# (by name: libcst's ``add_slots`` replaces each node class by a copy, and the original can still be
# listed among the subclasses)
_ALL = frozenset(_subclasses(_CSTNode))
#: Node classes never visited (unless a visitor asks for them by name).
SKIPPED: frozenset[type] = frozenset(
    c for c in _ALL if c.__module__ in (_ws.__name__, _op.__name__) or c.__name__ in _PUNCTUATION)
_WALKABLE = _ALL - SKIPPED
#: Fields that only ever hold skipped nodes (whitespace, comments, parentheses): not even read.
_SKIPPED_FIELDS = frozenset({"leading_lines", "lines_after_decorators", "lpar", "rpar", "header",
                             "footer", "trailing_whitespace"})

_ORDER: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold child nodes, in libcst's visiting order."""
    order = _ORDER.get(cls)
    if order is None:
        names = [f for f in getattr(cls, "__dataclass_fields__", {})]
        method = getattr(cls, "_visit_and_replace_children", None)
        consts = getattr(getattr(method, "__code__", None), "co_consts", ())
        known = set(names)
        ordered = [c for c in dict.fromkeys(c for c in consts if isinstance(c, str)) if c in known]
        # a field libcst's method does not name (none today) keeps its dataclass position last
        order = tuple(ordered + [n for n in names if n not in ordered])
        _ORDER[cls] = order
    return order


_WALKED: dict[type, tuple[str, ...]] = {}


def _walked_fields(cls: type) -> tuple[str, ...]:
    fields = _WALKED.get(cls)
    if fields is None:
        fields = _WALKED[cls] = tuple(f for f in child_fields(cls) if f not in _SKIPPED_FIELDS
                                      and not f.startswith("whitespace"))
    return fields


def _children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """A node's children that are walked, in libcst's order (whitespace and punctuation aside)."""
    out: list[cst.CSTNode] = []
    for field in _walked_fields(type(node)):
        value = getattr(node, field)
        kind = type(value)
        if kind in _WALKABLE:
            out.append(value)
        elif kind is list or kind is tuple:
            out.extend(item for item in value if type(item) in _WALKABLE)
    return out


def walk_batched(root: cst.CSTNode, visitors: Iterable[Any]) -> None:
    """Run several read-only visitors in one traversal: each node's ``visit_<Node>`` methods (in
    the visitors' order) before its children, its ``leave_<Node>`` methods after them, for every
    node of ``root`` (whitespace and punctuation aside), in source order.

    Return values are ignored, as in libcst's batched visitor: every subtree is visited."""
    visitors = list(visitors)
    visit: dict[str, list[Callable[[Any], Any]]] = {}
    leave: dict[str, list[Callable[[Any], Any]]] = {}
    for visitor in visitors:
        visit_names, leave_names = _own_methods(type(visitor))
        for node_name, method in visit_names.items():
            visit.setdefault(node_name, []).append(getattr(visitor, method))
        for node_name, method in leave_names.items():
            leave.setdefault(node_name, []).append(getattr(visitor, method))
    if any(c.__name__ in visit or c.__name__ in leave for c in SKIPPED):
        cst.visit_batched(root, visitors)  # nobody asks for whitespace: libcst's own walk
        return
    by_class: dict[type, tuple[list, list]] = {}
    empty: list = []

    def walk(node: cst.CSTNode) -> None:
        plan = by_class.get(type(node))
        if plan is None:
            name = type(node).__name__
            plan = by_class[type(node)] = (visit.get(name, empty), leave.get(name, empty))
        before, after = plan
        for fn in before:
            fn(node)
        for child in _children(node):
            walk(child)
        for fn in after:
            fn(node)

    walk(root)


def iter_nodes(root: cst.CSTNode, prune: Callable[[cst.CSTNode], bool] | None = None
               ) -> Iterable[cst.CSTNode]:
    """Every node under ``root`` (included), depth first in source order, whitespace and punctuation
    aside.  ``prune(node)`` true: the node is yielded but its children are not."""
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        yield node
        if prune is None or not prune(node):
            stack.extend(reversed(_children(node)))


# Weak keys: checks define their visitor classes per file (closing over that file's context), and a
# strong reference here kept every file's class, context and parse tree alive for the whole scan.
_OWN_METHODS: "weakref.WeakKeyDictionary[type, tuple[dict[str, str], dict[str, str]]]" = \
    weakref.WeakKeyDictionary()


def _own_methods(cls: type) -> tuple[dict[str, str], dict[str, str]]:
    """A visitor class's own ``visit_<Node>`` / ``leave_<Node>`` names, by node class name (libcst's
    no-op stubs left out)."""
    found = _OWN_METHODS.get(cls)
    if found is None:
        visit: dict[str, str] = {}
        leave: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if klass is object or klass.__module__.startswith("libcst"):
                continue
            for name in vars(klass):
                prefix, _, node_name = name.partition("_")
                if prefix == "visit" and node_name:
                    visit[node_name] = name
                elif prefix == "leave" and node_name:
                    leave[node_name] = name
        found = _OWN_METHODS[cls] = (visit, leave)
    return found


def visit(root: cst.CSTNode, visitor: Any) -> None:
    """``root.visit(visitor)`` for a read-only ``libcst.CSTVisitor``, without rebuilding the tree:
    ``visit_<Node>`` returning False skips that node's children, ``leave_<Node>`` follows them.
    Whitespace and punctuation are not visited."""
    visit_names, leave_names = _own_methods(type(visitor))
    if any(c.__name__ in visit_names or c.__name__ in leave_names for c in SKIPPED):
        root.visit(visitor)
        return

    def walk(node: cst.CSTNode) -> None:
        name = type(node).__name__
        method = visit_names.get(name)
        if method is None or getattr(visitor, method)(node) is not False:
            for child in _children(node):
                walk(child)
        method = leave_names.get(name)
        if method is not None:
            getattr(visitor, method)(node)

    walk(root)


def _no_validation(self: Any) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    """``libcst.parse_module`` without each new node's validation.

    Every node libcst builds runs ``CSTNode.__post_init__``, which validates the node's fields
    (that a ``SimpleWhitespace`` holds only whitespace, that a ``Name`` is an identifier, ...): a
    guard for trees built by hand, redundant for the ones the parser builds from valid source, and
    about a tenth of the parse on the benchmark corpus (libcst's own comment there calls it a
    parse-time cost).  It is switched off only for the parse and restored after, whatever happens;
    a node a check builds is still validated.  (While a parse runs, a node another thread builds is
    not validated: pcilint's analysis runs on one thread per process.)
    """
    saved = _CSTNode.__dict__["__post_init__"]
    _CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(text)
    finally:
        _CSTNode.__post_init__ = saved  # type: ignore[method-assign]
