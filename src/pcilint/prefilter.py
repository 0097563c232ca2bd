"""Which files need a full parse: a conservative textual prefilter, and the cross-module closure.

Parsing with libcst is the expensive part of a scan, and in a real project most files cannot hold a
finding.  Before parsing, the engine searches each file's text for the *terms* of the active checks
(:meth:`pcilint.checks.base.CheckKind.prefilter_terms`): a file in which no term of any check of its
kind occurs is not parsed.

The contract for check kinds (write your ``prefilter_terms`` to it):

* Return regex fragments such that **every file in which the check can report a finding contains a
  match of at least one of them** (ORed, searched with :func:`re.search`, case-sensitive unless the
  fragment says ``(?i)``).  Derive them from the check's own parameters (sink names, literals), so a
  custom rule widens the prefilter automatically.  The engine adds the configuration's
  ``sensitive_names`` itself (see :func:`identifier_terms`).
* A term may also be a *conjunction*: a tuple whose members must all occur (each member a fragment
  or a list of fragments, one of which must occur), e.g. ``("card", ["number", "request"])``; or
  :data:`PAN_LITERAL`, a card-number literal checked with Luhn and the issuer prefixes.
* Return ``None`` (the default) when you cannot say: every file of the check's kinds is then parsed.
  A fragment that is not a valid regular expression counts as ``None``, never as "match nothing".
* Each rule runs only in the files its own terms match (a file parsed for ``verify=False`` does not
  get the card-data flow analysis), unless the file is analysed because the closure needs it.
* Checks with a project phase (``check_project``) see facts from more files than those that pass:
  a helper in another module that only *receives* card data from a caller has no card-data words in
  it, yet the finding is in the helper.  So after the passing files are analysed the engine analyses
  more files, in rounds, until nothing new is needed (:func:`needed_files`):

  - when a check kind sets ``DECLARES_DEPENDENCIES = True`` it promises to call
    ``ctx.need_module(name)`` for every module (or ``module.function``) its project phase needs
    facts from (e.g. a callee that receives card data) and ``ctx.need_importers()`` when files that
    import this one need analysing (e.g. a function here returns card data).  Only those are added.
    A declaration may carry a condition (``when="called"``: card data is passed into this file;
    ``"returns:<callee>"``: that callee's module returns card data; ``"asked:<name>"``: another
    file needs this one for that top-level name; ``"reached"``: needed at all): chains then start
    only at files that hold card data, not at every function that passes a parameter on;
  - otherwise (the safe default) every file connected to an analysed file by an import, in either
    direction, is analysed too, transitively.

Imports are read textually (:func:`import_targets`), so files skipped by the prefilter never need a
parse to take part in the closure.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from functools import lru_cache
from typing import Any, Iterable, Mapping

_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


def _scoped(fragment: str) -> str:
    """``(?i)card`` -> ``(?i:card)``: global inline flags are only legal at the start of a pattern."""
    m = _GLOBAL_FLAGS.match(fragment)
    if m:
        return f"(?{m.group(1)}:{fragment[m.end():]})"
    return f"(?:{fragment})"


try:  # the regex parser, to find the literal each term starts with
    import re._parser as _sre
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]


@lru_cache(maxsize=4096)
def _literal_prefixes(term: str) -> tuple[str, ...] | None:
    """(Lowercased) literal texts one of which every match of ``term`` starts with, each at least
    2 chars long; None if there are none such.  An alternation of literals gives one per branch:
    ``(?i:hook|event)`` starts with ``hook`` or ``event``."""

    def starts(items: object) -> tuple[list[str], bool]:
        """The literal starts of a sequence of regex items, and whether each is all it matches."""
        acc = [""]
        for op, av in items:  # type: ignore[attr-defined]
            if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
                continue  # zero-width: the literal around it stays contiguous
            if op is _sre.LITERAL:
                acc = [a + chr(av).lower() for a in acc]
                continue
            if op is _sre.SUBPATTERN or op is _sre.BRANCH:
                alternatives: list[str] = []
                whole = True
                for branch in ([av[-1]] if op is _sre.SUBPATTERN else av[1]):
                    found, complete = starts(branch)
                    alternatives += [a + f for a in acc for f in found]
                    whole = whole and complete
                acc = alternatives
                if whole and len(acc) <= _MAX_PREFIXES:
                    continue  # (only literals in the group: the start runs on after it)
            return acc, False
        return acc, True

    try:
        found = starts(_sre.parse(term))[0]
    except Exception:  # noqa: BLE001 - unknown parser internals: no fast path
        return None
    if not found or len(found) > _MAX_PREFIXES or any(len(f) < 2 for f in found):
        return None
    return tuple(dict.fromkeys(found))


_MAX_PREFIXES = 64


class TermSet:
    """Terms ORed, searched fast.  Python's ``re`` tries every alternative at every position of a
    big alternation (minutes on a large tree), so a term that starts with a literal is looked for
    with ``str.find`` in the lowercased text and confirmed with its own pattern where the literal
    occurs; only terms without a literal start are searched as one alternation."""

    def __init__(self, parts: list[str], conjunctions: list[list["TermSet"]] | None = None,
                 pan_literal: bool = False) -> None:
        self.parts = parts
        self.conjunctions = conjunctions or []
        self.pan_literal = pan_literal
        self.by_prefix: dict[str, list[re.Pattern[str]]] = {}
        slow = []
        for part in parts:
            prefixes = _literal_prefixes(part)
            if prefixes is None:
                slow.append(part)
            else:
                pattern = re.compile(part)
                for prefix in prefixes:
                    self.by_prefix.setdefault(prefix, []).append(pattern)
        self.slow = re.compile("|".join(slow)) if slow else None
        # for texts whose lowercase form has another length (rare Unicode): one alternation
        self.fallback = (re.compile("|".join(p for p in parts if p not in slow))
                         if self.by_prefix else None)

    def search(self, text: str, low: str | None = None) -> bool:
        """Whether any term occurs in ``text`` (``low``: ``text.lower()``, if already made)."""
        if self._search_parts(text, low):
            return True
        if self.pan_literal and has_pan_literal(text):
            return True
        return any(all(t.search(text, low) for t in group) for group in self.conjunctions)

    def _search_parts(self, text: str, low: str | None) -> bool:
        if self.by_prefix:
            if low is None:
                low = text.lower()
            if len(low) != len(text):
                if self.fallback is not None and self.fallback.search(text):
                    return True
            else:
                for literal, patterns in self.by_prefix.items():
                    pos = low.find(literal)
                    while pos >= 0:
                        for pattern in patterns:
                            if pattern.match(text, pos):
                                return True
                        pos = low.find(literal, pos + 1)
        return self.slow is not None and self.slow.search(text) is not None


def freeze_terms(terms: Iterable[Any] | None) -> tuple[Any, ...] | None:
    """Terms as a hashable tuple (conjunctions and their OR groups as tuples), for plans and keys."""
    if terms is None:
        return None
    return tuple(tuple(tuple(m) if isinstance(m, list) else m for m in t)
                 if isinstance(t, (tuple, list)) else t for t in terms)


def compile_terms(terms: Iterable[str | tuple[str, ...]] | None) -> TermSet | None:
    """The terms ORed; None (= every file passes) for None, no terms, or a bad fragment.

    A term is a regex fragment, or a tuple of members that must all occur in the file (a
    conjunction: ``("card", "number")``; a member may be a list of fragments, one of which must
    occur), or :data:`PAN_LITERAL` (a card-number literal, checked
    with Luhn and the issuer prefixes)."""
    if terms is None:
        return None
    frozen = freeze_terms(terms)
    try:
        return _compile_frozen(frozen) if frozen is not None else None
    except TypeError:  # an unhashable (so invalid) term: every file passes
        return None


@lru_cache(maxsize=1024)
def _compile_frozen(terms: tuple[Any, ...]) -> TermSet | None:
    parts = []
    conjunctions: list[list[TermSet]] = []
    pan_literal = False
    for term in dict.fromkeys(terms):
        if isinstance(term, tuple):
            # each member a fragment, or a list of fragments of which one must occur
            group = [compile_terms(list(t) if isinstance(t, (list, tuple)) else [t]) for t in term]
            if not group or any(g is None for g in group):
                return None
            conjunctions.append(group)  # type: ignore[arg-type]
            continue
        if not isinstance(term, str) or not term:
            return None
        if term == PAN_LITERAL:
            pan_literal = True
            continue
        part = _scoped(term)
        try:
            re.compile(part)
        except re.error:
            return None
        parts.append(part)
    if not parts and not conjunctions and not pan_literal:
        return None
    return TermSet(list(dict.fromkeys(parts)), conjunctions, pan_literal)


# After a name's last word: not another lowercase letter (``card`` is not ``cardinality``), except
# a plural ``s`` that ends the word (``cards``); an uppercase letter, digit or separator may follow.
# ... and an uppercase last letter must not run on into more capitals (`CC` is not a word of
# `ACCOUNT` or `CCX`, as names.split_words reads them; `CCNumber` and `CARDS` end one)
_WORD_END = r"(?![a-rt-z]|s[a-z])(?!(?<=[A-Z])(?:S[A-Z]|[A-RT-Z])(?![a-z]))"


def identifier_terms(names: Iterable[str], whole_words: bool = False) -> list[str]:
    """Fragments matching identifier-like ``names`` as words, in any of the ways code writes them.

    ``card number`` or ``card_number`` matches ``card_number``, ``cardNumber``, ``CardNumber``,
    ``card-number``, ``CARD_NUMBER``, ``card["number"]`` and ``card.number``, but not
    ``discard_number``: a lowercase first letter must not follow another letter (an uppercase one
    may: ``creditCard``).  Up to three non-alphanumeric characters may stand between words (none:
    ``cardnumber``).  The end is not anchored (``card_numbers``, ``cardinality``) unless
    ``whole_words``: then the last word must end there or take a plural ``s``, which is how
    :mod:`pcilint.analysis.names` splits and matches names.  Each fragment starts with its first
    word as a literal, which keeps the prefilter fast.
    """
    out = []
    for name in names:
        words = [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", name) if w]
        if not words:
            continue
        first = words[0].lower()
        rest = "".join(r"[^A-Za-z0-9]{0,3}" + re.escape(w.lower()) for w in words[1:])
        fragment = f"(?i:{re.escape(first)})"
        if first[0].isalpha():
            # reject "<letter><lowercase first letter>...": checked once the word is matched
            fragment += f"(?<![A-Za-z][a-z]{'.' * (len(first) - 1)})"
            if len(first) > 1 and first[1].isalpha():
                # and "<capital><capital><capital>...": inside a run of capitals (`ACCOUNT`) a word
                # starts only at a capital followed by a lowercase letter (`HTTPCard`)
                fragment += f"(?<![A-Z][A-Z][A-Z]{'.' * (len(first) - 2)})"
        out.append(fragment + (f"(?i:{rest})" if rest else "") + (_WORD_END if whole_words else ""))
    return out


# The source text of any 13+ digit literal, the digits written with single spaces, dashes or
# underscores between them, or split over implicitly concatenated strings ("4539 1488" "0343 6467",
# also across lines): what every card-number literal looks like in a file (escapes like \x34 aside).
PAN_IN_SOURCE = r"[0-9](?:(?:[ _-]|[ -]?[\"']\s*[rRbBuUfF]{0,2}[\"'][ -]?)?[0-9]){12}"
_PAN_RUN = re.compile(r"[0-9](?:(?:[ _-]|[ -]?[\"']\s*[rRbBuUfF]{0,2}[\"'][ -]?)?[0-9])*")
_PAN_START = re.compile(PAN_IN_SOURCE)
_NOT_DIGIT = re.compile(r"[^0-9]")
#: The term for "a card-number literal": text matching :data:`PAN_IN_SOURCE` whose digits hold 13
#: to 19 consecutive ones that pass Luhn with a real issuer prefix (what every card-number check
#: accepts), so timestamps, ISBNs and big constants do not pass.
PAN_LITERAL = "(?#pan-literal)" + PAN_IN_SOURCE


def has_pan_literal(text: str) -> bool:
    """Whether ``text`` holds a plausible card number written as a literal (see PAN_LITERAL)."""
    from pcilint.analysis.cardnumbers import is_pan

    pos = 0
    while True:
        m = _PAN_START.search(text, pos)
        if m is None:
            return False
        run = _PAN_RUN.match(text, m.start())
        end = run.end() if run else m.end()
        digits = _NOT_DIGIT.sub("", text[m.start():end])
        for length in range(13, min(19, len(digits)) + 1):
            for i in range(len(digits) - length + 1):
                if is_pan(digits[i:i + length]):
                    return True
        pos = max(end, m.start() + 1)


def card_data_terms() -> list[str]:
    """Terms of a file that can hold card data by itself: a name with a PAN/SAD term or a card
    container of the shipped vocabulary (``card_number``, ``cvc``, ``card``...), or a card-number
    literal.  Check kinds whose sources are card-data names use these; the engine adds the
    configuration's ``sensitive_names``."""
    from pcilint.analysis.names import vocabulary

    vocab = vocabulary()
    names = sorted({" ".join(term) for term in vocab.pan + vocab.sad})
    containers = sorted({" ".join(term) for term in vocab.containers})
    # a card container (``card``) holds card data through its number (``card.number``,
    # ``Card(number=...)``, a class ``CreditCard`` with a ``number`` field) or as a whole object
    # read from a request body (``request.json["card"]``)
    return identifier_terms(names, whole_words=True) + [PAN_LITERAL] + [
        (term, card_object_partner()) for term in identifier_terms(containers, whole_words=True)]


#: What must accompany a card-container word for the file to hold card data (one of these)...
CARD_OBJECT_PARTNER = [r"(?i)number", r"(?i)\brequest", r"(?i)\bpost\b",
                       r"(?i)\bform", r"(?i)\bbody", r"(?i)\bpayload", r"validated_data",
                       r"\bdata\b"]


def card_object_partner() -> list[str]:
    """... or the module of a body parser of the library models (``json``, ``orjson``, ...)."""
    from pcilint import models

    heads = sorted({name.split(".")[0] for name in models.current().body_parsers})
    if not heads:
        return list(CARD_OBJECT_PARTNER)
    return CARD_OBJECT_PARTNER + [r"(?i)\b(?:" + "|".join(re.escape(h) for h in heads) + ")"]


@dataclass
class Prefilter:
    """Per file kind, the terms of each check of that kind (None: that check sees every file).

    A check runs on a file when one of its own terms occurs there (:meth:`matches`); a file none
    of whose kind's checks match is not parsed (:meth:`passes`).  Terms are compiled on first use,
    once per distinct list."""

    terms_by_kind: dict[str, list[tuple[Any, ...] | None]] = field(default_factory=dict)
    extra: tuple[str, ...] = ()  # added to every check's terms (the configured sensitive names)
    _compiled: dict[tuple[Any, ...], TermSet | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_terms(cls, terms_by_kind: Mapping[str, list[list[str | tuple[str, ...]] | None]],
                   extra: Iterable[str] = ()) -> "Prefilter":
        """``terms_by_kind``: file kind -> the ``prefilter_terms()`` of each check of that kind."""
        return cls({kind: [freeze_terms(t) for t in per_check]
                    for kind, per_check in terms_by_kind.items()}, tuple(extra))

    def matches(self, terms: tuple[Any, ...] | None, text: str, low: str | None = None) -> bool:
        """Whether a check with these (frozen) terms must see this text (``low``: ``text.lower()``,
        if already made).  No terms, or terms that do not compile: every text."""
        if terms is None:
            return True
        if terms not in self._compiled:
            self._compiled[terms] = compile_terms(list(terms) + list(self.extra))
        termset = self._compiled[terms]
        return termset is None or termset.search(text, low)

    def passes(self, kind: str, text: str) -> bool:
        """Whether a file of ``kind`` with this text must be parsed (a kind no check declared
        terms for: always)."""
        per_check = self.terms_by_kind.get(kind)
        if not per_check:
            return True
        low = text.lower()
        return any(self.matches(terms, text, low) for terms in per_check)


# -- imports, read textually ---------------------------------------------------------------------
_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?P<module>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n;#]*)"
    r"|import[ \t]+(?P<plain>[^\n;#]*))", re.M)
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def import_targets(text: str) -> tuple[str, ...]:
    """Dotted names a Python file imports, read from its text (``.``-prefixed when relative).

    ``from a.b import c`` gives ``a.b.c`` (``c`` may be a submodule or a name defined in ``a.b``:
    :class:`DependencyGraph` tells them apart); ``import x.y as z`` gives ``x.y``.  Imports anywhere in the file count (also inside functions and ``try``); only
    compound one-liners (``if x: import y``) and imports after ``;`` are missed.
    """
    if "import" not in text:
        return ()
    if "\\\n" in text:
        text = text.replace("\\\n", " ")
    out: dict[str, None] = {}
    for m in _IMPORT.finditer(text):
        if m.group("plain") is not None:
            for part in m.group("plain").split(","):
                name = _NAME.match(part.strip())
                if name:
                    out[name.group(0).rstrip(".")] = None
            continue
        module = m.group("module")
        if not module:
            continue
        for part in m.group("names").strip("() \t\n").split(","):
            name = _NAME.match(part.strip())
            if name and name.group(0) != "import":
                out[module + name.group(0) if module.endswith(".") else
                    f"{module}.{name.group(0)}"] = None
    return tuple(out)


_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


class ModuleIndex:
    """Maps dotted module names to the scanned Python files that may define them.

    Every path suffix of a file names it (``src/app/audit.py`` is ``audit``, ``app.audit`` and
    ``src.app.audit``), so projects are found whatever their source root; ambiguous names map to
    every candidate (conservative).  Standard-library names never map to project files.
    """

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = set(paths)
        self.by_suffix: dict[str, list[str]] = {}
        for path in sorted(self.paths):
            parts = PurePosixPath(path).with_suffix("").parts
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            for i in range(len(parts)):
                self.by_suffix.setdefault(".".join(parts[i:]), []).append(path)

    def resolve(self, name: str, importer: str) -> list[str]:
        """The files defining ``name`` (a module, or a name inside one) as imported from ``importer``."""
        return self.resolve_name(name, importer)[0]

    def resolve_name(self, name: str, importer: str) -> tuple[list[str], str | None]:
        """:meth:`resolve`, and the name taken from those files (``a.b.C`` resolved to ``a/b.py``
        takes ``C``); None when the module itself is imported (or ``*``)."""
        if name.startswith("."):
            dots = len(name) - len(name.lstrip("."))
            base = PurePosixPath(importer).parent
            for _ in range(dots - 1):
                base = base.parent
            rest = [p for p in name[dots:].split(".") if p]
            whole = list(rest)
            while True:
                candidate = base.joinpath(*rest).as_posix()
                for path in (candidate + ".py", candidate + "/__init__.py"):
                    if path in self.paths:
                        return [path], _taken(whole[len(rest):])
                if not rest:
                    return [], None
                rest = rest[:-1]
        parts = name.split(".")
        if parts[0] in _STDLIB:
            return [], None
        whole = list(parts)
        while parts:
            hit = self.by_suffix.get(".".join(parts))
            if hit:
                return hit, _taken(whole[len(parts):])
            parts = parts[:-1]
        return [], None


def _taken(leftover: list[str]) -> str | None:
    return leftover[0] if leftover and leftover[0] != "*" else None


@dataclass(frozen=True)
class FileDeps:
    """What the closure needs to know about one Python file (all of it cacheable)."""

    imports: tuple[str, ...] = ()  # import_targets() of the file
    analysed: bool = False  # parsed and analysed (passed the prefilter, or was needed)
    # the rules with a project phase that did not run here because none of their own terms
    # occur in the file: a declaration of one of them leading here needs the file analysed again
    skipped: tuple[str, ...] = ()
    # (when, "module" | "facts" | "importers:<carries>", name[, rule id]): declared by
    # FileContext.need_module / need_importers ("" when: unconditional), followed once the
    # condition holds; the rule id says whose facts the files it leads to must have
    conditional: tuple[tuple[str, ...], ...] = ()

    @property
    def complete(self) -> bool:
        """Every check with a project phase ran here."""
        return not self.skipped


class DependencyGraph:
    """Import edges between the scanned Python files (resolved once per scan)."""

    def __init__(self, imports: Mapping[str, tuple[str, ...]]) -> None:
        index = ModuleIndex(imports)
        self.forward: dict[str, set[str]] = {}
        self.backward: dict[str, set[str]] = {p: set() for p in imports}
        # (importer, imported) -> the names it takes from it; None: the whole module
        self.taken: dict[tuple[str, str], set[str] | None] = {}
        for path, names in imports.items():
            targets: set[str] = set()
            for name in names:
                files, taken = index.resolve_name(name, path)
                for t in files:
                    if t == path:
                        continue
                    targets.add(t)
                    key = (path, t)
                    if taken is None:
                        self.taken[key] = None
                    elif self.taken.get(key, set()) is not None:
                        self.taken.setdefault(key, set()).add(taken)
            self.forward[path] = targets
            for t in targets:
                self.backward[t].add(path)
        self.index = index

    @staticmethod
    def _through_packages(edges: Mapping[str, set[str]], start: list[str], path: str) -> set[str]:
        """Files reached from ``start`` along ``edges``, continuing through package ``__init__.py``
        files (which re-export what they import); ``path`` itself excluded."""
        out: set[str] = set()
        todo = list(start)
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in out:
                    out.add(other)
                    if other.endswith("__init__.py"):
                        todo.append(other)
        out.discard(path)
        return out

    def reexported(self, path: str) -> set[str]:
        """For a package ``__init__.py``: the modules it imports (what it may re-export), also
        through sub-packages; nothing for a plain module."""
        start = [path] if path.endswith("__init__.py") else []
        return self._through_packages(self.forward, start, path)

    def importers(self, path: str) -> set[str]:
        """Files importing ``path``, also through packages that re-export it: an ``__init__.py``
        importing it counts, and so do the files importing from that package one of the names it
        took from ``path`` (or the whole package: ``import pkg``, ``from pkg import *``).  A file
        taking other names from the package (``from stripe.params import OtherParams``) does not."""
        out: set[str] = set()
        todo: list[tuple[str, set[str] | None]] = [(path, None)]  # (file, names reachable; None=all)
        seen: set[tuple[str, frozenset[str] | None]] = set()
        while todo:
            current, names = todo.pop()
            for other in self.backward.get(current, ()):
                taken = self.taken.get((other, current))
                if names is not None and taken is not None and not (taken & names):
                    continue  # imports other names of the package than the ones we follow
                out.add(other)
                if other.endswith("__init__.py"):
                    # what the package re-exports of ours: the names it took (None: all of them)
                    passed = taken if names is None else (names if taken is None else taken & names)
                    key = (other, None if passed is None else frozenset(passed))
                    if key not in seen:
                        seen.add(key)
                        todo.append((other, passed))
        out.discard(path)
        return out

    def _declared_closure(self, deps: Mapping[str, FileDeps],
                          analysed: set[str]) -> dict[str, set[str | None]]:
        """Files the analysed files' declarations need, conditions followed to a fixed point:
        a need of a module marks it *called* (card data goes in; with the top-level name called,
        when the need names one: ``app.audit.record`` calls ``record`` of ``app/audit.py``),
        importers needed mark the file *returning* (card data comes out), and every file needed is
        *reached*, and *asked* for the name it was needed for.  Returns each file needed with the
        rules that need it (None: a declaration that names no rule)."""
        wanted_by: dict[str, set[str | None]] = {}  # file needed -> the rules needing it
        called: dict[str, set[str | None]] = {}  # file -> top-level names called (None: any)
        asked: dict[str, set[str | None]] = {}  # file -> top-level names needed (None: any)
        returning: dict[str, set[str]] = {"data": set(), "fields": set()}  # what importers get
        resolved: dict[tuple[str, str], tuple[list[str], str | None]] = {}

        def resolve_name(name: str, path: str) -> tuple[list[str], str | None]:
            key = (name, path)
            if key not in resolved:
                resolved[key] = self.index.resolve_name(name, path)
            return resolved[key]

        # conditions on other files ("returns:x", "inherits:x") wait on those files
        pending: dict[str, list[tuple[str, str, str]]] = {}
        watchers: dict[tuple[str, str], list[str]] = {}
        queue: list[str] = []
        for path in analysed:
            conds = [c for c in deps[path].conditional if c[0]]
            if conds:
                pending[path] = list(dict.fromkeys(conds))
            for when, *_ in conds:
                head, _, name = when.partition(":")
                if head in ("returns", "inherits"):
                    carries = "data" if head == "returns" else "fields"
                    for target in resolve_name(name, path)[0]:
                        watchers.setdefault((carries, target), []).append(path)

        def holds(when: str, path: str) -> bool:
            head, _, name = when.partition(":")
            if head == "called":
                names = called.get(path)
                return names is not None and (not name or None in names or name in names)
            if head == "reached":
                return path in wanted_by
            if head == "asked":
                names = asked.get(path)
                return names is not None and (None in names or name in names)
            if head in ("returns", "inherits"):
                carries = "data" if head == "returns" else "fields"
                return any(t in returning[carries] for t in resolve_name(name, path)[0])
            return False

        queued: set[str] = set()

        def push(path: str) -> None:
            if path in pending and path not in queued:
                queued.add(path)
                queue.append(path)

        def fire(path: str, kind: str, name: str, by: str | None = None) -> None:
            by = by or None  # ("": declared outside a rule's project_facts)
            if kind.startswith("importers"):
                carries = kind.partition(":")[2] if ":" in kind else "data"
                if carries in returning and path not in returning[carries]:
                    returning[carries].add(path)
                    for watcher in watchers.get((carries, path), ()):
                        push(watcher)
                for t in self.importers(path):
                    if t not in wanted_by:
                        wanted_by[t] = set()
                        push(t)
                    wanted_by[t].add(by)
                return
            targets, taken = resolve_name(name, path)
            for target in targets:
                for t in (target, *self.reexported(target)):
                    if t not in wanted_by:
                        wanted_by[t] = set()
                        push(t)
                    wanted_by[t].add(by)
                    names = asked.setdefault(t, set())
                    if taken not in names:
                        names.add(taken)
                        push(t)
                    if kind == "module":  # ("facts": a base class, no data passed)
                        names = called.setdefault(t, set())
                        if taken not in names:
                            names.add(taken)
                            push(t)

        for path in analysed:
            d = deps[path]
            for when, kind, name, *by in dict.fromkeys(d.conditional):
                if not when:
                    fire(path, kind, name, *by)
        while queue:
            path = queue.pop()
            queued.discard(path)
            conds = pending.get(path)
            if not conds:
                continue
            ready = [c for c in conds if holds(c[0], path)]
            if ready:
                pending[path] = [c for c in conds if c not in ready]
                for _, kind, name, *by in ready:
                    fire(path, kind, name, *by)
        return wanted_by

    def needed(self, deps: Mapping[str, FileDeps], declared: bool) -> set[str]:
        """The files :meth:`needed_rules` names."""
        return set(self.needed_rules(deps, declared))

    def needed_rules(self, deps: Mapping[str, FileDeps],
                     declared: bool) -> dict[str, frozenset[str] | None]:
        """Python files not analysed yet whose facts the project phase needs, each with the rules
        that need them (None: every rule; the engine runs those beside the ones whose terms occur).

        ``declared``: every active check with a project phase declares its dependencies (see the
        module docstring), and this is one round (the engine repeats it as results come in);
        otherwise it is the whole closure over import edges, in both directions, at once.
        """
        analysed = {p for p, d in deps.items() if d.analysed}
        if declared:
            # an analysed file is needed again only by a rule that did not run there
            out: dict[str, frozenset[str] | None] = {}
            for p, by in self._declared_closure(deps, analysed).items():
                d = deps.get(p)
                if d is None:
                    continue
                rules = None if None in by else frozenset(r for r in by if r is not None)
                if not d.analysed:
                    out[p] = rules
                elif d.skipped:
                    skipped = frozenset(d.skipped)
                    again = skipped if rules is None else rules & skipped
                    if again:
                        out[p] = again
            return out
        seen = set(analysed)
        todo = list(analysed)
        while todo:
            path = todo.pop()
            for other in self.forward.get(path, set()) | self.backward.get(path, set()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return {p: None for p in seen if p in deps and not (deps[p].analysed and deps[p].complete)}
