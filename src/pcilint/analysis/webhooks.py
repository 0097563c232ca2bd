"""Facts about Stripe webhook handling in one module, for the project-wide webhook checks.

One visitor (run in the engine's batched traversal) records, for every *unit* - a module-level
function or a method of a module-level class; nested functions belong to their enclosing unit -
what matters to decide whether it is a Stripe webhook handler and whether it verifies the event:

* ``endpoint``: an HTTP endpoint (route decorator, a ``request`` parameter, a class-based view's
  ``post``, or a read of Flask's/Quart's global ``request``);
* ``stripe``: signs that it handles a Stripe event (compares with Stripe event names, builds an
  ``Event`` with ``construct_from``, reads the ``Stripe-Signature`` header, ...);
* ``verifies``: calls a verifying Stripe API (``construct_event``, ``verify_header``, ...) or
  re-fetches the event from Stripe (``Event.retrieve``);
* ``defects``: verification that is defeated (placeholder secret, swallowed
  ``SignatureVerificationError``, discarded result, ``tolerance=0``/``None``, ``*_without_verification``);
* ``calls``: what it calls, resolved through the module's imports, for the project call graph.

The facts are plain, picklable data; :mod:`pcilint.checks.stripe_webhook` joins them across files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from pcilint import models, walk
from pcilint.analysis.bindings import NOT_CONSTANT, Bindings, bindings_for, constant_value
from pcilint.analysis.imports import dotted_name
from pcilint.analysis.literals import string_value

# Stripe event names (``payment_intent.succeeded``, ``customer.subscription.deleted``,
# ``v1.billing.meter.error_report_triggered``): the resource prefixes of the Stripe API's event list.
STRIPE_EVENT = re.compile(
    r"(?:v[12]\.)?(?:account|application_fee|balance|balance_settings|billing|billing_portal|"
    r"capability|cash_balance|charge|checkout|climate|core|coupon|credit_note|customer|"
    r"customer_cash_balance_transaction|entitlements|file|financial_connections|identity|"
    r"invoice|invoice_payment|invoiceitem|issuing_[a-z_]+|mandate|payment_intent|payment_link|"
    r"payment_method|payout|person|plan|price|product|promotion_code|quote|radar|refund|"
    r"reporting|reserve|review|setup_intent|sigma|source|subscription_schedule|tax|tax_rate|"
    r"terminal|test_helpers|three_d_secure|topup|transfer|treasury)"
    r"(?:\.[a-z_]+)+")
SIGNATURE_HEADER = re.compile(r"(?i)(?:http_)?stripe[-_]signature")

# The Stripe SDK's entry points - the calls that verify a signature (by method name: the receiver
# may be a StripeClient), where their secret and tolerance are, which return the verified event, the
# calls that re-fetch or construct an event - and the body parsers are library models
# (rules/models/stripe.yaml, parsers.yaml): see pcilint.models.
PLACEHOLDER_SECRET = re.compile(
    r"(?i)^\s*$|^(?:whsec_)?(?:\.\.\.|…|x+|\*+|<.*>|\{.*\}|your.*|.*placeholder.*|changeme|"
    r"change_me|secret|test|todo|fixme|replace.*|insert.*|none|null|dummy|fake|sample)$|"
    r"^whsec_[A-Za-z0-9]{0,8}$|^whsec_(?:x+|X+|0+|\.+)$")
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete", "api_route", "add_route",
                    "view", "websocket"}
VIEW_DECORATORS = {"csrf_exempt", "require_POST", "require_http_methods", "api_view",
                   "require_safe", "login_not_required"}
REQUEST_PARAMS = {"request", "req", "http_request"}
BODY_ATTRS = {"body", "data", "get_data", "get_json", "json", "stream", "read", "text",
              "content", "POST", "media", "get_body", "raw_body"}
VIEW_BASES = re.compile(r"(?:View|Endpoint|Resource|Handler|ViewSet|APIView)$")
SIGNATURE_ERRORS = re.compile(r"(?:^|\.)(?:SignatureVerificationError|Exception|BaseException|"
                              r"StripeError|StripeErrorWithParamCode)$")
EXIT_CALLS = re.compile(r"(?:^|\.)(?:abort|exit|_exit|HTTPException|Http404)$")
DJSTRIPE = re.compile(r"^djstripe\.")
HOOK_NAME = re.compile(r"(?i)webhook|hook|event|notif|callback|listener")
OTHER_PROVIDERS = re.compile(r"(?i)github|gitlab|slack|paypal|paddle|twilio|shopify|mailgun|"
                             r"sendgrid|discord|telegram|braintree|square|razorpay|paystack|"
                             r"mollie|adyen|lemon|coinbase|plaid|zoom|jira|bitbucket|postmark")


@dataclass
class Unit:
    """One function or method: the facts the project phase needs (picklable)."""

    qualname: str
    line: int = 0
    column: int = 1
    end_column: int = 1
    class_name: str | None = None
    name: str = ""
    endpoint: bool = False
    djstripe: bool = False
    event_names: bool = False  # compares with (or dispatches on) Stripe event names
    constructs: bool = False  # builds a Stripe Event from the raw body / without verification
    signature_header: bool = False
    reads_body: bool = False
    mentions_stripe: bool = False
    verifies: bool = False
    without_verification: int = 0  # line of a *_without_verification call, 0 if none
    defects: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, line, detail)
    calls: list[str] = field(default_factory=list)  # qualified names ("." prefix = module-local)
    hints: list[str] = field(default_factory=list)  # unresolved callee names
    maybe_calls: list[str] = field(default_factory=list)  # method names on untyped receivers
    route_text: str = ""
    loaded_names: set[str] = field(default_factory=set)
    imported_loads: list[str] = field(default_factory=list)  # qualified imported names it reads
    verified_by: list[tuple[str, int]] = field(default_factory=list)  # (verifying call, line)


@dataclass
class ModuleFacts:
    module: str
    is_package: bool
    stripe_context: bool
    units: dict[str, Unit] = field(default_factory=dict)
    classes: dict[str, list[str]] = field(default_factory=dict)  # class -> base names
    #: module-level names bound to Stripe event names (``HANDLERS = {"invoice.paid": f}``)
    dispatch_names: set[str] = field(default_factory=set)
    #: handlers register themselves with event names (``@on("invoice.paid")``) in this module
    registry: bool = False


def module_name(path: str) -> tuple[str, bool]:
    """Dotted module name of a display path, and whether it is a package ``__init__``."""
    stem = path[:-3] if path.endswith(".py") else path
    parts = [p for p in stem.replace("\\", "/").split("/") if p not in ("", ".")]
    is_package = bool(parts) and parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def absolute(qualified: str, module: str, is_package: bool) -> str:
    """Resolve a relative import target (``.utils.f``) against ``module``."""
    if not qualified.startswith("."):
        return qualified
    dots = len(qualified) - len(qualified.lstrip("."))
    base = module.split(".") if module else []
    if not is_package:
        base = base[:-1]
    if dots > 1:
        base = base[: max(0, len(base) - (dots - 1))]
    rest = qualified[dots:]
    return ".".join([*base, rest]) if rest else ".".join(base)


def _strings(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = string_value(node)
        return [value] if value is not None else []
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        out: list[str] = []
        for element in node.elements:
            out += _strings(element.value)
        return out
    return []


def _is_event_name(text: str) -> bool:
    return STRIPE_EVENT.fullmatch(text) is not None


def _is_event_prefix(text: str) -> bool:
    """``customer.subscription.`` / ``invoice.``: the start of Stripe event names."""
    return text.endswith(".") and STRIPE_EVENT.fullmatch(text + "x") is not None


class WebhookCollector(cst.BatchableCSTVisitor):
    """Collects :class:`ModuleFacts` for one file during the shared traversal."""

    def __init__(self, ctx: Any) -> None:
        super().__init__()
        self.ctx = ctx
        module, is_package = module_name(ctx.path)
        self.models = models.current()
        self.facts = ModuleFacts(module, is_package, _names_stripe(ctx.text, self.models))
        self.bindings: Bindings = bindings_for(ctx)
        self.imports = ctx.imports
        self.classes: list[cst.ClassDef] = []
        self.class_wrappers: dict[str, list[cst.BaseExpression]] = {}
        self.unit: Unit | None = None
        self.unit_node: cst.FunctionDef | None = None
        self.depth = 0  # nesting of function definitions inside the current unit
        self.loops = 0
        self.module_dispatch: set[str] = set()  # module-level names holding Stripe event names
        self.module_functions: set[str] = set()
        self.module_classes: set[str] = set()
        self._def_nodes: dict[str, cst.FunctionDef] = {}
        for stmt in ctx.module.body:
            if isinstance(stmt, cst.FunctionDef):
                self.module_functions.add(stmt.name.value)
            elif isinstance(stmt, cst.ClassDef):
                self.module_classes.add(stmt.name.value)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                        targets = ([t.target for t in small.targets]
                                   if isinstance(small, cst.Assign) else [small.target])
                        if self._holds_event_names(small.value):
                            for t in targets:
                                if isinstance(t, cst.Name):
                                    self.module_dispatch.add(t.value)
        self.facts.dispatch_names = set(self.module_dispatch)

    @staticmethod
    def _holds_event_names(value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Dict):
            return any(isinstance(e, cst.DictElement) and any(_is_event_name(s) for s in
                       _strings(e.key)) for e in value.elements)
        return any(_is_event_name(s) for s in _strings(value))

    # -- structure --------------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.unit is None:
            self.classes.append(node)
            self.facts.classes[node.name.value] = [dotted_name(a.value) or "" for a in node.bases]
            self.class_wrappers[node.name.value] = _class_wrappers(node)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        if self.classes and self.classes[-1] is node:
            self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.unit is not None:
            self.depth += 1
            return
        cls = self.classes[-1].name.value if self.classes else None
        qualname = f"{cls}.{node.name.value}" if cls else node.name.value
        unit = Unit(qualname=qualname, class_name=cls, name=node.name.value)
        self.unit, self.unit_node = unit, node
        self._decorators(unit, node)
        for wrapper in self.class_wrappers.get(cls, []) if cls is not None else ():
            # decorators applied to every method of the class (Django ``@method_decorator(...,
            # name="dispatch")`` on the class, Flask ``decorators``, Flask-RESTful ``method_decorators``)
            if (dotted_name(wrapper) or "").split(".")[-1] not in VIEW_DECORATORS:
                self._record_call(unit, wrapper, self.bindings.qualify_expr(wrapper) or "")
        self._dependencies(unit, node)
        params = [p.name.value for p in node.params.params]
        if cls is not None and params and params[0] in ("self", "cls"):
            params = params[1:]
        if params and params[0] in REQUEST_PARAMS:
            unit.endpoint = True
        if cls is not None and node.name.value in ("post", "put", "dispatch") and any(
                VIEW_BASES.search(b.split(".")[-1]) for b in self.facts.classes.get(cls, [])):
            unit.endpoint = True
        self.facts.units[qualname] = unit
        self._def_nodes[qualname] = node

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.unit is None:
            return
        if self.depth:
            self.depth -= 1
            return
        unit = self.unit
        if unit.loaded_names & self.module_dispatch:
            unit.event_names = True
        for name in unit.loaded_names:
            target = self.imports.names.get(name)
            if target is not None:
                unit.imported_loads.append(absolute(target, self.facts.module,
                                                    self.facts.is_package))
        self.unit, self.unit_node = None, None

    def _dependencies(self, unit: Unit, node: cst.FunctionDef) -> None:
        """FastAPI ``event = Depends(verified_event)`` (also inside ``Annotated[...]``): the
        dependency runs before the endpoint, like a call from it."""
        params = node.params
        for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
            for part in (param.default, param.annotation.annotation if param.annotation else None):
                if part is None:
                    continue
                for call in _dependency_calls(part):
                    if call.args:
                        target = call.args[0].value
                        self._record_call(unit, target, self.bindings.qualify_expr(target) or "")

    def _decorators(self, unit: Unit, node: cst.FunctionDef) -> None:
        for dec in node.decorators:
            expr = dec.decorator
            call_args: list[cst.Arg] = []
            if isinstance(expr, cst.Call):
                call_args = list(expr.args)
                expr = expr.func
            if any(_is_event_name(t) for a in call_args for t in _strings(a.value)):
                self.facts.registry = True  # @register("invoice.paid")
            if (dotted_name(expr) or "").split(".")[-1] == "method_decorator" and call_args:
                expr = _unwrap_call(call_args[0].value)  # @method_decorator(verify_webhook)
                call_args = []
            raw = dotted_name(expr) or ""
            qualified = self.bindings.qualify_expr(expr) or raw
            last = raw.split(".")[-1]
            if DJSTRIPE.match(qualified) or raw in ("webhooks.handler", "webhooks.handler_all"):
                unit.djstripe = True
            if "." in raw and last in ROUTE_DECORATORS:
                unit.endpoint = True
                for arg in call_args[:1]:
                    unit.route_text = " ".join(_strings(arg.value))
            elif last in VIEW_DECORATORS:
                unit.endpoint = True
            else:
                # a wrapper such as @verify_stripe_signature: treated like a call
                self._record_call(unit, expr, qualified)

    # -- facts ------------------------------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        if self.unit is not None:
            self.unit.loaded_names.add(node.value)

    def visit_For(self, node: cst.For) -> None:
        self.loops += 1

    def leave_For(self, node: cst.For) -> None:
        self.loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self.loops += 1

    def leave_While(self, node: cst.While) -> None:
        self.loops -= 1

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        unit = self.unit
        if unit is None or len(node.value) > 80:
            return
        value = string_value(node)
        if value and SIGNATURE_HEADER.fullmatch(value):
            unit.signature_header = True

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.unit is None:
            return
        sides = [node.left, *(c.comparator for c in node.comparisons)]
        if any(_is_event_name(s) for side in sides for s in _strings(side)):
            self.unit.event_names = True

    def visit_MatchValue(self, node: cst.MatchValue) -> None:
        if self.unit is not None and any(_is_event_name(s) for s in _strings(node.value)):
            self.unit.event_names = True

    def visit_Dict(self, node: cst.Dict) -> None:
        if self.unit is not None and not self.unit.event_names and self._holds_event_names(node):
            self.unit.event_names = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        unit = self.unit
        if unit is None:
            return
        if node.attr.value in BODY_ATTRS:
            base = dotted_name(node.value) or ""
            if base.split(".")[-1] in REQUEST_PARAMS:
                unit.reads_body = True
                if self.imports.resolve(base) in self.models.request_globals:
                    unit.endpoint = True

    def visit_Call(self, node: cst.Call) -> None:
        unit = self.unit
        raw = dotted_name(node.func) or ""
        qualified = self.bindings.qualify_expr(node.func) or raw
        last = (raw or qualified).split(".")[-1] if (raw or qualified) else ""
        if isinstance(node.func, cst.Attribute):
            last = node.func.attr.value
        m = self.models
        if unit is None:
            if last in m.verify_methods:
                self._check_verification_args(None, node, last)
            return
        if _names_stripe(qualified, m):
            unit.mentions_stripe = True
        if last == "startswith" and node.args and any(
                _is_event_prefix(t) for t in _strings(node.args[0].value)):
            unit.event_names = True  # event.type.startswith("customer.subscription.")
        if last in m.verify_methods:
            unit.verifies = True
            unit.verified_by.append((last, self._line(node)))
            self._check_verification_args(unit, node, last)
        elif m.refetch_regex.search(qualified) or m.refetch_regex.search(raw):
            unit.verifies = True
            unit.verified_by.append((raw or qualified, self._line(node)))
        elif last.endswith("_without_verification"):
            unit.constructs = True
            if not unit.without_verification:
                unit.without_verification = self._line(node)
        elif m.construct_regex.search(qualified):
            unit.constructs = True
        elif qualified in m.body_parsers or (
                m.parse_regex.search(qualified) and (raw.startswith("json") or "request" in raw
                                                     or last in ("get_json", "json"))):
            unit.reads_body = True
        self._record_call(unit, node.func, qualified)

    def _record_call(self, unit: Unit, func: cst.BaseExpression, qualified: str) -> None:
        raw = dotted_name(func)
        if raw is None:
            return
        head = raw.split(".")[0]
        if head in ("self", "cls") and raw.count(".") == 1 and unit.class_name:
            unit.calls.append(f".{unit.class_name}.{raw.split('.', 1)[1]}")
        elif raw in self.module_functions:
            unit.calls.append("." + raw)
        elif head in self.module_classes and raw.count(".") == 1:
            unit.calls.append("." + raw)  # Trigger.from_request(...)
        elif raw in self.module_classes:
            unit.calls += [f".{raw}.__init__", f".{raw}.__call__"]
        elif qualified != raw or self.imports.is_imported(head):
            unit.calls.append(absolute(qualified, self.facts.module, self.facts.is_package))
        else:
            unit.hints.append(raw)
            if "." in raw:
                # ``obj.validate()`` on an object we cannot type: maybe a method of this module
                unit.maybe_calls.append(raw.rsplit(".", 1)[1])

    def _line(self, node: cst.CSTNode) -> int:
        return self.ctx.position(node)[0]

    def _check_verification_args(self, unit: Unit | None, node: cst.Call, method: str) -> None:
        """Placeholder secret and disabled replay protection in a verifying call."""
        function = self.unit_node
        positional = [a for a in node.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a for a in node.args if a.keyword is not None}
        verify = self.models.verify_methods[method]
        index, keyword = verify.secret_arg, verify.secret_keyword
        secret_arg = (keywords.get(keyword) if keyword else None) or (
            positional[index] if index is not None and index < len(positional) else None)
        target = unit if unit is not None else self._orphan(node)
        if secret_arg is not None:
            value = constant_value(self.bindings.value_of(secret_arg.value, function))
            if isinstance(value, str) and PLACEHOLDER_SECRET.search(value):
                target.defects.append(("placeholder-secret", self._line(secret_arg),
                                       "an empty secret" if not value.strip()
                                       else "a placeholder secret"))
        if verify.tolerance_arg is not None:
            idx = verify.tolerance_arg
            tol = keywords.get("tolerance") or (positional[idx] if idx < len(positional) else None)
            if tol is not None:
                value = constant_value(self.bindings.value_of(tol.value, function))
                if value is None or (isinstance(value, int) and not isinstance(value, bool)
                                     and value <= 0):
                    target.defects.append(("no-tolerance", self._line(tol),
                                           f"tolerance={value}"))

    def _orphan(self, node: cst.CSTNode) -> Unit:
        """A pseudo-unit for verification calls at module level (reported at their own line)."""
        line = self._line(node)
        unit = Unit(qualname=f"<module>:{line}", line=line)
        self.facts.units[unit.qualname] = unit
        return unit

    # -- defeated verification inside blocks ------------------------------------------------------
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        unit = self.unit
        if unit is None or self.loops:
            return
        body = list(node.body)
        for i, stmt in enumerate(body):
            if isinstance(stmt, cst.Try):
                self._try(unit, stmt, body[i + 1:])

    def visit_If(self, node: cst.If) -> None:
        """``if endpoint_secret: event = construct_event(...)`` - verification made optional.

        When the secret is not configured the raw payload parsed before is processed unverified
        (Stripe's own sample).  An ``else`` branch that leaves, or a secret that is a non-empty
        literal, makes the check unconditional.
        """
        unit = self.unit
        if unit is None:
            return
        test, negated = node.test, False
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, negated = test.expression, True
        guards = _guard_codes(test)
        if not guards:
            return
        branch = node.orelse if negated else node.body
        other = node.body if negated else node.orelse
        if branch is None or isinstance(branch, cst.If):
            return
        call = _find_verify_call(branch.body if isinstance(branch, cst.Else) else branch)
        if call is None:
            return
        secret = _secret_arg(call)
        if secret is None or _code(secret) not in guards:
            return
        value = constant_value(self.bindings.value_of(secret, self.unit_node))
        if isinstance(value, str) and value.strip():
            return  # a literal secret: always set (PCI702's business)
        if other is not None:
            body = other.body if isinstance(other, cst.Else) else other
            if isinstance(body, cst.BaseSuite) and _handler_behaviour(body)[0]:
                return  # else: return 400
        unit.defects.append(("optional", self._line(node),
                             "verifies the signature only when the secret is set (`if "
                             f"{_code(test)}:`), otherwise it processes the raw payload"))

    def _try(self, unit: Unit, node: cst.Try, following: list[cst.BaseStatement]) -> None:
        """A ``SignatureVerificationError`` (or broader) handler that lets the event through."""
        verify_call = _find_verify_call(node.body)
        if verify_call is None:
            return
        target = _assigned_name(node.body, verify_call)
        for handler in node.handlers:
            if not _catches_signature_error(handler, self.bindings):
                continue
            exits, parses = _handler_behaviour(handler.body)
            if not parses and (exits or _guarded_later(target, following)):
                continue
            unit.defects.append(("error-ignored", self._line(handler),
                                 "SignatureVerificationError is caught and the event "
                                 "processed anyway"))
            return

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        unit = self.unit
        if unit is None:
            return
        for small in node.body:
            value = None
            if isinstance(small, cst.Expr):
                value = small.value
                target_name = None
            elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                value = small.value
                t = small.targets[0].target
                target_name = t.value if isinstance(t, cst.Name) else "<attr>"
            else:
                continue
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                    and _returns_event(value.func.attr.value):
                unit.defects.append(("discarded-candidate", self._line(small),
                                     target_name or ""))

    def leave_Module(self, node: cst.Module) -> None:
        for qualname, unit in self.facts.units.items():
            kept = []
            for kind, line, detail in unit.defects:
                if kind != "discarded-candidate":
                    kept.append((kind, line, detail))
                    continue
                used = detail not in ("", "_") and (detail == "<attr>" or
                                                     detail in unit.loaded_names and
                                                     _loads(self._def_nodes.get(qualname),
                                                            detail) > 1)
                if not used and (unit.reads_body or unit.constructs):
                    kept.append(("discarded", line, "the verified event is discarded and the "
                                 "raw payload parsed instead"))
            unit.defects = kept
            unit.loaded_names = set()  # not needed after the file
            if qualname in self._def_nodes and self._reportable(unit):
                # the handler's `def` line (not a decorator): the line of its name
                node = self._def_nodes[qualname]
                line = self.ctx.position(node.name, node)[0]
                text = self.ctx.line_text(line)
                unit.line = line
                unit.column = len(text) - len(text.lstrip()) + 1
                unit.end_column = len(text.rstrip()) + 1

    def _reportable(self, unit: Unit) -> bool:
        """Whether a finding may land on this unit's def (only then is its position computed)."""
        return bool(unit.defects or (unit.endpoint and self.facts.stripe_context))


_EMPTY = cst.Module(body=[])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node).strip()


def _guard_codes(test: cst.BaseExpression) -> set[str]:
    """The expressions an ``if`` test checks for being set: ``secret``, ``settings.X``,
    ``secret is not None``, ``a and b``."""
    if isinstance(test, (cst.Name, cst.Attribute, cst.Subscript)):
        return {_code(test)}
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _guard_codes(test.left) | _guard_codes(test.right)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(
            test.comparisons[0].operator, (cst.IsNot, cst.NotEqual)):
        return _guard_codes(test.left)
    if isinstance(test, cst.Call) and dotted_name(test.func) in ("bool", "len"):
        return _guard_codes(test.args[0].value) if test.args else set()
    return set()


def _secret_arg(call: cst.Call) -> cst.BaseExpression | None:
    func = call.func
    method = func.attr.value if isinstance(func, cst.Attribute) else (dotted_name(func) or "")
    verify = models.current().verify_methods.get(method)
    if verify is None:
        return None
    index, keyword = verify.secret_arg, verify.secret_keyword
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[index].value if index is not None and index < len(positional) else None


def _returns_event(method: str) -> bool:
    verify = models.current().verify_methods.get(method)
    return verify is not None and verify.returns_event


def _names_stripe(text: str, m: models.Models) -> bool:
    """Whether a text (a file, a qualified name) names the Stripe SDK (``stripe`` in any case)."""
    low = text.lower()
    return any(name.lower() in low for name in m.stripe_names)


def _dependency_calls(node: cst.BaseExpression) -> list[cst.Call]:
    """``Depends(f)`` / ``Security(f)`` calls in a parameter default or annotation."""
    out: list[cst.Call] = []
    if isinstance(node, cst.Call):
        if (dotted_name(node.func) or "").split(".")[-1] in ("Depends", "Security"):
            out.append(node)
    elif isinstance(node, cst.Subscript):  # Annotated[Event, Depends(f)]
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                out += _dependency_calls(element.slice.value)
    return out


def _unwrap_call(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``verify(secret=...)`` -> ``verify``: a decorator factory stands for what it builds."""
    return expr.func if isinstance(expr, cst.Call) else expr


CLASS_DECORATOR_ATTRS = {"decorators", "method_decorators"}


def _class_wrappers(node: cst.ClassDef) -> list[cst.BaseExpression]:
    """Decorators a class applies to its methods (as expressions naming the wrapper)."""
    out: list[cst.BaseExpression] = []
    for dec in node.decorators:
        expr = dec.decorator
        if isinstance(expr, cst.Call) and (dotted_name(expr.func) or "").split(".")[-1] == \
                "method_decorator":
            if expr.args:
                value = expr.args[0].value
                values = ([e.value for e in value.elements]
                          if isinstance(value, (cst.List, cst.Tuple)) else [value])
                out += [_unwrap_call(v) for v in values]
        else:
            out.append(_unwrap_call(expr))
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                continue
            targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                       else [small.target])
            if not any(isinstance(t, cst.Name) and t.value in CLASS_DECORATOR_ATTRS
                       for t in targets):
                continue
            containers = [small.value]
            if isinstance(small.value, cst.Dict):  # Flask-RESTful {"post": [...]}
                containers = [e.value for e in small.value.elements
                              if isinstance(e, cst.DictElement)]
            for container in containers:
                if isinstance(container, (cst.List, cst.Tuple)):
                    out += [_unwrap_call(e.value) for e in container.elements]
    return [e for e in out if dotted_name(e) is not None]


def _loads(node: cst.FunctionDef | None, name: str) -> int:
    """How many times ``name`` occurs as a Name in ``node`` (assignment targets included)."""
    if node is None:
        return 0
    counter = _NameCounter(name)
    walk.visit(node, counter)
    return counter.count


class _NameCounter(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1


class _Finder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.verify: cst.Call | None = None
        self.exits = False
        self.parses = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Call(self, node: cst.Call) -> None:
        raw = dotted_name(node.func) or ""
        last = node.func.attr.value if isinstance(node.func, cst.Attribute) else raw
        m = models.current()
        if last in m.verify_methods and self.verify is None:
            self.verify = node
        if EXIT_CALLS.search(raw):
            self.exits = True
        if m.parse_regex.search(raw) or m.construct_regex.search(raw) or \
                last.endswith("_without_verification"):
            self.parses = True

    def visit_Return(self, node: cst.Return) -> None:
        self.exits = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.exits = True


def _assigned_name(body: cst.BaseSuite, call: cst.Call) -> str | None:
    """The name the verifying call's result is assigned to inside ``body`` (``event = ...``)."""
    for stmt in getattr(body, "body", ()):
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    value = small.value.expression if isinstance(small.value, cst.Await) \
                        else small.value
                    target = small.targets[0].target
                    if value is call and isinstance(target, cst.Name):
                        return target.value
    return None


def _guarded_later(name: str | None, following: list[cst.BaseStatement]) -> bool:
    """Whether a later ``if`` tests ``name`` (``if event is None: return ...``) and leaves."""
    if name is None:
        return False
    for stmt in following:
        if isinstance(stmt, cst.If):
            counter = _NameCounter(name)
            walk.visit(stmt.test, counter)
            if counter.count:
                exits, _ = _handler_behaviour(stmt.body)
                if exits:
                    return True
    return False


def _find_verify_call(body: cst.BaseSuite) -> cst.Call | None:
    finder = _Finder()
    walk.visit(body, finder)
    return finder.verify


def _handler_behaviour(body: cst.BaseSuite) -> tuple[bool, bool]:
    finder = _Finder()
    walk.visit(body, finder)
    return finder.exits, finder.parses


def _catches_signature_error(handler: cst.ExceptHandler, bindings: Bindings) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
    exprs = [e.value for e in types] if types is not None else [handler.type]
    for expr in exprs:
        name = bindings.qualify_expr(expr) or dotted_name(expr) or ""
        if SIGNATURE_ERRORS.search(name):
            return True
    return False


def facts_for(ctx: Any) -> ModuleFacts | None:
    collector = ctx.shared.get("webhook-collector")
    return collector.facts if collector is not None else None


def is_secret_placeholder(value: Any) -> bool:
    return isinstance(value, str) and PLACEHOLDER_SECRET.search(value) is not None


__all__ = ["WebhookCollector", "ModuleFacts", "Unit", "facts_for", "module_name", "absolute",
           "NOT_CONSTANT"]
