"""Card-data flow (taint) analysis of one Python file.

One walk per function (loop bodies twice) computes, for every expression that matters, a
:class:`Value`: the set of *labels* it may carry and whether it is known to be safe.  Labels are

* ``("s", i)`` - concrete card data: source ``i`` of this file (a card-named variable, parameter,
  attribute or key; a read from a request; a DB row whose SELECT names card columns; a PAN literal);
* ``("p", name)`` - whatever the caller passes as parameter ``name`` (for function summaries);
* ``("r", i)`` - the return value of call site ``i`` to a function that may be in the scanned project.

The walk records:

* :class:`SinkEvent` - every call (and ``x[k] = v``, ``raise``) that receives a labelled value; check
  kinds decide which of them are sinks (:mod:`pcilint.checks.card_flow`) and ask for their lines;
* :class:`FunctionFacts` - per function: parameters, labels reaching ``return``, and the call sites to
  possibly-project functions with the labels of their arguments.

Everything in :class:`FileFlow.facts` is picklable (names and line numbers only, never literal values),
so :mod:`pcilint.analysis.project` can combine all files into cross-module summaries once per scan.

Files without any card-data word (most files) skip source detection entirely; their functions are
still summarised with parameter labels only, because a helper in such a file may receive card data
from a caller elsewhere.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

import libcst as cst
import yaml

from pcilint import models
from pcilint.analysis.globs import matches_any
from pcilint.analysis.imports import ImportTable, dotted_name
from pcilint.analysis.literals import string_value
from pcilint.analysis.locate import Locator
from pcilint.analysis.names import PAN, Vocabulary, split_words, vocabulary
from pcilint.analysis.requests import (
    BODY_ATTRIBUTES, BODY_METHODS, REQUEST_GETTERS, RequestAliases, card_request_read,
    request_body_origin,
)
from pcilint.analysis.sources import (
    GETTERS, REQUEST_CONTAINERS, REQUEST_METHODS, is_request_name, key_text, pan_literal,
    request_container, select_card_columns, subscript_key,
)

Label = tuple  # ("s", int) | ("p", str) | ("r", int)
EMPTY: frozenset = frozenset()
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}
SELF_NAMES = ("self", "cls")
# Keyword arguments whose dict value describes a card: its "number" key is a PAN (Stripe's `card=`,
# `source=`, `payment_method_data=`).
CARD_DICT_KEYWORDS = frozenset({"card", "source", "payment_method_data", "card_data", "credit_card"})
# Names of classes whose `self.number` is a card number.
_CARD_CLASS = re.compile(r"(?i)card$|^(credit|debit|payment|bank)?card")
# Object and module state written in a file (cheap text scan): `self.x = ...`, `self.x += ...`,
# `self.x[k] = ...`, `self.x.append(...)`; names declared `global`; names mutated in place.
_MUTATORS = r"(?:append|extend|add|update|insert|setdefault|appendleft|extendleft)"
_CONTAINER = r"(?:\[|\{|(?:collections\.)?(?:dict|list|set|defaultdict|deque|OrderedDict|Counter)\()"
_SELF_CONTAINER = re.compile(rf"\bself\.([A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*{_CONTAINER}")
_MODULE_CONTAINER = re.compile(rf"^([A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*{_CONTAINER}", re.M)
_SELF_WRITE = re.compile(rf"\bself\.([A-Za-z_]\w*)\s*(?:=(?!=)|[-+*/%|&^]=|\[|\.{_MUTATORS}\()")
_GLOBAL_DECL = re.compile(r"^[ \t]+global[ \t]+([\w, \t]+)", re.M)
_NAME_MUTATED = re.compile(rf"(?<![\w.])([A-Za-z_]\w*)(?:\.{_MUTATORS}\(|\[[^\]\n]*\]\s*=(?!=))")


# -- configuration ----------------------------------------------------------------------------------
@dataclass
class FlowConfig:
    sanitizer_words: frozenset[str]
    sanitizer_calls: tuple[str, ...]
    sanitizer_names: frozenset[str]
    opaque_calls: tuple[str, ...]
    predicate_methods: frozenset[str]
    predicate_call_words: frozenset[str]
    mutator_methods: frozenset[str]
    transform_methods: frozenset[str]

    def matches(self, qualified: str, globs: tuple[str, ...]) -> bool:
        return matches_any(qualified, globs)


@lru_cache(maxsize=1)
def _builtin_config() -> dict[str, Any]:
    from pcilint.ruleset import builtin_rules_dir

    path = builtin_rules_dir() / "vocabulary" / "flow.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_configs: dict[tuple[str, ...], FlowConfig] = {}


def flow_config(extra_sanitizers: Iterable[str] = ()) -> FlowConfig:
    """The shipped flow configuration plus a configuration's ``sanitizers``."""
    key = tuple(extra_sanitizers)
    if key not in _configs:
        data = _builtin_config()
        dotted = tuple(s for s in key if "." in s or "*" in s)
        plain = frozenset(s for s in key if s not in dotted)
        _configs[key] = FlowConfig(
            sanitizer_words=frozenset(data["sanitizer_words"]),
            sanitizer_calls=tuple(data["sanitizer_calls"]) + dotted,
            sanitizer_names=plain,
            opaque_calls=tuple(data["opaque_calls"]),
            predicate_methods=frozenset(data["predicate_methods"]),
            predicate_call_words=frozenset(data["predicate_call_words"]),
            mutator_methods=frozenset(data["mutator_methods"]),
            transform_methods=frozenset(data["transform_methods"]),
        )
    return _configs[key]


@lru_cache(maxsize=1)
def _card_word_regex(vocab_id: int, words: tuple[str, ...]) -> re.Pattern[str]:
    alts = []
    for w in sorted(set(words), key=len, reverse=True):
        cap = w[:1].upper() + w[1:]
        alts.append(rf"(?<![A-Za-z0-9]){w}(?![a-z])")
        alts.append(rf"{cap}(?![a-z])")
        alts.append(rf"(?<![A-Z0-9]){w.upper()}(?![A-Z])")
    alts.append(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
    return re.compile("|".join(alts))


def card_word_regex(vocab: Vocabulary) -> re.Pattern[str]:
    """A regex that finds every text that could hold a card-data name or PAN literal."""
    words = {w for term in vocab.pan + vocab.sad for w in term if not w.isdigit()}
    words |= {"card"}
    return _card_word_regex(id(vocab), tuple(sorted(words)))


# -- facts (picklable) --------------------------------------------------------------------------------
@dataclass
class Source:
    """Where concrete card data comes from in this file."""

    kind: str  # name, param, attribute, key, request, db, literal, slot
    name: str  # the card-data name (never a literal value)
    category: str  # pan | sad
    note: str  # "card_number read from request.form"
    line: int = 0
    origin: str = ""  # short form for messages: "read from request.form at line 9"


@dataclass
class CallSite:
    """A call to a function that may be defined in the scanned project."""

    callee: str  # qualified dotted name ("shop.audit.audit_event", ".fmt.fmt_card", "self.save")
    args: tuple[tuple[str, frozenset], ...]  # (slot, labels): "0", "1", "kw:name", "*", "**"
    propagate: bool  # the default when the callee is not found: does the result carry the args?
    line: int = 0
    display: str = ""  # "audit_event()"
    # a method called on an object of a known type: ``callee`` is the type, this the method name
    method: str | None = None


@dataclass
class FunctionFacts:
    key: str  # "audit_event", "Card.save", "outer.inner", "<module>"
    cls: str | None
    params: tuple[tuple[str, str], ...]  # (name, kind): pos, kwonly, var, varkw
    has_self: bool
    line: int
    returns: frozenset = EMPTY
    calls: dict[int, CallSite] = field(default_factory=dict)
    # labels stored in object or module state: "a:attr" (``self.attr = v``, ``self.attr.append(v)``)
    # and "g:name" (a module global assigned after ``global name`` or mutated in place)
    writes: dict[str, frozenset] = field(default_factory=dict)
    write_lines: dict[str, int] = field(default_factory=dict)


@dataclass
class FileFacts:
    path: str
    sources: list[Source] = field(default_factory=list)
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class key -> base names
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified (re-exports)


# -- in-memory results for check kinds ------------------------------------------------------------------
@dataclass
class Arg:
    slot: str  # "0", "kw:extra", "*", "**", "receiver", "key", "value", "exception"
    value: "Value"
    node: cst.CSTNode | None


@dataclass
class SinkEvent:
    """A call (or ``x[k] = v`` / ``raise``) that receives a labelled value."""

    fn: str
    callee: str  # qualified with calls shown: "logging.info", "Payment.objects.filter().update"
    raw: str  # as written: "log.info"
    method: str | None  # last attribute ("info"), None for plain calls
    receiver: str | None  # "self.logger", "request.session"
    receiver_kind: str | None  # "logging.getLogger" when the receiver was made by that call
    args: list[Arg]
    anchor: cst.CSTNode
    seq: int
    kind: str = "call"  # call | setitem | raise
    bases: tuple[str, ...] = ()  # base classes when the callee is a class defined in this file


class Value:
    """What the analysis knows about one value."""

    __slots__ = ("labels", "safe", "fields", "kind", "hint")

    def __init__(self, labels: frozenset = EMPTY, safe: bool = False,
                 fields: dict[str, "Value"] | None = None, kind: str | None = None,
                 hint: str | None = None) -> None:
        self.labels = labels
        self.safe = safe
        self.fields = fields
        self.kind = kind  # "req:request.form" | "type:logging.getLogger" | "rows:<source>"
        self.hint = hint

    def all_labels(self) -> frozenset:
        if not self.fields:
            return self.labels
        out = set(self.labels)
        for v in self.fields.values():
            out |= v.all_labels()
        return frozenset(out)

    def tainted(self) -> bool:
        return bool(self.labels) or bool(self.fields and any(v.tainted() for v in self.fields.values()))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Value({set(self.labels)}, safe={self.safe}, kind={self.kind}, hint={self.hint})"


UNKNOWN = Value()
SAFE = Value(safe=True)


def _union(values: Iterable[Value]) -> Value:
    labels: set = set()
    safe = True
    hint = None
    for v in values:
        al = v.all_labels()
        if al:
            labels |= al
            if hint is None:
                hint = v.hint
        if not v.safe:
            safe = False
    return Value(frozenset(labels), safe=safe and not labels, hint=hint)


def _merge_env(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    out = dict(a)
    for k, v in b.items():
        old = out.get(k)
        if old is None or old is v:
            out[k] = v
        else:
            m = _union((old, v))
            m.kind = old.kind or v.kind
            out[k] = m
    return out


def shape(node: cst.BaseExpression | None) -> str | None:
    """Dotted text of a callee with calls shown as ``()``: ``Payment.objects.filter().update``."""
    parts: list[str] = []
    while True:
        if isinstance(node, cst.Attribute):
            parts.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, cst.Subscript):
            parts.append("[]")
            node = node.value
        elif isinstance(node, cst.Name):
            parts.append(node.value)
            break
        else:
            return None
    out = ""
    for p in reversed(parts):
        if p in ("()", "[]"):
            out += p
        else:
            out = f"{out}.{p}" if out else p
    return out


# -- the analysis -------------------------------------------------------------------------------------
@dataclass
class _Fn:
    node: cst.FunctionDef | None
    key: str
    cls: str | None
    ordinal: int
    name: str
    enclosing: str | None = None


class FileFlow:
    """The flow analysis of one file: facts for the project phase, sink events for check kinds."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.path: str = ctx.path
        self.module: cst.Module = ctx.module
        self.imports: ImportTable = ctx.imports
        settings = ctx.settings
        self.vocab = vocabulary(getattr(settings, "sensitive_names", None) or None)
        self.config = flow_config(getattr(settings, "sanitizers", None) or ())
        self.models = models.current()  # the library models (rules/models/)
        self.has_card = card_word_regex(self.vocab).search(ctx.text) is not None
        self.facts = FileFacts(ctx.path)
        self.events: list[SinkEvent] = []
        self.locator = Locator(self.module, ctx.text)
        self._anchors: list[tuple[str, cst.CSTNode, int]] = []  # per source: (fn, anchor, seq)
        self._callsite_anchors: dict[tuple[str, int], tuple[cst.CSTNode, int]] = {}
        self._fn_start: dict[str, int] = {}
        self._fn_nodes: dict[str, cst.FunctionDef] = {}
        self._seq = 0
        self._callsite_counter = 0
        self.module_kinds: dict[str, str] = {}
        self.module_defs: set[str] = set()
        self.nested_defs: set[str] = set()  # functions defined inside functions
        self.class_kinds: dict[str, dict[str, str]] = {}
        self.class_names: set[str] = set()
        self.class_bases: dict[str, tuple[str, ...]] = {}
        self.module_names: set[str] = set()  # names assigned at module level
        self.self_attrs: frozenset[str] = frozenset()
        self.tracked_globals: frozenset[str] = frozenset()
        self.container_attrs: frozenset[str] = frozenset()  # self.x = [] / {} / dict() ...
        self.container_globals: frozenset[str] = frozenset()
        self._write_anchors: dict[tuple[str, str], tuple[cst.CSTNode, int]] = {}
        self._closure: dict[int, dict[str, Value]] = {}
        self._located = False
        self.facts.imports = dict(self.imports.names)

    # -- driver ----------------------------------------------------------------------------------
    def run(self) -> "FileFlow":
        fns: list[_Fn] = []
        counts: dict[str, int] = {}
        self._collect(self.module.body, None, None, fns, counts, top=True)
        text = self.ctx.text
        if "self." in text:
            self.self_attrs = frozenset(_SELF_WRITE.findall(text))
            self.container_attrs = frozenset(_SELF_CONTAINER.findall(text))
        if self.module_names:
            declared = {n.strip() for m in _GLOBAL_DECL.findall(text) for n in m.split(",")}
            self.container_globals = frozenset(_MODULE_CONTAINER.findall(text)) & self.module_names
            mutated = set(_NAME_MUTATED.findall(text)) & self.container_globals
            self.tracked_globals = frozenset(self.module_names & (declared | mutated))
        if self.has_card:
            self._analyze(_Fn(None, "<module>", None, 0, "<module>"))
        for fn in fns:
            self._analyze(fn)
        return self

    def _collect(self, body: Any, prefix: str | None, cls: str | None, out: list[_Fn],
                 counts: dict[str, int], top: bool = False, depth: int = 0) -> None:
        if depth > 40:
            return
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                key = f"{prefix}.{name}" if prefix else name
                ordinal = counts.get(name, 0)
                counts[name] = ordinal + 1
                out.append(_Fn(stmt, key, cls, ordinal, name, enclosing=prefix))
                if top:
                    self.module_defs.add(name)
                elif cls is None:
                    self.nested_defs.add(name)
                if isinstance(stmt.body, cst.IndentedBlock):
                    self._collect(stmt.body.body, key, None, out, counts, depth=depth + 1)
            elif isinstance(stmt, cst.ClassDef):
                name = stmt.name.value
                if top:
                    self.module_defs.add(name)
                    self.class_names.add(name)
                    self.class_bases[name] = tuple(
                        self.qualify(b) for b in (shape(a.value) for a in stmt.bases) if b)
                key = f"{prefix}.{name}" if prefix else name
                self.facts.classes[key] = tuple(
                    b.rsplit(".", 1)[-1] for b in (shape(a.value) for a in stmt.bases) if b)
                if isinstance(stmt.body, cst.IndentedBlock):
                    self._collect(stmt.body.body, key, key, out, counts, depth=depth + 1)
            elif isinstance(stmt, cst.SimpleStatementLine):
                if top:
                    for small in stmt.body:
                        if isinstance(small, cst.Assign):
                            for t in small.targets:
                                if isinstance(t.target, cst.Name):
                                    self.module_names.add(t.target.value)
                        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                            self.module_names.add(small.target.value)
                        if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                            kind = self._call_kind(small.value)
                            if kind:
                                for t in small.targets:
                                    if isinstance(t.target, cst.Name):
                                        self.module_kinds[t.target.value] = kind
            else:
                for block in _blocks(stmt):
                    self._collect(block, prefix, cls, out, counts, top=top, depth=depth + 1)

    def _analyze(self, fn: _Fn) -> None:
        an = _FunctionWalker(self, fn)
        try:
            an.run()
        except (RecursionError, ValueError, TypeError, AttributeError, KeyError, IndexError):
            # bad or unusual input must never crash a scan: this function is left unanalysed
            self.facts.functions.pop(fn.key, None)

    # -- sources -----------------------------------------------------------------------------------
    def new_source(self, fn: str, kind: str, name: str, category: str, note: str, origin: str,
                   anchor: cst.CSTNode | None, seq: int) -> Label:
        self.facts.sources.append(Source(kind, name, category, note, 0, origin))
        self._anchors.append((fn, anchor, seq))  # type: ignore[arg-type]
        return ("s", len(self.facts.sources) - 1)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- lines ----------------------------------------------------------------------------------------
    def fn_start(self, fn: str) -> int:
        return self._fn_start.get(fn, 0)

    def line_of(self, fn: str, anchor: cst.CSTNode | None, seq: int) -> tuple[int, int]:
        start = self.fn_start(fn)
        if anchor is None:
            return self.locator.line_col(start)
        return self.locator.find(anchor, fn, start, seq, self._fn_nodes.get(fn))

    def finish(self) -> FileFacts:
        """Fill in the lines of sources and of call sites that carry concrete card data."""
        if self._located:
            return self.facts
        self._located = True
        todo: list[tuple[int, Callable[[int], None], str, cst.CSTNode | None]] = []
        for i, (fn, anchor, seq) in enumerate(self._anchors):
            src = self.facts.sources[i]

            def set_src(line: int, src: Source = src) -> None:
                src.line = line
                src.origin = src.origin.replace("{line}", str(line))
                src.note = src.note.replace("{line}", str(line))

            todo.append((seq, set_src, fn, anchor))
        for (fn, idx), (anchor, seq) in self._callsite_anchors.items():
            site = self.facts.functions[fn].calls.get(idx)
            if site is None:
                continue

            def set_site(line: int, site: CallSite = site) -> None:
                site.line = line

            todo.append((seq, set_site, fn, anchor))
        for (fn, wkey), (anchor, seq) in self._write_anchors.items():
            facts = self.facts.functions.get(fn)
            if facts is None or not any(lab[0] == "s" for lab in facts.writes.get(wkey, ())):
                continue

            def set_write(line: int, facts: FunctionFacts = facts, wkey: str = wkey) -> None:
                facts.write_lines[wkey] = line

            todo.append((seq, set_write, fn, anchor))
        todo.sort(key=lambda t: t[0])
        for seq, setter, fn, anchor in todo:
            setter(self.line_of(fn, anchor, seq)[0])
        return self.facts

    # -- call classification shared with the walker --------------------------------------------------
    def qualify(self, text: str) -> str:
        return self.imports.resolve(text)

    def _call_kind(self, call: cst.Call) -> str | None:
        raw = shape(call.func)
        if raw is None:
            return None
        return "type:" + self.qualify(raw)


def _blocks(stmt: cst.CSTNode) -> list[Any]:
    """Statement lists nested in a compound statement (if/for/while/with/try/match)."""
    out: list[Any] = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.IndentedBlock):
        out.append(body.body)
    elif isinstance(body, cst.SimpleStatementSuite):
        pass
    orelse = getattr(stmt, "orelse", None)
    while orelse is not None:
        if isinstance(orelse, cst.If):
            if isinstance(orelse.body, cst.IndentedBlock):
                out.append(orelse.body.body)
            orelse = orelse.orelse
        else:
            if isinstance(orelse.body, cst.IndentedBlock):
                out.append(orelse.body.body)
            break
    for handler in getattr(stmt, "handlers", ()) or ():
        if isinstance(handler.body, cst.IndentedBlock):
            out.append(handler.body.body)
    final = getattr(stmt, "finalbody", None)
    if final is not None and isinstance(final.body, cst.IndentedBlock):
        out.append(final.body.body)
    for case in getattr(stmt, "cases", ()) or ():
        if isinstance(case.body, cst.IndentedBlock):
            out.append(case.body.body)
    return out


class _FunctionWalker:
    """Walks one function body once (loops twice), computing values and recording events."""

    def __init__(self, flow: FileFlow, fn: _Fn) -> None:
        self.flow = flow
        self.fn = fn
        self.key = fn.key
        self.vocab = flow.vocab
        self.config = flow.config
        self.models = flow.models
        self.imports = flow.imports
        self.has_card = flow.has_card
        self.anchor: cst.CSTNode | None = None
        self.seq = 0
        self.name_sources: dict[str, Label] = {}
        self.returns: set = set()
        self.calls: dict[int, CallSite] = {}
        self.events: list[SinkEvent] = []
        self.card_class = bool(fn.cls and _CARD_CLASS.search(fn.cls.rsplit(".", 1)[-1]))
        self.class_kinds = flow.class_kinds.setdefault(fn.cls, {}) if fn.cls else {}
        self.card_dict_context = False
        self.writes: dict[str, set] = {}
        self.declared_globals: set[str] = set()
        # request objects and bodies as the request-read recognizer (analysis/requests.py) sees them:
        # annotated parameters (`r: HttpRequest`), Bottle/Falcon/Pyramid/aiohttp bodies, Body() params
        self.req_aliases = RequestAliases()

    # -- setup ---------------------------------------------------------------------------------------
    def run(self) -> None:
        flow, fn = self.flow, self.fn
        params: list[tuple[str, str]] = []
        has_self = False
        env: dict[str, Value] = {}
        if fn.node is not None:
            flow._fn_start[self.key] = flow.locator.def_offset(fn.name, fn.ordinal)
            flow._fn_nodes[self.key] = fn.node
            closure = flow._closure.get(id(fn.node))
            if closure:
                env.update(closure)
            ps = fn.node.params
            allp: list[tuple[cst.Param, str]] = [(p, "pos") for p in ps.posonly_params]
            allp += [(p, "pos") for p in ps.params]
            if isinstance(ps.star_arg, cst.Param):
                allp.append((ps.star_arg, "var"))
            allp += [(p, "kwonly") for p in ps.kwonly_params]
            if ps.star_kwarg is not None:
                allp.append((ps.star_kwarg, "varkw"))
            decorators = {dotted_name(d.decorator) for d in fn.node.decorators}
            is_static = "staticmethod" in decorators
            for i, (p, kind) in enumerate(allp):
                name = p.name.value
                if i == 0 and fn.cls and not is_static and kind == "pos":
                    has_self = True
                    env[name] = Value(kind="self")
                    continue
                params.append((name, kind))
                labels = {("p", name)}
                if self.has_card and not name.isupper():
                    cat = self.vocab.classify(name)
                    if cat is None and p.annotation is not None:
                        cat = None
                    if cat is not None:
                        labels.add(flow.new_source(self.key, "param", name, cat,
                                                   f"`{name}` is a card-data parameter of {fn.name}()",
                                                   f"parameter of {fn.name}() at line {{line}}",
                                                   None, 0))
                kind = self._annotation_kind(p.annotation.annotation) if p.annotation is not None \
                    else None
                if p.annotation is not None or isinstance(p.default, cst.Call):
                    self.req_aliases.add_parameter(p, self.imports)
                    body = self.req_aliases.bodies.get(name)
                    if body is not None:
                        kind = "req:" + body
                env[name] = Value(frozenset(labels), hint=name, kind=kind)
        self.facts = FunctionFacts(self.key, fn.cls, tuple(params), has_self, 0)
        flow.facts.functions[self.key] = self.facts
        if fn.node is None:
            self.block(flow.module.body, env, module_level=True)
        elif isinstance(fn.node.body, cst.IndentedBlock):
            self.block(fn.node.body.body, env)
        else:
            self.block([fn.node.body], env)
        self.facts.returns = frozenset(self.returns)
        self.facts.writes = {k: frozenset(v) for k, v in self.writes.items() if v}
        self.facts.calls = self._used_calls()
        self.facts.line = flow.locator.line_col(flow.fn_start(self.key))[0] if fn.node is not None else 1
        flow.events += self.events

    def _used_calls(self) -> dict[int, CallSite]:
        """Keep the call sites whose result or arguments matter (labelled)."""
        used: set[int] = set()
        stack: list = list(self.returns)
        for labels in self.writes.values():
            stack += labels
        for ev in self.events:
            for a in ev.args:
                stack += a.value.all_labels()
        keep: dict[int, CallSite] = {}
        for idx, site in self.calls.items():
            if any(labels for _, labels in site.args):
                keep[idx] = site
                for _, labels in site.args:
                    stack += labels
        while stack:
            lab = stack.pop()
            if lab[0] == "r" and lab[1] not in used:
                used.add(lab[1])
                site = self.calls.get(lab[1])
                if site is not None:
                    keep[lab[1]] = site
                    for _, labels in site.args:
                        stack += labels
        return keep

    # -- statements --------------------------------------------------------------------------------------
    def block(self, body: Iterable[cst.CSTNode], env: dict[str, Value], module_level: bool = False) -> None:
        for stmt in body:
            self.stmt(stmt, env, module_level)

    def stmt(self, s: cst.CSTNode, env: dict[str, Value], module_level: bool = False) -> None:
        t = type(s)
        if t is cst.SimpleStatementLine or t is cst.SimpleStatementSuite:
            for small in s.body:  # type: ignore[attr-defined]
                self.anchor = small
                self.seq = self.flow.next_seq()
                self.small(small, env)
        elif t is cst.If:
            self._if(s, env)  # type: ignore[arg-type]
        elif t is cst.For:
            self.anchor = s.iter  # type: ignore[attr-defined]
            self.seq = self.flow.next_seq()
            it = self.ev(s.iter, env)  # type: ignore[attr-defined]
            elem = self._element(it)
            start = dict(env)
            for _ in range(2):
                self.bind(s.target, elem, env)  # type: ignore[attr-defined]
                self.block(_body(s), env)
            merged = _merge_env(start, env)
            env.clear()
            env.update(merged)
            if s.orelse is not None:  # type: ignore[attr-defined]
                self.block(_body(s.orelse), env)  # type: ignore[attr-defined]
        elif t is cst.While:
            self.anchor = s.test  # type: ignore[attr-defined]
            self.seq = self.flow.next_seq()
            self.ev(s.test, env)  # type: ignore[attr-defined]
            start = dict(env)
            for _ in range(2):
                self.block(_body(s), env)
            merged = _merge_env(start, env)
            env.clear()
            env.update(merged)
            if s.orelse is not None:  # type: ignore[attr-defined]
                self.block(_body(s.orelse), env)  # type: ignore[attr-defined]
        elif t is cst.With:
            for item in s.items:  # type: ignore[attr-defined]
                self.anchor = item.item
                self.seq = self.flow.next_seq()
                v = self.ev(item.item, env)
                if item.asname is not None:
                    self.bind(item.asname.name, v, env)
            self.block(_body(s), env)
        elif t is cst.Try or t is cst.TryStar:
            self.block(_body(s), env)
            after = dict(env)
            branches = []
            for h in s.handlers:  # type: ignore[attr-defined]
                henv = dict(after)
                if h.name is not None:
                    self.bind(h.name.name, UNKNOWN, henv)
                self.block(_body(h), henv)
                branches.append(henv)
            if s.orelse is not None:  # type: ignore[attr-defined]
                self.block(_body(s.orelse), env)  # type: ignore[attr-defined]
            for b in branches:
                merged = _merge_env(env, b)
                env.clear()
                env.update(merged)
            if s.finalbody is not None:  # type: ignore[attr-defined]
                self.block(_body(s.finalbody), env)  # type: ignore[attr-defined]
        elif t is cst.FunctionDef:
            if not module_level:
                self.flow._closure[id(s)] = dict(env)
            env.pop(s.name.value, None)  # type: ignore[attr-defined]
        elif t is cst.ClassDef:
            return
        elif t is cst.Match:
            self.anchor = s.subject  # type: ignore[attr-defined]
            self.seq = self.flow.next_seq()
            self.ev(s.subject, env)  # type: ignore[attr-defined]
            start = dict(env)
            for case in s.cases:  # type: ignore[attr-defined]
                cenv = dict(start)
                self.block(_body(case), cenv)
                merged = _merge_env(env, cenv)
                env.clear()
                env.update(merged)

    def _if(self, s: cst.If, env: dict[str, Value]) -> None:
        self.anchor = s.test
        self.seq = self.flow.next_seq()
        self.ev(s.test, env)
        benv = dict(env)
        self.block(_body(s), benv)
        if s.orelse is None:
            merged = _merge_env(env, benv)
        elif isinstance(s.orelse, cst.If):
            oenv = dict(env)
            self._if(s.orelse, oenv)
            merged = _merge_env(benv, oenv)
        else:
            oenv = dict(env)
            self.block(_body(s.orelse), oenv)
            merged = _merge_env(benv, oenv)
        env.clear()
        env.update(merged)

    def small(self, s: cst.CSTNode, env: dict[str, Value]) -> None:
        t = type(s)
        if t is cst.Expr:
            self.ev(s.value, env)  # type: ignore[attr-defined]
        elif t is cst.Assign:
            first = s.targets[0].target  # type: ignore[attr-defined]
            old = self.card_dict_context
            # `card = {"number": n, ...}`: the dict describes a card, its "number" is a PAN
            if isinstance(first, cst.Name) and isinstance(s.value, cst.Dict) and self.has_card \
                    and self.vocab.is_card_container(first.value):  # type: ignore[attr-defined]
                self.card_dict_context = True
            v = self.ev(s.value, env)  # type: ignore[attr-defined]
            self.card_dict_context = old
            for target in s.targets:  # type: ignore[attr-defined]
                self.bind(target.target, v, env, s.value)  # type: ignore[attr-defined]
        elif t is cst.AnnAssign:
            if s.value is not None:  # type: ignore[attr-defined]
                v = self.ev(s.value, env)  # type: ignore[attr-defined]
                self.bind(s.target, v, env, s.value)  # type: ignore[attr-defined]
        elif t is cst.AugAssign:
            v = self.ev(s.value, env)  # type: ignore[attr-defined]
            old = self.ev(s.target, env)  # type: ignore[attr-defined]
            self.bind(s.target, _union((old, v)), env, s.value)  # type: ignore[attr-defined]
        elif t is cst.Return:
            if s.value is not None:  # type: ignore[attr-defined]
                v = self.ev(s.value, env)  # type: ignore[attr-defined]
                self.returns |= v.all_labels()
        elif t is cst.Raise:
            if s.exc is not None:  # type: ignore[attr-defined]
                v = self.ev(s.exc, env)  # type: ignore[attr-defined]
                if v.tainted():
                    self._event("raise", "raise", None, None, None,
                                [Arg("exception", v, s.exc)], kind="raise")  # type: ignore[attr-defined]
        elif t is cst.Global:
            for n in s.names:  # type: ignore[attr-defined]
                self.declared_globals.add(n.name.value)
        elif t is cst.Assert:
            self.ev(s.test, env)  # type: ignore[attr-defined]
            if s.msg is not None:  # type: ignore[attr-defined]
                self.ev(s.msg, env)  # type: ignore[attr-defined]

    # -- binding -------------------------------------------------------------------------------------------
    def bind(self, target: cst.BaseExpression, v: Value, env: dict[str, Value],
             value_node: cst.BaseExpression | None = None) -> None:
        t = type(target)
        if t is cst.Name:
            name = target.value  # type: ignore[attr-defined]
            if not v.tainted() and not v.safe and self.has_card and not v.kind \
                    and value_node is not None and not name.isupper() \
                    and self.vocab.classify(name) is not None:
                # `card_number = something_unknown` keeps the name's meaning: card data
                env.pop(name, None)
                return
            if v.hint is None or v.tainted():
                v = _rehint(v, name)
            env[name] = v
            if name in self.declared_globals:
                self._record_write("g:" + name, v)
        elif t is cst.Tuple or t is cst.List:
            elements = [e.value for e in target.elements]  # type: ignore[attr-defined]
            for i, el in enumerate(elements):
                if isinstance(el, cst.StarredElement):
                    el = el.value
                part = v.fields.get(f"#{i}") if v.fields else None
                if part is None:
                    part = Value(v.all_labels(), safe=v.safe, hint=v.hint)
                self.bind(el, part, env)
        elif t is cst.StarredElement:
            self.bind(target.value, v, env)  # type: ignore[attr-defined]
        elif t is cst.Attribute:
            attr = target.attr.value  # type: ignore[attr-defined]
            v = self._slot(attr, v, "attribute")
            base = target.value  # type: ignore[attr-defined]
            if isinstance(base, cst.Name):
                holder = env.get(base.value)
                if holder is None:
                    holder = Value(hint=base.value)
                fields = dict(holder.fields or {})
                fields[attr] = v
                nv = Value(holder.labels, holder.safe, fields, holder.kind, holder.hint)
                env[base.value] = nv
                if base.value in SELF_NAMES and self.fn.cls:
                    if v.kind:
                        self.class_kinds[attr] = v.kind
                    self._record_write("a:" + attr, v)
            else:
                self.ev(base, env)
        elif t is cst.Subscript:
            key = subscript_key(target)  # type: ignore[arg-type]
            if key is not None:
                v = self._slot(key, v, "key")
            recv = self.ev(target.value, env)  # type: ignore[attr-defined]
            if v.tainted():
                keyv = UNKNOWN
                self._event_for_store(target, recv, key, v)  # type: ignore[arg-type]
                del keyv
            base = target.value  # type: ignore[attr-defined]
            self._state_write(base, v, env)
            if isinstance(base, cst.Name):
                holder = env.get(base.value) or Value(hint=base.value)
                fields = dict(holder.fields or {})
                if key is not None:
                    fields[key] = v
                    env[base.value] = Value(holder.labels, holder.safe, fields, holder.kind,
                                            holder.hint)
                else:
                    env[base.value] = Value(holder.labels | v.all_labels(), False, holder.fields,
                                            holder.kind, holder.hint)

    def _record_write(self, wkey: str, v: Value) -> None:
        labels = v.all_labels()
        if not labels:
            return
        self.writes.setdefault(wkey, set()).update(labels)
        self.flow._write_anchors.setdefault((self.key, wkey), (self.anchor or cst.Pass(), self.seq))

    def _state_write(self, holder: cst.BaseExpression, v: Value, env: dict[str, Value]) -> None:
        """``self.items.append(v)`` / ``self.meta[k] = v`` / ``RECENT.append(v)``: ``v`` goes into
        object or module state that other functions read."""
        if isinstance(holder, cst.Attribute) and isinstance(holder.value, cst.Name) \
                and holder.value.value in SELF_NAMES and self.fn.cls \
                and holder.attr.value in self.flow.container_attrs:
            self._record_write("a:" + holder.attr.value, v)
        elif isinstance(holder, cst.Name) and holder.value in self.flow.tracked_globals \
                and holder.value in self.flow.container_globals \
                and (holder.value not in env or holder.value in self.declared_globals):
            self._record_write("g:" + holder.value, v)

    def _annotation_kind(self, ann: cst.BaseExpression) -> str | None:
        """``type:shop.repo.OrderRepository`` for a parameter annotated with a class (also
        ``X | None``, ``Optional[X]``, ``"X"``), when the class may be defined in the project."""
        for _ in range(4):
            if isinstance(ann, cst.BinaryOperation):
                ann = ann.left if not (isinstance(ann.left, cst.Name) and ann.left.value == "None") \
                    else ann.right
            elif isinstance(ann, cst.Subscript) and (dotted_name(ann.value) or "").rsplit(".", 1)[-1] \
                    in ("Optional", "Annotated") and ann.slice and isinstance(ann.slice[0].slice, cst.Index):
                ann = ann.slice[0].slice.value
            elif isinstance(ann, cst.SimpleString):
                text = string_value(ann) or ""
                if not re.fullmatch(r"[A-Za-z_][\w.]*", text):
                    return None
                ann = cst.parse_expression(text)
            else:
                break
        raw = dotted_name(ann)
        if raw is None:
            return None
        qualified = self.flow.qualify(raw)
        return "type:" + qualified if self._class_like(qualified) else None

    def _class_like(self, qualified: str) -> bool:
        """May ``qualified`` name a class of the scanned project (not stdlib, not a builtin)?"""
        if "(" in qualified or "[" in qualified:
            return False
        last = qualified.rsplit(".", 1)[-1]
        if not last[:1].isupper() or last.isupper():
            return False
        root = qualified.lstrip(".").split(".", 1)[0]
        if qualified.startswith("."):
            return True
        if root in STDLIB:
            return False
        if "." not in qualified:
            return qualified in self.flow.class_names
        cfg = self.config
        return not cfg.matches(qualified, cfg.opaque_calls) and not cfg.matches(qualified, cfg.sanitizer_calls)

    def _event_for_store(self, target: cst.Subscript, recv: Value, key: str | None, v: Value) -> None:
        raw = shape(target.value)
        if raw is None:
            return
        self._event(raw + ".__setitem__", raw + ".__setitem__", "__setitem__", raw,
                    self._receiver_kind(target.value, recv),
                    [Arg("value", v, target)], kind="setitem")

    def _slot(self, name: str, v: Value, where: str) -> Value:
        """A value stored under a card-data name (key, keyword, attribute) is card data unless it is
        known to be safe (a literal, a sanitizer's result, a masked/last4 name)."""
        if not self.has_card or v.safe or name.isupper():
            return v
        labels = v.all_labels()
        if any(lab[0] == "s" for lab in labels):
            return v
        cat = self.vocab.classify(name)
        if cat is None and not (self.card_dict_context and name == "number"):
            return v
        cat = cat or PAN
        what = {"key": f'under key "{name}"', "attribute": f"in attribute `.{name}`",
                "keyword": f"as `{name}=`"}[where]
        lab = self.flow.new_source(self.key, "slot", name, cat, f"a value stored {what}",
                                   f"stored {what} at line {{line}}", self.anchor, self.seq)
        return Value(frozenset({lab}) | labels, hint=name, kind=v.kind)

    def _element(self, it: Value) -> Value:
        if it.kind and it.kind.startswith("rows:"):
            return Value(it.all_labels(), hint=it.hint)
        return Value(it.all_labels(), safe=it.safe, hint=it.hint)

    # -- expressions ----------------------------------------------------------------------------------------
    def ev(self, e: cst.BaseExpression, env: dict[str, Value]) -> Value:
        m = _DISPATCH.get(type(e))
        if m is None:
            return UNKNOWN
        return m(self, e, env)

    def _name(self, e: cst.Name, env: dict[str, Value]) -> Value:
        name = e.value
        v = env.get(name)
        if v is not None:
            return v
        if name in ("True", "False", "None"):
            return SAFE
        if name in self.flow.tracked_globals:
            return Value(frozenset({("g", name)}), kind=self.flow.module_kinds.get(name), hint=name)
        if self.has_card and not name.isupper():
            lab = self.name_sources.get(name)
            if lab is None:
                cat = self.vocab.classify(name)
                if cat is None:
                    if name in self.flow.module_kinds:
                        return Value(kind=self.flow.module_kinds[name])
                    return UNKNOWN
                lab = self.flow.new_source(self.key, "name", name, cat,
                                           f"`{name}` holds card data (by its name)",
                                           f"card-named variable `{name}` at line {{line}}", self.anchor, self.seq)
                self.name_sources[name] = lab
            return Value(frozenset({lab}), hint=name)
        kind = self.flow.module_kinds.get(name)
        if kind:
            return Value(kind=kind)
        return UNKNOWN

    def _safe_name(self, name: str) -> bool:
        words = split_words(name)
        return any(w in self.vocab.safe for w in words)

    def _attribute(self, e: cst.Attribute, env: dict[str, Value]) -> Value:
        attr = e.attr.value
        base_node = e.value
        container = None
        if attr in REQUEST_CONTAINERS and is_request_name(base_node, self.imports):
            container = f"{dotted_name(base_node)}.{attr}"
            return Value(kind="req:" + container)
        if attr in BODY_ATTRIBUTES:
            body = self._request_body(e)
            if body:
                return Value(kind="req:" + body)
        if isinstance(base_node, cst.Name) and base_node.value in SELF_NAMES and attr in self.class_kinds \
                and base_node.value not in env:
            return Value(kind=self.class_kinds[attr])
        base = self.ev(base_node, env)
        if base.kind == "self" and attr in self.class_kinds and attr not in self.flow.self_attrs:
            fv = base.fields.get(attr) if base.fields else None
            if fv is None:
                return Value(kind=self.class_kinds[attr])
        if self.has_card and not attr.isupper():
            cat = self.vocab.classify(attr)
            if cat is None and attr == "number":
                owner = base_node.attr.value if isinstance(base_node, cst.Attribute) else (
                    base_node.value if isinstance(base_node, cst.Name) else "")
                if owner in SELF_NAMES and self.card_class:
                    cat = PAN
                elif owner and self.vocab.is_card_container(owner):
                    cat = PAN
            if cat is not None:
                fv = base.fields.get(attr) if base.fields else None
                if fv is not None and (fv.safe or fv.tainted()):
                    return fv
                text = dotted_name(e) or attr
                if base.kind and base.kind.startswith("req:"):
                    return self._source_value("request", attr, cat,
                                              f"{attr} read from {base.kind[4:]}",
                                              f"read from {base.kind[4:]} at line {{line}}", attr)
                v = self._source_value("attribute", text, cat, f"`{text}` holds card data",
                                       f"attribute `{text}` at line {{line}}", text)
                if base.labels:
                    v = Value(v.labels | base.labels, hint=text)
                return v
        if base.fields and attr in base.fields:
            return base.fields[attr]
        if base.kind == "self" and self.fn.cls and attr in self.flow.self_attrs:
            # what any method of the class stores in self.<attr> (resolved in the project phase)
            if self._safe_name(attr):
                return SAFE
            return Value(frozenset({("a", attr)}), kind=self.class_kinds.get(attr), hint=attr)
        if base.kind and base.kind.startswith("req:"):
            return Value(kind=base.kind)
        if self._safe_name(attr):
            return SAFE
        if base.labels:
            return Value(base.labels, hint=base.hint)
        return UNKNOWN

    def _source_value(self, kind: str, name: str, cat: str, note: str, origin: str,
                      hint: str) -> Value:
        key = f"{kind}:{name}:{self.anchor and id(self.anchor)}"
        lab = self.name_sources.get(key)
        if lab is None:
            lab = self.flow.new_source(self.key, kind, name, cat, note, origin, self.anchor, self.seq)
            self.name_sources[key] = lab
        return Value(frozenset({lab}), hint=hint)

    def _subscript(self, e: cst.Subscript, env: dict[str, Value]) -> Value:
        if len(e.slice) == 1 and isinstance(e.slice[0].slice, cst.Slice):
            base = self.ev(e.value, env)
            if _safe_slice(e.slice[0].slice):
                return SAFE
            return Value(base.all_labels(), hint=base.hint, kind=base.kind if base.kind and base.kind.startswith("rows") else None)
        key = subscript_key(e)
        base = self.ev(e.value, env)
        if key is None:
            for el in e.slice:
                if isinstance(el.slice, cst.Index):
                    self.ev(el.slice.value, env)
            if base.kind and base.kind.startswith("type:") and dotted_name(e.value):
                return Value(kind=base.kind + "[]")
            return Value(base.all_labels(), hint=base.hint)
        return self._keyed(key, base, e.value)

    def _keyed(self, key: str, base: Value, base_node: cst.BaseExpression) -> Value:
        if base.fields and key in base.fields:
            return base.fields[key]
        if self.has_card and not key.isupper():
            cat = self.vocab.classify(key)
            if cat is None and key == "number":
                owner = shape(base_node) or ""
                owner = owner.rsplit(".", 1)[-1]
                if owner and self.vocab.is_card_container(owner):
                    cat = PAN
            if cat is not None:
                req = base.kind[4:] if base.kind and base.kind.startswith("req:") else None
                if req:
                    return self._source_value("request", key, cat, f"{key} read from {req}",
                                              f"read from {req} at line {{line}}", key)
                if base.kind and base.kind.startswith("rows:"):
                    return Value(base.all_labels(), hint=key)
                owner = shape(base_node) or "data"
                v = self._source_value("key", f'{owner}["{key}"]', cat,
                                       f'{owner}["{key}"] holds card data',
                                       f'read from {owner}["{key}"] at line {{line}}', key)
                if base.labels:
                    v = Value(v.labels | base.labels, hint=key)
                return v
        if self._safe_name(key):
            return SAFE
        if base.kind and base.kind.startswith("req:") and self.has_card \
                and self.vocab.is_card_container(key):
            # `body["card"]`: a card object submitted in the request; its "number" is a PAN and the
            # object as a whole carries it
            req = base.kind[4:]
            number = self._source_value("request", f"{key}.number", PAN,
                                        f'{key}["number"] read from {req}',
                                        f"read from {req} at line {{line}}", key)
            return Value(fields={"number": number}, kind=base.kind, hint=key)
        if base.kind and base.kind.startswith("req:"):
            return Value(kind=base.kind) if key in ("json", "data") else UNKNOWN
        labels = base.all_labels()
        return Value(labels, hint=base.hint) if labels else UNKNOWN

    def _literal(self, e: cst.BaseExpression, env: dict[str, Value]) -> Value:
        if self.has_card:
            digits = pan_literal(e)
            if digits is not None:
                masked = digits[:4] + "…" + digits[-4:]
                return self._source_value("literal", masked, PAN,
                                          f"card-number literal {masked}",
                                          "a card-number literal at line {line}", masked)
        return SAFE

    def _fstring(self, e: cst.FormattedString, env: dict[str, Value]) -> Value:
        vals = [self.ev(p.expression, env) for p in e.parts if isinstance(p, cst.FormattedStringExpression)]
        if not vals:
            return SAFE
        return _union([SAFE] + vals)

    def _concat(self, e: cst.ConcatenatedString, env: dict[str, Value]) -> Value:
        left = self.ev(e.left, env)
        right = self.ev(e.right, env)
        return _union((left, right))

    def _binop(self, e: cst.BinaryOperation, env: dict[str, Value]) -> Value:
        return _union((self.ev(e.left, env), self.ev(e.right, env)))

    def _unary(self, e: cst.UnaryOperation, env: dict[str, Value]) -> Value:
        v = self.ev(e.expression, env)
        if isinstance(e.operator, cst.Not):
            return SAFE
        return v

    def _boolop(self, e: cst.BooleanOperation, env: dict[str, Value]) -> Value:
        left, right = self.ev(e.left, env), self.ev(e.right, env)
        u = _union((left, right))
        u.kind = left.kind or right.kind  # `repo or OrderRepository()` is still a repository
        return u

    def _compare(self, e: cst.Comparison, env: dict[str, Value]) -> Value:
        self.ev(e.left, env)
        for c in e.comparisons:
            self.ev(c.comparator, env)
        return SAFE

    def _ifexp(self, e: cst.IfExp, env: dict[str, Value]) -> Value:
        self.ev(e.test, env)
        body, orelse = self.ev(e.body, env), self.ev(e.orelse, env)
        u = _union((body, orelse))
        u.kind = body.kind or orelse.kind
        return u

    def _seq(self, e: cst.BaseExpression, env: dict[str, Value]) -> Value:
        vals = []
        fields = {}
        for i, el in enumerate(e.elements):  # type: ignore[attr-defined]
            v = self.ev(el.value, env)
            vals.append(v)
            if not isinstance(el, cst.StarredElement):
                fields[f"#{i}"] = v
        if not vals:
            return SAFE
        u = _union(vals)
        u.fields = fields if isinstance(e, cst.Tuple) else None
        return u

    def _dict(self, e: cst.Dict, env: dict[str, Value]) -> Value:
        fields: dict[str, Value] = {}
        rest: list[Value] = []
        for el in e.elements:
            if isinstance(el, cst.StarredDictElement):
                rest.append(self.ev(el.value, env))
                continue
            key = key_text(el.key)
            if key is None:
                self.ev(el.key, env)
                rest.append(self.ev(el.value, env))
                continue
            old = self.card_dict_context
            self.card_dict_context = old or key in CARD_DICT_KEYWORDS
            v = self.ev(el.value, env)
            self.card_dict_context = old
            fields[key] = self._slot(key, v, "key")
        if not fields and not rest:
            return SAFE
        u = _union(list(fields.values()) + rest)
        base = _union(rest) if rest else Value(safe=True)
        return Value(base.all_labels(), safe=u.safe, fields=fields, hint=u.hint)

    def _comp(self, e: cst.BaseExpression, env: dict[str, Value]) -> Value:
        scratch = dict(env)
        fors = e.for_in  # type: ignore[attr-defined]
        while fors is not None:
            it = self.ev(fors.iter, scratch)
            self.bind(fors.target, self._element(it), scratch)
            for cond in fors.ifs:
                self.ev(cond.test, scratch)
            fors = fors.inner_for_in
        if isinstance(e, cst.DictComp):
            return _union((self.ev(e.key, scratch), self.ev(e.value, scratch)))
        return _union((self.ev(e.elt, scratch),))  # type: ignore[attr-defined]

    def _lambda(self, e: cst.Lambda, env: dict[str, Value]) -> Value:
        scratch = dict(env)
        for p in e.params.params:
            scratch[p.name.value] = UNKNOWN
        return self.ev(e.body, scratch)

    def _walrus(self, e: cst.NamedExpr, env: dict[str, Value]) -> Value:
        v = self.ev(e.value, env)
        self.bind(e.target, v, env, e.value)
        return v

    def _await(self, e: cst.Await, env: dict[str, Value]) -> Value:
        req = request_container(e, self.imports) or self._request_body(e.expression)
        if req:
            return Value(kind="req:" + req)
        return self.ev(e.expression, env)

    def _request_body(self, e: cst.BaseExpression) -> str | None:
        """A request body the shared recognizer (analysis/requests.py) knows and sources.py does not
        (``req.media``, ``request.forms``, ``await request.post()``, ``r: HttpRequest``...)."""
        if isinstance(e, cst.Attribute):
            if e.attr.value not in BODY_ATTRIBUTES:
                return None
        elif isinstance(e, cst.Call):
            func = e.func
            if not (isinstance(func, cst.Attribute) and func.attr.value in BODY_METHODS) \
                    and (dotted_name(func) or "").rsplit(".", 1)[-1] != "loads":
                return None
        else:
            return None
        try:
            return request_body_origin(e, self.imports, self.req_aliases)
        except (AttributeError, TypeError, ValueError):
            return None

    def _paren(self, e: cst.BaseExpression, env: dict[str, Value]) -> Value:
        return self.ev(e.value, env)  # type: ignore[attr-defined]

    def _yield(self, e: cst.Yield, env: dict[str, Value]) -> Value:
        if e.value is not None and not isinstance(e.value, cst.From):
            self.returns |= self.ev(e.value, env).all_labels()
        return UNKNOWN

    # -- calls ---------------------------------------------------------------------------------------------
    def _call(self, e: cst.Call, env: dict[str, Value]) -> Value:
        func = e.func
        raw = shape(func)
        qualified = self.flow.qualify(raw) if raw else None
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        recv: Value | None = None
        recv_node = func.value if isinstance(func, cst.Attribute) else None
        if recv_node is not None:
            recv = self.ev(recv_node, env)
        # arguments
        args: list[Arg] = []
        pos = 0
        card_kw = False
        callee_is_card = bool(raw) and "(" not in raw and self.vocab.is_card_container(
            raw.rsplit(".", 1)[-1])  # Card(number=...), CreditCard(number=...)
        for a in e.args:
            kw = a.keyword.value if a.keyword is not None else None
            old = self.card_dict_context
            if kw in CARD_DICT_KEYWORDS or (callee_is_card and kw == "number"):
                self.card_dict_context = True
                card_kw = True
            v = self.ev(a.value, env)
            self.card_dict_context = old
            if kw is not None:
                v = self._slot(kw, v, "keyword")
                args.append(Arg("kw:" + kw, v, a.value))
            elif a.star == "*":
                args.append(Arg("*", v, a.value))
            elif a.star == "**":
                if v.fields:
                    for k, fv in v.fields.items():
                        args.append(Arg("kw:" + k, fv, a.value))
                args.append(Arg("**", Value(v.labels, hint=v.hint), a.value))
            else:
                args.append(Arg(str(pos), v, a.value))
                pos += 1
        del card_kw
        result = self._call_result(e, raw, qualified, method, recv, recv_node, args, env)
        # record the event when card data (or a parameter) reaches the call
        if any(a.value.tainted() for a in args) or (recv is not None and recv.tainted()):
            ev_args = list(args)
            if recv is not None:
                ev_args.append(Arg("receiver", recv, recv_node))
            rshape = shape(recv_node) if recv_node is not None else None
            self._event(qualified or raw or "?", raw or "?", method, rshape,
                        self._receiver_kind(recv_node, recv) if recv_node is not None else None,
                        ev_args)
            if raw in self.flow.class_bases:
                self.events[-1].bases = self.flow.class_bases[raw]
        return result

    def _receiver_kind(self, node: cst.BaseExpression | None, recv: Value | None) -> str | None:
        if recv is not None and recv.kind and recv.kind.startswith("type:"):
            return recv.kind[5:]
        return None

    def _event(self, callee: str, raw: str, method: str | None, receiver: str | None,
               receiver_kind: str | None, args: list[Arg], kind: str = "call") -> None:
        anchor = self.anchor if self.anchor is not None else cst.Pass()
        self.events.append(SinkEvent(self.key, callee, raw, method, receiver, receiver_kind, args,
                                     anchor, self.seq, kind))

    def _call_result(self, e: cst.Call, raw: str | None, qualified: str | None, method: str | None,
                     recv: Value | None, recv_node: cst.BaseExpression | None, args: list[Arg],
                     env: dict[str, Value]) -> Value:
        cfg = self.config
        name = raw.rsplit(".", 1)[-1] if raw else None
        # request bodies and getters
        req = request_container(e, self.imports) or self._request_body(e)
        if req:
            return Value(kind="req:" + req)
        if method in REQUEST_GETTERS and self.has_card:
            # Falcon `req.get_param("card_number")`, Tornado `self.get_argument("cvv")`
            read = card_request_read(e, self.vocab, self.imports, self.req_aliases)
            if read is not None:
                return self._source_value("request", read.key, read.kind,
                                          f"{read.key} read from {read.origin}",
                                          f"read from {read.origin} at line {{line}}", read.key)
        if method in GETTERS and recv is not None and args and args[0].slot == "0":
            key = key_text(e.args[0].value)
            if key is not None:
                v = self._keyed(key, recv, recv_node)  # type: ignore[arg-type]
                if v.tainted() or v.safe or (recv.kind or "").startswith("req:"):
                    return v
        if qualified in self.models.body_parsers and args:
            inner = args[0].value
            if inner.kind and inner.kind.startswith("req:"):
                return Value(kind=inner.kind)
        # sanitizers
        if name is not None and name != "()":
            if name in cfg.sanitizer_names or _words_hit(name, cfg.sanitizer_words):
                return SAFE
        if qualified is not None and cfg.matches(qualified, cfg.sanitizer_calls):
            return Value(safe=True, kind="type:" + qualified)
        if method is not None and method in cfg.predicate_methods:
            return SAFE
        if qualified is not None and cfg.matches(qualified, cfg.opaque_calls):
            return Value(kind="type:" + qualified)
        # DB cursors: execute("SELECT card_number ...") makes the cursor's rows card data
        if method in ("execute", "executemany", "raw") and e.args:
            sql = string_value(e.args[0].value) if isinstance(
                e.args[0].value, (cst.SimpleString, cst.ConcatenatedString)) else None
            if sql and self.has_card:
                cols = select_card_columns(sql, self.vocab)
                if cols:
                    col, cat = cols[0]
                    lab = self.flow.new_source(self.key, "db", col, cat,
                                               f"{col} selected from the database",
                                               "selected from the database at line {line}",
                                               self.anchor, self.seq)
                    rows = Value(frozenset({lab}), kind="rows:db", hint=col)
                    if isinstance(recv_node, cst.Name):
                        env[recv_node.value] = rows
                    return rows
        if method in ("fetchone", "fetchall", "fetchmany", "first", "one", "all", "mappings") \
                and recv is not None and recv.kind and recv.kind.startswith("rows:"):
            return Value(recv.all_labels(), kind="rows:db", hint=recv.hint)
        # mutators put the arguments into the receiver
        if method in cfg.mutator_methods and recv_node is not None and recv is not None:
            argv = _union([a.value for a in args])
            self._state_write(recv_node, argv, env)
        if method in cfg.mutator_methods and isinstance(recv_node, cst.Name) and recv is not None:
            argv = _union([a.value for a in args])
            if argv.tainted():
                holder = env.get(recv_node.value) or recv
                env[recv_node.value] = Value(holder.labels | argv.all_labels(), False, holder.fields,
                                             holder.kind, holder.hint or argv.hint)
            return UNKNOWN
        if name is not None and name not in ("()", "[]") and name not in cfg.transform_methods \
                and _words_hit(name, cfg.predicate_call_words):
            return SAFE
        kind = "type:" + qualified if qualified else None
        typed = recv.kind[5:] if recv is not None and recv.kind and recv.kind.startswith("type:") \
            and recv_node is not None and not isinstance(recv_node, cst.Call) else None
        if typed is not None:
            # a method on an object made by a call: its result is made by `T().method`
            kind = f"type:{typed}().{method}"
            if self._class_like(typed):
                # an object of a class that may be in the project: resolve the method later
                idx = self.flow._callsite_counter
                self.flow._callsite_counter += 1
                slot_args = tuple((a.slot, a.value.all_labels()) for a in args)
                if recv.tainted():
                    slot_args += (("receiver", recv.all_labels()),)
                self.calls[idx] = CallSite(f"{typed}#{method}", slot_args, recv.tainted(), 0, f"{method}()",
                                           method=method)
                if any(lab[0] == "s" for _, labels in slot_args for lab in labels):
                    self.flow._callsite_anchors[(self.key, idx)] = (self.anchor or cst.Pass(), self.seq)
                hint = next((a.value.hint for a in args if a.value.tainted()), None)
                return Value(frozenset({("r", idx)}), kind=kind, hint=hint)
        # calls that may reach a function of the scanned project: summarised later
        site = self._project_callee(raw, qualified, recv_node)
        if site is not None:
            callee, propagate = site
            idx = self.flow._callsite_counter
            self.flow._callsite_counter += 1
            slot_args = tuple((a.slot, a.value.all_labels()) for a in args)
            self.calls[idx] = CallSite(callee, slot_args, propagate, 0, f"{callee.rsplit('.', 1)[-1]}()")
            if any(labels for _, labels in slot_args) and any(
                    lab[0] == "s" for _, labels in slot_args for lab in labels):
                self.flow._callsite_anchors[(self.key, idx)] = (self.anchor or cst.Pass(), self.seq)
            hint = next((a.value.hint for a in args if a.value.tainted()), None)
            return Value(frozenset({("r", idx)}), kind=kind, hint=hint)
        argv = _union([a.value for a in args]) if args else SAFE
        if isinstance(e.func, cst.Name) and e.func.value in env:
            fv = env[e.func.value]  # calling a lambda or closure that captured card data
            if fv.tainted():
                return Value(fv.all_labels() | argv.all_labels(), hint=fv.hint)
        if method is not None and recv is not None:
            out = set(recv.all_labels()) if recv.tainted() else set()
            is_module = raw is not None and self.imports.is_imported(raw) and recv_node is not None \
                and not isinstance(recv_node, cst.Call)
            literal_recv = isinstance(recv_node, (cst.SimpleString, cst.ConcatenatedString,
                                                  cst.FormattedString))
            if method in cfg.transform_methods or literal_recv or is_module or recv.safe:
                out |= argv.all_labels()
            if recv.kind and recv.kind.startswith("req:") and method in REQUEST_METHODS:
                return Value(kind=recv.kind)
            return Value(frozenset(out), kind=kind, hint=recv.hint if recv.tainted() else argv.hint) \
                if out else Value(kind=kind, safe=recv.safe and argv.safe and literal_recv)
        # plain functions, builtins, constructors: the result carries the arguments
        if argv.tainted():
            return Value(argv.all_labels(), kind=kind, hint=argv.hint)
        return Value(kind=kind, safe=argv.safe and bool(args) and name in _PURE_BUILTINS)

    def _project_callee(self, raw: str | None, qualified: str | None,
                        recv_node: cst.BaseExpression | None) -> tuple[str, bool] | None:
        """(callee, propagate-by-default) when the call may reach a function of the project."""
        if raw is None or "()" in raw or "[]" in raw:
            return None
        head = raw.split(".", 1)[0]
        if head in SELF_NAMES:
            if raw.count(".") == 1:
                return raw, False
            return None
        if self.imports.is_imported(raw):
            assert qualified is not None
            root = qualified.lstrip(".").split(".", 1)[0]
            if not qualified.startswith(".") and root in STDLIB:
                return None
            if raw.count(".") > 1 and not qualified.startswith("."):
                pass
            return qualified, True
        if "." not in raw and head in self.flow.nested_defs:
            return raw, True
        if head in self.flow.module_defs:
            if "." not in raw:
                return raw, True
            if head in self.flow.class_names and raw.count(".") == 1:
                return raw, True
        return None


_PURE_BUILTINS = frozenset({"str", "int", "float", "repr", "format"})


def _words_hit(name: str, words: frozenset[str]) -> bool:
    return any(w in words for w in split_words(name))


def _rehint(v: Value, name: str) -> Value:
    return Value(v.labels, v.safe, v.fields, v.kind, name)


def _body(s: Any) -> list[cst.CSTNode]:
    body = s.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return [body]
    return []


def _int_value(e: cst.BaseExpression | None) -> int | None:
    if e is None:
        return None
    if isinstance(e, cst.Integer):
        try:
            return int(e.value.replace("_", ""), 0)
        except ValueError:
            return None
    if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Minus):
        inner = _int_value(e.expression)
        return -inner if inner is not None else None
    return None


def _safe_slice(s: cst.Slice) -> bool:
    """``n[-4:]``, ``n[:6]``, ``n[12:]``-style slices keep at most the last four / first six."""
    if s.step is not None:
        return False
    lower, upper = _int_value(s.lower), _int_value(s.upper)
    if s.lower is not None and lower is None or s.upper is not None and upper is None:
        return False
    if lower is not None and lower < 0 and upper is None:
        return -lower <= 4
    if lower in (None, 0) and upper is not None and upper >= 0:
        return upper <= 6
    if lower is not None and upper is not None and lower >= 0 and upper >= 0:
        return upper - lower <= 4
    if lower is not None and upper is not None and lower < 0 and upper <= 0:
        return upper - lower <= 4
    return False


_DISPATCH: dict[type, Callable[..., Value]] = {
    cst.Name: _FunctionWalker._name,
    cst.Attribute: _FunctionWalker._attribute,
    cst.Subscript: _FunctionWalker._subscript,
    cst.Call: _FunctionWalker._call,
    cst.SimpleString: _FunctionWalker._literal,
    cst.Integer: _FunctionWalker._literal,
    cst.Float: lambda self, e, env: SAFE,
    cst.Imaginary: lambda self, e, env: SAFE,
    cst.ConcatenatedString: _FunctionWalker._concat,
    cst.FormattedString: _FunctionWalker._fstring,
    cst.BinaryOperation: _FunctionWalker._binop,
    cst.UnaryOperation: _FunctionWalker._unary,
    cst.BooleanOperation: _FunctionWalker._boolop,
    cst.Comparison: _FunctionWalker._compare,
    cst.IfExp: _FunctionWalker._ifexp,
    cst.Tuple: _FunctionWalker._seq,
    cst.List: _FunctionWalker._seq,
    cst.Set: _FunctionWalker._seq,
    cst.Dict: _FunctionWalker._dict,
    cst.ListComp: _FunctionWalker._comp,
    cst.SetComp: _FunctionWalker._comp,
    cst.GeneratorExp: _FunctionWalker._comp,
    cst.DictComp: _FunctionWalker._comp,
    cst.Lambda: _FunctionWalker._lambda,
    cst.NamedExpr: _FunctionWalker._walrus,
    cst.Await: _FunctionWalker._await,
    cst.Yield: _FunctionWalker._yield,
    cst.StarredElement: _FunctionWalker._paren,
}


def analyze(ctx: Any) -> FileFlow:
    """The flow analysis of ``ctx``'s module (computed once per file via ``ctx.analysis()``)."""
    return FileFlow(ctx).run()
