"""Check kind ``stripe-webhook``: Stripe webhook handlers that act on events they did not verify.

Per file, :class:`pcilint.analysis.webhooks.WebhookCollector` records facts about every function
(shared by all rules of this kind: one collector per file).  In the project phase the facts of all
files are joined into a call graph, so verification done in a helper - in the same module or
another one - counts for the handler that calls it.

A *handler* is an HTTP endpoint that handles a Stripe event (itself or through what it calls):
it compares with Stripe event names, builds an ``Event`` from the body, reads the
``Stripe-Signature`` header, or is a Stripe-named route that reads the body.  dj-stripe receivers
are verified by the library.  Only the outermost handler of a call chain is reported, at its
``def`` line.

``defect`` selects what the rule reports:

* ``unverified`` - the handler reaches no verification (``construct_event``, ``verify_header``,
  ``StripeClient.construct_event``/``parse_event_notification``/``parse_thin_event``) and no
  re-fetch (``stripe.Event.retrieve``);
* ``without-verification`` - it parses the event with a ``*_without_verification`` method and
  never verifies the signature;
* ``placeholder-secret``, ``error-ignored``, ``discarded``, ``no-tolerance`` - verification that is
  defeated (reported at the handler that reaches it, or at the function itself when no handler does).
"""

from __future__ import annotations

import re
from typing import Any

import libcst as cst

from pcilint import models
from pcilint.analysis.webhooks import (HOOK_NAME, OTHER_PROVIDERS, STRIPE_EVENT, ModuleFacts,
                                       Unit, WebhookCollector, absolute)
from pcilint.checks import register
from pcilint.checks.base import CheckKind, FileContext, Param, ProjectReporter

DEFECTS = {"unverified", "without-verification", "placeholder-secret", "error-ignored",
           "discarded", "no-tolerance", "optional"}
VERIFY_HINT = re.compile(r"(?i)verif|signature|signed|hmac|authenticat|construct_event|"
                         r"validate_(?:stripe|webhook|event|request)|check_(?:stripe|webhook)")
CBV_PRELUDE = ("dispatch", "initial", "setup", "__call__", "check_permissions",
               "perform_authentication")
NOT_VERIFYING = re.compile(r"(?i)without_verif|unverif|no_verif|skip_verif|_insecure")
#: a quoted Stripe event name: a registry of handlers may live in a module that names neither
EVENT_LITERAL = r"[\"'](?:" + STRIPE_EVENT.pattern + r")[\"']"
#: with `stripe`, a word a webhook handler or a verifying helper cannot do without
STRIPE_PARTNER = (r"(?i)hook|event|signature|verif|whsec|notification|callback|listener|"
                  r"construct_from|convert_to_stripe_object")


def _stripe_words() -> str:
    """A regex naming the Stripe SDK in any case (its module names: library models,
    rules/models/stripe.yaml)."""
    names = models.current().stripe_names
    return r"(?i)" + "|".join(sorted(re.escape(n) for n in names))


def _collector_terms() -> re.Pattern[str]:
    """The files the webhook collector runs in: they name Stripe, a webhook or a Stripe event."""
    pattern = _stripe_words() + r"|webhook|" + EVENT_LITERAL
    cached = _COLLECTOR.get(pattern)
    if cached is None:
        cached = _COLLECTOR[pattern] = re.compile(pattern)
    return cached


_COLLECTOR: dict[str, re.Pattern[str]] = {}


def _says_verify(name: str) -> bool:
    return VERIFY_HINT.search(name) is not None and NOT_VERIFYING.search(name) is None


@register
class StripeWebhook(CheckKind):
    """A Stripe webhook handler that acts on an event it did not verify, or whose verification is
    defeated; verification in a helper, in any module, counts (a project-wide call graph).

    ``defect`` selects what the rule reports: ``unverified`` (no ``construct_event`` /
    ``verify_header`` / re-fetch is reached), ``without-verification`` (a ``*_without_verification``
    parse), ``optional`` (verification skipped when the secret is missing), ``placeholder-secret``,
    ``error-ignored``, ``discarded``, ``no-tolerance``.  Reported at the outermost handler's ``def``
    line; message fields ``handler``, ``detail``, ``where``.
    """

    kind = "stripe-webhook"
    # The collector records facts only in files its own prefilter terms match, so a file the
    # prefilter skips has no facts the project phase could use: no other files are needed.
    DECLARES_DEPENDENCIES = True
    PARAMS = {
        "defect": Param("str", required=True, doc=", ".join(sorted(DEFECTS))),
    }

    def setup(self) -> None:
        if self.p["defect"] not in DEFECTS:
            from pcilint.errors import RuleError

            path, _, line = self.rule.source.rpartition(":")
            raise RuleError(f"unknown defect (known: {', '.join(sorted(DEFECTS))})", path=path,
                            line=self.rule.param_lines.get("defect", int(line)),
                            field=f"{self.rule.id}.check.defect")

    def prefilter_terms(self) -> list[Any] | None:
        # `stripe` alone is in every module that creates a charge (and in all of the Stripe SDK):
        # a file matters here if it also names a hook, an event, a signature or a verification -
        # what a handler, a verifying helper or a module between them (which names the next hop)
        # shows.  The collector itself still runs wherever _collector_terms() matches.
        return [r"(?i)webhook", EVENT_LITERAL, (_stripe_words(), [STRIPE_PARTNER])]

    def visitor(self, ctx: FileContext) -> cst.BatchableCSTVisitor | None:
        # One collector per file, however many webhook rules are active.
        if "webhook-collector" in ctx.shared or not _collector_terms().search(ctx.text):
            return None
        collector = WebhookCollector(ctx)
        ctx.shared["webhook-collector"] = collector
        return collector

    def project_facts(self, ctx: FileContext) -> Any:
        collector = ctx.shared.get("webhook-collector")
        if collector is None:
            return None
        facts: ModuleFacts = collector.facts
        if not facts.units:
            return None
        return facts

    def check_project(self, facts: dict[str, Any], report: ProjectReporter) -> None:
        graph = _Graph(facts)
        defect = self.p["defect"]
        endpoints = report.inventory.setdefault("webhook_endpoints", []) \
            if defect == "unverified" else None
        for path, unit in graph.handlers():
            reach = graph.reachable(path, unit)
            units = [graph.unit(k) for k in reach]
            verified = any(u.verifies for u in units) or graph.hinted(reach) or any(
                graph.unit(k).verifies for k in graph.reachable(path, unit, loose=True))
            without = next((u.without_verification for u in units if u.without_verification), 0)
            if endpoints is not None:
                how = [f"{k[0]}:{line} {call}" for k in dict.fromkeys(
                       reach + graph.reachable(path, unit, loose=True))
                       for call, line in getattr(graph.unit(k), "verified_by", ())]
                if verified and not how:
                    how = ["a helper whose name says it verifies"]
                endpoints.append({"path": path, "line": unit.line, "handler": unit.qualname,
                                  "verified": bool(verified and not without), "how": how})
            if defect == "unverified" and not verified and not without:
                self._report(report, path, unit, detail="acts on the event without verifying its "
                             "signature")
            elif defect == "without-verification" and not verified and without:
                self._report(report, path, unit, detail="parses the event with a "
                             "*_without_verification method and never verifies the signature")
            elif defect not in ("unverified", "without-verification"):
                if defect == "optional" and any(d[0] == "placeholder-secret" for u in units
                                                for d in u.defects):
                    continue  # Stripe's sample: the placeholder secret is the one finding
                for key in reach:
                    hit = next((d for d in graph.unit(key).defects if d[0] == defect), None)
                    if hit is not None:
                        where = graph.unit(key)
                        if where is unit:
                            place = f"line {hit[1]}"
                        elif key[0] == path:
                            place = f"in `{where.qualname}` at line {hit[1]}"
                        else:
                            place = f"in `{where.qualname}` at {key[0]}:{hit[1]}"
                        self._report(report, path, unit, detail=hit[2], where=place)
                        break
        if endpoints is not None:
            for key, unit in graph.units.items():
                if unit.djstripe and unit.line:
                    endpoints.append({"path": key[0], "line": unit.line, "handler": unit.qualname,
                                      "verified": True, "how": ["dj-stripe (verified by the library)"]})
        if defect in ("unverified", "without-verification"):
            return
        # Defeated verification outside any detected handler: report at the function itself.
        reached = graph.reached_from_handlers()
        for key, unit in graph.units.items():
            hit = next((d for d in unit.defects if d[0] == defect), None)
            if hit is None or key in reached:
                continue
            path = key[0]
            if unit.qualname.startswith("<module>"):
                report.report(self.rule, path, hit[1], 1, hit[1], 1, handler="module level",
                              detail=hit[2], where=f"line {hit[1]}")
            else:
                self._report(report, path, unit, detail=hit[2], where=f"line {hit[1]}")

    def _report(self, report: ProjectReporter, path: str, unit: Unit, **fields: Any) -> None:
        if not unit.line:
            return
        report.report(self.rule, path, unit.line, unit.column, unit.line, unit.end_column,
                      handler=unit.qualname, **fields)


class _Graph:
    """The project's units and the calls between them."""

    def __init__(self, facts: dict[str, ModuleFacts]) -> None:
        self.facts = facts
        self.units: dict[tuple[str, str], Unit] = {}
        self.by_name: dict[str, list[tuple[str, str]]] = {}  # dotted "module.qualname" -> keys
        for path, mf in facts.items():
            for qualname, unit in mf.units.items():
                key = (path, qualname)
                self.units[key] = unit
                full = f"{mf.module}.{qualname}" if mf.module else qualname
                self.by_name.setdefault(full, []).append(key)
        self._suffix: dict[str, list[tuple[str, str]]] = {}
        for full, keys in self.by_name.items():
            parts = full.split(".")
            for i in range(1, len(parts)):
                self._suffix.setdefault(".".join(parts[i:]), []).extend(keys)
        self._edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._handlers: list[tuple[str, Unit]] | None = None
        # registries of Stripe event names (``HANDLERS = {"invoice.paid": f}``) by their last name
        self.registries: dict[str, list[tuple[str, bool]]] = {}
        for mf in facts.values():
            for name in mf.dispatch_names:
                self.registries.setdefault(name, []).append((mf.module, mf.stripe_context))
            if mf.registry:
                self.registries.setdefault("*", []).append((mf.module, mf.stripe_context))

    def dispatches(self, unit: Unit, stripe_context: bool) -> bool:
        """Whether the unit reads a registry of Stripe event names defined in another module."""
        for target in unit.imported_loads:
            module, _, name = target.rpartition(".")
            for defined, stripe in self.registries.get(name, []):
                if (stripe or stripe_context) and _same_module(module, defined):
                    return True
            for defined, stripe in self.registries.get("*", []):
                # a module whose handlers register with event names: names from it exactly
                if (stripe or stripe_context) and _same_module(module, defined, reexport=False):
                    return True
        return False

    def unit(self, key: tuple[str, str]) -> Unit:
        return self.units[key]

    def callees(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        if key in self._edges:
            return self._edges[key]
        path, _ = key
        unit = self.units[key]
        mf = self.facts[path]
        out: list[tuple[str, str]] = []
        for target in unit.calls:
            out += self._resolve(target, path, mf)
        if unit.class_name is not None:
            # a class-based view's dispatch/setup runs before its post(): verification there counts
            if unit.name in ("post", "put", "patch", "create"):
                for prelude in CBV_PRELUDE:
                    k = (path, f"{unit.class_name}.{prelude}")
                    if k in self.units:
                        out.append(k)
            # ... and so do the same hooks of project base classes
            for base in mf.classes.get(unit.class_name, []):
                for prelude in CBV_PRELUDE + (unit.name,):
                    out += self._resolve_qualified(absolute(self._base(base, mf), mf.module,
                                                            mf.is_package) + "." + prelude)
        self._edges[key] = [k for k in dict.fromkeys(out) if k != key]
        return self._edges[key]

    @staticmethod
    def _base(base: str, mf: ModuleFacts) -> str:
        return base if base not in mf.classes else f".{base}"

    def _resolve(self, target: str, path: str, mf: ModuleFacts) -> list[tuple[str, str]]:
        if target.startswith("."):
            local = target[1:]
            if (path, local) in self.units:
                return [(path, local)]
            # a method of a base class defined in the same module
            cls, _, meth = local.partition(".")
            for base in mf.classes.get(cls, []):
                if (path, f"{base}.{meth}") in self.units:
                    return [(path, f"{base}.{meth}")]
            return []
        return self._resolve_qualified(target)

    def _resolve_qualified(self, target: str) -> list[tuple[str, str]]:
        if target.startswith("."):
            return []
        found = self.by_name.get(target)
        if found:
            return found
        # the scanned root may sit above or below the import root: match on the dotted suffix
        parts = target.split(".")
        for i in range(0, max(1, len(parts) - 1)):
            suffix = ".".join(parts[i:])
            if suffix.count(".") >= 1 and suffix in self._suffix:
                return self._suffix[suffix]
        # a class called as a function (``Verifier(request)``): its __init__/__call__
        for extra in ("__init__", "__call__"):
            if f"{target}.{extra}" in self.by_name:
                return self.by_name[f"{target}.{extra}"]
        return []

    def loose_callees(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        """Strict callees plus same-module methods named like calls on untyped receivers.

        Used only to decide that a handler *is* verified (``obj.validate()`` where ``obj`` is an
        instance of a class of this module), never to decide that something is a handler.
        """
        out = list(self.callees(key))
        unit = self.units[key]
        if unit.maybe_calls:
            names = set(unit.maybe_calls)
            out += [k for k, u in self.units.items() if k[0] == key[0] and u.class_name
                    and u.name in names and k != key]
        return out

    def reachable(self, path: str, unit: Unit, loose: bool = False) -> list[tuple[str, str]]:
        start = (path, unit.qualname)
        seen = {start: None}
        stack = [start]
        step = self.loose_callees if loose else self.callees
        while stack and len(seen) < 500:
            key = stack.pop()
            for nxt in step(key):
                if nxt not in seen:
                    seen[nxt] = None
                    stack.append(nxt)
        return list(seen)

    def hinted(self, reach: list[tuple[str, str]]) -> bool:
        """A call we cannot follow whose name says it verifies (``verify_stripe_signature``)."""
        for key in reach:
            unit = self.units[key]
            for name in unit.hints:
                if _says_verify(name):
                    return True
            for target in unit.calls:
                if _says_verify(target.split(".")[-1]) and not self._resolve(
                        target, key[0], self.facts[key[0]]):
                    return True
        return False

    def handlers(self) -> list[tuple[str, Unit]]:
        if self._handlers is not None:
            return self._handlers
        candidates: dict[tuple[str, str], Unit] = {}
        for key, unit in self.units.items():
            if not unit.endpoint or unit.djstripe or unit.qualname.startswith("<module>"):
                continue
            mf = self.facts[key[0]]
            reach = [self.units[k] for k in self.reachable(key[0], unit)]
            if _is_stripe_handler(unit, reach, mf, self.dispatches):
                candidates[key] = unit
        # only the outermost handler of a chain is reported
        inner: set[tuple[str, str]] = set()
        for key in candidates:
            for nxt in self.reachable(*key[:1], candidates[key])[1:]:
                if nxt in candidates:
                    inner.add(nxt)
        self._handlers = [(k[0], u) for k, u in candidates.items() if k not in inner]
        return self._handlers

    def reached_from_handlers(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        for path, unit in self.handlers():
            out.update(self.reachable(path, unit))
        return out


def _same_module(imported: str, defined: str, reexport: bool = True) -> bool:
    """``app.hooks`` and ``hooks`` name the same module when the scan root differs; with
    ``reexport``, ``billing.webhooks`` (a package re-exporting) also names ``billing.webhooks.registry``."""
    if not imported or not defined:
        return False
    d, i = defined.split("."), imported.split(".")
    if len(d) <= len(i):
        return i[len(i) - len(d):] == d
    slack = 1 if reexport else 0
    return any(d[k:k + len(i)] == i for k in range(len(d) - len(i) - slack, len(d) - len(i) + 1)
               if k >= 0)


def _is_stripe_handler(unit: Unit, reach: list[Unit], mf: ModuleFacts,
                       dispatches: Any = None) -> bool:
    """Whether an endpoint handles a Stripe event (itself or through what it calls)."""
    name_text = f"{unit.qualname} {unit.route_text}"
    if OTHER_PROVIDERS.search(name_text):
        return False
    if any(u.constructs or u.verifies or u.signature_header for u in reach):
        return True
    if mf.stripe_context and any(u.event_names for u in reach):
        return True
    if dispatches is not None and any(dispatches(u, mf.stripe_context) for u in reach):
        return True  # HANDLERS[event["type"]](event) with the registry in another module
    # a Stripe-named webhook route that reads the body and hands it on
    if unit.reads_body and re.search(_stripe_words(), name_text) and HOOK_NAME.search(name_text):
        return True
    return False
