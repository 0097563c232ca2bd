"""Check kind ``card-data-sink``: card data (per the flow analysis) reaches a call the rule declares
as a sink - a logger, a store, a cache, an HTTP client, ``raise``.

Sinks are data, Semgrep-style, so a team can add its own logger, ORM or client in YAML::

    check:
      kind: card-data-sink
      sinks:
        - calls: ["logging.*", "mylib.audit.write"]   # qualified names (aliases resolved), globs
        - methods: [info, warning, error]              # a method ...
          receivers: ['^(self\\.)?_?log(ger)?$']       # ... on a receiver named like this (regex)
          receiver_types: ["logging.getLogger"]        # ... or made by this call (globs)
          args: all                                    # which arguments count: all, or a list of
                                                       # positions, keyword names, "receiver"
          display: "{raw}"                             # how the message names the sink
        - calls: ["*.models.*"]
          project_classes: ["*Model", "Base"]          # when the callee is a class of the scanned
                                                       # project, one of its bases must match

Findings are reported at the line where the sink's statement starts (docs/contract.md §3), with the
trace from the source - across functions and modules - to the sink.  All reporting happens in the
project phase, because card data may come from a caller in another module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from pcilint.analysis.globs import matches_any
from pcilint.analysis.flow import FileFacts, FileFlow, SinkEvent, Value
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param, ProjectReporter
from pcilint.errors import RuleError
from pcilint.findings import TraceStep
from pcilint.prefilter import card_data_terms

SINK_KEYS = {"calls", "methods", "receivers", "receiver_types", "args", "exclude_args", "display",
             "events", "unless_receivers", "unless_calls", "class_bases", "project_classes"}
# Bases that say a class is a plain value object (its constructor stores nothing), even when its
# name matches a `project_classes` glob (pydantic's BaseModel ends in "Model").
VALUE_BASES = frozenset({"BaseModel", "BaseSettings", "RootModel", "TypedDict", "NamedTuple", "Enum",
                         "IntEnum", "StrEnum", "Exception", "Protocol", "Generic", "Struct"})
WHAT = {"pan": "card number", "sad": "sensitive authentication data"}


@dataclass
class _Sink:
    calls: tuple[str, ...]
    methods: frozenset[str]
    receivers: tuple[re.Pattern[str], ...]
    unless_receivers: tuple[re.Pattern[str], ...]
    receiver_types: tuple[str, ...]
    args: tuple[str, ...] | None  # None = every argument
    exclude: frozenset[str]
    display: str
    events: frozenset[str]
    unless_calls: tuple[str, ...] = ()
    class_bases: tuple[str, ...] = ()
    project_classes: tuple[str, ...] = ()

    def matches(self, ev: SinkEvent) -> bool:
        if ev.kind not in self.events:
            return False
        if self.unless_calls and matches_any(ev.callee, self.unless_calls):
            return False
        if self.calls and matches_any(ev.callee, self.calls):
            return True
        if self.class_bases and any(matches_any(b, self.class_bases)
                                                        for b in ev.bases):
            return True
        if not self.methods or ev.method not in self.methods:
            return False
        recv = ev.receiver or ""
        if any(p.search(recv) for p in self.unless_receivers):
            return False
        if self.receivers and any(p.search(recv) for p in self.receivers):
            return True
        if self.receiver_types and matches_any(ev.receiver_kind, self.receiver_types):
            return True
        return not self.receivers and not self.receiver_types

    def selected(self, ev: SinkEvent) -> list[Value]:
        out = []
        for a in ev.args:
            slot = a.slot
            name = slot[3:] if slot.startswith("kw:") else slot
            if name in self.exclude:
                continue
            if self.args is None:
                if slot == "receiver":
                    continue
            elif name not in self.args and slot not in self.args:
                continue
            if a.value.tainted():
                out.append(a.value)
        return out


@dataclass
class SinkHit:
    fn: str
    line: int
    column: int
    sink: str
    parts: tuple[tuple[frozenset, str | None], ...]  # per tainted argument: (labels, display name)
    callee: str = ""
    project_classes: tuple[str, ...] = ()  # the sink's `project_classes` (checked in the project phase)


@register
class CardDataSink(CheckKind):
    """Card data reaching a declared sink call (logs, stores, caches, outgoing requests, raise).

    Card data is what the flow analysis (``pcilint.analysis``) says holds a PAN or SAD: a
    card-named value, a request read, a parameter a caller passes card data to, in any module.
    ``sinks`` lists the calls (qualified-name globs ``calls``, or ``methods`` on ``receivers`` /
    ``receiver_types``), which arguments count (``args``) and how the sink is shown (``display``).
    Reported at the sink call; message fields ``what``, ``name``, ``origin``, ``sink``; a trace of
    the steps from the source.
    """

    kind = "card-data-sink"
    USES_ANALYSIS = True
    # The prefilter (pcilint.prefilter): files that can hold card data pass by their words; the
    # other files the project phase needs are declared in project_facts().
    DECLARES_DEPENDENCIES = True
    PARAMS = {
        "sinks": Param("list[dict]", required=True,
                       doc="Sink specs: calls, methods + receivers/receiver_types, args, display."),
        "skip_in_tests": Param("bool", default=True,
                               doc="Ignore test code (tests/, test_*.py, conftest.py) as source and sink."),
    }

    def setup(self) -> None:
        self.sinks: list[_Sink] = []
        for i, spec in enumerate(self.p["sinks"]):
            unknown = set(spec) - SINK_KEYS
            if unknown:
                raise self._error(f"sink {i + 1}: unknown key(s) {', '.join(sorted(unknown))} "
                                  f"(allowed: {', '.join(sorted(SINK_KEYS))})")
            if not spec.get("calls") and not spec.get("methods") and not spec.get("class_bases"):
                raise self._error(f"sink {i + 1}: needs `calls`, `methods` or `class_bases`")
            try:
                receivers = tuple(re.compile(r) for r in _strs(spec.get("receivers")))
                unless = tuple(re.compile(r) for r in _strs(spec.get("unless_receivers")))
            except re.error as exc:
                raise self._error(f"sink {i + 1}: invalid receiver regex: {exc}") from None
            args = spec.get("args", "all")
            self.sinks.append(_Sink(
                calls=tuple(_strs(spec.get("calls"))),
                methods=frozenset(_strs(spec.get("methods"))),
                receivers=receivers,
                unless_receivers=unless,
                receiver_types=tuple(_strs(spec.get("receiver_types"))),
                args=None if args == "all" else tuple(str(a) for a in (
                    args if isinstance(args, list) else [args])),
                exclude=frozenset(str(a) for a in _strs(spec.get("exclude_args"))),
                display=str(spec.get("display", "{raw}")),
                events=frozenset(_strs(spec.get("events")) or ["call"]),
                unless_calls=tuple(_strs(spec.get("unless_calls"))),
                class_bases=tuple(_strs(spec.get("class_bases"))),
                project_classes=tuple(_strs(spec.get("project_classes"))),
            ))

    def _error(self, msg: str) -> RuleError:
        path, _, line = self.rule.source.rpartition(":")
        return RuleError(msg, path=path, line=self.rule.param_lines.get("sinks", int(line or 0)),
                         field=f"{self.rule.id}.check.sinks")

    def prefilter_terms(self) -> list[str | tuple[str, ...]]:
        # card-data names and PAN literals; plus the "number" slot of a dict or keyword in a card
        # context: a card word, or a dict passed as source=/payment_method_data= (a slot source in
        # a file without card words)
        slot = [r'"number"', r"'number'", r"\bnumber\s*="]
        return card_data_terms() + [(slot, [r"(?i)card", r"\bsource\s*=", "payment_method_data"])]

    # -- per file -----------------------------------------------------------------------------------
    def project_facts(self, ctx: FileContext) -> Any:
        if ctx.file_kind != "python" or ctx.module is None:
            return None
        if self.p["skip_in_tests"] and ctx.is_test:
            return None
        flow: FileFlow = ctx.analysis()
        matched: list[tuple[SinkEvent, _Sink, list[Value]]] = []
        for ev in flow.events:
            for sink in self.sinks:
                if sink.matches(ev):
                    vals = sink.selected(ev)
                    if vals:
                        matched.append((ev, sink, vals))
                    break
        hits = []
        for ev, sink, vals in sorted(matched, key=lambda m: m[0].seq):
            line, col = flow.line_of(ev.fn, ev.anchor, ev.seq)
            parts = tuple((v.all_labels(), v.hint) for v in vals)
            hits.append(SinkHit(ev.fn, line, col, sink.display.format(
                raw=ev.raw, method=ev.method or "", callee=ev.callee,
                receiver=ev.receiver or ""), parts,
                # the class whose constructor (`Card(...)`) or class method (`Card.create`) is called
                ev.callee if ev.method is None or ev.callee.count(".") == 0
                else ev.callee.rsplit(".", 1)[0], sink.project_classes))
        facts = flow.finish()
        _declare_dependencies(ctx, facts)
        return {"flow": facts, "hits": hits}

    # -- project phase ---------------------------------------------------------------------------------
    def check_project(self, facts: dict[str, Any], report: ProjectReporter) -> None:
        from pcilint.analysis.project import project_for

        files: dict[str, FileFacts] = {p: f["flow"] for p, f in facts.items()}
        if not any(f["hits"] for f in facts.values()):
            return
        project = project_for(files)
        for path, f in facts.items():
            flow = files[path]
            for hit in f["hits"]:
                fn = flow.functions.get(hit.fn)
                if fn is None:
                    continue
                if hit.project_classes and not _class_may_match(project, path, fn, hit):
                    continue
                found: dict = {}
                hint = None
                for labels, part_hint in hit.parts:
                    part = project.concrete(path, fn, labels)
                    if part and hint is None:
                        hint = part_hint
                    for k, v in part.items():
                        found.setdefault(k, v)
                if not found:
                    continue
                (src_path, idx), trace = min(
                    found.items(), key=lambda kv: (kv[0][0] != path, len(kv[1]), kv[0][1]))
                src = files[src_path].sources[idx]
                origin = src.origin
                if src_path != path:
                    origin = origin.replace(" at line ", f" at {src_path}:")
                    if src_path not in origin:
                        origin += f" in {src_path}"
                steps = [TraceStep(p, ln, note) for p, ln, note in trace]
                steps.append(TraceStep(path, hit.line, f"reaches {hit.sink}"))
                line_of = getattr(report, "_line_of", None)
                end = len(line_of(path, hit.line)) + 1 if line_of else hit.column
                report.report(self.rule, path, hit.line, hit.column, hit.line, end, trace=steps,
                              what=WHAT.get(src.category, "card data"), name=hint or src.name,
                              origin=origin, sink=hit.sink,
                              involves={files[sp].sources[i].category for sp, i in found})


def _class_may_match(project: Any, path: str, fn: Any, hit: SinkHit) -> bool:
    """False when the callee is a class of the scanned project whose known bases rule it out
    (a dataclass or pydantic model in a ``models`` module is not an ORM model)."""
    ancestors = project.ancestors(path, fn, hit.callee)
    if ancestors is None:
        return True  # not a project class: keep the name-based match
    names = [name for name, _known in ancestors]
    if any(n in VALUE_BASES for n in names):
        return False
    if any(matches_any(n, hit.project_classes) for n in names):
        return True
    return not all(known for _name, known in ancestors) and bool(ancestors)


def _strs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        return [str(value)]
    return [str(v) for v in value]


def _declare_dependencies(ctx: FileContext, facts: FileFacts) -> None:
    """Tell the engine which other files the project phase needs (see pcilint.prefilter): callees
    in other modules that receive a labelled value (card data, or a parameter that may carry it),
    the files importing this one when a function here returns card data or a call's result, and
    the modules of base classes (their methods' ``self.x()`` calls may reach an override here).

    Card data held here (a source) makes every declaration unconditional: a function of this file
    may hand it to another through a parameter.  Otherwise a declaration holds only if card data
    can reach what it carries: a parameter passed on (``when="called"``: another file passes card
    data in), a call's result (``when="returns:<callee>"``: the callee's module returns card
    data)."""
    # Every card-data-sink rule of a file declares the same (its flow is shared): computed for
    # the first, repeated under each other rule's id.
    done = ctx.shared.get("card-flow-declarations")
    if done is not None and done[0] is facts:
        ctx.declarations.extend((*declared, ctx.declaring) for declared in done[1])
        return
    first = len(ctx.declarations)
    _declare_flow_dependencies(ctx, facts)
    ctx.shared["card-flow-declarations"] = (facts, [d[:3] for d in ctx.declarations[first:]])


def _declare_flow_dependencies(ctx: FileContext, facts: FileFacts) -> None:
    holds = bool(facts.sources)
    callees = {idx: call.callee for fn in facts.functions.values()
               for idx, call in fn.calls.items()}

    def conditions(fn: Any, labels: Iterable[tuple]) -> list[str | None]:
        """[None]: unconditional; else the ``when`` conditions, any of which makes it hold."""
        whens: dict[str | None, None] = {}
        # card data passed into this function (or, for a method, into its class)
        called = f"called:{fn.key.split('.')[0]}" if fn.key != "<module>" else "called"
        for label in labels:
            if label[0] == "s":
                return [None]
            if label[0] == "p":
                whens[called] = None
            elif label[0] == "r":
                callee = callees.get(label[1]) or ""
                if callee.startswith(("self.", "cls.")):
                    # a method of this class or of a base class elsewhere
                    whens[called] = None
                    for base in facts.classes.get(fn.cls or "", ()):
                        whens[f"returns:{ctx.imports.resolve(base)}"] = None
                elif callee:
                    whens[f"returns:{callee}"] = None
        if whens and holds:
            return [None]
        return list(whens)

    for cls, bases in facts.classes.items():
        for base in bases:
            # a method of the base calling self.x() may reach an override here once card data
            # comes into this class
            ctx.need_module(ctx.imports.resolve(base), passes_data=False,
                            when=None if holds else f"called:{cls.split('.')[0]}")
    for fn in facts.functions.values():
        for when in conditions(fn, (label for label in fn.returns if label[0] in ("s", "r"))):
            ctx.need_importers(when=when)
        for call in fn.calls.values():
            for when in conditions(fn, (label for _, labels in call.args for label in labels)):
                ctx.need_module(call.callee, when=when)
                if call.callee.startswith(("self.", "cls.")):
                    # an override in a subclass elsewhere may receive it
                    ctx.need_importers(when=when)
