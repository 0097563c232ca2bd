"""Check kind ``insecure-url``: a plain ``http://`` URL that an HTTP client is told to use.

Only URLs that reach a client count - a URL in a docstring, comment, XML namespace or licence
header is never passed to one.  The URL may be written in the call, or reach it through a name
bound once (a module constant or a function-local variable); it may be the literal start of an
f-string, a ``+`` concatenation, a ``%`` or ``.format`` template - as long as the *host* is written
out (``f"http://{host}/"`` is not judged).  Loopback and reserved hosts are allowed
(``allow_hosts``); hosts another rule reports (``skip_hosts``) are left to it.

The clients and where each takes its URL are library models (``http_clients`` in
``rules/models/http-clients.yaml``; the Stripe SDK's base URLs, ``base_url_calls`` and
``base_url_attributes`` in ``rules/models/stripe.yaml``); a rule adds its own with

* ``calls``: ``{call: [globs], arg: index, keyword: name, when_arg: [index, NAME]}`` - where the URL
  argument is; a dict literal argument (``StripeClient(base_addresses={...})``) has each value checked;
* ``attributes``: ``[globs]`` - ``stripe.api_base = "http://..."``;

and ``use_models: false`` leaves the models' clients out.

Reported at the URL literal (contract section 3); message fields: ``url`` (scheme and host only),
``client``.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import libcst as cst

from pcilint import models
from pcilint.analysis.globs import matches_any
from pcilint.analysis.bindings import bindings_for
from pcilint.analysis.imports import dotted_name
from pcilint.analysis.literals import string_value
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param

_HOST_END = re.compile(r"[/:?#\s]")


def url_prefix(node: cst.BaseExpression, resolve: Callable[[cst.BaseExpression], cst.BaseExpression]
               = lambda n: n) -> tuple[cst.CSTNode, str, bool] | None:
    """(literal node, literal leading text, whether the text is the whole value) of a URL expression.

    ``"http://a/" + path`` gives the left literal; ``f"http://a/{x}"`` its first text part;
    ``"http://a/%s" % x`` and ``"http://a/{}".format(x)`` the template.  ``resolve`` follows names.
    """
    node = resolve(node)
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node)
        return (node, text, True) if text is not None else None
    if isinstance(node, cst.FormattedString):
        parts = node.parts
        if parts and isinstance(parts[0], cst.FormattedStringText):
            return node, parts[0].value, len(parts) == 1
        return None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Modulo)):
        inner = url_prefix(node.left, resolve)
        if inner is None:
            return None
        literal, text, _whole = inner
        if isinstance(node.operator, cst.Modulo):
            return literal, text.split("%", 1)[0], "%" not in text
        return literal, text, False
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value == "format":
        inner = url_prefix(node.func.value, resolve)
        if inner is None:
            return None
        literal, text, _whole = inner
        return literal, text.split("{", 1)[0], "{" not in text
    return None


def plain_http_host(text: str, whole: bool) -> str | None:
    """The host of a leading ``http://`` URL when it is fully written out, else None."""
    if not text[:7].lower() == "http://":
        return None
    rest = text[7:]
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    if rest.startswith("["):
        end = rest.find("]")
        return rest[: end + 1].lower() if end > 0 else None
    m = _HOST_END.search(rest)
    if m is None and not whole:
        return None  # the host continues in an expression
    host = rest[: m.start()] if m else rest
    if not host or "{" in host or "%" in host or "$" in host or "<" in host:
        return None
    return host.lower()


@register
class InsecureUrl(CheckKind):
    kind = "insecure-url"
    # The project phase joins a use (a client call on an imported URL constant) with a constant
    # ("http://..." in its file, which matches this check's terms): the constant's file asks for
    # the files importing it (pcilint.prefilter); Django settings users match a term of their own.
    DECLARES_DEPENDENCIES = True
    PARAMS = {
        "calls": Param("list[dict]", default=[],
                       doc="{call: [globs], arg: index, keyword: name, when_arg: [index, NAME]}, "
                           "besides the HTTP clients of the library models"),
        "attributes": Param("list[str]", default=[],
                            doc="Attributes that hold a base URL, besides the models' "
                                "(stripe.api_base, ...)."),
        "use_models": Param("bool", default=True,
                            doc="Check the HTTP clients and Stripe base URLs of the library models "
                                "(rules/models/) besides `calls` and `attributes`."),
        "allow_hosts": Param("list[regex]", default=[], doc="Hosts that may use plain http."),
        "skip_hosts": Param("list[regex]", default=[], doc="Hosts left to another rule."),
        "prefilter": Param("list[str]", default=["http://"],
                           doc="Regex fragments one of which must be in a file."),
    }

    def setup(self) -> None:
        self.calls = []
        self.attributes = list(self.p["attributes"])
        for spec in self.p["calls"]:
            globs = spec.get("call")
            self.calls.append({**spec, "call": [globs] if isinstance(globs, str) else list(globs)})
        self._model_calls: list[dict[str, Any]] = []
        if self.p["use_models"]:
            m = models.current()
            self._model_calls = [c.as_spec() for c in m.url_calls + m.stripe_base_url_calls]
            self.calls += self._model_calls
            self.attributes += [a for a in m.stripe_base_url_attributes if a not in self.attributes]

    def prefilter_terms(self) -> list[str | tuple[str | list[str], ...]] | None:
        terms: list[str | tuple[str | list[str], ...]] = list(self.p["prefilter"])
        # a client given a Django setting (`requests.get(settings.API)`): the setting's module is
        # not imported, so the closure cannot find the file; a client import and `settings.` can
        # (the rule's own calls name their modules by their globs' heads; the models by `modules`)
        m = models.current()
        own = [spec for spec in self.calls if spec not in self._model_calls]
        clients = sorted({re.escape(g.split(".")[0]) for spec in own for g in spec["call"]
                          if g and g[0].isalpha()} | {
                              re.escape(a.split(".")[0]) for a in self.attributes if a[0].isalpha()}
                         | ({re.escape(n) for n in m.http_modules + m.stripe_modules}
                            if self.p["use_models"] else set()))
        if clients:
            names = "|".join(clients)
            terms.append(([rf"\bimport\s+(?:{names})\b", rf"\bfrom\s+(?:{names})\b"],
                          r"\bsettings\."))
        return terms

    def _remember_use(self, ctx: FileContext, bindings: Any, value: cst.BaseExpression,
                      client: str) -> None:
        """A URL we cannot see here (``settings.API``, an imported constant): judged in the
        project phase against the constants other modules define."""
        head = _head(value)
        raw = dotted_name(head)
        if raw is None:
            return
        from pcilint.analysis.webhooks import absolute, module_name

        module, is_package = module_name(ctx.path)
        if ctx.imports.is_imported(raw):
            target = absolute(ctx.imports.resolve(raw), module, is_package)
        elif "." in raw and raw.split(".")[0][:1].isupper():
            target = f"{module}.{raw}" if module else raw  # Config.API of this module
        else:
            return
        uses = ctx.shared.setdefault(f"insecure-url-uses:{self.rule.id}", [])
        uses.append((target, client))

    def project_facts(self, ctx: FileContext) -> Any:
        if ctx.module is None:
            return None
        uses = ctx.shared.get(f"insecure-url-uses:{self.rule.id}", [])
        constants = {}
        if "http://" in ctx.text.lower():
            constants = _url_constants(ctx, self)
        if constants:
            # a client elsewhere may be given one of these constants: analyse the importers
            ctx.need_importers(carries=None)
        if not uses and not constants:
            return None
        from pcilint.analysis.webhooks import module_name

        return {"module": module_name(ctx.path)[0], "uses": uses, "constants": constants}

    def check_project(self, facts: dict[str, Any], report: Any) -> None:
        by_name: dict[str, list[tuple[str, str, str, tuple]]] = {}
        for path, f in facts.items():
            for name, where in f["constants"].items():
                cls, _, last = name.rpartition(".")
                by_name.setdefault(last, []).append((path, f["module"], cls, where))
        if not by_name:
            return
        done: set[tuple[str, int]] = set()
        for path, f in facts.items():
            for target, client in f["uses"]:
                prefix, _, last = target.rpartition(".")
                for def_path, def_module, cls, where in by_name.get(last, []):
                    if def_path == path and not cls:
                        continue  # the file's own constants are judged by the visitor
                    owner = f"{def_module}.{cls}" if cls else def_module
                    django = prefix.endswith("django.conf.settings") or prefix == "settings"
                    if not ((django and not cls and _settings_module(def_module))
                            or _module_matches(prefix, owner)):
                        continue
                    line, column, end_line, end_column, host = where
                    if (def_path, line) in done:
                        continue
                    done.add((def_path, line))
                    report.report(self.rule, def_path, line, column, end_line, end_column,
                                  url=f"http://{host}", client=client)

    def _host_ok(self, host: str) -> bool:
        return any(p.fullmatch(host) for p in self.p["allow_hosts"]) or any(
            p.fullmatch(host) for p in self.p["skip_hosts"])

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        # (no textual shortcut here: the engine runs this only in files matching its terms, or
        # in a file the closure needs, whose client calls on imported constants must be seen)
        check = self
        bindings = bindings_for(ctx)
        functions: list[cst.FunctionDef] = []

        def judge(expr: cst.BaseExpression, client: str) -> None:
            function = functions[-1] if functions else None

            def resolve(node: cst.BaseExpression) -> cst.BaseExpression:
                return bindings.value_of(node, function)

            for value in _values(resolve(expr)):
                found = url_prefix(value, resolve)
                if found is None:
                    check._remember_use(ctx, bindings, value, client)
                    continue
                literal, text, whole = found
                host = plain_http_host(text, whole)
                if host is None or check._host_ok(host):
                    continue
                ctx.report(check.rule, literal, url=f"http://{host}", client=client)

        class Visitor(cst.BatchableCSTVisitor):
            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.append(node)

            def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
                functions.pop()

            def visit_Call(self, node: cst.Call) -> None:
                qualified, raw = bindings.qualify_expr(node.func), dotted_name(node.func)
                for spec in check.calls:
                    if not (matches_any(qualified, spec["call"]) or matches_any(raw, spec["call"])):
                        continue
                    when = spec.get("when_arg")
                    if when is not None and not _argument_named(node, when):
                        return
                    arg = _argument(node, spec.get("arg"), spec.get("keyword"))
                    if arg is not None:
                        judge(arg, raw or qualified or "client")
                    return

            def visit_Assign(self, node: cst.Assign) -> None:
                for target in node.targets:
                    self._assigned(target.target, node.value)

            def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
                if node.value is not None:
                    self._assigned(node.target, node.value)

            def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
                if not isinstance(target, cst.Attribute) or not check.attributes:
                    return
                qualified = bindings.qualify_expr(target)
                if qualified and matches_any(qualified, check.attributes):
                    judge(value, dotted_name(target) or qualified)

        return Visitor()


def _head(node: cst.BaseExpression) -> cst.BaseExpression:
    """The leading operand of a URL expression: ``BASE`` in ``BASE + "/x"`` or ``f"{BASE}/x"``."""
    while True:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add,
                                                                                cst.Modulo)):
            node = node.left
        elif isinstance(node, cst.FormattedString) and node.parts and isinstance(
                node.parts[0], cst.FormattedStringExpression):
            node = node.parts[0].expression
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
                and node.func.attr.value == "format":
            node = node.func.value
        else:
            return node


def _url_constants(ctx: FileContext, check: "InsecureUrl") -> dict[str, tuple]:
    """Module- and class-level ``NAME = "http://host/..."`` with a host that is not allowed:
    name (``API`` or ``Config.API``) -> (line, column, end_line, end_column, host)."""
    out: dict[str, tuple] = {}

    def scan(body: Any, prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, cst.ClassDef) and not prefix and isinstance(stmt.body,
                                                                            cst.IndentedBlock):
                scan(stmt.body.body, stmt.name.value + ".")
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                targets = ([t.target for t in small.targets] if isinstance(small, cst.Assign)
                           else [small.target])
                found = url_prefix(small.value)
                if found is None:
                    continue
                literal, text, whole = found
                host = plain_http_host(text, whole)
                if host is None or check._host_ok(host):
                    continue
                for target in targets:
                    if isinstance(target, cst.Name):
                        out[prefix + target.value] = (*ctx.position(literal), host)

    assert ctx.module is not None
    scan(ctx.module.body, "")
    return out


def _settings_module(module: str) -> bool:
    return any("settings" in part or part in ("config", "conf") for part in module.split("."))


def _module_matches(imported: str, defined: str) -> bool:
    d, i = defined.split("."), imported.split(".")
    if len(d) <= len(i):
        return i[len(i) - len(d):] == d
    return d[len(d) - len(i):] == i


def _values(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                yield element.value
    else:
        yield node


def _argument_named(node: cst.Call, when: Any) -> bool:
    """``when = [index, NAME]``: the call's positional argument ``index`` is ``NAME`` or ``x.NAME``
    (``c.setopt(pycurl.URL, url)``)."""
    try:
        index, name = int(when[0]), str(when[1])
    except (TypeError, ValueError, IndexError):
        return False
    arg = _argument(node, index, None)
    raw = dotted_name(arg) if arg is not None else None
    return raw is not None and raw.rsplit(".", 1)[-1] == name


def _argument(node: cst.Call, index: Any, keyword: Any) -> cst.BaseExpression | None:
    keywords = [keyword] if isinstance(keyword, str) else list(keyword or [])
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    positional = [a for a in node.args if a.keyword is None and not a.star]
    if isinstance(index, int) and index < len(positional):
        return positional[index].value
    return None
