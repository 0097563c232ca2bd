"""Check kind ``cached-card-function``: a caching decorator on a function that takes card data.

A memoizing decorator (``functools.lru_cache``/``cache``, Flask-Caching ``@cache.memoize``/
``@cache.cached``, ``cachetools.cached``/``cachetools.func.ttl_cache``, ``aiocache.cached``,
``async_lru.alru_cache``, joblib ``@memory.cache``; the patterns are rule parameters) keeps every
argument as part of its cache key, so a function with a parameter named as a card number or CVC
(``card_number``, ``cvc``, a parameter typed ``PaymentCardNumber``) keeps card data in a cache for as
long as the entry lives - in process memory or in Redis/Memcached.  Reported at the decorator's line:
the decorator is where the caching happens (docs/contract.md §3 names no position for a
declaration sink; see docs/rules-declared-card-data.md).
"""

from __future__ import annotations

import libcst as cst

from pcilint.analysis.declarations import (
    PatternSet, WEAK_NAMES, annotation_card_kind, declared_card_data, describe,
)
from pcilint.analysis.names import PAN, SAD, vocabulary
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param
from pcilint.prefilter import card_data_terms


@register
class CachedCardFunction(CheckKind):
    """A memoizing decorator (``functools.lru_cache``, ``@cache.memoize``, ``cachetools.cached``...;
    the ``decorators`` patterns) on a function with a parameter named or typed as a card number or
    CVC: every argument is kept in the cache key, so card data stays in the cache.

    Reported at the decorator's line; message fields ``decorator``, ``function``, ``name``, ``data``.
    ``sad_severity`` raises the severity when the cached parameter is SAD (a CVC).
    """

    kind = "cached-card-function"
    PARAMS = {
        "decorators": Param("list[str]", required=True,
                            doc="Qualified-name patterns of caching decorators (called or not)."),
        "sad_severity": Param("str", default=None, doc="Severity when a SAD parameter is cached."),
        "weak_names": Param("list[str]", default=list(WEAK_NAMES),
                            doc="Parameter names that count only in a card context."),
        "skip_in_tests": Param("bool", default=True, doc="Do not report in test code."),
    }

    def setup(self) -> None:
        self.decorators = PatternSet(self.p["decorators"])

    def prefilter_terms(self) -> list[str] | None:
        # every finding needs a name the card-data vocabulary classifies (pcilint.prefilter)
        return card_data_terms()

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self
        vocab = vocabulary(ctx.settings.sensitive_names)
        imports = ctx.imports
        weak = tuple(self.p["weak_names"])

        class Visitor(cst.BatchableCSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.classes: list[str] = []

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.classes.append(node.name.value)

            def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                self.classes.pop()

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                decorator = None
                for dec in node.decorators:
                    expr = dec.decorator
                    if isinstance(expr, cst.Call):
                        expr = expr.func
                    name = imports.qualify(expr)
                    if check.decorators.match(name):
                        decorator = (dec, name)
                        break
                if decorator is None:
                    return
                params = node.params
                all_params = (*params.posonly_params, *params.params, *params.kwonly_params)
                names = [p.name.value for p in all_params]
                context = self.classes[-1] if self.classes else node.name.value
                hits = []
                for param in all_params:
                    pname = param.name.value
                    if pname in ("self", "cls"):
                        continue
                    kind = None
                    if param.annotation is not None:
                        ann = annotation_card_kind(param.annotation.annotation, imports)
                        if ann == PAN:
                            kind = PAN
                        elif ann == "other":
                            continue  # a Card object, a list of ids...: not a typed-in value
                    kind = kind or declared_card_data(pname, vocab, context, names, weak) \
                        or declared_card_data(pname, vocab, node.name.value, names, weak)
                    if kind:
                        hits.append((kind, pname))
                if not hits:
                    return
                hits.sort(key=lambda h: h[0] != SAD)
                kind = hits[0][0]
                fields = {"name": ", ".join(p for _, p in hits), "function": node.name.value,
                          "decorator": decorator[1], "data": describe(kind),
                          "involves": {k for k, _ in hits}}
                if kind == SAD and check.p["sad_severity"]:
                    fields["severity"] = check.p["sad_severity"]
                ctx.report(check.rule, decorator[0].decorator, **fields)

        return Visitor()
