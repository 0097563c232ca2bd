"""Autofix edits on Python files: libcst node replacements planned on the original tree.

A finding names a range; each fix kind finds the node it rewrites in that range (or, for the
webhook rules reported on the handler, inside the function there) and registers an *edit* on an
original node.  All edits of a run are applied in one transformer pass, keyed on the original
nodes, so fixes on different parts of a file compose and positions never shift under them.
Removals (a call argument, a statement) are edits on the parent, by the child's original index,
so that commas, semicolons and the comments around the removed code are kept in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from pcilint import models
from pcilint.analysis.names import classify, vocabulary

NodeEdit = Callable[[cst.CSTNode], Union[cst.CSTNode, cst.RemovalSentinel]]

STRIPE_HTTP = re.compile(r"(?i)\bhttp://((?:[a-z0-9-]+\.)*stripe\.com)(?![a-z0-9-]|\.[a-z0-9])")
SECRET_PREFIX = re.compile(r"^(sk_live_|rk_live_|sk_test_|rk_test_|whsec_)")
ENV_NAME = {"sk_": "STRIPE_SECRET_KEY", "rk_": "STRIPE_RESTRICTED_KEY",
            "whsec_": "STRIPE_WEBHOOK_SECRET"}


@dataclass
class Plan:
    """The edits of one or more fixes on one parsed module."""

    replace: dict[int, list[NodeEdit]] = field(default_factory=dict)  # id(original node) -> edits
    remove_args: dict[int, set[int]] = field(default_factory=dict)  # id(Call) -> arg indexes
    remove_statements: dict[int, set[int]] = field(default_factory=dict)  # id(body owner) -> indexes
    need_os: bool = False

    def merge(self, other: "Plan") -> None:
        for key, edits in other.replace.items():
            self.replace.setdefault(key, []).extend(edits)
        for key, idx in other.remove_args.items():
            self.remove_args.setdefault(key, set()).update(idx)
        for key, idx in other.remove_statements.items():
            self.remove_statements.setdefault(key, set()).update(idx)
        self.need_os = self.need_os or other.need_os

    def touched(self) -> set[tuple[int, int]]:
        """What the plan rewrites: (node, -1) for a replaced node, (parent, index) for a removed
        child; two plans conflict when they share one (removals from one parent combine)."""
        out = {(key, -1) for key in self.replace}
        for table in (self.remove_args, self.remove_statements):
            out |= {(key, i) for key, idx in table.items() for i in idx}
        return out

    def empty(self) -> bool:
        return not self.touched()


class Tree:
    """A parsed module with positions and parents, for finding the nodes a finding names."""

    def __init__(self, module: cst.Module) -> None:
        self.module = module
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions: dict[cst.CSTNode, CodeRange] = dict(wrapper.resolve(PositionProvider))
        self.parent: dict[int, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [module]
        while stack:
            node = stack.pop()
            for child in node.children:
                self.parent[id(child)] = node
                stack.append(child)

    def at(self, line: int, column: int, end_line: int, end_column: int,
           types: tuple[type, ...]) -> list[cst.CSTNode]:
        """Nodes of ``types`` whose range holds the 1-based start (line, column), exact range first,
        then the smallest."""
        col0 = column - 1
        hits = []
        for node, rng in self.positions.items():
            if not isinstance(node, types):
                continue
            start, end = rng.start, rng.end
            if (start.line, start.column) <= (line, col0) < (end.line, end.column) or (
                    (start.line, start.column) == (line, col0)):
                exact = (start.line, start.column, end.line, end.column) == (
                    line, col0, end_line, end_column - 1)
                size = (end.line - start.line, end.column - start.column if end.line == start.line
                        else end.column)
                hits.append((not exact, size, start.line, start.column, node))
        hits.sort(key=lambda h: h[:4])
        return [h[-1] for h in hits]

    def ancestors(self, node: cst.CSTNode):
        while id(node) in self.parent:
            node = self.parent[id(node)]
            yield node


# ---------------------------------------------------------------------------------------------
# what each kind edits


def plan_https_url(tree: Tree, finding) -> tuple[Plan, str] | None:
    nodes = tree.at(finding.line, finding.column, finding.end_line, finding.end_column,
                    (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))
    for node in nodes:
        parts = _string_parts(node)
        if not any(STRIPE_HTTP.search(_part_text(p)) for p in parts):
            continue
        plan = Plan()
        for part in parts:
            if STRIPE_HTTP.search(_part_text(part)):
                plan.replace.setdefault(id(part), []).append(_https_edit)
        return plan, "use https:// for the Stripe URL"
    return None


def _string_parts(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.SimpleString):
        return [node]
    if isinstance(node, cst.FormattedString):
        return [p for p in node.parts if isinstance(p, cst.FormattedStringText)]
    if isinstance(node, cst.ConcatenatedString):
        return _string_parts(node.left) + _string_parts(node.right)
    return []


def _part_text(node: cst.CSTNode) -> str:
    return node.value  # type: ignore[attr-defined]


def _https_edit(node: cst.CSTNode) -> cst.CSTNode:
    return node.with_changes(value=STRIPE_HTTP.sub(r"https://\1", node.value))  # type: ignore


def plan_remove_setting(tree: Tree, finding) -> tuple[Plan, str] | None:
    nodes = tree.at(finding.line, finding.column, finding.end_line, finding.end_column,
                    (cst.Arg, cst.Assign, cst.AnnAssign))
    for node in nodes:
        if isinstance(node, cst.Arg):
            if node.keyword is None:
                continue
            call = tree.parent.get(id(node))
            if not isinstance(call, cst.Call):
                continue
            plan = Plan()
            plan.remove_args[id(call)] = {_index(call.args, node)}
            return plan, f"remove `{node.keyword.value}={_code(tree, node.value)}`"
        if isinstance(node, (cst.Assign, cst.AnnAssign)):
            plan = _remove_small_statement(tree, node)
            if plan is not None:
                return plan, f"remove `{_code(tree, node).strip()}`"
    return None


def plan_remove_tolerance(tree: Tree, finding) -> tuple[Plan, str] | None:
    func = _function_at(tree, finding)
    if func is None:
        return None
    plan = Plan()
    for call in _calls_in(func):
        # the verifying calls and where their tolerance is: library models (rules/models/stripe.yaml)
        verify = models.current().verify_methods.get(_attr_name(call.func) or "")
        if verify is None or verify.tolerance_arg is None:
            continue
        index = verify.tolerance_arg
        positional = [a for a in call.args if a.keyword is None and not a.star]
        for i, arg in enumerate(call.args):
            is_tolerance = (arg.keyword is not None and arg.keyword.value == "tolerance") or (
                arg.keyword is None and not arg.star and len(positional) == index + 1
                and arg is positional[index])
            if is_tolerance and _is_zero_or_none(arg.value):
                plan.remove_args.setdefault(id(call), set()).add(i)
    if plan.empty():
        return None
    return plan, "remove the zero tolerance (the SDK's 300 s replay window applies)"


def plan_env_secret(tree: Tree, finding) -> tuple[Plan, str] | None:
    nodes = tree.at(finding.line, finding.column, finding.end_line, finding.end_column,
                    (cst.SimpleString, cst.ConcatenatedString, cst.BinaryOperation))
    for node in nodes:
        # the outermost expression that is only string literals joined together
        outer = None
        for candidate in [node, *tree.ancestors(node)]:
            if _string_value(candidate) is None:
                break
            outer = candidate
        if outer is None:
            continue
        value = _string_value(outer) or ""
        match = SECRET_PREFIX.match(value)
        if not match:
            continue
        if any(isinstance(a, (cst.FormattedString, cst.Decorator)) for a in tree.ancestors(outer)):
            return None
        prefix = match.group(1)
        env = ENV_NAME["whsec_" if prefix == "whsec_" else prefix[:3]]
        plan = Plan(need_os=True)
        target: cst.CSTNode = outer
        arg = tree.parent.get(id(outer))
        call = tree.parent.get(id(arg)) if isinstance(arg, cst.Arg) else None
        if isinstance(call, cst.Call) and _dotted(call.func) in ("os.environ.get", "os.getenv") \
                and len(call.args) == 2 and call.args[1] is arg \
                and isinstance(call.args[0].value, cst.SimpleString):
            # os.environ.get("X", "sk_live_...") -> os.environ["X"]: the fallback was the leak
            env_literal = call.args[0].value.value
            target = call
            replacement = cst.parse_expression(f"os.environ[{env_literal}]")
            title = f"read the key from os.environ[{env_literal}] without a hardcoded fallback"
        else:
            quote = '"' if '"' in _quote_of(outer) or not _quote_of(outer) else "'"
            replacement = cst.parse_expression(f"os.environ[{quote}{env}{quote}]")
            title = f"read the key from os.environ[\"{env}\"]"
        plan.replace[id(target)] = [_replace_with(replacement)]
        return plan, title
    return None


def plan_mask_card_data(tree: Tree, finding) -> tuple[Plan, str] | None:
    nodes = tree.at(finding.line, finding.column, finding.end_line, finding.end_column,
                    (cst.Call, cst.Raise))
    for node in nodes[:1]:
        plan = Plan()
        masked: list[str] = []
        quote = '"'
        for leaf, kind, q in _card_leaves(node, quote):
            code = _code(tree, leaf)
            if kind == "sad":
                new = cst.parse_expression(f"{q}***{q}")
            else:
                new = cst.parse_expression(f"{q}****{q} + str({code})[-4:]")
                if not isinstance(tree.parent.get(id(leaf)), (cst.Arg, cst.FormattedStringExpression,
                                                               cst.DictElement, cst.Element)):
                    new = cst.parse_expression(f"({q}****{q} + str({code})[-4:])")
            plan.replace[id(leaf)] = [_replace_with(new)]
            masked.append(code)
        if masked:
            return plan, "mask " + ", ".join(f"`{m}`" for m in masked)
    return None


def plan_verify_webhook(tree: Tree, finding) -> tuple[Plan, str] | None:
    func = _function_at(tree, finding)
    if func is None:
        return None
    plan = Plan(need_os=True)
    for call in _calls_in(func):
        if not isinstance(call.func, cst.Attribute) or \
                call.func.attr.value != "construct_event_without_verification":
            continue
        positional = [a for a in call.args if a.keyword is None]
        if len(positional) != 1 or positional[0].star or call.args[0] is not positional[0]:
            continue
        request = _request_name(positional[0].value, func)
        if request is None:
            continue
        payload = call.args[0]
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        new_args = [
            payload.with_changes(comma=comma),
            cst.Arg(cst.parse_expression(f'{request}.headers["Stripe-Signature"]'), comma=comma),
            cst.Arg(cst.parse_expression('os.environ["STRIPE_WEBHOOK_SECRET"]'),
                    comma=payload.comma if len(call.args) == 1 else comma),
            *call.args[1:],
        ]

        def edit(updated: cst.CSTNode, new_args=new_args) -> cst.CSTNode:
            assert isinstance(updated, cst.Call) and isinstance(updated.func, cst.Attribute)
            args = [updated.args[0].with_changes(comma=new_args[0].comma), *new_args[1:3],
                    *updated.args[1:]]
            return updated.with_changes(func=updated.func.with_changes(
                attr=cst.Name("construct_event")), args=args)

        plan.replace[id(call)] = [edit]
    if plan.empty():
        return None
    return plan, "verify the signature with construct_event and STRIPE_WEBHOOK_SECRET"


PLANNERS: dict[str, Callable[[Tree, object], "tuple[Plan, str] | None"]] = {
    "https-url": plan_https_url,
    "remove-insecure-setting": plan_remove_setting,
    "remove-tolerance": plan_remove_tolerance,
    "env-secret": plan_env_secret,
    "mask-card-data": plan_mask_card_data,
    "verify-webhook": plan_verify_webhook,
}


# ---------------------------------------------------------------------------------------------
# helpers


def _code(tree: Tree, node: cst.CSTNode) -> str:
    return tree.module.code_for_node(node)


def _index(items: Sequence[cst.CSTNode], node: cst.CSTNode) -> int:
    return next(i for i, item in enumerate(items) if item is node)


def _replace_with(new: cst.CSTNode) -> NodeEdit:
    def edit(updated: cst.CSTNode) -> cst.CSTNode:
        # keep the parentheses and whitespace around the old expression
        lpar = getattr(updated, "lpar", None)
        if lpar and hasattr(new, "lpar") and not new.lpar:  # type: ignore[attr-defined]
            return new.with_changes(lpar=lpar, rpar=updated.rpar)  # type: ignore[attr-defined]
        return new

    return edit


def _attr_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def _dotted(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def _is_zero_or_none(expr: cst.BaseExpression) -> bool:
    return (isinstance(expr, cst.Integer) and expr.evaluated_value == 0) or (
        isinstance(expr, cst.Name) and expr.value == "None")


def _string_value(node: cst.CSTNode) -> str | None:
    """The value of an expression made only of plain string literals (``"a" "b"``, ``"a" + "b"``)."""
    if isinstance(node, cst.SimpleString):
        if "b" in node.prefix.lower():
            return None
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string_value(node.left), _string_value(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = _string_value(node.left), _string_value(node.right)
        return None if left is None or right is None else left + right
    return None


def _quote_of(node: cst.CSTNode) -> str:
    while isinstance(node, (cst.ConcatenatedString, cst.BinaryOperation)):
        node = node.left
    if isinstance(node, cst.SimpleString):
        return node.quote
    return ""


def _function_at(tree: Tree, finding) -> cst.FunctionDef | None:
    for node, rng in tree.positions.items():
        if isinstance(node, cst.FunctionDef):
            header = tree.positions.get(node.name)
            if header is not None and rng.start.line <= finding.line <= header.start.line:
                return node
            if rng.start.line == finding.line:
                return node
    return None


def _calls_in(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            yield current
        stack.extend(reversed(current.children))


def _request_name(payload: cst.BaseExpression, func: cst.FunctionDef) -> str | None:
    """The request object a webhook payload is read from (``request.data``, ``await
    request.body()``, a local assigned from one of those), if it has a plain name."""
    expr = payload.expression if isinstance(payload, cst.Await) else payload
    while isinstance(expr, (cst.Call, cst.Attribute, cst.Subscript, cst.Await)):
        expr = expr.expression if isinstance(expr, cst.Await) else (
            expr.func if isinstance(expr, cst.Call) else expr.value)
    if isinstance(expr, cst.Name) and "request" in expr.value.lower():
        return expr.value
    if isinstance(expr, cst.Name):  # payload = request.data; ...without_verification(payload)
        for node in _walk(func):
            if isinstance(node, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == expr.value
                    for t in node.targets):
                return _request_name(node.value, func) if node.value is not payload else None
    return None


def _walk(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _card_leaves(node: cst.CSTNode, quote: str):
    """The card-data expressions inside a log/print call or raise: names, attributes, subscripts
    and ``.get("key")`` calls whose name is a card number (PAN) or security code (SAD)."""
    stack: list[tuple[cst.CSTNode, str]] = [(child, quote) for child in _call_inputs(node)]
    while stack:
        current, q = stack.pop(0)
        kind = _card_kind(current)
        if kind is not None:
            yield current, kind, q
            continue
        if isinstance(current, (cst.Lambda, cst.FunctionDef)):
            continue
        if isinstance(current, cst.Call) and not _is_container_call(current):
            continue  # a call's result is whatever it returns (masked(pan) is fine)
        inner = q
        if isinstance(current, cst.FormattedString):
            inner = "'" if current.start.lstrip("rRfFbBuU") in ('"',) else '"'
            if current.start.lstrip("rRfFbBuU") in ('"""', "'''"):
                inner = q
        stack = [(c, inner) for c in current.children] + stack


def _call_inputs(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Call):
        return list(node.args)
    if isinstance(node, cst.Raise) and node.exc is not None:
        return [node.exc]
    return []


def _is_container_call(call: cst.Call) -> bool:
    return _dotted(call.func) in ("str", "repr", "format", "dict", "list", "tuple") or (
        isinstance(call.func, cst.Attribute) and call.func.attr.value in ("format", "join"))


def _card_kind(node: cst.CSTNode) -> str | None:
    name = None
    if isinstance(node, cst.Name):
        name = node.value
    elif isinstance(node, cst.Attribute):
        name = node.attr.value
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(
            node.slice[0].slice, cst.Index) and isinstance(node.slice[0].slice.value,
                                                           cst.SimpleString):
        key = node.slice[0].slice.value.evaluated_value
        if isinstance(key, str):
            name = key
            base = _dotted(node.value) or ""
            if classify(key) is None and vocabulary().is_card_container(base.rsplit(".", 1)[-1]):
                name = "card_" + key
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value == "get" and node.args \
            and isinstance(node.args[0].value, cst.SimpleString):
        key = node.args[0].value.evaluated_value
        name = key if isinstance(key, str) else None
    if not name:
        return None
    kind = classify(name)
    return kind if kind in ("pan", "sad") else None


def _remove_small_statement(tree: Tree, node: cst.CSTNode) -> Plan | None:
    line = tree.parent.get(id(node))
    plan = Plan()
    if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) and len(line.body) > 1:
        plan.remove_statements[id(line)] = {_index(line.body, node)}
        return plan
    if isinstance(line, cst.SimpleStatementSuite):  # `if x: stripe.verify_ssl_certs = False`
        plan.replace[id(node)] = [lambda updated: cst.Pass(semicolon=updated.semicolon)]
        return plan
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    owner = tree.parent.get(id(line))
    if not isinstance(owner, (cst.Module, cst.IndentedBlock)):
        return None
    plan.remove_statements[id(owner)] = {_index(owner.body, line)}
    return plan


class Apply(cst.CSTTransformer):
    """Applies a :class:`Plan` to the tree it was planned on."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        key = id(original_node)
        if key in self.plan.remove_args and isinstance(updated_node, cst.Call):
            updated_node = _without_args(updated_node, self.plan.remove_args[key])
        if key in self.plan.remove_statements:
            updated_node = _without_statements(updated_node, self.plan.remove_statements[key])
        for edit in self.plan.replace.get(key, ()):
            if isinstance(updated_node, cst.RemovalSentinel):
                break
            updated_node = edit(updated_node)
        return updated_node


def _without_args(call: cst.Call, drop: set[int]) -> cst.Call:
    args = list(call.args)
    kept = [a for i, a in enumerate(args) if i not in drop]
    if kept and (len(args) - 1) in drop:
        # the old last argument's comma (none, or a trailing comma and its newline) ends the list
        kept[-1] = kept[-1].with_changes(comma=args[-1].comma)
    return call.with_changes(args=kept)


def _without_statements(owner: cst.CSTNode, drop: set[int]) -> cst.CSTNode:
    if isinstance(owner, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        body = list(owner.body)
        kept = [s for i, s in enumerate(body) if i not in drop]
        if not kept:
            kept = [cst.Pass()]
        elif (len(body) - 1) in drop:
            kept[-1] = kept[-1].with_changes(semicolon=body[-1].semicolon)
        return owner.with_changes(body=kept)
    body = list(owner.body)  # type: ignore[attr-defined]
    out: list[cst.CSTNode] = []
    carried: list[cst.EmptyLine] = []  # comments of removed statements move to the next one
    for i, stmt in enumerate(body):
        if i in drop:
            carried += [ln for ln in stmt.leading_lines]
            trailing = getattr(stmt, "trailing_whitespace", None)
            if trailing is not None and trailing.comment is not None:
                carried.append(cst.EmptyLine(comment=trailing.comment))
            continue
        if carried:
            stmt = stmt.with_changes(leading_lines=[*carried, *stmt.leading_lines])
            carried = []
        out.append(stmt)
    if carried or not out:
        if isinstance(owner, cst.Module) and out:
            return owner.with_changes(body=out, footer=[*carried, *owner.footer])
        if isinstance(owner, cst.Module) and not out:
            return owner.with_changes(body=[], header=[*owner.header, *carried])
        out.append(cst.SimpleStatementLine([cst.Pass()], leading_lines=carried))
    return owner.with_changes(body=out)


def has_import_os(module: cst.Module) -> bool:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import) and any(
                        _dotted(a.name) == "os" and a.asname is None for a in small.names):
                    return True
    return False


def add_import_os(module: cst.Module) -> cst.Module:
    """``import os`` among the module's first plain imports (alphabetically), else after the
    docstring and ``__future__`` imports."""
    body = list(module.body)
    new = cst.SimpleStatementLine([cst.Import([cst.ImportAlias(cst.Name("os"))])])
    first_import = None
    for i, stmt in enumerate(body):
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else []
        if any(isinstance(s, cst.ImportFrom) and _dotted(s.module) == "__future__"  # type: ignore
               for s in smalls if isinstance(s, cst.ImportFrom) and s.module is not None):
            continue
        if smalls and all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in smalls):
            first_import = i
            break
        if i == 0 and smalls and isinstance(smalls[0], cst.Expr) and isinstance(
                smalls[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            continue  # the docstring
        break
    if first_import is None:
        at = 0
        for i, stmt in enumerate(body):
            smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else []
            if i == 0 and smalls and isinstance(smalls[0], cst.Expr) and isinstance(
                    smalls[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                at = 1
            elif smalls and all(isinstance(s, cst.ImportFrom) and s.module is not None
                                and _dotted(s.module) == "__future__" for s in smalls):
                at = i + 1
            else:
                break
        if at < len(body) and at > 0:
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        if at < len(body) and not any(ln.comment is None for ln in body[at].leading_lines):
            body[at] = body[at].with_changes(leading_lines=[cst.EmptyLine(),
                                                            *body[at].leading_lines])
        body.insert(at, new)
        return module.with_changes(body=body)
    # walk the block of plain `import x` lines and put os where it sorts
    at = first_import
    i = first_import
    while i < len(body):
        stmt = body[i]
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else []
        if not (len(smalls) == 1 and isinstance(smalls[0], cst.Import)):
            break
        if i > first_import and stmt.leading_lines:
            break
        name = _dotted(smalls[0].names[0].name) or ""
        if name.lower() > "os":
            break
        at = i + 1
        i += 1
    if at == first_import:
        # before the first import: it takes over that import's leading comments/blank lines
        first = body[first_import]
        new = new.with_changes(leading_lines=first.leading_lines)
        body[first_import] = first.with_changes(leading_lines=[])
    body.insert(at, new)
    return module.with_changes(body=body)
