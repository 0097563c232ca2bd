"""What is a card-data *source*: request reads, card-named keys, DB rows, PAN literals.

These functions look at one expression, need no flow state, and are public so that structural checks
(e.g. "reading card data from a request is itself a finding") share one definition with the flow
analysis in :mod:`pcilint.analysis.flow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from pcilint import models
from pcilint.analysis.cardnumbers import is_pan
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.literals import string_value
from pcilint.analysis.names import PAN, SAD, Vocabulary, split_words

#: Attributes of a request object that hold submitted fields (Flask, Django, DRF, Starlette).
REQUEST_CONTAINERS = frozenset({
    "form", "args", "values", "json", "data", "files", "POST", "GET", "query_params", "body",
    "cookies", "params", "query", "stream",
})
#: Methods of a request object that return submitted fields.
REQUEST_METHODS = frozenset({"get_json", "json", "form", "body", "get_data", "media"})
#: Names under which code refers to the current request.
REQUEST_NAMES = frozenset({"request", "req", "self.request", "flask.request", "self.req"})
#: Methods that read one field from a mapping.
GETTERS = frozenset({"get", "getlist", "pop", "getone", "get_all", "setdefault"})


@dataclass(frozen=True)
class RequestRead:
    """A read of one submitted field: ``accessor`` is e.g. ``request.form``; ``key`` the field name."""

    accessor: str
    key: str
    category: str  # "pan" or "sad"


def is_request_name(node: cst.BaseExpression, imports: ImportTable | None = None) -> bool:
    """``request``, ``req``, ``self.request`` or an alias of ``flask.request``."""
    raw = dotted_name(node)
    if raw is None:
        return False
    if raw in REQUEST_NAMES:
        return True
    return imports is not None and imports.resolve(raw) in models.current().request_globals


def request_container(node: cst.BaseExpression, imports: ImportTable | None = None) -> str | None:
    """If ``node`` evaluates to the submitted fields of a request, a description like ``request.form``.

    Recognises ``request.form``/``args``/``values``/``json``/``data``/``POST``/``GET``/``body``/
    ``query_params``, ``request.get_json()``, ``await request.json()``/``form()``,
    ``json.loads(request.body)`` and ``json.loads(request.data)``.
    """
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Attribute) and node.attr.value in REQUEST_CONTAINERS \
            and is_request_name(node.value, imports):
        return f"{dotted_name(node.value)}.{node.attr.value}"
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in REQUEST_METHODS \
                and is_request_name(func.value, imports):
            return f"{dotted_name(func.value)}.{func.attr.value}()"
        name = dotted_name(func)
        if name is not None and node.args:
            qualified = imports.resolve(name) if imports is not None else name
            if qualified in models.current().body_parsers:
                inner = request_container(node.args[0].value, imports)
                if inner is not None:
                    return f"{name}({inner})"
    return None


def key_text(node: cst.BaseExpression) -> str | None:
    """The string key of a subscript slice or ``.get("...")`` argument, when it is a literal."""
    return string_value(node) if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) else None


def subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return key_text(node.slice[0].slice.value)


def request_card_read(node: cst.BaseExpression, vocab: Vocabulary,
                      imports: ImportTable | None = None) -> RequestRead | None:
    """A read of a card-data field directly from a request, e.g. ``request.form["card_number"]``,
    ``request.POST.get("cvc")``, ``request.get_json()["pan"]`` or ``json.loads(request.body)["cvv"]``.

    Only direct reads are recognised here; reads through a variable (``data = request.json;
    data["pan"]``) are followed by the flow analysis.
    """
    container: cst.BaseExpression | None = None
    key: str | None = None
    if isinstance(node, cst.Subscript):
        container, key = node.value, subscript_key(node)
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value in GETTERS and node.args:
        container, key = node.func.value, key_text(node.args[0].value)
    if container is None or key is None:
        return None
    category = vocab.classify(key)
    if category is None:
        return None
    accessor = request_container(container, imports)
    if accessor is None:
        return None
    return RequestRead(accessor, key, category)


# -- SQL ----------------------------------------------------------------------------------------
_SELECT = re.compile(r"^\s*select\s+(.*?)\s+from\s", re.I | re.S)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def select_card_columns(sql: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(column, category) for each card-data column a ``SELECT ... FROM`` names (``*`` names none)."""
    m = _SELECT.match(sql)
    if m is None:
        return []
    out = []
    for ident in _IDENT.findall(m.group(1)):
        category = vocab.classify(ident)
        if category in (PAN, SAD):
            out.append((ident, category))
    return out


# -- literals -----------------------------------------------------------------------------------
def pan_literal(node: cst.BaseExpression) -> str | None:
    """The digits of a string or integer literal that is a plausible card number, else None."""
    if isinstance(node, cst.Integer):
        text = node.value.replace("_", "")
    elif isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node) or ""
    else:
        return None
    if len(text) < 13 or len(text) > 23:
        return None
    text = text.strip()
    return text if is_pan(text) else None


def words(name: str) -> tuple[str, ...]:
    return split_words(name)


__all__ = [
    "PAN", "SAD", "RequestRead", "is_request_name", "request_container", "request_card_read",
    "select_card_columns", "pan_literal", "subscript_key", "key_text",
]
