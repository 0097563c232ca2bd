"""Card data read from an HTTP request: the server-side *source* of raw card numbers and CVCs.

A read is a subscript or ``.get(...)`` call whose key is named as card data, on a request body:

* Flask/Quart/Werkzeug: ``request.form``, ``request.json``, ``request.args``, ``request.values``,
  ``request.data``, ``request.get_json()``, ``request.get_json(force=True)``; Bottle ``request.forms``,
  Pyramid ``request.params``/``json_body``, Falcon ``req.media``/``req.get_param("...")``, Tornado
  ``self.get_argument("...")``/``get_body_argument``, aiohttp ``await request.post()``;
* Django: ``request.POST``, ``request.GET``, ``json.loads(request.body)``; DRF: ``request.data``,
  ``request.query_params``; the request may be ``request``, ``req``, ``self.request``, a parameter
  annotated ``Request``/``HttpRequest``, or the name ``flask.request`` is imported under;
* FastAPI/Starlette: ``await request.json()``, ``await request.form()``,
  ``json.loads(await request.body())``, a ``payload: dict = Body(...)`` parameter;
* a local alias of any of these (``data = request.get_json()``; ``data["card_number"]``), also through
  ``.copy()``, ``.dict()``, ``.to_dict()``, ``dict(...)``, and nested card objects
  (``data["card"]["number"]``, ``card = data.get("card"); card["cvc"]``).

Public API (pure functions over libcst nodes; no scope metadata):

* :func:`request_body_origin` - is an expression a request body?  Returns a short description such as
  ``"request.form"`` or None.
* :func:`card_request_read` - is an expression a card-data read from a request?  Returns a
  :class:`RequestRead` (the node, the key, ``'pan'``/``'sad'``, the origin) or None.
* :class:`RequestAliases` - the per-function alias table the two functions consult; feed it every
  assignment in statement order with :meth:`RequestAliases.assign`.

Used by the ``request-read`` check kind (PCI401) and meant as a taint source for the flow analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from pcilint import models
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.literals import string_value
from pcilint.analysis.names import PAN, Vocabulary, split_words

#: Attributes of a request object that hold client-submitted data.
BODY_ATTRIBUTES = {"form", "forms", "json", "json_body", "args", "values", "data", "POST", "GET",
                   "query_params", "query", "params", "body_params", "form_data", "media"}
#: Methods of a request object that return client-submitted data (sync or awaited).
BODY_METHODS = {"get_json", "json", "form", "get_data", "body", "get_media", "post"}
#: Methods of the request (Falcon ``req.get_param``) or of a Tornado handler (``self.get_argument``)
#: that read one submitted value by key.
REQUEST_GETTERS = {"get_param", "get_argument", "get_body_argument", "get_query_argument",
                   "get_arguments", "get_body_arguments"}
TORNADO_GETTERS = {"get_argument", "get_body_argument", "get_query_argument", "get_arguments",
                   "get_body_arguments"}
#: Raw body attributes that hold the body as text/bytes, to be parsed by a body parser
#: (``body_parsers`` of the library models, rules/models/parsers.yaml).
RAW_BODY = {"body", "data", "get_data", "stream"}
#: Methods that return a mapping with the same keys (an alias of the body).
COPY_METHODS = {"copy", "dict", "to_dict", "items", "lists"}
#: Methods that read one key.
GET_METHODS = {"get", "getlist", "pop", "get_all", "getone", "setdefault", "getall"}
# Imports that are a request object themselves (``from flask import request as r``), the parameter
# annotations that make a parameter the request and the defaults that make it a request body are
# library models (rules/models/web-frameworks.yaml).
REQUEST_NAMES = {"request", "req", "http_request", "incoming_request"}
WEAK_KEYS = ("pan", "cid", "csc", "cvn", "ccn")


@dataclass(frozen=True)
class RequestRead:
    """``node`` reads ``key`` (card data of ``kind``) from a request body described by ``origin``."""

    node: cst.BaseExpression
    key: str
    kind: str  # 'pan' or 'sad'
    origin: str  # e.g. "request.form", "json.loads(request.body)"

    def is_weak(self, weak: frozenset[str] | set[str] = frozenset(WEAK_KEYS)) -> bool:
        """A key such as ``pan``/``cid``/``csc`` alone (also a tax id, a client/campaign id): callers
        should want corroboration (a card-like function, another card read) before trusting it."""
        words = split_words(self.key)
        return len(words) == 1 and words[0] in weak


@dataclass
class RequestAliases:
    """Names bound, inside one function, to a request object, a request body or a card object in it."""

    request_objects: set[str] = field(default_factory=set)
    bodies: dict[str, str] = field(default_factory=dict)  # local name -> origin
    card_objects: dict[str, str] = field(default_factory=dict)  # name -> origin (its "number" is a PAN)

    def copy(self) -> "RequestAliases":
        return RequestAliases(set(self.request_objects), dict(self.bodies), dict(self.card_objects))

    def add_parameter(self, param: cst.Param, imports: ImportTable | None = None) -> None:
        """A parameter annotated as a request (``request: Request``, ``req: HttpRequest``)."""
        ann = param.annotation.annotation if param.annotation is not None else None
        head = (dotted_name(ann) or "").rsplit(".", 1)[-1] if ann is not None else ""
        m = models.current()
        if head in m.request_annotations:
            self.request_objects.add(param.name.value)
            return
        # FastAPI/Ninja ``payload: dict = Body(...)``: the parameter is a request body
        if isinstance(param.default, cst.Call):
            marker = (dotted_name(param.default.func) or "").rsplit(".", 1)[-1]
            if marker in m.body_parameters:
                self.bodies[param.name.value] = f"{marker}() parameter"

    def assign(self, target: cst.BaseExpression, value: cst.BaseExpression,
               imports: ImportTable | None, vocab: Vocabulary) -> None:
        """Record ``target = value`` (later assignments to a name replace earlier ones)."""
        if not isinstance(target, cst.Name):
            return
        name = target.value
        self.bodies.pop(name, None)
        self.card_objects.pop(name, None)
        card = _card_object_origin(value, imports, self, vocab)
        if card is not None:
            self.card_objects[name] = card
            return
        origin = request_body_origin(value, imports, self)
        if origin is not None:
            self.bodies[name] = origin
            return
        if _is_request_object(value, imports, self):
            self.request_objects.add(name)


def _is_request_object(node: cst.BaseExpression, imports: ImportTable | None,
                       aliases: RequestAliases | None) -> bool:
    if isinstance(node, cst.Name):
        if node.value in REQUEST_NAMES:
            return True
        if aliases is not None and node.value in aliases.request_objects:
            return True
        if imports is not None and imports.resolve(node.value) in models.current().request_globals:
            return True
        return False
    if isinstance(node, cst.Attribute):
        # self.request (class-based views), flask.request
        if node.attr.value == "request" and isinstance(node.value, cst.Name) \
                and (node.value.value in ("self", "view", "cls") or node.value.value in {
                    g.split(".")[0] for g in models.current().request_globals}):
            return True
        if imports is not None and imports.qualify(node) in models.current().request_globals:
            return True
    return False


def _unwrap(node: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            node = node.left  # request.get_json() or {}
        else:
            return node


def request_body_origin(node: cst.BaseExpression, imports: ImportTable | None = None,
                        aliases: RequestAliases | None = None) -> str | None:
    """A short description of the request body ``node`` evaluates to, or None."""
    node = _unwrap(node)
    if isinstance(node, cst.Name):
        return aliases.bodies.get(node.value) if aliases is not None else None
    nested = _key_of(node)
    if nested is not None:
        # an object nested in a body is client-submitted too: `payload["source"]["card"]`
        outer = request_body_origin(nested[0], imports, aliases)
        return f"{outer}[{nested[1]!r}]" if outer is not None else None
    if isinstance(node, cst.Attribute):
        if node.attr.value in BODY_ATTRIBUTES and _is_request_object(node.value, imports, aliases):
            return f"request.{node.attr.value}"
        return None
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    if isinstance(func, cst.Attribute):
        method = func.attr.value
        if method in BODY_METHODS and _is_request_object(func.value, imports, aliases) \
                and method not in ("body", "get_data"):
            return f"request.{method}()"
        if method in COPY_METHODS:
            return request_body_origin(func.value, imports, aliases)
    name = (imports.qualify(func) if imports is not None else dotted_name(func)) or ""
    if name in models.current().body_parsers and node.args:
        raw = _unwrap(node.args[0].value)
        if isinstance(raw, cst.Call) and isinstance(raw.func, cst.Attribute) \
                and raw.func.attr.value == "decode":
            raw = _unwrap(raw.func.value)
        target = raw.func if isinstance(raw, cst.Call) else raw
        if isinstance(target, cst.Attribute) and target.attr.value in RAW_BODY \
                and _is_request_object(target.value, imports, aliases):
            return f"{name}(request.{target.attr.value})"
        return None
    if name in ("dict", "MultiDict", "ImmutableMultiDict") and node.args:
        return request_body_origin(node.args[0].value, imports, aliases)
    return None


def _key_of(node: cst.BaseExpression) -> tuple[cst.BaseExpression, str] | None:
    """(container, key) for ``c["key"]`` and ``c.get("key", ...)``; None otherwise."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        key = string_value(node.slice[0].slice.value)
        if key is not None:
            return node.value, key
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value in GET_METHODS and node.args \
            and node.args[0].keyword is None and node.args[0].star == "":
        key = string_value(node.args[0].value)
        if key is not None:
            return node.func.value, key
    return None


def _card_object_origin(node: cst.BaseExpression, imports: ImportTable | None,
                        aliases: RequestAliases | None, vocab: Vocabulary) -> str | None:
    """``request.json["card"]``: a card object inside a request body (its ``number`` is a PAN)."""
    node = _unwrap(node)
    if isinstance(node, cst.Name) and aliases is not None:
        return aliases.card_objects.get(node.value)
    hit = _key_of(node)
    if hit is None:
        return None
    container, key = hit
    if not vocab.is_card_container(key):
        return None
    origin = request_body_origin(container, imports, aliases) \
        or _card_object_origin(container, imports, aliases, vocab)
    return f"{origin}[{key!r}]" if origin else None


def _getter_read(node: cst.BaseExpression, vocab: Vocabulary, imports: ImportTable | None,
                 aliases: RequestAliases | None) -> RequestRead | None:
    """``req.get_param("card_number")`` (Falcon), ``self.get_argument("cvv")`` (Tornado)."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in REQUEST_GETTERS and node.args
            and node.args[0].keyword is None):
        return None
    key = string_value(node.args[0].value)
    owner = node.func.value
    method = node.func.attr.value
    if key is None:
        return None
    is_handler = isinstance(owner, cst.Name) and owner.value == "self" and method in TORNADO_GETTERS
    if not is_handler and not _is_request_object(owner, imports, aliases):
        return None
    kind = vocab.classify(key)
    if kind is None:
        return None
    return RequestRead(node, key, kind, f"{'self' if is_handler else 'request'}.{method}()")


def card_request_read(node: cst.BaseExpression, vocab: Vocabulary,
                      imports: ImportTable | None = None,
                      aliases: RequestAliases | None = None) -> RequestRead | None:
    """The card-data read ``node`` performs on a request body, or None.

    ``request.form["card_number"]``, ``request.POST.get("cvv")``, ``data["cvc"]`` (``data`` an alias of
    a body), ``request.json["card"]["number"]``.  Keys are classified by words (contract section 1), so
    ``card_last4``, ``card_brand`` and ``payment_method_id`` are not reads of card data.
    """
    getter = _getter_read(node, vocab, imports, aliases)
    if getter is not None:
        return getter
    hit = _key_of(node)
    if hit is None:
        return None
    container, key = hit
    kind = vocab.classify(key)
    card_origin = None
    if kind is None and split_words(key) == ("number",):
        card_origin = _card_object_origin(container, imports, aliases, vocab)
        if card_origin is None:
            return None
        return RequestRead(node, key, PAN, card_origin)
    if kind is None:
        return None
    origin = request_body_origin(container, imports, aliases) \
        or _card_object_origin(container, imports, aliases, vocab)
    if origin is None:
        return None
    return RequestRead(node, key, kind, origin)


__all__ = ["RequestAliases", "RequestRead", "card_request_read", "request_body_origin"]
