"""What a *declaration* says about card data: field names, class names, annotations.

The declared-card-data checks (ORM model fields, form/serializer/schema fields, cached functions'
parameters) decide from declarations alone, without following values.  This module holds the
naming logic they share, on top of the word-based classifier in :mod:`pcilint.analysis.names`:

* :func:`declared_card_data` - is a field/parameter/column named as PAN or SAD?  Adds two things
  to the plain classifier: ``number`` is a PAN inside a card-like class (``class CreditCard: number``),
  and *weak* names (``pan``, ``cid``, ``csc``: also a tax id, a client id, a Canadian code...) count only
  when the class or its other fields corroborate a card context.
* :func:`is_card_class` - ``CreditCardForm``, ``CardIn``, ``PaymentCardSchema`` (role suffixes stripped).
* :func:`annotation_card_kind` - whether an annotation can hold a typed-in card number (``str``,
  ``Optional[str]``, ``SecretStr``, ``constr(...)``) rather than a nested model, or *is* one
  (pydantic's ``PaymentCardNumber``).
* :class:`PatternSet` - fnmatch-style patterns over qualified dotted names (``django.db.models.*Field``).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable

import libcst as cst

from pcilint import walk
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.names import PAN, SAD, Vocabulary, split_words

#: Words that name a class's role, stripped before asking whether the class is "a card".
ROLE_SUFFIXES = {
    "form", "forms", "model", "models", "serializer", "schema", "schemas", "in", "out", "input",
    "create", "update", "request", "req", "payload", "body", "base", "mixin", "data", "details",
    "detail", "info", "document", "doc", "entity", "record", "row", "table", "dto", "params",
    "field", "fields", "object", "obj", "type",
}

#: Words in a class name (or a sibling field) that make a weak name such as ``pan`` believable.
CARD_CONTEXT_WORDS = {
    "card", "cards", "credit", "debit", "payment", "payments", "pay", "checkout", "billing",
    "charge", "charges", "transaction", "transactions", "purchase", "wallet", "cc", "acquirer",
    "issuer", "cardholder", "processor", "gateway", "pos", "terminal", "luhn",
}

#: Default weak names: card data only in a card context.
WEAK_NAMES = ("pan", "cid", "csc", "cvn", "ccn")

SCALAR_TYPES = {
    "str", "int", "bytes", "bytearray", "Any", "object", "SecretStr", "SecretBytes", "StrictStr",
    "StrictInt", "ConstrainedStr", "EmailStr", "Text", "AnyStr", "Decimal",
}
WRAPPER_TYPES = {"Optional", "Union", "Annotated", "Final", "ClassVar", "Required", "NotRequired",
                 "Mapped", "Field", "Column", "Secret"}
SCALAR_CONSTRUCTORS = {"constr", "conint", "Field"}
PAN_TYPES = {"PaymentCardNumber"}


class PatternSet:
    """Shell-style patterns (``*`` = any run of characters, dots included) over dotted names."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = [p for p in patterns if p]
        joined = "|".join(fnmatch.translate(p) for p in self.patterns)
        self._re = re.compile(joined) if joined else None

    def match(self, name: str | None) -> bool:
        return bool(name) and self._re is not None and self._re.match(name) is not None

    def __bool__(self) -> bool:
        return bool(self.patterns)


def stripped_class_words(name: str) -> tuple[str, ...]:
    words = list(split_words(name))
    while len(words) > 1 and words[-1] in ROLE_SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] in ("base", "abstract", "stripe", "raw", "new"):
        words.pop(0)
    return tuple(words)


def is_card_class(name: str, vocab: Vocabulary) -> bool:
    """``CreditCard``, ``CardForm``, ``PaymentCardIn``: a class whose instances are cards."""
    words = stripped_class_words(name)
    if not words or any(w in vocab.safe for w in words):
        return False
    return any(words[-len(term):] == term for term in vocab.containers)


def has_card_context(class_name: str | None, sibling_names: Iterable[str], vocab: Vocabulary,
                     weak: Iterable[str] = WEAK_NAMES) -> bool:
    """Whether a class (by its name, or by a strong card-data sibling field) is about cards."""
    if class_name and any(w in CARD_CONTEXT_WORDS for w in split_words(class_name)):
        return True
    weak_set = set(weak)
    for sibling in sibling_names:
        if vocab.classify(sibling) and not is_weak(sibling, weak_set):
            return True
    return False


def is_weak(name: str, weak: set[str] | Iterable[str]) -> bool:
    words = split_words(name)
    return len(words) == 1 and words[0] in set(weak)


def declared_card_data(name: str, vocab: Vocabulary, class_name: str | None = None,
                       siblings: Iterable[str] = (), weak: Iterable[str] = WEAK_NAMES) -> str | None:
    """'pan', 'sad' or None for a declared field/parameter/column ``name`` of ``class_name``."""
    kind = vocab.classify(name)
    if kind is None:
        if class_name is not None and split_words(name) in (("number",), ("card", "number")) \
                and is_card_class(class_name, vocab):
            return PAN
        return None
    weak_set = set(weak)
    if is_weak(name, weak_set) and not has_card_context(class_name, siblings, vocab, weak_set):
        return None
    return kind


def has_safe_word(name: str, vocab: Vocabulary) -> bool:
    return any(w in vocab.safe for w in split_words(name))


def label_card_data(label: str, vocab: Vocabulary) -> str | None:
    """A human label such as ``"Card number"`` or ``"CVC"`` (short labels only)."""
    words = split_words(label)
    if not words or len(words) > 5:
        return None
    return vocab.classify(label)


def _type_leaves(node: cst.BaseExpression, imports: ImportTable | None) -> list[str] | None:
    """The leaf type names of an annotation, looking through Optional/Union/Annotated/Mapped/X | Y."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _type_leaves(node.left, imports), _type_leaves(node.right, imports)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.Subscript):
        head = (dotted_name(node.value) or "").rsplit(".", 1)[-1]
        if head in WRAPPER_TYPES:
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if head == "Annotated":
                elements = elements[:1]
            out: list[str] = []
            for el in elements:
                leaves = _type_leaves(el, imports)
                if leaves is None:
                    return None
                out += leaves
            return out
        return [head or "?"]
    if isinstance(node, cst.Call):
        head = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
        return [head + "()"]
    if isinstance(node, cst.Name) and node.value == "None":
        return []
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return ["?str"]  # a forward reference: unknown
    name = dotted_name(node)
    if name is None:
        return None
    return [name.rsplit(".", 1)[-1]]


def annotation_card_kind(annotation: cst.BaseExpression, imports: ImportTable | None = None) -> str:
    """'pan' when the annotation is a card-number type (``PaymentCardNumber``); 'scalar' when it can
    hold a typed-in value (``str``, ``Optional[str]``, ``SecretStr``, ``constr(...)``, ``Mapped[str]``);
    'other' for nested models, lists, dicts and anything unknown."""
    leaves = _type_leaves(annotation, imports)
    if not leaves:
        return "other"
    if any(leaf in PAN_TYPES for leaf in leaves):
        return PAN
    for leaf in leaves:
        if leaf.endswith("()"):
            if leaf[:-2] not in SCALAR_CONSTRUCTORS:
                return "other"
        elif leaf not in SCALAR_TYPES:
            return "other"
    return "scalar"


def annotation_refs(annotation: cst.BaseExpression, imports: ImportTable) -> list[str]:
    """Every dotted name an annotation mentions, qualified through the imports (``list[CardIn]``
    -> ``['list', 'app.schemas.CardIn']``); forward references in strings are read as names."""
    out: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            name = imports.qualify(node)
            if name:
                out.append(name)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            out.append(imports.resolve(node.value))

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            text = node.raw_value.strip()
            if re.fullmatch(r"[A-Za-z_][\w.]*", text):
                out.append(imports.resolve(text))

    walk.visit(annotation, Collect())
    return out


SAD_LABEL = "card security code / track data (SAD)"
PAN_LABEL = "card number (PAN)"


def describe(kind: str) -> str:
    return SAD_LABEL if kind == SAD else PAN_LABEL


__all__ = [
    "PAN", "SAD", "PatternSet", "annotation_card_kind", "annotation_refs", "declared_card_data",
    "describe", "has_card_context", "has_safe_word", "is_card_class", "label_card_data",
]
