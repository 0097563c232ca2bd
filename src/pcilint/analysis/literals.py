"""Reading string literals out of libcst nodes."""

from __future__ import annotations

import libcst as cst


def _plain_value(text: str) -> str | None:
    """The value of a string literal's source text when it has no escapes (most do not): the text
    between the quotes, without libcst's ``evaluated_value`` (an ``ast.literal_eval`` per string)."""
    start = 0
    while start < len(text) and text[start] not in "'\"":
        start += 1
    quote = text[start:start + 3]
    if quote not in ('"""', "'''"):
        quote = text[start:start + 1]
    body = text[start + len(quote):len(text) - len(quote)]
    if "\r" in body or ("\\" in body and "r" not in text[:start].lower()):
        return None
    return body


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain or implicitly concatenated string literal (not f-strings), else None."""
    if isinstance(node, cst.SimpleString):
        plain = _plain_value(node.value)
        if plain is not None:
            return plain
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - malformed escapes
            return None
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_value(node.left), string_value(node.right)
        if left is None or right is None:
            return None
        return left + right
    return None


def literal_text(node: cst.CSTNode) -> str | None:
    """The text of any literal that can carry a secret: strings, f-string text parts, integers."""
    if isinstance(node, cst.SimpleString):
        return string_value(node)
    if isinstance(node, cst.FormattedStringText):
        return node.value
    if isinstance(node, cst.Integer):
        return node.value.replace("_", "")
    return None
