"""The read-only walk (pcilint.walk) against libcst's own traversal, and the fast literal/glob paths
that replaced per-call libcst and fnmatch work."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import libcst as cst
import pytest

from pcilint import walk
from pcilint.analysis.globs import matches_any
from pcilint.analysis.literals import _plain_value, string_value

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p for d in ("src", "examples", "tests/fixtures") for p in (ROOT / d).rglob("*.py"))


def _modules() -> list[tuple[str, cst.Module]]:
    out = []
    for path in FILES:
        try:
            out.append((str(path.relative_to(ROOT)), cst.parse_module(path.read_text("utf-8"))))
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            continue  # fixtures of broken files
    return out


MODULES = _modules()


class _Recorder(cst.CSTVisitor):
    """Records every visit/leave of a node that the walk does not skip, as libcst traverses."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) not in walk.SKIPPED:
            self.events.append(("visit", id(node)))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if type(original_node) not in walk.SKIPPED:
            self.events.append(("leave", id(original_node)))


def test_the_corpus_is_not_empty() -> None:
    assert len(MODULES) > 50


def test_walk_batched_calls_the_same_methods_on_the_same_nodes_in_libcst_order() -> None:
    names = sorted({c.__name__ for c in walk._WALKABLE})
    for path, module in MODULES:
        expected = _Recorder()
        module.visit(expected)  # libcst's traversal (nodes are rebuilt but originals are passed)
        got: list[tuple[str, int]] = []
        methods = {f"visit_{n}": lambda self, node: got.append(("visit", id(node))) for n in names}
        methods.update({f"leave_{n}": lambda self, node: got.append(("leave", id(node)))
                        for n in names})
        walk.walk_batched(module, [type("Everything", (), methods)()])
        assert got == expected.events, path


def test_visit_prunes_children_when_visit_returns_false_and_still_leaves() -> None:
    module = cst.parse_module("def f(a):\n    g(a)\n    def inner():\n        h()\nk()\n")

    class Calls(cst.CSTVisitor):
        def __init__(self) -> None:
            self.seen: list[str] = []

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            self.seen.append("def " + node.name.value)
            return node.name.value != "inner"

        def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
            self.seen.append("end " + node.name.value)

        def visit_Call(self, node: cst.Call) -> None:
            self.seen.append(cst.Module([]).code_for_node(node.func))

    ours, theirs = Calls(), Calls()
    walk.visit(module, ours)
    module.visit(theirs)
    assert ours.seen == theirs.seen == ["def f", "g", "def inner", "end inner", "end f", "k"]


def test_walk_batched_calls_each_nodes_methods_in_the_visitors_order() -> None:
    module = cst.parse_module("f(x)\n")
    seen: list[str] = []

    class First:
        def visit_Call(self, node: cst.Call) -> None:
            seen.append("first visit")

        def leave_Call(self, node: cst.Call) -> None:
            seen.append("first leave")

    class Second(cst.BatchableCSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            seen.append("second visit")

        def visit_Name(self, node: cst.Name) -> None:
            seen.append("name " + node.value)

    walk.walk_batched(module, [First(), Second()])
    assert seen == ["first visit", "second visit", "name f", "name x", "first leave"]


def test_iter_nodes_yields_in_source_order_and_prunes() -> None:
    module = cst.parse_module("a(b(c), d)\ne(f)\n")
    names = [n.value for n in walk.iter_nodes(module) if isinstance(n, cst.Name)]
    assert names == ["a", "b", "c", "d", "e", "f"]
    pruned = [n.value for n in walk.iter_nodes(
        module, prune=lambda n: isinstance(n, cst.Call) and getattr(n.func, "value", "") == "b")
        if isinstance(n, cst.Name)]
    assert pruned == ["a", "d", "e", "f"]


def test_plain_string_values_equal_libcsts_evaluated_value() -> None:
    checked = 0
    for _, module in MODULES:
        for node in walk.iter_nodes(module):
            if isinstance(node, cst.SimpleString):
                plain = _plain_value(node.value)
                if plain is None:
                    continue
                value = node.evaluated_value
                if isinstance(value, bytes):
                    value = value.decode("latin-1")
                assert plain == value, node.value
                checked += 1
    assert checked > 1000


@pytest.mark.parametrize("source, expected", [
    ("'abc'", "abc"), ('"a\'b"', "a'b"), ("'''x\ny'''", "x\ny"), ('""""""', ""), ("''", ""),
    ("r'\\d+'", "\\d+"), ("b'k'", "k"), ("Rb'\\x'", "\\x"), ("'a\\nb'", "a\nb"),
    ("'\\x34\\x32'", "42"), ("u'\\u00e9'", "\u00e9"),
])
def test_string_value_of_literals(source: str, expected: str) -> None:
    node = cst.parse_expression(source)
    assert string_value(node) == expected


def test_glob_lists_match_like_fnmatchcase() -> None:
    globs = ["logging.*", "*.objects.create", "app.[ab]udit", "print", "x?y"]
    names = ["logging.info", "logging", "Model.objects.create", "app.audit", "app.budit",
             "app.cudit", "print", "printf", "xzy", "xy", "LOGGING.info", None]
    for name in names:
        want = name is not None and any(fnmatch.fnmatchcase(name, g) for g in globs)
        assert matches_any(name, globs) is want, name
    assert matches_any("anything", []) is False


def test_positions_match_libcsts_metadata_for_every_node():
    # locate.positions() takes the ranges straight from PositionProvider's rendering; the
    # documented MetadataWrapper path must give the same range for every node it knows
    from libcst.metadata import MetadataWrapper, PositionProvider

    from pcilint.analysis.locate import positions

    checked = 0
    for name, module in MODULES[::4]:  # (every fourth file: the metadata path is slow)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        found = positions(module)
        assert len(found) == len(expected), name
        for node, rng in expected.items():
            assert found[node] == rng, name
        checked += len(expected)
    assert checked > 20_000


def test_positions_within_one_definition_agree_with_the_modules_or_give_up():
    # scoped_position() renders only the class or function; whatever it answers must be the
    # module's own position, and it must answer for the common case (a unique definition)
    from pcilint.analysis.locate import positions, scoped_position

    answered = declined = 0
    for name, module in MODULES[1::8]:  # (every eighth file: rendering each scope is slow)
        text = module.code
        lines = text.splitlines()
        full = positions(module)
        cache: dict = {}
        for scope in walk.iter_nodes(module):
            if not isinstance(scope, (cst.ClassDef, cst.FunctionDef)):
                continue
            targets = [scope.name] + [
                small.target if isinstance(small, cst.AnnAssign) else small.targets[0].target
                for stmt in scope.body.body if isinstance(stmt, cst.SimpleStatementLine)
                for small in stmt.body if isinstance(small, (cst.AnnAssign, cst.Assign))]
            for node in targets:
                got = scoped_position(text, lines, node, scope, cache)
                if got is None:
                    declined += 1
                    continue
                rng = full[node]
                assert got == (rng.start.line, rng.start.column + 1, rng.end.line,
                               rng.end.column + 1), (name, scope.name.value)
                answered += 1
    assert answered > 200 and declined < answered / 10


def test_a_files_positions_from_its_top_level_statements_agree_with_the_modules():
    # ctx.position(node) without a scope renders only the top-level statement holding the node;
    # for every node (multi-line ones too) it must give the module's own position, and it must
    # answer without the module's positions for most of them
    from pcilint.analysis.locate import positions
    from pcilint.checks.base import FileContext
    from pcilint.config import Settings

    answered = total = 0
    for name, module in MODULES[2::6]:
        full = positions(module)
        ctx = FileContext(name, module.code, "python", Settings(), module)
        for node in walk.iter_nodes(module):
            if node is module:
                continue
            rng = full[node]
            assert ctx.position(node) == (rng.start.line, rng.start.column + 1, rng.end.line,
                                          rng.end.column + 1), (name, type(node).__name__)
            total += 1
            answered += ctx._positions is None
            ctx._positions = None  # (the fallback is cached: drop it to test the next node)
    assert total > 5_000 and answered > 0.9 * total


@pytest.mark.parametrize("source", [
    "class A:\n  def f(self):\n    x = call(1,\n        2)\n    return x\n",  # 2-space indent
    "class A:\n\tdef f(self):\n\t\tlog.info('a %s',\n\t\t         b)\n",  # tabs
    "import os\r\n\r\nif os.name:\r\n    URL = 'http://x'\r\n    y = f(\r\n  1)\r\n",  # CRLF
    # the same statement twice: a top-level line that is not unique is left to the module's
    'x = call(1)\nx = call(1)\n\ndef g():\n    x = call(1)\n    return """\na\n  b"""\n',
])
def test_positions_around_a_node_handle_odd_indentation_newlines_and_repeats(source: str) -> None:
    from pcilint.analysis.locate import positions
    from pcilint.checks.base import FileContext
    from pcilint.config import Settings

    module = walk.parse_module(source)
    full = positions(module)
    for node in walk.iter_nodes(module):
        if node is module:
            continue
        ctx = FileContext("x.py", source, "python", Settings(), module)
        rng = full[node]
        assert ctx.position(node) == (rng.start.line, rng.start.column + 1, rng.end.line,
                                      rng.end.column + 1), type(node).__name__


def test_a_files_context_and_tree_are_freed_once_it_is_analysed():
    # checks define their visitor classes per file, closing over the file's context (and so its
    # whole tree): nothing the walk keeps may hold them after the file
    import gc
    import weakref

    from pcilint.checks.base import FileContext
    from pcilint.config import Settings
    from pcilint.engine import Options, Scanner

    scanner = Scanner(Settings(), Options(jobs=1))
    made: list = []
    real_init = FileContext.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    FileContext.__init__ = init
    try:
        code = ("import logging\nimport stripe\n\nclass Card:\n    number: str\n\n"
                "def pay(request):\n    card_number = request.POST['card_number']\n"
                "    logging.info(card_number)\n    return stripe.Webhook.construct_event(1, 2, 3)\n")
        for i in range(3):
            scanner.analyze_text(f"app/m{i}.py", code, "python")
    finally:
        FileContext.__init__ = real_init
    gc.collect()
    assert len(made) == 3 and all(ref() is None for ref in made)


def test_parse_without_validation_builds_the_same_tree_as_libcst() -> None:
    for path in FILES[::3]:
        try:
            text = path.read_text("utf-8")
            expected = cst.parse_module(text)
        except (cst.ParserSyntaxError, UnicodeDecodeError):
            with pytest.raises((cst.ParserSyntaxError, UnicodeDecodeError)):
                walk.parse_module(path.read_text("utf-8"))
            continue
        got = walk.parse_module(text)
        assert got.deep_equals(expected), path
        assert got.code == text


def test_nodes_built_outside_the_parse_are_still_validated() -> None:
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
    walk.parse_module("x = 1\n")
    with pytest.raises(cst.ParserSyntaxError):
        walk.parse_module("def (:\n")
    # restored after a parse and after a failed one
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
    assert "__post_init__" in cst.CSTNode.__dict__
    assert cst.CSTNode.__post_init__ is not walk._no_validation
