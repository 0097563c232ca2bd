"""Check kind ``client-value-to-stripe``: a client-controlled value sets a money or object parameter
of a Stripe call without server-side validation (PCI8xx, docs/contract.md §2).

Per function (one walk of its statements, in the engine's single traversal; nested functions are
walked on their own), values are followed from where the client controls them:

* a request's submitted fields, recognised by the flow analysis' shared source recognisers
  (:func:`pcilint.analysis.sources.request_container`: ``request.form``/``POST``/``json``/``data``,
  ``request.get_json()``, ``json.loads(request.body)``, ...) and a key or ``.get()`` read of them;
* form and serializer data (``form.cleaned_data``, ``serializer.validated_data``/``initial_data``,
  WTForms ``form.amount.data``);
* the parameters of a route function (``@app.post``, ``@router.get``, ``@app.route``, ...): request
  models (``body: PaymentIn``) and their attributes, path and query parameters;

through assignment, conversions (``int()``, ``float()``, ``Decimal()``, ``str()``, ``round()``),
arithmetic, string methods, f-strings, conditional expressions and dict/list literals, to the keyword
arguments named by the rule's ``params`` of a ``stripe.*`` call or of a ``StripeClient`` service call
(``client.v1.payment_intents.create(params={...})``), also inside ``price_data``, ``line_items``,
``transfer_data`` and ``params`` dicts.

Not client-controlled any more (not findings):

* the result of any other call (``Product.objects.get(pk=pid).price``, ``price_for(plan)``) and of a
  subscript of a server-side mapping by a client key (``PRICES[plan]``: an allow-list);
* a value compared (``<``, ``<=``, ``==``, ``in``, ...) in an ``if`` test, inside that ``if``'s body,
  and after it when the body always leaves (``raise``, ``return``, ``abort()``): a guard clause;
  likewise after ``assert``; clamped with ``min()``/``max()``; or passed, as a statement, to a
  function whose name says it validates (``validate_amount(amount)``, ``check_price(...)``).
  Branches merge: a value checked on only one path stays client-controlled.

Reported at the argument (or dict entry) that receives the value; message fields: ``source`` (where
the value came from), ``line`` (of that read), ``param`` (the parameter it sets, ``price_data.
unit_amount``) and ``call``.

Across functions: a parameter that reaches such an argument (unchecked) makes a per-function
summary; a call passing a client value for it - in the same module or another one - is reported in
the project phase at the helper's argument, with the caller's read in the trace (one hop).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from pcilint import models
from pcilint.analysis.bindings import bindings_for
from pcilint.analysis.globs import matches_any
from pcilint.analysis.imports import dotted_name
from pcilint.analysis.sources import GETTERS, key_text, request_container, subscript_key
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.findings import TraceStep

#: Calls whose result carries their first argument's value (conversions, rounding).
CONVERSIONS = frozenset({"int", "float", "str", "Decimal", "decimal.Decimal", "round", "abs",
                         "math.floor", "math.ceil", "math.trunc", "Money", "bytes"})
#: Methods of a client string/number whose result is still client-controlled.
CARRYING_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "replace",
                              "title", "quantize", "to_integral_value", "copy", "format"})
#: Attributes holding submitted data of forms and serializers.
FORM_CONTAINERS = frozenset({"cleaned_data", "validated_data", "initial_data"})
#: Decorator methods that make a function an HTTP route.
ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route",
                           "websocket"})
#: Route parameters that are not client values.
NOT_CLIENT_ANNOTATIONS = frozenset({"Request", "WebSocket", "Response", "BackgroundTasks",
                                    "Session", "AsyncSession", "HTTPConnection", "User"})
NOT_CLIENT_PARAMS = frozenset({"self", "cls", "request", "req", "db", "session", "response",
                               "background_tasks", "current_user", "user", "settings"})
# The Stripe SDK's entry points - its modules (also through a name bound to one: ``sdk = stripe``),
# StripeClient service segments (``client.v1.refunds.create``), the methods that write and the ones
# that read - are library models (rules/models/stripe.yaml): see pcilint.models.
#: Dict keys that are not followed into (free-form data Stripe does not act on).
NOT_FOLLOWED = frozenset({"metadata", "description", "statement_descriptor"})
VALIDATING_WORD = re.compile(r"(^|_)(validate|validated|check|ensure|verify|assert|clean|guard)(_|$)",
                             re.I)
#: Marks a call target named as this module names it (a local function or ``self.method``).
LOCAL = "@local:"
#: Keywords of ``Query()``/``Path()``/``Body()``/``Form()``/``Field()`` that bound a value.
BOUND_KEYWORDS = frozenset({"ge", "gt", "le", "lt", "max_digits", "pattern", "regex", "enum"})
LEAVING_CALLS = frozenset({"abort", "flask.abort", "raise_for_status", "sys.exit", "exit"})


@dataclass
class V:
    """A client-controlled value: where it came from; a container's keys/attributes are client
    values too; a literal dict/list is a ``struct`` whose entries are followed."""

    origin: str = ""
    line: int = 0
    kind: str = "scalar"  # scalar | container | struct | param (whatever a caller passes)
    what: str = ""  # how the client controls it: "route parameter", "request model", ...
    fields: dict[str, "V | None"] = field(default_factory=dict)
    items: list["V | None"] = field(default_factory=list)

    def client(self) -> bool:
        """Controlled from outside this function: by the client, or by a caller (``param``)."""
        return self.kind in ("scalar", "container", "param")


def _union(a: V | None, b: V | None) -> V | None:
    if a is None:
        return b
    if b is None:
        return a
    for v in (a, b):
        if v.kind in ("scalar", "container"):
            return v
    if a.client():
        return a
    if b.client():
        return b
    return V(kind="struct", fields={**b.fields, **a.fields}, items=a.items + b.items)


def _merge(a: dict[str, V | None], b: dict[str, V | None]) -> dict[str, V | None]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _union(out.get(k), v)
    return out


def _leaves(body: Any) -> bool:
    """Whether a block always leaves (its last statement raises, returns, aborts, continues)."""
    stmts = list(getattr(body, "body", ()) or ())
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, cst.SimpleStatementLine):
        for small in last.body:
            if isinstance(small, (cst.Raise, cst.Return, cst.Continue, cst.Break)):
                return True
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                name = dotted_name(small.value.func) or ""
                if name in LEAVING_CALLS or name.rsplit(".", 1)[-1] == "abort":
                    return True
        return False
    if isinstance(last, cst.If):
        return _leaves(last.body) and last.orelse is not None and _leaves(
            last.orelse.body if isinstance(last.orelse, cst.Else) else cst.IndentedBlock(body=[last.orelse]))
    return False


def _compared_names(test: cst.BaseExpression) -> set[str]:
    """Names (and dotted attributes) compared in a test: the operands of every comparison."""
    out: set[str] = set()

    def operand(e: cst.BaseExpression) -> None:
        while isinstance(e, cst.Call) and e.args and (dotted_name(e.func) or "") in CONVERSIONS:
            e = e.args[0].value
        name = dotted_name(e)
        if name:
            out.add(name)

    def walk(e: cst.BaseExpression) -> None:
        if isinstance(e, cst.Comparison):
            operand(e.left)
            for c in e.comparisons:
                operand(c.comparator)
        elif isinstance(e, cst.BooleanOperation):
            walk(e.left)
            walk(e.right)
        elif isinstance(e, cst.UnaryOperation):
            walk(e.expression)

    walk(test)
    return out


def _is_route(fn: cst.FunctionDef) -> bool:
    for d in fn.decorators:
        expr = d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator
        if isinstance(expr, cst.Attribute) and expr.attr.value in ROUTE_METHODS:
            return True
    return False


class _Walker:
    def __init__(self, check: "ClientValueToStripe", ctx: FileContext, fn: cst.FunctionDef,
                 qualname: str = "", cls: str | None = None) -> None:
        self.check = check
        self.ctx = ctx
        self.fn = fn
        self.imports = ctx.imports
        self.qualname = qualname or fn.name.value
        self.cls = cls
        self.param_names: list[str] = []

    # -- where values come from -------------------------------------------------------------
    def line(self, node: cst.CSTNode) -> int:
        return self.ctx.position(node, self.fn)[0]

    def params(self) -> dict[str, V | None]:
        env: dict[str, V | None] = {}
        route = _is_route(self.fn)
        for p in list(self.fn.params.posonly_params) + list(self.fn.params.params) \
                + list(self.fn.params.kwonly_params):
            self.param_names.append(p.name.value)
            if p.name.value not in ("self", "cls"):
                # whatever a caller passes: a summary records where it reaches Stripe
                env[p.name.value] = V(p.name.value, 0, "param")
        if not route:
            return env
        for p in list(self.fn.params.params) + list(self.fn.params.kwonly_params):
            name = p.name.value
            ann = dotted_name(p.annotation.annotation) if p.annotation else None
            default = dotted_name(p.default.func) if isinstance(p.default, cst.Call) else None
            if name in NOT_CLIENT_PARAMS:
                env.pop(name, None)
                continue
            if (ann or "").rsplit(".", 1)[-1] in NOT_CLIENT_ANNOTATIONS \
                    or (default or "").rsplit(".", 1)[-1] in ("Depends", "Security"):
                continue
            if isinstance(p.default, cst.Call) and any(
                    a.keyword is not None and a.keyword.value in BOUND_KEYWORDS
                    for a in p.default.args):
                env.pop(name, None)
                continue  # ``amount: int = Query(ge=100, le=10_000)``: the framework checks bounds
            if ann and re.match(r"(?:pydantic\.)?con(?:int|float|decimal)$", ann):
                env.pop(name, None)
                continue
            scalar = ann in (None, "int", "str", "float", "Decimal", "decimal.Decimal")
            env[name] = V(name, self.line(p), "scalar" if scalar else "container",
                          what="route parameter" if scalar else "request model")
        return env

    # -- statements -------------------------------------------------------------------------
    def run(self) -> None:
        body = self.fn.body
        env = self.params()
        self.block(getattr(body, "body", ()), env)

    def block(self, stmts: Any, env: dict[str, V | None]) -> dict[str, V | None]:
        for s in stmts:
            env = self.stmt(s, env)
        return env

    def stmt(self, s: cst.CSTNode, env: dict[str, V | None]) -> dict[str, V | None]:
        if isinstance(s, cst.SimpleStatementLine):
            for small in s.body:
                env = self.small(small, env)
            return env
        if isinstance(s, (cst.FunctionDef, cst.ClassDef)):
            return env
        if isinstance(s, cst.If):
            self.ev(s.test, env)
            checked = _compared_names(s.test)
            inside = self.validated(env, checked)
            body_env = self.block(s.body.body, inside)
            outside = self.validated(env, checked) if _leaves(s.body) else dict(env)
            if s.orelse is None:
                else_env = outside
            elif isinstance(s.orelse, cst.Else):
                else_env = self.block(s.orelse.body.body, outside)
            else:
                else_env = self.stmt(s.orelse, outside)
            if _leaves(s.body):
                return else_env
            if s.orelse is not None and _leaves(
                    s.orelse.body if isinstance(s.orelse, cst.Else) else cst.IndentedBlock(body=[s.orelse])):
                return body_env
            return _merge(body_env, else_env)
        if isinstance(s, (cst.For, cst.While)):
            if isinstance(s, cst.For):
                it = self.ev(s.iter, env)
                inner = dict(env)
                elem = None
                if it is not None and it.kind == "param":
                    elem = it
                elif it is not None and it.client():
                    elem = V(f"an element of {it.origin}", it.line, what=it.what)
                elif it is not None and it.items:
                    for i in it.items:
                        elem = _union(elem, i)
                self.bind(s.target, elem, inner)
            else:
                self.ev(s.test, env)
                inner = dict(env)
            after = self.block(s.body.body, inner)
            env = _merge(env, after)
            if s.orelse is not None:
                env = self.block(s.orelse.body.body, env)
            return env
        if isinstance(s, cst.Try):
            body_env = self.block(s.body.body, dict(env))
            out = body_env
            for h in s.handlers:
                henv = self.block(h.body.body, _merge(env, body_env))
                if not _leaves(h.body):
                    out = _merge(out, henv)
            if s.orelse is not None:
                out = self.block(s.orelse.body.body, out)
            if s.finalbody is not None:
                out = self.block(s.finalbody.body.body, out)
            return out
        if isinstance(s, cst.With):
            for item in s.items:
                v = self.ev(item.item, env)
                if item.asname is not None:
                    self.bind(item.asname.name, v, env)
            return self.block(s.body.body, env)
        if isinstance(s, cst.Match):
            self.ev(s.subject, env)
            out: dict[str, V | None] | None = None
            for case in s.cases:
                cenv = self.block(case.body.body, dict(env))
                out = cenv if out is None else _merge(out, cenv)
            return _merge(env, out or {})
        body = getattr(s, "body", None)
        if body is not None and hasattr(body, "body"):
            return self.block(body.body, env)
        return env

    def validated(self, env: dict[str, V | None], names: set[str]) -> dict[str, V | None]:
        out = dict(env)
        for n in names:
            if n in out and out[n] is not None:
                out[n] = None
            else:
                out[n] = None  # `data.amount` checked: attribute reads of it are validated
        return out

    def small(self, s: cst.CSTNode, env: dict[str, V | None]) -> dict[str, V | None]:
        if isinstance(s, cst.Assign):
            v = self.ev(s.value, env)
            for t in s.targets:
                self.bind(t.target, v, env)
        elif isinstance(s, cst.AnnAssign):
            if s.value is not None:
                self.bind(s.target, self.ev(s.value, env), env)
        elif isinstance(s, cst.AugAssign):
            v = self.ev(s.value, env)
            name = dotted_name(s.target)
            if name:
                env[name] = _union(env.get(name), v)
        elif isinstance(s, cst.Expr):
            e = s.value
            self.ev(e, env)
            if isinstance(e, cst.Call):
                name = (dotted_name(e.func) or "").rsplit(".", 1)[-1]
                if VALIDATING_WORD.search(name):
                    env = self.validated(env, {n for a in e.args if (n := dotted_name(a.value))})
        elif isinstance(s, cst.Assert):
            self.ev(s.test, env)
            env = self.validated(env, _compared_names(s.test))
        elif isinstance(s, (cst.Return, cst.Raise)):
            value = getattr(s, "value", None) if isinstance(s, cst.Return) else s.exc
            if value is not None:
                self.ev(value, env)
        return env

    def bind(self, target: cst.BaseExpression, v: V | None, env: dict[str, V | None]) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for i, el in enumerate(target.elements):
                if isinstance(el, cst.StarredElement):
                    self.bind(el.value, v, env)
                    continue
                part = v
                if v is not None and v.kind == "struct" and v.items:
                    part = v.items[i] if i < len(v.items) else None
                self.bind(el.value, part, env)
            return
        name = dotted_name(target)
        if name is not None:
            env[name] = v
            prefix = name + "."
            for k in [k for k in env if k.startswith(prefix)]:
                del env[k]
        elif isinstance(target, cst.Subscript):
            base = dotted_name(target.value)
            key = subscript_key(target)
            if base and key and env.get(base) is not None and env[base].kind == "struct":
                env[base].fields[key] = v

    # -- expressions ------------------------------------------------------------------------
    def ev(self, e: cst.BaseExpression, env: dict[str, V | None]) -> V | None:
        if isinstance(e, cst.Name):
            return env.get(e.value)
        if isinstance(e, cst.Attribute):
            return self.attribute(e, env)
        if isinstance(e, cst.Subscript):
            base = self.ev(e.value, env)
            for el in e.slice:
                if isinstance(el.slice, cst.Index):
                    self.ev(el.slice.value, env)
            if base is None:
                return None
            key = subscript_key(e)
            if base.kind == "container":
                return V(f'{base.origin}["{key}"]' if key else base.origin, self.line(e),
                         what=base.what)
            if base.kind == "struct":
                return base.fields.get(key) if key is not None else None
            return base
        if isinstance(e, cst.Call):
            return self.call(e, env)
        if isinstance(e, cst.Await):
            return self.ev(e.expression, env)
        if isinstance(e, cst.BinaryOperation):
            return _union(self.ev(e.left, env), self.ev(e.right, env))
        if isinstance(e, cst.UnaryOperation):
            return self.ev(e.expression, env)
        if isinstance(e, cst.BooleanOperation):
            return _union(self.ev(e.left, env), self.ev(e.right, env))
        if isinstance(e, cst.Comparison):
            self.ev(e.left, env)
            for c in e.comparisons:
                self.ev(c.comparator, env)
            return None
        if isinstance(e, cst.IfExp):
            self.ev(e.test, env)
            checked = _compared_names(e.test)
            return _union(self.ev(e.body, self.validated(env, checked)), self.ev(e.orelse, env))
        if isinstance(e, cst.FormattedString):
            out = None
            for part in e.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    out = _union(out, self.ev(part.expression, env))
            return out
        if isinstance(e, cst.Dict):
            fields: dict[str, V | None] = {}
            for el in e.elements:
                if isinstance(el, cst.DictElement):
                    self.ev(el.key, env)
                    v = self.ev(el.value, env)
                    k = key_text(el.key)
                    if k is not None:
                        fields[k] = v
                else:
                    v = self.ev(el.value, env)
                    if v is not None and v.kind == "struct":
                        fields.update(v.fields)
            return V(kind="struct", fields=fields) if any(v is not None for v in fields.values()) else None
        if isinstance(e, (cst.List, cst.Tuple, cst.Set)):
            items = [self.ev(el.value, env) for el in e.elements]
            return V(kind="struct", items=items) if any(i is not None for i in items) else None
        if isinstance(e, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            for f in _comp_fors(e.for_in):
                it = self.ev(f.iter, env)
                if it is not None and it.kind == "param":
                    return it
                if it is not None and it.client():
                    return V(it.origin, it.line, "container", what=it.what)
            return None
        if isinstance(e, cst.NamedExpr):
            v = self.ev(e.value, env)
            self.bind(e.target, v, env)
            return v
        return None

    def attribute(self, e: cst.Attribute, env: dict[str, V | None]) -> V | None:
        name = dotted_name(e)
        if name is not None and name in env:
            return env[name]
        accessor = request_container(e, self.imports)
        if accessor is not None:
            return V(accessor, self.line(e), "container")
        attr = e.attr.value
        if attr in FORM_CONTAINERS:
            return V(f"{dotted_name(e) or attr}", self.line(e), "container")
        # WTForms: form.amount.data
        if attr == "data" and isinstance(e.value, cst.Attribute):
            root = dotted_name(e.value.value) or ""
            if "form" in root.rsplit(".", 1)[-1].lower():
                return V(dotted_name(e) or "form field", self.line(e))
        base = self.ev(e.value, env)
        if base is None:
            return None
        if base.kind == "container":
            return V(f"{base.origin}.{attr}", self.line(e), what=base.what)
        if base.kind == "struct":
            return None
        if base.kind == "param" and attr in ("objects", "query", "id", "pk", "user"):
            return None  # a model class or an object's identity, not a submitted value
        return base

    def call(self, e: cst.Call, env: dict[str, V | None]) -> V | None:
        accessor = request_container(e, self.imports)
        if accessor is not None:
            for a in e.args:
                self.ev(a.value, env)
            return V(accessor, self.line(e), "container")
        func = e.func
        args = [self.ev(a.value, env) for a in e.args]
        raw = dotted_name(func)
        qualified = self.imports.resolve(raw) if raw else None
        if raw and not self.imports.is_imported(raw.split(".")[0]):
            # a name or attribute bound to the Stripe module (``self.stripe = stripe``)
            qualified = bindings_for(self.ctx).qualify_module(raw) or qualified
        self.check.sink(self, e, raw, qualified, args)
        if raw and not self.check.is_stripe_call(raw, qualified) and any(
                v is not None and v.kind in ("scalar", "container", "param") for v in args):
            self.check.call_site(self, e, raw, qualified or raw, args)
        if isinstance(func, cst.Attribute):
            recv = self.ev(func.value, env)
            method = func.attr.value
            if recv is not None and recv.kind == "container" and method in GETTERS:
                key = key_text(e.args[0].value) if e.args else None
                shown = f'{recv.origin}.{method}("{key}")' if key else f"{recv.origin}.{method}()"
                return V(shown, self.line(e), what=recv.what)
            if recv is not None and recv.client() and method in CARRYING_METHODS:
                return recv
            if recv is not None and recv.kind == "struct" and method in ("copy",):
                return recv
        name = qualified or raw or ""
        if name in CONVERSIONS or name.rsplit(".", 1)[-1] in ("Decimal",):
            return args[0] if args else None
        if name in models.current().body_parsers and args and args[0] is not None:
            return V(args[0].origin, args[0].line, "container")
        if name in ("dict",) and args:
            return args[0]
        return None


def _module_names(ctx: FileContext) -> frozenset[str]:
    """Names of the module's top-level functions and classes (computed once per file)."""
    names = ctx.shared.get("client-value-module-names")
    if names is None:
        assert ctx.module is not None
        names = frozenset(s.name.value for s in ctx.module.body
                          if isinstance(s, (cst.FunctionDef, cst.ClassDef)))
        ctx.shared["client-value-module-names"] = names
    return names


def _comp_fors(f: Any) -> list[Any]:
    out = []
    while f is not None:
        out.append(f)
        f = f.inner_for_in
    return out


@register
class ClientValueToStripe(CheckKind):
    """A client-controlled value reaches a money or object parameter of a Stripe call.

    ``params`` names the Stripe parameters (``amount``, ``price``, ``customer``...) that must not take
    a value read from the request unless the server validated it first (a comparison, a lookup, an
    allow-list); ``calls`` says which calls are Stripe calls.  Reported at the value given to the
    parameter; message fields ``source``, ``line_of_source``, ``param``, ``call``.
    """

    kind = "client-value-to-stripe"
    # a helper's file asks for its importers (need_importers) when a parameter reaches Stripe
    DECLARES_DEPENDENCIES = True
    PARAMS = {
        "params": Param("list[str]", required=True,
                        doc="Stripe call parameters (keyword names, also inside price_data, "
                            "line_items, transfer_data and params dicts) that must not take a "
                            "client-controlled value."),
        "calls": Param("list[str]", default=[],
                       doc="Qualified call globs that are Stripe calls; default: every call into "
                           "the Stripe modules of the library models (`stripe.*`). StripeClient "
                           "service calls are recognised by their service segment."),
    }

    def setup(self) -> None:
        self.targets = frozenset(self.p["params"])
        self.calls = tuple(self.p["calls"]) or tuple(
            f"{m}.*" for m in models.current().stripe_modules)

    def prefilter_terms(self) -> list[str] | None:
        m = models.current()
        names = {*m.stripe_names, *(n.capitalize() for n in m.stripe_names if n.islower()),
                 *m.stripe_services}
        return ["|".join(sorted(re.escape(n) for n in names))]

    def is_stripe_call(self, raw: str | None, qualified: str | None) -> bool:
        if not raw:
            return False
        m = models.current()
        last = raw.rsplit(".", 1)[-1]
        if last in m.stripe_read_methods or last.startswith(("list_", "retrieve_")):
            return False  # filters of a read (``Price.list(currency=...)``) charge nobody
        if qualified and matches_any(qualified, self.calls):
            return True
        parts = raw.split(".")
        return len(parts) >= 3 and any(p in m.stripe_services for p in parts[1:-1]) \
            and parts[-1] in m.stripe_write_methods

    def sink(self, w: _Walker, call: cst.Call, raw: str | None, qualified: str | None,
             values: list[V | None]) -> None:
        if self.is_stripe_call(raw, qualified) is False:
            return
        shown = (raw or "stripe call") + "()"
        for arg, v in zip(call.args, values):
            if v is None:
                continue
            if arg.keyword is not None:
                self.entry(w, arg, arg.keyword.value, v, shown)
            elif arg.star == "**" or (arg.star == "" and v.kind == "struct"):
                self.struct(w, arg, v, "", shown)

    def entry(self, w: _Walker, node: cst.CSTNode, key: str, v: V, shown: str, prefix: str = "") -> None:
        if key in NOT_FOLLOWED:
            return
        path = f"{prefix}{key}"
        if key == "params" and not prefix:
            path = ""
        if v.client() and (key in self.targets):
            self.report(w, node, path or key, v, shown)
        elif v.kind == "struct":
            self.struct(w, node, v, f"{path}." if path else "", shown)

    def struct(self, w: _Walker, node: cst.CSTNode, v: V, prefix: str, shown: str) -> None:
        for k, fv in v.fields.items():
            if fv is not None:
                self.entry(w, node, k, fv, shown, prefix)
        for item in v.items:
            if item is not None and item.kind == "struct":
                self.struct(w, node, item, prefix.rstrip(".") + "[]." if prefix else "[].", shown)

    def report(self, w: _Walker, node: cst.CSTNode, param: str, v: V, shown: str) -> None:
        if v.kind == "param":
            # reached from a parameter: a finding only where a caller passes a client value
            line, col, end_line, end_col = w.ctx.position(node, w.fn)
            w.ctx.shared.setdefault(self._key, {"summaries": {}, "calls": []})["summaries"] \
                .setdefault(w.qualname, {"params": w.param_names, "method": w.cls is not None,
                                         "hits": []})["hits"].append(
                    (v.origin, param, line, col, end_line, end_col, shown))
            return
        source = f"`{v.origin}`" + (f" ({v.what})" if v.what else "")
        trace = [TraceStep(w.ctx.path, v.line, f"{source} is controlled by the client")]
        line, col, end_line, end_col = w.ctx.position(node, w.fn)
        w.ctx.report(self.rule, line=line, column=col, end_line=end_line, end_column=end_col,
                     trace=trace, source=source, line_of_source=v.line, param=param, call=shown)

    def call_site(self, w: _Walker, call: cst.Call, raw: str, qualified: str,
                  values: list[V | None]) -> None:
        """A call that passes client values to a function that may be the project's: the project
        phase joins it with the callee's summary."""
        args: list[tuple[str, str, int, str]] = []  # (index or keyword, origin, line, what)
        for i, (arg, v) in enumerate(zip(call.args, values)):
            if v is None or v.kind not in ("scalar", "container") or arg.star:
                continue
            args.append((arg.keyword.value if arg.keyword else str(i), v.origin, v.line, v.what))
        if not args:
            return
        head = raw.split(".")[0]
        if raw.startswith("self.") and raw.count(".") == 1 and w.cls:
            target = f"{LOCAL}{w.cls}.{raw[5:]}"
        elif w.imports.is_imported(head):
            target = qualified
        elif head in _module_names(w.ctx):
            target = LOCAL + raw  # a function or class of this module
        else:
            return  # a builtin, or a method of an object we cannot type: never summarised
        line = w.ctx.position(call, w.fn)[0]
        w.ctx.shared.setdefault(self._key, {"summaries": {}, "calls": []})["calls"].append(
            (target, line, tuple(args)))

    @property
    def _key(self) -> str:
        return f"client-value:{self.rule.id}"

    def project_facts(self, ctx: FileContext) -> Any:
        facts = ctx.shared.get(self._key)
        if not facts or not (facts["summaries"] or facts["calls"]):
            return None
        from pcilint.analysis.webhooks import absolute, module_name

        module, is_package = module_name(ctx.path)

        def full(target: str) -> str:
            if target.startswith(LOCAL):
                rest = target[len(LOCAL):]
                return f"{module}.{rest}" if module else rest
            return absolute(target, module, is_package)

        facts = {**facts, "module": module,
                 "calls": [(full(t), n, a) for t, n, a in facts["calls"]]}
        if facts["summaries"]:
            # callers elsewhere pass client values into these functions: analyse the importers
            ctx.need_importers(carries=None)
        return facts

    def check_project(self, facts: dict[str, Any], report: Any) -> None:
        index: dict[str, list[tuple[str, dict]]] = {}
        for path, f in facts.items():
            for qualname, summary in f["summaries"].items():
                full = f"{f['module']}.{qualname}" if f["module"] else qualname
                parts = full.split(".")
                for i in range(len(parts)):
                    index.setdefault(".".join(parts[i:]), []).append((path, summary))
        if not index:
            return
        for caller, f in facts.items():
            for target, line, args in f["calls"]:
                parts = target.split(".")
                found: list[tuple[str, dict]] = []
                for i in range(max(1, len(parts) - 1)):
                    found = index.get(".".join(parts[i:]), [])
                    if found:
                        break
                if len(found) != 1:
                    continue  # unknown, or ambiguous: no guess
                path, summary = found[0]
                names = [n for n in summary["params"] if not (summary["method"] and n in
                                                               ("self", "cls"))]
                passed = {}
                for key, origin, oline, what in args:
                    name = names[int(key)] if key.isdigit() and int(key) < len(names) else key
                    passed[name] = (origin, oline, what)
                for pname, param, hline, col, end_line, end_col, shown in summary["hits"]:
                    if pname not in passed:
                        continue
                    origin, oline, what = passed[pname]
                    source = f"`{origin}`" + (f" ({what})" if what else "")
                    elsewhere = caller != path
                    trace = [TraceStep(caller, oline, f"{source} is controlled by the client"),
                             TraceStep(caller, line, f"passed to {target.rsplit('.', 1)[-1]}() as {pname}"),
                             TraceStep(path, hline, f"sets `{param}` of {shown}")]
                    report.report(self.rule, path, hline, col, end_line, end_col, trace=trace,
                                  source=source,
                                  line_of_source=f"{oline} in {caller}" if elsewhere else oline,
                                  param=param, call=shown)

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if ctx.is_test:
            return None
        check = self
        classes: list[str] = []
        functions: list[str] = []

        class Visitor(cst.BatchableCSTVisitor):
            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                classes.append(node.name.value)

            def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                classes.pop()

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                qual = ".".join([*classes[-1:], node.name.value]) if not functions else ""
                _Walker(check, ctx, node, qual or f"<nested>.{node.name.value}",
                        classes[-1] if classes and not functions else None).run()
                functions.append(node.name.value)

            def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                functions.pop()

        return Visitor()
