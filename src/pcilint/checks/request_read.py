"""Check kind ``request-read``: card data read from an HTTP request on the server.

Reports, at the line of the subscript or call, every read that
:func:`pcilint.analysis.requests.card_request_read` recognises (``request.form["card_number"]``,
``request.POST.get("cvv")``, ``data["cvc"]`` after ``data = request.get_json()``, ...), and route-handler
parameters named as card data (FastAPI/Django Ninja ``card_number: str = Form(...)``, a Flask URL
variable ``<card_number>``), at the parameter.  Aliases are tracked per function, in statement order.
"""

from __future__ import annotations

import libcst as cst

from pcilint.analysis.declarations import (
    annotation_card_kind, declared_card_data, describe, has_card_context,
)
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.names import vocabulary
from pcilint.analysis.requests import RequestAliases, card_request_read
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.prefilter import card_data_terms

ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "api_route", "route", "websocket",
                    "api_view", "view_config", "add_route"}
PARAM_MARKERS = {"Form", "Body", "Query", "Path", "Header", "Cookie", "File"}


#: Frameworks whose route decorators are plain functions (``from litestar import post``).
ROUTE_MODULES = ("litestar", "starlite", "bottle", "sanic", "robyn", "blacksheep")


def is_route_handler(node: cst.FunctionDef, imports: ImportTable | None = None) -> bool:
    """Decorated like a web route: ``@app.post(...)``, ``@router.get(...)``, ``@bp.route(...)``, or
    (with ``imports``) a route decorator imported from a framework (``from litestar import post``)."""
    for dec in node.decorators:
        expr = dec.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        name = dotted_name(expr) or ""
        if name.rsplit(".", 1)[-1] in ROUTE_DECORATORS:
            if "." in name:
                return True
            qualified = imports.resolve(name) if imports is not None else ""
            if qualified.split(".", 1)[0] in ROUTE_MODULES:
                return True
    return False


@register
class RequestRead(CheckKind):
    """Card data read from an HTTP request on the server: ``request.form["card_number"]``,
    ``request.POST.get("cvv")``, ``data["cvc"]`` after ``data = request.get_json()``, and (with
    ``route_parameters``) route-handler parameters named as card data (FastAPI ``Form(...)``, a
    Flask ``<card_number>`` URL variable).

    Reported at the subscript or call (or the parameter); message fields ``data``, ``name``,
    ``origin``.  ``sad_severity`` applies to CVC and track data.
    """

    kind = "request-read"
    PARAMS = {
        "route_parameters": Param("bool", default=True,
                                  doc="Also report route-handler parameters named as card data."),
        "sad_severity": Param("str", default=None, doc="Severity for SAD (CVV, track data)."),
        "skip_in_tests": Param("bool", default=True, doc="Do not report in test code."),
    }

    def prefilter_terms(self) -> list[str] | None:
        # every finding needs a name the card-data vocabulary classifies (pcilint.prefilter)
        return card_data_terms()

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self
        vocab = vocabulary(ctx.settings.sensitive_names)
        imports = ctx.imports

        def report(node: cst.CSTNode, name: str, kind: str, origin: str) -> None:
            fields = {"name": name, "data": describe(kind), "origin": origin}
            if kind == "sad" and check.p["sad_severity"]:
                fields["severity"] = check.p["sad_severity"]
            ctx.report(check.rule, node, **fields)

        class Visitor(cst.BatchableCSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.stack = [RequestAliases()]
                self.functions: list[list] = []

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.functions.append([node.name.value, False, []])  # name, strong read seen, weak
                aliases = RequestAliases()
                params = node.params
                for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                    aliases.add_parameter(param, imports)
                    if check.p["route_parameters"]:
                        self._route_param(node, param)
                self.stack.append(aliases)

            def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                self.stack.pop()
                name, strong, weak_reads = self.functions.pop()
                # `request.args["cid"]` is a client id until the view shows it is about cards
                if strong or has_card_context(name, (), vocab):
                    for read in weak_reads:
                        report(read.node, read.key, read.kind, read.origin)

            def _route_param(self, func: cst.FunctionDef, param: cst.Param) -> None:
                name = param.name.value
                if name in ("self", "cls"):
                    return
                marker = None
                if isinstance(param.default, cst.Call):
                    head = (imports.qualify(param.default.func) or "").rsplit(".", 1)[-1]
                    if head in ("Depends", "Security"):
                        return
                    if head in PARAM_MARKERS:
                        marker = head
                if marker is None and not is_route_handler(func, imports):
                    return
                if param.annotation is not None and \
                        annotation_card_kind(param.annotation.annotation, imports) == "other":
                    return
                kind = declared_card_data(name, vocab, func.name.value)
                if kind is None:
                    return
                origin = f"{marker}() parameter" if marker else "route parameter"
                report(param.name, name, kind, origin)

            def visit_Assign(self, node: cst.Assign) -> None:
                for t in node.targets:
                    self.stack[-1].assign(t.target, node.value, imports, vocab)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                if node.value is not None:
                    self.stack[-1].assign(node.target, node.value, imports, vocab)

            def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
                self.stack[-1].assign(node.target, node.value, imports, vocab)

            def _read(self, node: cst.BaseExpression) -> None:
                read = card_request_read(node, vocab, imports, self.stack[-1])
                if read is None:
                    return
                if read.is_weak():
                    if self.functions:
                        self.functions[-1][2].append(read)
                    return
                if self.functions:
                    self.functions[-1][1] = True
                report(node, read.key, read.kind, read.origin)

            def visit_Subscript(self, node: cst.Subscript) -> None:
                self._read(node)

            def visit_Call(self, node: cst.Call) -> None:
                self._read(node)

        return Visitor()
