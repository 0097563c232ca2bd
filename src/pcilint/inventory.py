"""The inventory: what a scan examined, as positive evidence for the review's checklist.

"No finding" says little unless the report also says what was looked at: how many outgoing HTTP call
sites there are and that all use https, which templates mount Stripe Elements, which models store
Stripe ids, which Stripe calls set amounts, which webhook endpoints verify signatures, which Stripe
requirements the manifests pin.  These facts are collected in the engine's single traversal of each
parsed file (:func:`visitor`, appended to the checks' visitors - no second parse) and from the text
of templates and manifests (:func:`text_facts`); the webhook endpoints come from the webhook check's
project phase, which already joins handlers across modules (``ProjectReporter.inventory``).

Per file the facts are plain lists of tuples (picklable, cached with the file's result); the scan
joins them into one document (:func:`aggregate`), the JSON output's versioned ``inventory``
section (docs/reports.md).  Only when ``Options.inventory`` is on (the CLI turns it on for the
formats that show it: json, html, markdown): the inventory's prefilter (:data:`TERMS`) then also
parses files that mention an HTTP client.
"""

from __future__ import annotations

import re
from typing import Any

VERSION = 1

# The HTTP clients (the outgoing call sites and where their URL is) and the Stripe SDK's entry
# points are library models (rules/models/http-clients.yaml, stripe.yaml): see pcilint.models.
#: Stripe call parameters that set money or objects (the PCI8xx parameters).
MONEY_PARAMS = frozenset({"amount", "currency", "application_fee_amount", "unit_amount",
                          "unit_amount_decimal", "price_data", "price", "line_items", "customer",
                          "destination", "on_behalf_of", "transfer_data", "amount_to_capture",
                          "items", "params"})
# Stripe calls that write (``client.v1.payment_intents.create``), its service segments and the methods
# that read are library models (rules/models/stripe.yaml): see pcilint.models.
LOOPBACK = re.compile(r"^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)(?::\d+)?$", re.I)
#: Stripe object id prefixes by the word a field name carries.
STRIPE_ID_WORDS = {"customer": "cus_", "payment_method": "pm_", "payment_intent": "pi_",
                   "setup_intent": "seti_", "subscription": "sub_", "price": "price_",
                   "product": "prod_", "charge": "ch_", "invoice": "in_", "account": "acct_",
                   "checkout_session": "cs_", "session": "cs_", "refund": "re_",
                   "transfer": "tr_", "event": "evt_", "source": "src_", "token": "tok_"}
STRIPE_ID_FIELD = re.compile(
    r"^(?:stripe_)?(?:customer|payment_method|payment_intent|setup_intent|subscription|price|"
    r"product|charge|invoice|account|checkout_session|refund|transfer)_?id$|^stripe_[a-z_]*id$|"
    r"^pm_id$|^cus_id$|^payment_method$|^stripe_customer$|^stripe_account$")
MODEL_BASE = re.compile(r"(?:^|\.)(?:Model|Base|DeclarativeBase|SQLModel|Document|"
                        r"EmbeddedDocument|AbstractUser|AbstractBaseUser)$")
ELEMENTS_SCRIPT = re.compile(r"js\.stripe\.com/v[0-9]|@stripe/stripe-js|loadStripe\s*\(", re.I)
ELEMENTS_USE = re.compile(r"\.elements\s*\(|\.mount\s*\(|initEmbeddedCheckout\s*\(|"
                          r"redirectToCheckout\s*\(|createPaymentMethod\s*\(|confirmCardPayment"
                          r"\s*\(|confirmPayment\s*\(|<stripe-pricing-table|"
                          r"buy\.stripe\.com|checkout\.stripe\.com")


def wants_parse(text: str) -> bool:
    return _terms().search(text) is not None


def _terms() -> re.Pattern[str]:
    """Files that need a parse for the inventory even when no rule wants them: they name an HTTP
    client's module, ``urlopen``, or the Stripe SDK."""
    from pcilint import models

    m = models.current()
    names = {*m.stripe_names, *(n.capitalize() for n in m.stripe_names if n.islower())}
    key = tuple(sorted(m.http_terms)) + tuple(sorted(re.escape(n) for n in names))
    if _TERMS.get("key") != key:
        _TERMS["key"] = key
        _TERMS["re"] = re.compile(r"\b(?:" + "|".join(key) + r")\b")
    return _TERMS["re"]


_TERMS: dict[str, Any] = {}


def _url_kind(value: str) -> str:
    low = value.strip().lower()
    if low.startswith("https://"):
        return "https"
    if low.startswith("http://"):
        host = low[7:].split("/", 1)[0].rsplit("@", 1)[-1]
        return "loopback" if LOOPBACK.match(host) else "http"
    return "other"


def _http_call(node: Any, qualified: str, lib: Any) -> tuple[str, Any] | None:
    """(qualified call, its model) when the call is an outgoing HTTP request of a modelled client."""
    from pcilint.analysis.globs import matches_any
    from pcilint.analysis.imports import dotted_name

    for spec in lib.url_calls:
        if matches_any(qualified, spec.call):
            if spec.when_arg is not None:
                index, name = spec.when_arg
                positional = [a for a in node.args if a.keyword is None and not a.star]
                named = dotted_name(positional[index].value) if index < len(positional) else None
                if (named or "").rsplit(".", 1)[-1] != name:
                    return None
            return (qualified, spec) if spec.request else None
    return None


def _url_argument(node: Any, spec: Any) -> Any:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value in spec.keyword:
            return arg.value
    positional = [a for a in node.args if a.keyword is None and not a.star]
    if spec.arg is not None and spec.arg < len(positional):
        return positional[spec.arg].value
    return None


def visitor(ctx: Any, facts: dict[str, list]) -> Any:
    """The inventory's visitor for one parsed Python file (run in the batched traversal)."""
    import libcst as cst

    from pcilint import models as library
    from pcilint.analysis.bindings import bindings_for
    from pcilint.analysis.imports import dotted_name

    lib = library.current()

    http = facts.setdefault("http_calls", [])
    stripe_calls = facts.setdefault("stripe_calls", [])
    models = facts.setdefault("stripe_id_models", [])
    imports = ctx.imports

    functions: list[Any] = []
    # a file importing none of the modelled clients' modules makes no client call
    clients = any(v.lstrip(".").split(".")[0] in lib.client_heads for v in imports.names.values())

    def line(node: Any) -> int:
        return ctx.position(node, functions[-1] if functions else None)[0]

    class Visitor(cst.BatchableCSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            functions.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            functions.pop()

        def visit_Call(self, node: cst.Call) -> None:
            raw = dotted_name(node.func)
            if raw is None:
                return
            qualified = imports.resolve(raw)
            client = _http_call(node, bindings_for(ctx).qualify_expr(node.func) or qualified,
                                lib) if clients else None
            if client is not None:
                call, spec = client
                qualified = call
                url = _url_argument(node, spec)
                prefix = _url_prefix(url, bindings_for(ctx)) if url is not None else None
                kind = "dynamic" if prefix is None else _url_kind(prefix)
                if kind == "other":
                    kind = "dynamic"
                http.append((line(node), qualified, kind))
                return
            parts = qualified.split(".")
            if parts[-1] in lib.stripe_read_methods or parts[-1].startswith(("list_", "retrieve_")):
                return  # a read: its amounts and customers are filters
            if lib.is_stripe_module(qualified) or (
                    len(parts) >= 3 and parts[-1] in lib.stripe_write_methods
                    and any(p in lib.stripe_services for p in parts[1:-1])):
                params = sorted({a.keyword.value for a in node.args if a.keyword is not None
                                 and a.keyword.value in MONEY_PARAMS})
                if params:
                    stripe_calls.append((line(node), qualified, tuple(params)))

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            bases = [imports.resolve(dotted_name(b.value) or "") for b in node.bases]
            if not any(MODEL_BASE.search(b) for b in bases if b):
                return
            found = []
            for stmt in node.body.body:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    target = None
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                    elif isinstance(small, cst.AnnAssign):
                        target = small.target
                    if isinstance(target, cst.Name) and STRIPE_ID_FIELD.match(target.value.lower()):
                        found.append(target.value)
            if found:
                models.append((line(node), node.name.value, tuple(found)))

    return Visitor()


def _url_prefix(node: Any, bindings: Any, depth: int = 0) -> str | None:
    """The literal start of a URL expression: a string, a module constant, the first part of an
    f-string or of a ``+`` concatenation (None when it starts with something we cannot read)."""
    import libcst as cst

    from pcilint.analysis.literals import string_value

    if depth > 4:
        return None
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return string_value(node)
    if isinstance(node, cst.Name) and node.value in bindings.constants:
        return _url_prefix(bindings.constants[node.value], bindings, depth + 1)
    if isinstance(node, cst.FormattedString) and node.parts:
        first = node.parts[0]
        if isinstance(first, cst.FormattedStringText):
            return first.value
        return _url_prefix(first.expression, bindings, depth + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _url_prefix(node.left, bindings, depth + 1)
    return None


def id_prefixes(fields: tuple[str, ...] | list[str]) -> list[str]:
    """The Stripe id prefixes (``cus_``, ``pm_``) the field names suggest."""
    out: list[str] = []
    for name in fields:
        low = name.lower()
        for word, prefix in sorted(STRIPE_ID_WORDS.items(), key=lambda kv: -len(kv[0])):
            if word in low or (low.startswith(prefix.rstrip("_")) and low.endswith("id")):
                if prefix not in out:
                    out.append(prefix)
                break
    return out


def text_facts(path: str, text: str, kind: str, facts: dict[str, list]) -> None:
    """Templates: Stripe.js and Elements; manifests: the ``stripe`` requirements they declare."""
    if kind == "template":
        script = ELEMENTS_SCRIPT.search(text)
        use = ELEMENTS_USE.search(text)
        if script or use:
            first = script or use
            assert first is not None
            facts.setdefault("stripe_js_templates", []).append(
                (text.count("\n", 0, first.start()) + 1, bool(script), bool(use)))
    elif kind == "manifest":
        from pcilint.manifests import manifest_format, read_manifest

        fmt = manifest_format(path)
        if fmt is None or fmt == "setup-py":
            return
        try:
            requirements = read_manifest(fmt, text)
        except Exception:  # noqa: BLE001 - a manifest we cannot read lists nothing
            return
        for req in requirements:
            if req.name == "stripe":
                # (a direct-URL requirement can carry a token: `git+https://user:TOKEN@host/...`)
                facts.setdefault("stripe_requirements", []).append(
                    (req.line, _URL_CREDENTIALS.sub(r"\1***@", req.text), bool(req.locked)))


_URL_CREDENTIALS = re.compile(r"(://)[^/@\s]+@")


def aggregate(per_file: dict[str, dict[str, list]], webhooks: list[dict[str, Any]] | None,
              findings: list[Any], files_scanned: int) -> dict[str, Any]:
    """The scan's inventory document (JSON ``inventory``, version :data:`VERSION`)."""
    def rows(section: str) -> list[tuple[str, tuple]]:
        return [(path, row) for path, f in sorted(per_file.items()) for row in f.get(section, ())]

    def count(rule_prefix: str) -> int:
        return sum(1 for f in findings if f.rule_id.startswith(rule_prefix))

    http = rows("http_calls")
    by_kind: dict[str, int] = {}
    for _, (_, _, kind) in http:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    templates = rows("stripe_js_templates")
    card_inputs = sorted({f.path for f in findings if f.rule_id == "PCI405"})
    models = rows("stripe_id_models")
    stripe_calls = rows("stripe_calls")
    client_valued = {(f.path, f.line) for f in findings if f.category == "validation"}
    requirements = rows("stripe_requirements")
    doc: dict[str, Any] = {
        "version": VERSION,
        "files_examined": files_scanned,
        "http_calls": {
            "total": len(http), "by_scheme": by_kind,
            "sites": [{"path": p, "line": n, "call": call, "scheme": kind}
                      for p, (n, call, kind) in http],
        },
        "stripe_js_templates": [{"path": p, "line": n, "loads_stripe_js": s, "mounts": m}
                                for p, (n, s, m) in templates],
        "templates_posting_card_fields": card_inputs,
        "stripe_id_models": [{"path": p, "line": n, "model": name, "fields": list(fields),
                              "id_prefixes": id_prefixes(fields)} for p, (n, name, fields) in models],
        "card_data_fields": sorted({f"{f.path}:{f.line}" for f in findings
                                    if f.rule_id in ("PCI201", "PCI202")}),
        "stripe_money_calls": [{"path": p, "line": n, "call": call, "params": list(params)}
                               for p, (n, call, params) in stripe_calls],
        "client_controlled_params": len(client_valued),
        "webhook_endpoints": sorted(webhooks or [], key=lambda w: (w["path"], w["line"])),
        "stripe_requirements": [{"path": p, "line": n, "requirement": text, "locked": locked}
                                for p, (n, text, locked) in requirements],
        "raw_card_to_stripe_calls": count("PCI410"),
    }
    return doc
