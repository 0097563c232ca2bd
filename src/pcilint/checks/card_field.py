"""Check kind ``card-field``: a declared field named as card data in an ORM model, form, serializer
or schema - wherever a framework turns a class attribute into a stored column or a posted field.

Each rule lists its frameworks as data (``frameworks:``), one mapping per framework:

``name``
    shown in the message (``Django model``, ``WTForms form``).
``constructors`` / ``exclude``
    qualified-name patterns of field constructors (``django.db.models.*Field``); a class-body
    ``x = C(...)`` or ``x: T = C(...)`` with ``C`` matching (aliases resolved through the module's
    imports) is a field, whatever the class's bases.  ``exclude`` removes relations
    (``*ForeignKey``, ``*ManyToManyField``) and computed fields.
``typed``
    true: the constructor's own name must say card data (``CreditCardNumberField``, ``CVVField``);
    the attribute's name is then irrelevant.
``annotations``
    patterns of annotation heads that declare a mapped field by themselves (SQLAlchemy ``Mapped``).
``bases``
    patterns of base classes whose subclasses' *annotated* attributes are fields (pydantic
    ``BaseModel``, beanie ``Document``); inheritance through the project's own classes, in any
    module, is resolved in the project phase.  ``class_keyword`` (e.g. ``table``) additionally
    requires ``class X(Base, table=True)``.
``column_argument``
    true: a first positional string argument names the column (``Column("card_number", String)``).
``name_keywords``
    keyword arguments that give the stored/posted name (``db_column``, ``alias``, ``data_key``).
``label``
    true: a ``label=``/``verbose_name=`` keyword (or, with ``label_positional``, a first positional
    string), also inside ``_()``/``gettext_lazy()``, that says
    ``"Card number"``/``"CVC"`` marks an otherwise neutrally named field.
``anywhere``
    true: constructor calls outside class bodies with a card-named column argument are fields too
    (``Table("payments", meta, Column("cvv", String))``, ``op.add_column(...)``), except inside the
    functions named in the rule's ``skip_functions`` (Alembic ``downgrade``).
``meta_fields`` / ``meta_bases``
    true: in a class whose base matches ``meta_bases`` (``*ModelSerializer``, ``*ModelForm``), the
    strings of ``class Meta: fields = [...]`` are fields (reported at each string).

``request_body_only`` (for pydantic-style schemas): report a class's annotated fields only when the
class is *used as a request body*: named in a route handler's parameter annotation (``@app.post``,
``@router.put``... - FastAPI, Django Ninja), constructed from request data
(``CardIn(**await request.json())``, ``CardIn.model_validate(request.get_json())``), nested as a field
of such a class, or a project base class of one.  A model that merely mirrors a Stripe response
(``last4``, ``brand``) is never reported, since those names are not card data.  Besides request bodies,
a class is reported when it is *received* by nature (a framework with ``received: true``: strawberry
``@strawberry.input``), when it maps stored rows (the rule's ``stored_configs``: ``orm_mode`` /
``from_attributes`` set in ``class Config`` or ``model_config``, also through a project base class) or
when its module is a schema module (the rule's ``schema_modules``: a dotted-path component such as
``schemas``).  The message's ``{via}`` says which.

GraphQL:

``class_bases`` / ``inner_classes`` / ``inner_bases``
    constructor fields count only in a class whose base matches ``class_bases`` (graphene
    ``InputObjectType``), or in an inner class named in ``inner_classes`` (``Arguments``, ``Input``) of
    a class whose base matches ``inner_bases`` (a graphene ``Mutation``); an output ``ObjectType``
    and a mutation's own (output) fields are not inputs.
``sdl``
    true: string literals holding GraphQL SDL (ariadne ``gql(...)``, ``make_executable_schema``) are
    read: the fields of ``input`` types and the arguments of any type's fields are inputs; the fields
    of output ``type``s are not.
``via``
    how the field receives card data, shown in the message (default ``in a request body``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import libcst as cst

from pcilint import walk
from pcilint.analysis.declarations import (
    PatternSet, WEAK_NAMES, annotation_card_kind, annotation_refs, declared_card_data, describe,
    has_card_context, has_safe_word, is_weak, label_card_data,
)
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.literals import string_value
from pcilint.analysis.names import PAN, SAD, Vocabulary, split_words, vocabulary
from pcilint.analysis.requests import request_body_origin
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param, ProjectReporter
from pcilint.checks.request_read import is_route_handler
from pcilint.errors import RuleError
from pcilint.prefilter import card_data_terms, compile_terms, identifier_terms

FRAMEWORK_KEYS = {"name", "constructors", "exclude", "typed", "annotations", "bases",
                  "class_keyword", "column_argument", "name_keywords", "label", "label_positional",
                  "anywhere", "meta_fields", "meta_bases", "migrations", "received", "class_bases",
                  "inner_classes", "inner_bases", "via", "sdl"}
REQUEST_BODY = "in a request body"
VALIDATE_METHODS = {"parse_obj", "model_validate", "parse_raw", "model_validate_json", "validate",
                    "construct", "model_construct", "from_orm", "load", "loads"}


@dataclass
class Framework:
    name: str
    constructors: PatternSet
    exclude: PatternSet
    typed: bool
    annotations: PatternSet
    bases: PatternSet
    class_keyword: str | None
    column_argument: bool
    name_keywords: tuple[str, ...]
    label: bool
    label_positional: bool
    anywhere: bool
    meta_fields: bool
    meta_bases: PatternSet
    migrations: bool = False
    received: bool = False  # its classes are inputs by themselves (strawberry.input)
    class_bases: PatternSet | None = None  # constructor fields only in classes with these bases
    inner_classes: tuple[str, ...] = ()  # ... or in these inner classes
    inner_bases: PatternSet | None = None  # ... of a class with these bases
    via: str = REQUEST_BODY
    sdl: bool = False


@dataclass
class FieldHit:
    attribute: str  # the attribute (or column) name shown in the message
    kind: str  # pan / sad
    framework: str
    node: cst.CSTNode
    encrypted: bool = False


@dataclass
class ClassFacts:
    """One class of a file, for the project phase (plain data: picklable)."""

    name: str
    bases: list[str]
    keywords: dict[str, str]
    fields: list[dict[str, Any]] = field(default_factory=list)  # annotated card-field candidates
    refs: list[str] = field(default_factory=list)  # names used in its fields' annotations
    stored: str | None = None  # the config that makes it map stored rows (`from_attributes`)


SANITIZER_WORDS = {"mask", "masked", "obfuscate", "obfuscated", "redact", "redacted", "truncate",
                   "truncated", "last4", "hash", "hashed", "sha256", "hmac", "tokenize"}


# What the text of an expression _is_sanitized() accepts must show: a sanitizer word as a name part
# or a short slice.  A file without either (most files) skips the per-class search for masked
# attributes, a full libcst visit of every class with methods (over half a cold scan's time).
_SANITIZED_HINT = compile_terms(identifier_terms(sorted(SANITIZER_WORDS)) + [
    r"-\s*\(?\s*[0-9]+\s*\)?\s*:", r"\[\s*:\s*\(?\s*[0-9]"])


def _is_sanitized(value: cst.BaseExpression) -> bool:
    """Whether an expression keeps at most the last four / first six digits, or masks/hashes."""
    found = False

    class Find(cst.CSTVisitor):
        def visit_Slice(self, sl: cst.Slice) -> None:
            nonlocal found
            lower, upper = sl.lower, sl.upper
            if upper is None and isinstance(lower, cst.UnaryOperation) \
                    and isinstance(lower.operator, cst.Minus) and isinstance(lower.expression, cst.Integer) \
                    and int(lower.expression.value) <= 4:
                found = True
            if lower is None and isinstance(upper, cst.Integer) and int(upper.value) <= 6:
                found = True

        def visit_Call(self, call: cst.Call) -> None:
            nonlocal found
            name = dotted_name(call.func) or ""
            if any(w in SANITIZER_WORDS for w in split_words(name)):
                found = True

    walk.visit(value, Find())
    return found


TRANSLATORS = {"_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "lazy_gettext", "pgettext",
               "pgettext_lazy", "_l", "N_", "l_"}


def _label_text(node: cst.BaseExpression) -> str | None:
    """A label string, also through a translation call (``_("Card number")``)."""
    if isinstance(node, cst.Call) and node.args:
        name = (dotted_name(node.func) or "").rsplit(".", 1)[-1]
        if name in TRANSLATORS:
            return string_value(node.args[-1].value)
        return None
    return string_value(node)


#: Packages whose names a project module may re-export for its field declarations.
FRAMEWORK_PACKAGES = {"django", "sqlalchemy", "flask_sqlalchemy", "peewee", "playhouse", "tortoise",
                      "mongoengine", "flask_mongoengine", "wtforms", "flask_wtf", "rest_framework",
                      "marshmallow", "sqlmodel", "odmantic", "beanie"}


def _too_short_for_pan(call: cst.Call) -> bool:
    """A column or field whose declared length cannot hold a card number (13-19 digits): it keeps
    the last four or the BIN.  ``max_length=4``, ``String(4)``, ``sa.CHAR(length=6)``."""
    for arg in call.args:
        value = arg.value
        if arg.keyword is not None and arg.keyword.value in ("max_length", "length") \
                and isinstance(value, cst.Integer):
            return int(value.value) <= 6
        if arg.keyword is None and isinstance(value, cst.Call) and value.args \
                and (dotted_name(value.func) or "").rsplit(".", 1)[-1].upper() in (
                    "STRING", "CHAR", "VARCHAR", "UNICODE", "NVARCHAR", "NCHAR"):
            first = value.args[0]
            if first.keyword is None or first.keyword.value == "length":
                if isinstance(first.value, cst.Integer):
                    return int(first.value.value) <= 6
    return False


def _fieldish(name: str) -> bool:
    """A name that could be a field type: ``CharField``, ``Column``, ``mapped_column``, ``Str``."""
    return name.endswith(("Field", "Column", "column")) or name in ("Str", "String", "Int", "Integer")


#: Methods that register a route's handler imperatively (FastAPI/Starlette, Flask).
ROUTE_REGISTRATIONS = {"add_api_route": ("endpoint", 1), "add_route": ("endpoint", 1),
                       "add_url_rule": ("view_func", 2), "add_api_websocket_route": ("endpoint", 1)}


def _registered_handler(call: cst.Call) -> str | None:
    """``app.add_api_route("/pay", pay, methods=["POST"])`` -> ``"pay"``."""
    if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in ROUTE_REGISTRATIONS:
        return None
    keyword, index = ROUTE_REGISTRATIONS[call.func.attr.value]
    positional = [a for a in call.args if a.keyword is None and a.star == ""]
    handler = next((a.value for a in call.args if a.keyword is not None
                    and a.keyword.value == keyword), None)
    if handler is None and len(positional) > index:
        handler = positional[index].value
    return handler.value if isinstance(handler, cst.Name) else None


def _module_of(path: str) -> str:
    p = PurePosixPath(path)
    parts = list(p.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(x for x in parts if x not in ("", ".", ".."))


def _response_refs(node: cst.FunctionDef, imports: ImportTable) -> list[str]:
    """The classes a route handler answers with: ``response_model=`` of its decorators, its
    return annotation."""
    refs: list[str] = []
    for dec in node.decorators:
        if isinstance(dec.decorator, cst.Call):
            for arg in dec.decorator.args:
                if arg.keyword is not None and arg.keyword.value == "response_model":
                    refs += annotation_refs(arg.value, imports)
    if node.returns is not None:
        refs += annotation_refs(node.returns.annotation, imports)
    return refs


#: Last words of a class name that say it is a response schema (`CardOut`, `ChargeResponse`).
RESPONSE_WORDS = {"out", "response", "public", "read", "reply", "result"}


def _is_true(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _stored_config(node: cst.ClassDef, statements: list[tuple[str, Any]],
                   keys: list[str]) -> str | None:
    """The setting among ``keys`` (``orm_mode``, ``from_attributes``) a pydantic class turns on:
    ``class Config: orm_mode = True``, ``model_config = ConfigDict(from_attributes=True)`` or
    ``{"from_attributes": True}``, ``class M(BaseModel, orm_mode=True)``."""
    for a in node.keywords:
        if a.keyword is not None and a.keyword.value in keys and _is_true(a.value):
            return a.keyword.value
    assert isinstance(node.body, cst.IndentedBlock)
    for stmt in node.body.body:
        if not (isinstance(stmt, cst.ClassDef) and stmt.name.value == "Config"
                and isinstance(stmt.body, cst.IndentedBlock)):
            continue
        for inner in stmt.body.body:
            for small in (inner.body if isinstance(inner, cst.SimpleStatementLine) else ()):
                target = small.targets[0].target if isinstance(small, cst.Assign) \
                    else small.target if isinstance(small, cst.AnnAssign) else None
                if isinstance(target, cst.Name) and target.value in keys and _is_true(small.value):
                    return target.value
    for name, small in statements:
        if name != "model_config" or small.value is None:
            continue
        value = small.value
        if isinstance(value, cst.Call):
            for arg in value.args:
                if arg.keyword is not None and arg.keyword.value in keys and _is_true(arg.value):
                    return arg.keyword.value
        elif isinstance(value, cst.Dict):
            for el in value.elements:
                if isinstance(el, cst.DictElement) and _is_true(el.value):
                    key = string_value(el.key)
                    if key in keys:
                        return key
    return None


# GraphQL SDL: `input CardInput { ... }`, `type Mutation { pay(number: String!): Result }`.
_SDL_NOISE = re.compile(r'"""[\s\S]*?"""|"[^"\n]*"|#[^\n]*')
_SDL_BLOCK = re.compile(r"\b(?:extend\s+)?(input|type|interface)\s+([A-Za-z_][A-Za-z0-9_]*)"
                        r"[^{}()]*\{([^{}]*)\}")
_SDL_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(([^()]*)\))?\s*:")
_SDL_ARG = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:")


def sdl_inputs(text: str) -> list[tuple[int, str, str, list[str]]]:
    """(offset, name, owner, siblings) of every input of a GraphQL SDL text: the fields of ``input``
    types and the arguments of any type's fields (``owner``: the input type, or the field taking
    the argument).  The fields of output types are not inputs."""
    if "{" not in text or ("input" not in text and "type" not in text):
        return []
    clean = _SDL_NOISE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    out = []
    for block in _SDL_BLOCK.finditer(clean):
        keyword, type_name, body = block.group(1), block.group(2), block.group(3)
        base = block.start(3)
        fields = list(_SDL_FIELD.finditer(body))
        if keyword == "input":
            names = [f.group(1) for f in fields]
            out += [(base + f.start(1), f.group(1), type_name, names) for f in fields]
            continue
        for f in fields:
            if f.group(2) is None:
                continue
            args = list(_SDL_ARG.finditer(f.group(2)))
            names = [a.group(1) for a in args]
            out += [(base + f.start(2) + a.start(1), a.group(1), f.group(1), names) for a in args]
    return out


@register
class CardField(CheckKind):
    """A declared field named as card data in an ORM model, form, serializer or schema: a class
    attribute a framework turns into a stored column or a posted field.

    ``frameworks`` lists, one mapping per framework: ``name`` (shown in the message),
    ``constructors`` / ``exclude`` (qualified-name patterns of field constructors), ``typed`` (the
    constructor's own name says card data), ``annotations`` (annotation heads that declare a field),
    ``bases`` / ``class_keyword`` (base classes whose annotated attributes are fields, resolved
    through the project's classes), ``column_argument``, ``name_keywords`` (``db_column``,
    ``alias``), ``label`` / ``label_positional`` (a "Card number" label), ``anywhere`` (card-named
    columns outside class bodies, except in ``skip_functions``), ``meta_fields`` / ``meta_bases``
    (``class Meta: fields = [...]``).  ``request_body_only``: only classes used as a request body.
    Reported at the field (or the string in ``Meta.fields``); message fields ``framework``,
    ``name``, ``data``.
    """

    kind = "card-field"
    # The prefilter (pcilint.prefilter): files with card-data names pass; the base classes' modules
    # and the files importing a class are declared in project_facts().
    DECLARES_DEPENDENCIES = True
    PARAMS = {
        "frameworks": Param("list[dict]", required=True, doc="Framework descriptions (see module doc)."),
        "request_body_only": Param("bool", default=False,
                                   doc="Report annotated (base-resolved) fields only for request bodies."),
        "sad_severity": Param("str", default=None, doc="Severity for SAD fields."),
        "encrypted_pan_severity": Param("str", default=None,
                                        doc="Severity for PAN in an encrypted field type."),
        "weak_names": Param("list[str]", default=list(WEAK_NAMES),
                            doc="Names that count only in a card context (class name or sibling)."),
        "skip_functions": Param("list[str]", default=["downgrade"],
                                doc="Functions whose `anywhere` columns are not reported."),
        "skip_in_tests": Param("bool", default=True, doc="Do not report in test code."),
        "prefilter": Param("list[str]", default=None, doc="Regex fragments one of which must occur."),
        "stored_configs": Param("list[str]", default=[],
                                doc="With request_body_only: model settings (`orm_mode`, "
                                    "`from_attributes`) that, set true, make a class reported."),
        "schema_modules": Param("list[str]", default=[],
                                doc="With request_body_only: module path components (`schemas`) "
                                    "whose classes are reported."),
    }

    def setup(self) -> None:
        self.frameworks: list[Framework] = []
        for spec in self.p["frameworks"]:
            unknown = set(spec) - FRAMEWORK_KEYS
            if unknown or "name" not in spec:
                path, _, line = self.rule.source.rpartition(":")
                raise RuleError(
                    f"framework entries need `name` and take only {', '.join(sorted(FRAMEWORK_KEYS))}"
                    + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""),
                    path=path, line=self.rule.param_lines.get("frameworks", int(line or 0)),
                    field=f"{self.rule.id}.check.frameworks")

            def pats(key: str) -> PatternSet:
                v = spec.get(key) or []
                return PatternSet([v] if isinstance(v, str) else [str(x) for x in v])

            self.frameworks.append(Framework(
                name=str(spec["name"]), constructors=pats("constructors"), exclude=pats("exclude"),
                typed=bool(spec.get("typed")), annotations=pats("annotations"), bases=pats("bases"),
                class_keyword=spec.get("class_keyword"),
                column_argument=bool(spec.get("column_argument")),
                name_keywords=tuple(spec.get("name_keywords") or ()), label=bool(spec.get("label")),
                label_positional=bool(spec.get("label_positional")),
                anywhere=bool(spec.get("anywhere")), meta_fields=bool(spec.get("meta_fields")),
                meta_bases=pats("meta_bases"), migrations=bool(spec.get("migrations")),
                received=bool(spec.get("received")),
                class_bases=pats("class_bases") if spec.get("class_bases") else None,
                inner_classes=tuple(spec.get("inner_classes") or ()),
                inner_bases=pats("inner_bases") if spec.get("inner_bases") else None,
                via=str(spec.get("via") or REQUEST_BODY), sdl=bool(spec.get("sdl"))))
        self.base_frameworks = [f for f in self.frameworks if f.bases]
        self.sdl_frameworks = [f for f in self.frameworks if f.sdl]
        self.ctor_frameworks = [f for f in self.frameworks if f.constructors and not f.typed]
        self.weak = tuple(self.p["weak_names"])

    def prefilter_terms(self) -> list[str] | None:
        if self.p["prefilter"] is not None:
            return self.p["prefilter"]
        return card_data_terms()

    # -- helpers ---------------------------------------------------------------------------------
    def _framework_of(self, name: str | None) -> Framework | None:
        for fw in self.frameworks:
            if fw.constructors and fw.constructors.match(name) and not fw.exclude.match(name):
                return fw
        return None

    def _constructor(self, call: cst.Call, imports: ImportTable,
                     stars: tuple[str, ...] = ()) -> tuple[Framework, cst.Call, bool] | None:
        """The framework whose field constructor ``call`` is (looking through one wrapper such as
        ``encrypt(models.CharField())``), the constructor call, and whether it is encrypted.
        ``stars``: modules star-imported by the file (``from django.db.models import *``), tried for
        a bare name the imports do not bind."""
        name = imports.qualify(call.func)
        fw = self._framework_of(name)
        if fw is None and stars and isinstance(call.func, cst.Name) \
                and not imports.is_imported(call.func.value):
            for star in stars:
                fw = self._framework_of(f"{star}.{call.func.value}")
                if fw is not None:
                    break
        if fw is not None:
            return fw, call, "encrypt" in (name or "").lower()
        if call.args and isinstance(call.args[0].value, cst.Call):
            inner = self._constructor(call.args[0].value, imports, stars)
            if inner is not None:
                fw, inner_call, enc = inner
                return fw, inner_call, enc or "encrypt" in (name or "").lower()
        return None

    def _names_of(self, fw: Framework, attr: str | None, call: cst.Call | None) -> list[str]:
        names = [attr] if attr else []
        if call is None:
            return names
        positional = [a for a in call.args if a.keyword is None and a.star == ""]
        if fw.column_argument and positional:
            column = string_value(positional[0].value)
            if column:
                names.append(column)
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in fw.name_keywords:
                value = string_value(arg.value)
                if value:
                    names.append(value)
        return names

    def _classify(self, fw: Framework, names: list[str], call: cst.Call | None, imports: ImportTable,
                  vocab: Vocabulary, class_name: str | None, siblings: list[str]) -> tuple[str, str] | None:
        """(kind, shown name) for a field, or None."""
        if fw.typed:
            if call is None:
                return None
            ctor = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
            kind = vocab.classify(re.sub(r"(Form)?Field$", "", ctor))
            return (kind, names[0] if names else ctor) if kind else None
        short = call is not None and _too_short_for_pan(call)
        for n in names:
            kind = declared_card_data(n, vocab, class_name, siblings, self.weak)
            if kind == PAN and short:
                return None  # `card_num = CharField(max_length=4)  # last 4 digits`
            if kind:
                return kind, n
        if short:
            return None
        if fw.label and call is not None and names and not any(has_safe_word(n, vocab) for n in names):
            label = None
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in ("label", "verbose_name"):
                    label = _label_text(arg.value)
            if label is None and fw.label_positional and call.args and call.args[0].keyword is None:
                label = _label_text(call.args[0].value)
            if label:
                kind = label_card_data(label, vocab)
                # a label "PAN" alone is a tax id until the class says it is about cards
                if kind and (not is_weak(label, self.weak)
                             or has_card_context(class_name, siblings, vocab, self.weak)):
                    return kind, names[0]
        return None

    def _is_relation(self, value: cst.BaseExpression | None, imports: ImportTable) -> bool:
        """A relation to another model (``ForeignKey``, ``relationship``): not a column of card data,
        and no evidence that its class is about cards."""
        if not isinstance(value, cst.Call):
            return False
        name = imports.qualify(value.func) or ""
        if name.rsplit(".", 1)[-1] in ("relationship", "Relationship", "ForeignKey", "backref"):
            return True
        return any(fw.exclude.match(name) for fw in self.frameworks) \
            or self._has_relation_argument(value)

    @staticmethod
    def _masked_attributes(node: cst.ClassDef) -> set[str]:
        """Attributes the class's own methods overwrite with a sanitized value before saving
        (``self.number = "XXXX-XXXX-XXXX-%s" % self.number[-4:]``, ``self.pan = mask(self.pan)``)."""
        masked: set[str] = set()

        class Find(cst.CSTVisitor):
            def visit_ClassDef(self, inner: cst.ClassDef) -> bool:
                return inner is node

            def visit_Assign(self, assign: cst.Assign) -> None:
                if not _is_sanitized(assign.value):
                    return
                for t in assign.targets:
                    target = t.target
                    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                            and target.value.value == "self":
                        masked.add(target.attr.value)

        walk.visit(node, Find())
        return masked

    def _has_relation_argument(self, call: cst.Call) -> bool:
        for arg in call.args:
            if isinstance(arg.value, cst.Call):
                head = (dotted_name(arg.value.func) or "").rsplit(".", 1)[-1]
                if head in ("ForeignKey", "relationship", "Relationship"):
                    return True
        return False

    def _fields(self, kind: str, hit_name: str, fw: Framework, encrypted: bool,
                via: str | None = None) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": hit_name, "data": describe(kind), "framework": fw.name,
                                  "via": via or fw.via}
        if kind == SAD and self.p["sad_severity"]:
            fields["severity"] = self.p["sad_severity"]
        elif kind == PAN and encrypted and self.p["encrypted_pan_severity"]:
            fields["severity"] = self.p["encrypted_pan_severity"]
        return fields

    # -- the per-file visitor --------------------------------------------------------------------
    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        check = self
        vocab = vocabulary(ctx.settings.sensitive_names)
        imports = ctx.imports
        facts: dict[str, Any] = {"module": _module_of(ctx.path), "classes": [], "route_refs": [],
                                 "constructed": [], "candidates": [], "field_classes": {},
                                 "reexports": {}, "response_refs": []}
        stars: list[str] = []
        if self.ctor_frameworks:
            # what a module re-exports to others (`core/db/__init__.py`:
            # `from django.db.models import CharField`), for fields declared through it
            for local, qualified in imports.names.items():
                if qualified.split(".", 1)[0] in FRAMEWORK_PACKAGES or _fieldish(local):
                    facts["reexports"][local] = qualified
        ctx.shared.setdefault("card-field-facts", {})[self.rule.id] = facts

        class Visitor(cst.BatchableCSTVisitor):
            def __init__(self) -> None:
                super().__init__()
                self.functions: list[str] = []
                self.class_depth = 0

                self.defs: dict[str, cst.FunctionDef] = {}
                self.registered: list[str] = []  # handlers passed to app.add_api_route(...)
                self.classes: list[tuple[str, list[str]]] = []  # enclosing classes: name, bases

            def _route_refs(self, node: cst.FunctionDef) -> None:
                params = node.params
                for param in (*params.posonly_params, *params.params, *params.kwonly_params):
                    if param.annotation is not None:
                        facts["route_refs"] += annotation_refs(param.annotation.annotation,
                                                               imports)

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.functions.append(node.name.value)
                if check.p["request_body_only"]:
                    if is_route_handler(node, imports):
                        self._route_refs(node)
                        if check.p["schema_modules"]:
                            facts["response_refs"] += _response_refs(node, imports)
                    else:
                        self.defs.setdefault(node.name.value, node)

            def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                self.functions.pop()

            def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
                if isinstance(node.names, cst.ImportStar) and node.module is not None \
                        and not node.relative:
                    stars.append(dotted_name(node.module) or "")

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                outer = self.classes[-1] if self.classes else None
                self.classes.append((node.name.value,
                                     check._class(ctx, node, vocab, facts, tuple(stars), outer)))

            def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                self.classes.pop()

            def visit_SimpleString(self, node: cst.SimpleString) -> None:
                if check.sdl_frameworks and "{" in node.value:
                    check._sdl(ctx, node, vocab)

            def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
                if check.sdl_frameworks:
                    check._sdl(ctx, node, vocab)

            def leave_Module(self, original_node: cst.Module) -> None:
                for name in dict.fromkeys(self.registered):
                    if name in self.defs:
                        self._route_refs(self.defs[name])
                # What this file alone decides (the project phase adds cross-module cases; the
                # engine drops the duplicates).
                if check.base_frameworks:
                    # (schema-module roots wait for the project phase: another module's route
                    # may answer with the class, which makes it a response schema)
                    for _, fld, fw, via in check._resolve({ctx.path: facts}, schema_roots=False):
                        ctx.report(check.rule, line=fld["line"], column=fld["column"],
                                   end_line=fld["end_line"], end_column=fld["end_column"],
                                   **check._fields(fld["kind"], fld["name"], fw, False, via))

            def visit_Call(self, node: cst.Call) -> None:
                if check.p["request_body_only"]:
                    check._constructed_from_request(node, imports, facts)
                    handler = _registered_handler(node)
                    if handler is not None:
                        self.registered.append(handler)
                if self.functions and self.functions[-1] in check.p["skip_functions"]:
                    return
                check._anywhere_call(ctx, node, vocab)
                check._migration_call(ctx, node, vocab)

        return Visitor()

    def _constructed_from_request(self, node: cst.Call, imports: ImportTable,
                                  facts: dict[str, Any]) -> None:
        func = node.func
        target: cst.BaseExpression | None = None
        if isinstance(func, cst.Name) and func.value[:1].isupper():
            target = func
        elif isinstance(func, cst.Attribute) and func.attr.value in VALIDATE_METHODS:
            target = func.value
        if target is None or not node.args:
            return
        for arg in node.args:
            if request_body_origin(arg.value, imports) is not None:
                name = imports.qualify(target)
                if name:
                    facts["constructed"].append(name)
                return

    def _sdl(self, ctx: FileContext, node: cst.SimpleString, vocab: Vocabulary) -> None:
        """Card-named inputs of GraphQL SDL in a string literal (ariadne ``gql(\"\"\"...\"\"\")``),
        reported at the line of the field or argument inside the string."""
        text = string_value(node)
        if not text:
            return
        inputs = sdl_inputs(text)
        if not inputs:
            return
        fw = self.sdl_frameworks[0]
        line0, col0, _, _ = ctx.position(node)
        # the string's text starts after its prefix and opening quotes; lines of the value are
        # lines of the file when the literal spans them (a triple-quoted SDL string)
        opening = len(node.prefix) + len(node.quote)
        for offset, name, owner, siblings in inputs:
            kind = declared_card_data(name, vocab, owner, siblings, self.weak)
            if kind is None:
                continue
            before = text[:offset]
            line = line0 + before.count("\n")
            if "\n" in node.value:
                column = offset - (before.rfind("\n") + 1) + (1 if "\n" in before else col0 + opening)
            else:
                column = col0 + opening + offset
            ctx.report(self.rule, line=line, column=column, end_line=line,
                       end_column=column + len(name),
                       **self._fields(kind, name, fw, False, fw.via))

    def _anywhere_call(self, ctx: FileContext, node: cst.Call, vocab: Vocabulary) -> None:
        if not any(fw.anywhere for fw in self.frameworks):
            return
        if not node.args or node.args[0].keyword is not None:
            return
        column = string_value(node.args[0].value)
        if not column:
            return
        hit = self._constructor(node, ctx.imports)
        if hit is None or not hit[0].anywhere or not hit[0].column_argument:
            return
        fw, call, encrypted = hit
        if call is not node or self._has_relation_argument(node):
            return
        kind = declared_card_data(column, vocab, None, (), self.weak)
        if kind:
            ctx.report(self.rule, node, **self._fields(kind, column, fw, encrypted))

    def _class(self, ctx: FileContext, node: cst.ClassDef, vocab: Vocabulary,
               facts: dict[str, Any], stars: tuple[str, ...] = (),
               outer: tuple[str, list[str]] | None = None) -> list[str]:
        """Report and record one class's fields; returns its (qualified) bases.  ``outer``: the
        enclosing class's name and bases (a graphene mutation's ``class Arguments``)."""
        imports = ctx.imports
        if not isinstance(node.body, cst.IndentedBlock):
            return []
        class_name = node.name.value
        if self.ctor_frameworks and _fieldish(class_name):
            # a project field type (`class UpperCharField(models.CharField)`), resolved later
            facts["field_classes"][class_name] = [imports.qualify(a.value) or "?"
                                                  for a in node.bases if a.keyword is None]
        statements: list[tuple[str, cst.BaseSmallStatement]] = []
        for stmt in node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    target = None
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                    elif isinstance(small, cst.AnnAssign):
                        target = small.target
                    if isinstance(target, cst.Name):
                        statements.append((target.value, small))
        siblings = [n for n, small in statements if not self._is_relation(small.value, imports)]
        bases = [imports.qualify(a.value) or "?" for a in node.bases if a.keyword is None]
        # a class decorator that makes a schema (`@dataclass`, `@pydantic.dataclasses.dataclass`)
        # counts like a base class
        for dec in node.decorators:
            expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
            qualified = imports.qualify(expr)
            if qualified and any(fw.bases.match(qualified) for fw in self.base_frameworks):
                bases.append(qualified)
        keywords = {a.keyword.value: (dotted_name(a.value) or "") for a in node.keywords
                    if a.keyword is not None}
        cls = ClassFacts(class_name, bases, keywords)
        reported: set[str] = set()
        has_methods = any(isinstance(st, cst.FunctionDef) for st in node.body.body)
        masked_cache: list[set[str]] = []

        def masked(attr: str) -> bool:
            # computed only for a class that has a card-named field (walking every class is costly)
            if not has_methods:
                return False
            if not masked_cache:
                masked_cache.append(self._masked_attributes(node)
                                    if _SANITIZED_HINT.search(ctx.text) else set())
            return attr in masked_cache[0]

        for attr, small in statements:
            value = small.value
            hit = None
            if isinstance(value, cst.Call):
                hit = self._constructor(value, imports, stars)
                if hit is None and self.ctor_frameworks:
                    self._candidate(ctx, small, value, attr, vocab, node, siblings, facts,
                                    masked)
            if hit is not None:
                fw, call, encrypted = hit
                if self._has_relation_argument(call):
                    continue
                context = class_name
                if fw.class_bases is not None:
                    inner = outer is not None and class_name in fw.inner_classes \
                        and fw.inner_bases is not None \
                        and any(fw.inner_bases.match(b) for b in outer[1])
                    if not inner and not any(fw.class_bases.match(b) for b in bases):
                        continue  # a graphene output type, not an input
                    if inner and outer is not None:
                        context = outer[0]  # `class AddCard(Mutation): class Input: number`
                result = self._classify(fw, self._names_of(fw, attr, call), call, imports, vocab,
                                        context, siblings)
                if result and not masked(attr):
                    ctx.report(self.rule, small.target if isinstance(small, cst.AnnAssign)
                               else small.targets[0].target,
                               **self._fields(result[0], result[1], fw, encrypted))
                    reported.add(attr)
                continue
            if not isinstance(small, cst.AnnAssign):
                continue
            ann = small.annotation.annotation
            head_node = ann.value if isinstance(ann, cst.Subscript) else ann
            head = imports.qualify(head_node)
            mapped = next((fw for fw in self.frameworks if fw.annotations.match(head)), None)
            ann_kind = annotation_card_kind(ann, imports)
            if ann_kind == "other":
                if self.base_frameworks and self.p["request_body_only"]:
                    cls.refs += annotation_refs(ann, imports)
                continue
            names = [attr]
            if isinstance(value, cst.Call):
                for arg in value.args:
                    if arg.keyword is not None and arg.keyword.value in ("alias", "validation_alias",
                                                                         "serialization_alias"):
                        alias = string_value(arg.value)
                        if alias:
                            names.append(alias)
            kind_name = None
            for n in names:
                k = declared_card_data(n, vocab, class_name, siblings, self.weak)
                if k:
                    kind_name = (k, n)
                    break
            if kind_name is None and ann_kind == PAN:
                kind_name = (PAN, attr)
            if kind_name is None or masked(attr):
                continue
            if mapped is not None:
                ctx.report(self.rule, small.target, **self._fields(kind_name[0], kind_name[1],
                                                                   mapped, False))
                reported.add(attr)
            elif self.base_frameworks:
                line, col, end_line, end_col = ctx.position(small.target, node)
                cls.fields.append({"name": kind_name[1], "kind": kind_name[0], "line": line,
                                   "column": col, "end_line": end_line, "end_column": end_col})
        self._meta_fields(ctx, node, bases, vocab, class_name, {n for n, _ in statements})
        if self.base_frameworks and bases:
            if self.p["stored_configs"]:
                cls.stored = _stored_config(node, statements, self.p["stored_configs"])
            facts["classes"].append(cls)
        return bases

    def _candidate(self, ctx: FileContext, small: Any, call: cst.Call, attr: str,
                   vocab: Vocabulary, cls: cst.ClassDef, siblings: list[str],
                   facts: dict[str, Any], masked: Any) -> None:
        """A card-named class attribute built by a constructor no framework pattern knows
        (``cvv = UpperCharField()``, ``pan = fields.CharField()`` through a project module):
        kept for the project phase, which resolves project field subclasses and re-exports."""
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        if not _fieldish(func.attr.value if isinstance(func, cst.Attribute) else func.value):
            return
        if self._has_relation_argument(call):
            return
        kind = declared_card_data(attr, vocab, cls.name.value, siblings, self.weak)
        if kind is None or masked(attr) or (kind == PAN and _too_short_for_pan(call)):
            return
        target = small.target if isinstance(small, cst.AnnAssign) else small.targets[0].target
        line, col, end_line, end_col = ctx.position(target, cls)
        facts["candidates"].append({"ctor": ctx.imports.qualify(func), "name": attr, "kind": kind,
                                    "line": line, "column": col, "end_line": end_line,
                                    "end_column": end_col})

    def _migration_call(self, ctx: FileContext, node: cst.Call, vocab: Vocabulary) -> None:
        """Django migrations declare columns too: ``migrations.AddField(model_name="order",
        name="card_number", field=models.CharField(...))``, ``AlterField``, and the
        ``fields=[("cvv", models.CharField(...)), ...]`` of ``CreateModel``."""
        func = node.func
        last = func.attr.value if isinstance(func, cst.Attribute) else \
            func.value if isinstance(func, cst.Name) else ""
        if last not in ("AddField", "AlterField", "CreateModel"):
            return
        fws = [fw for fw in self.frameworks if fw.migrations]
        if not fws:
            return
        op = (ctx.imports.qualify(node.func) or "").rsplit(".", 2)
        if len(op) < 2 or op[-2] != "migrations" or op[-1] not in ("AddField", "AlterField",
                                                                   "CreateModel"):
            return

        def arg(keyword: str, index: int) -> cst.BaseExpression | None:
            for i, a in enumerate(node.args):
                if (a.keyword is not None and a.keyword.value == keyword) \
                        or (a.keyword is None and a.star == "" and i == index):
                    return a.value
            return None

        pairs: list[tuple[cst.BaseExpression, cst.BaseExpression | None]] = []
        if op[-1] == "CreateModel":
            model = arg("name", 0)
            fields = arg("fields", 1)
            if isinstance(fields, (cst.List, cst.Tuple)):
                for el in fields.elements:
                    if isinstance(el.value, cst.Tuple) and len(el.value.elements) >= 2:
                        pairs.append((el.value.elements[0].value, el.value.elements[1].value))
        else:
            model = arg("model_name", 0)
            pairs.append((arg("name", 1), arg("field", 2)))
        model_name = string_value(model) if model is not None else None
        named = [(n, string_value(n), f) for n, f in pairs if n is not None]
        siblings = [s for _, s, f in named if s and not self._is_relation(f, ctx.imports)]
        for name_node, name, field_call in named:
            if not name or not isinstance(field_call, cst.Call):
                continue
            hit = self._constructor(field_call, ctx.imports)
            if hit is None or hit[0] not in fws or self._has_relation_argument(hit[1]):
                continue
            fw, call, encrypted = hit
            names = self._names_of(fw, name, call)
            # no class here to say `number` is a card's (a model may mask it before saving)
            result = self._classify(fw, names, call, ctx.imports, vocab, None, siblings)
            if result is None:
                weak = next((n for n in names if is_weak(n, self.weak)), None)
                if weak and has_card_context(model_name, siblings, vocab, self.weak):
                    result = (vocab.classify(weak) or PAN, weak)
            if result:
                ctx.report(self.rule, name_node, **self._fields(result[0], result[1], fw, encrypted))

    def _meta_fields(self, ctx: FileContext, node: cst.ClassDef, bases: list[str],
                     vocab: Vocabulary, class_name: str, declared: set[str]) -> None:
        fws = [fw for fw in self.frameworks if fw.meta_fields and any(fw.meta_bases.match(b)
                                                                       for b in bases)]
        if not fws or not isinstance(node.body, cst.IndentedBlock):
            return
        for stmt in node.body.body:
            if not (isinstance(stmt, cst.ClassDef) and stmt.name.value == "Meta"
                    and isinstance(stmt.body, cst.IndentedBlock)):
                continue
            for inner in stmt.body.body:
                if not isinstance(inner, cst.SimpleStatementLine):
                    continue
                for small in inner.body:
                    if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                            and isinstance(small.targets[0].target, cst.Name)
                            and small.targets[0].target.value == "fields"
                            and isinstance(small.value, (cst.List, cst.Tuple))):
                        continue
                    strings = [(el.value, string_value(el.value)) for el in small.value.elements]
                    names = [s for _, s in strings if s]
                    for el, s in strings:
                        if not s or s in declared:  # declared explicitly: reported there
                            continue
                        kind = declared_card_data(s, vocab, class_name, names, self.weak)
                        if kind:
                            ctx.report(self.rule, el, **self._fields(kind, s, fws[0], False))

    def project_facts(self, ctx: FileContext) -> Any:
        facts = ctx.shared.get("card-field-facts", {}).get(self.rule.id)
        if not facts or not (self.base_frameworks or self.ctor_frameworks):
            return None
        if not facts["classes"] and not facts["route_refs"] and not facts["constructed"] \
                and not facts["candidates"] and not facts["field_classes"] \
                and not facts["reexports"] and not facts["response_refs"]:
            return None
        _declare_dependencies(ctx, facts)
        return facts

    # -- the project phase: inheritance across modules, request-body use --------------------------
    def check_project(self, facts: dict[str, Any], report: ProjectReporter) -> None:
        found = self._resolve(facts) if self.base_frameworks else []
        if self.ctor_frameworks:
            found += self._resolve_constructors(facts)
        for path, fld, fw, via in found:
            report.report(self.rule, path, fld["line"], fld["column"], fld["end_line"],
                          fld["end_column"], **self._fields(fld["kind"], fld["name"], fw, False, via))

    def _resolve_constructors(self, facts: dict[str, Any]
                              ) -> list[tuple[str, dict[str, Any], Framework, str | None]]:
        """Candidates whose constructor is a framework field after all: a project subclass
        (``class UpperCharField(models.CharField)``, in any module) or a name a project module
        re-exports (``from core.db import CharField``)."""
        modules: dict[str, dict[str, Any]] = {f["module"]: f for f in facts.values()}

        def module_facts(mod: str) -> dict[str, Any] | None:
            if mod in modules:
                return modules[mod]
            hits = [m for m in modules if m.endswith("." + mod)]
            return modules[hits[0]] if len(hits) == 1 else None

        def framework(ref: str, module: str, depth: int = 0) -> Framework | None:
            if depth > 6 or not ref:
                return None
            if ref.startswith("."):
                dots = len(ref) - len(ref.lstrip("."))
                package = module.split(".")[:-dots]
                ref = ".".join([*package, ref.lstrip(".")])
            fw = self._framework_of(ref)
            if fw is not None:
                return fw if not fw.typed else None
            mod, _, name = ref.rpartition(".")
            if not mod:  # a bare name defined in this very module
                mod = module
            target = module_facts(mod)
            if target is None:
                return None
            if name in target["reexports"] and target["reexports"][name] != ref:
                return framework(target["reexports"][name], target["module"], depth + 1)
            for base in target["field_classes"].get(name, ()):
                fw = framework(base, target["module"], depth + 1)
                if fw is not None:
                    return fw
            return None

        out = []
        for path, f in facts.items():
            for cand in f["candidates"]:
                fw = framework(cand["ctor"] or "", f["module"])
                if fw is not None:
                    out.append((path, cand, fw, None))
        return out

    def _resolve(self, facts: dict[str, Any], schema_roots: bool = True
                 ) -> list[tuple[str, dict[str, Any], Framework, str | None]]:
        """The annotated card fields of every class that is (transitively) a framework class - and,
        with ``request_body_only``, used as a request body, received by nature, mapping stored rows
        or in a schema module - across the files in ``facts``; with how each is received."""
        out: list[tuple[str, dict[str, Any], Framework, str | None]] = []
        classes: dict[tuple[str, str], tuple[str, ClassFacts]] = {}  # (module, name) -> (path, cls)
        by_name: dict[str, list[tuple[str, str]]] = {}
        for path, f in facts.items():
            for cls in f["classes"]:
                key = (f["module"], cls.name)
                classes[key] = (path, cls)
                by_name.setdefault(cls.name, []).append(key)

        def resolve(ref: str, module: str) -> tuple[str, str] | None:
            if ref.startswith("."):
                dots = len(ref) - len(ref.lstrip("."))
                package = module.split(".")[:-dots] if dots else module.split(".")
                ref = ".".join([*package, ref.lstrip(".")])
            mod, _, name = ref.rpartition(".")
            candidates = by_name.get(name, [])
            if not mod:
                return (module, name) if (module, name) in classes else (
                    candidates[0] if len(candidates) == 1 else None)
            for key in candidates:
                m = key[0]
                if m == mod or m.endswith("." + mod) or mod.endswith("." + m):
                    return key
            # a package re-exporting its submodule's class (`from app.schemas import CardIn`,
            # defined in app/schemas/payments.py)
            inside = [key for key in candidates
                      if key[0].startswith(mod + ".") or ("." + mod + ".") in key[0]]
            return inside[0] if len(inside) == 1 else None

        memo: dict[tuple[str, str], Framework | None] = {}

        def inherited(key: tuple[str, str], seen: frozenset = frozenset()) -> Framework | None:
            """The framework whose base class ``key`` derives from, through project classes."""
            if key in memo:
                return memo[key]
            if key in seen:
                return None
            _, cls = classes[key]
            found = None
            for base in cls.bases:
                found = next((fw for fw in self.base_frameworks if fw.bases.match(base)), None)
                if found is None:
                    parent = resolve(base, key[0])
                    if parent is not None and parent != key:
                        found = inherited(parent, seen | {key})
                if found is not None:
                    break
            memo[key] = found
            return found

        def concrete(key: tuple[str, str]) -> Framework | None:
            """``inherited`` plus the class keyword the framework requires (``table=True``)."""
            fw = inherited(key)
            if fw is not None and fw.class_keyword and \
                    classes[key][1].keywords.get(fw.class_keyword) != "True":
                return None
            return fw

        stored_memo: dict[tuple[str, str], str | None] = {}

        def stored(key: tuple[str, str], seen: frozenset = frozenset()) -> str | None:
            """The stored-rows setting of ``key`` or of a project base class it inherits."""
            if key in stored_memo:
                return stored_memo[key]
            if key in seen:
                return None
            _, cls = classes[key]
            found = cls.stored
            for base in cls.bases:
                if found:
                    break
                parent = resolve(base, key[0])
                if parent is not None and parent != key:
                    found = stored(parent, seen | {key})
            stored_memo[key] = found
            return found

        # Roots: the classes that are stored (or, for request bodies, received); their project base
        # classes contribute their fields to them, so those fields are reported too.  The stack is
        # popped from its end: request bodies first, so they keep their own wording.
        work: list[tuple[tuple[str, str], Framework, str | None]] = []
        if self.p["request_body_only"]:
            schema_parts = set(self.p["schema_modules"]) if schema_roots else set()
            responses = {resolve(ref, f["module"]) for f in facts.values()
                         for ref in f.get("response_refs", ())} if schema_parts else set()
            for key in sorted(classes, reverse=True):
                fw = concrete(key)
                if fw is None:
                    continue
                if fw.received:
                    work.append((key, fw, fw.via))
                elif self.p["stored_configs"] and stored(key):
                    work.append((key, fw, f"from stored rows (`{stored(key)}`: the database "
                                          "holds it)"))
                elif schema_parts & set(key[0].split(".")) and key not in responses \
                        and split_words(key[1])[-1:] not in [(w,) for w in RESPONSE_WORDS]:
                    # an input schema of the app's schema module; response schemas are outputs
                    work.append((key, fw, f"in a schema module (`{key[0]}`)"))
            for path, f in facts.items():
                for ref in [*f["route_refs"], *f["constructed"]]:
                    key = resolve(ref, f["module"])
                    fw = concrete(key) if key is not None else None
                    if key is not None and fw is not None:
                        work.append((key, fw, None))
        else:
            for key in classes:
                fw = concrete(key)
                if fw is not None:
                    work.append((key, fw, None))
        reportable: dict[tuple[str, str], tuple[Framework, str | None]] = {}
        while work:
            key, fw, via = work.pop()
            if key in reportable:
                continue
            reportable[key] = (fw, via)
            _, cls = classes[key]
            for base in cls.bases:
                parent = resolve(base, key[0])
                if parent is not None:
                    work.append((parent, fw, via))
            if self.p["request_body_only"]:
                for ref in cls.refs:
                    nested = resolve(ref, key[0])
                    nested_fw = concrete(nested) if nested is not None else None
                    if nested is not None and nested_fw is not None:
                        work.append((nested, nested_fw, via))

        for key in sorted(reportable):
            path, cls = classes[key]
            for fld in cls.fields:
                out.append((path, fld, *reportable[key]))
        return out


__all__ = ["CardField", "split_words"]


def _declare_dependencies(ctx: FileContext, facts: dict[str, Any]) -> None:
    """Tell the engine which other files the project phase needs (see pcilint.prefilter): for
    inheritance and request-body use, the bases' modules and the files importing these classes
    (route handlers, subclasses); for project field types, the modules defining a candidate's
    constructor, a field class's bases and what a module re-exports.

    Only card fields make a chain start: a class without them (or a field class, a re-export)
    matters when a file with card fields leads here, so those are declared with a ``when``."""
    if facts["classes"]:
        for cls in facts["classes"]:
            for base in cls.bases:
                if base != "?":
                    ctx.need_module(base, when=None if cls.fields else f"inherits:{base}",
                                    passes_data=False)
        if any(cls.fields for cls in facts["classes"]):
            ctx.need_importers(carries="fields")
        else:
            # a subclass elsewhere inherits card fields only if a base here has them, through
            # a base whose module passes card fields on to its importers
            for cls in facts["classes"]:
                for base in cls.bases:
                    if base != "?":
                        ctx.need_importers(when=f"inherits:{base}", carries="fields")
    for cand in facts["candidates"]:
        if cand["ctor"] and cand["ctor"] != "?":
            ctx.need_module(cand["ctor"], passes_data=False)
    # a field class's bases (through the module's own field classes) and a re-export matter only
    # to a file asking this one for that name: `from core.fields import UpperCharField`
    field_classes: dict[str, list[str]] = facts["field_classes"]
    for name in field_classes:
        for ref in _outside_bases(name, field_classes):
            ctx.need_module(ref, when=f"asked:{name}", passes_data=False)
    for local, ref in facts["reexports"].items():
        if ref and ref != "?":
            ctx.need_module(ref, when=f"asked:{local}", passes_data=False)


def _outside_bases(name: str, field_classes: dict[str, list[str]]) -> list[str]:
    """The bases of field class ``name`` outside its module, reached through the module's own
    field classes (``class TrimmedField(UpperCharField)``, ``class UpperCharField(base.Field)``)."""
    out: list[str] = []
    seen = {name}
    todo = [name]
    while todo:
        for base in field_classes.get(todo.pop(), ()):
            if base in field_classes:
                if base not in seen:
                    seen.add(base)
                    todo.append(base)
            elif base and base != "?" and base not in out:
                out.append(base)
    return out
