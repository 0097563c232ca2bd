"""The scan: discover files, parse each once, run every active check in one batched traversal,
then the project-wide phase, suppressions and ordering.

Files are analysed in worker processes (``jobs``); each returns a picklable :class:`FileResult`.
Speed (see ``docs/benchmark.md``): a textual prefilter decides which files need a parse
(:mod:`pcilint.prefilter`), results are cached per file content (:mod:`pcilint.cache`), and libcst
itself is imported only when some file has to be parsed.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import gc
import os
import re
import signal
import sys
import threading
import time
import tokenize
import io
import dataclasses
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Tuple, Union

from pcilint import __version__, safeio
from pcilint.cache import Cache, digest, key_of
from pcilint.checks.base import FileContext, ProjectReporter
from pcilint.masking import mask_window
from pcilint.config import Settings, code_matches, validate_codes
from pcilint.discovery import SourceFile, discover
from pcilint.errors import ConfigError
from pcilint.findings import (SEVERITY_RANK, Finding, ScanError, ScanResult, Suppressed,
                              assign_fingerprints)
from pcilint.prefilter import (DependencyGraph, FileDeps, Prefilter, freeze_terms, identifier_terms,
                               import_targets)
from pcilint.ruleset import Rule, builtin_rules_dir, load_rules, rule_files
from pcilint.suppressions import SuppressionMap, python_suppressions, text_suppressions

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 60.0
#: The per-file memory budget, in tokens: libcst holds about 0.5-2.5 KB per token while it parses,
#: so a 200,000-function file took 3.3 GB and a 5 MB list literal 1.9 GB.  Real code stays far
#: below (the largest file of 2,054 in site-packages has 63,000); a file over the budget is checked
#: as text only (secrets, card numbers) and listed under errors.
DEFAULT_MAX_PARSE_TOKENS = 250_000
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Below this many files a process pool costs more than it saves.
MIN_FILES_FOR_POOL = 24
#: New cache entries kept apart from the manifest (see Scanner._write_manifest) up to this many.
DELTA_ENTRIES = 64
# Pool work is handed out in chunks of about total / (jobs * CHUNKS_PER_JOB) bytes, largest first.
CHUNKS_PER_JOB = 16
# A file changed this recently is hashed again next time even if its stat looks the same.
RACY_NS = 2_000_000_000

# Which rules a file's analysis runs: False, those one of whose prefilter terms occur in it; True,
# every rule; a tuple of rule ids, those and the ones with matching terms (the rules the closure
# needs the file for).  Part of a cached entry's key.
Force = Union[bool, Tuple[str, ...]]


class FileTimeout(BaseException):  # not Exception: library code must not swallow it
    pass


@dataclass
class Options:
    jobs: int = 0  # 0 = all cores
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    max_parse_tokens: int = DEFAULT_MAX_PARSE_TOKENS
    select: list[str] | None = None  # command line, replaces the config's
    extend_ignore: list[str] = field(default_factory=list)
    extra_rules: list[Path] = field(default_factory=list)
    include_builtin_rules: bool = True
    cache_dir: Path | None = None  # None = no result cache
    prefilter: bool = True  # False parses every file (the prefilter-equivalence test uses it)
    inventory: bool = False  # collect what was examined (pcilint.inventory) for the reports


@dataclass
class ProjectState:
    """What a scan learnt about each file (results with their facts and imports, and sources),
    kept so that one file can be checked again against the rest: :meth:`Scanner.recheck`."""

    results: dict[str, FileResult] = field(default_factory=dict)
    sources: dict[str, SourceFile] = field(default_factory=dict)
    forced: dict[str, Force] = field(default_factory=dict)  # the rules the closure ran per file


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    scanned: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # rule id -> project facts
    suppressions: SuppressionMap | None = None
    digest: str = ""  # of the bytes analysed (the cache key's content part)
    deps: FileDeps | None = None  # imports and declared needs, when a project phase may need them
    inventory: dict[str, list] = field(default_factory=dict)  # what was examined (inventory.py)


class _LazyFacts(dict):
    """A cached file's project facts: the rule ids now, the values (pickled) when needed."""

    def __init__(self, keys: list[str], blob: bytes) -> None:
        super().__init__(dict.fromkeys(keys))
        self.blob = blob

    def load(self) -> dict[str, Any]:
        return pickle.loads(self.blob)


@dataclass(frozen=True)
class RulePlan:
    """What the engine needs to know about an active rule without importing its check kind."""

    file_kinds: tuple[str, ...]
    terms: tuple[str, ...] | None  # prefilter_terms(); None = every file
    project: bool  # has a project phase (check_project)
    declares: bool  # DECLARES_DEPENDENCIES

    @classmethod
    def of(cls, check: Any) -> "RulePlan":
        try:
            terms = freeze_terms(check.prefilter_terms())
        except Exception:  # noqa: BLE001 - a kind that cannot say: parse every file
            terms = None
        return cls(tuple(check.FILE_KINDS), terms, _overrides(check, "check_project"),
                   bool(getattr(check, "DECLARES_DEPENDENCIES", False)))


class Scanner:
    """A configured scanner: the active rules and settings, reusable across scans."""

    def __init__(self, settings: Settings, options: Options, rules: list[Rule] | None = None) -> None:
        self.settings = settings
        self.options = options
        self.cache = Cache.open(options.cache_dir) if options.cache_dir is not None else None
        self._force_round: Force | dict[str, Force] = False  # see analyze_file()
        self._pool_state: Any = None  # see _worker_pool()
        if rules is None:
            rules, self.plans, self.rules_key = self._load_rules()
        else:
            self.plans = {r.id: RulePlan.of(r.check) for r in rules}
            self.rules_key = key_of(*sorted(repr((r.id, r.source, r.kind, r.params, r.message,
                                                  r.severity)) for r in rules))
        self.all_rules = rules
        validate_codes([r.id for r in rules], settings, options.select, options.extend_ignore)
        self.rules = select_rules(rules, options.select if options.select is not None
                                  else settings.select, settings.ignore + options.extend_ignore)
        self.kinds = {k for r in self.rules for k in self.plans[r.id].file_kinds}
        self.prefilter = self._prefilter() if options.prefilter else None
        active = [self.plans[r.id] for r in self.rules]
        self.project_phase = any(p.project for p in active)
        self.declared = all(p.declares for p in active if p.project)
        # Imports are recorded when the prefilter may leave a project-phase rule out of a Python
        # file (the closure may then need that file after all).
        self.track_deps = self.prefilter is not None and any(
            p.project and p.terms is not None and "python" in p.file_kinds for p in active)
        self.scan_key = self._scan_key()

    # -- rules without their check kinds (so a cached scan never imports libcst) ------------------
    def _rule_paths(self) -> list[Path]:
        paths: list[Path] = []
        if self.options.include_builtin_rules:
            paths += sorted(p for p in builtin_rules_dir().rglob("*") if p.is_file())
        for p in self.settings.extend_rules + self.options.extra_rules:
            paths += rule_files(p) if p.exists() else [p]
        return paths

    def _load_rules(self) -> tuple[list[Rule], dict[str, RulePlan], str]:
        """The rules, their plans and a key of their files: from the cache when the rule files and
        pcilint are unchanged (the rules are then loaded for real only if a file needs analysing),
        else loaded."""
        key = None
        if self.cache is not None:
            parts = [__version__, _code_fingerprint(), str(self.options.include_builtin_rules)]
            try:
                for p in self._rule_paths():
                    parts += [str(p), digest(safeio.read_bytes(p))]
            except OSError:
                parts = []
            if parts:
                key = key_of("rules", *parts)
                hit = self.cache.get(key)
                if isinstance(hit, tuple) and len(hit) == 2:
                    return hit[0], hit[1], key
        rules = load_rules(self.settings.extend_rules + self.options.extra_rules,
                           include_builtin=self.options.include_builtin_rules)
        plans = {r.id: RulePlan.of(r.check) for r in rules}
        if key is None:
            return rules, plans, key_of(*sorted(repr((r.id, r.source, r.kind, r.params, r.message,
                                                      r.severity)) for r in rules))
        # Stubs only: no check instances, parameters or examples (those hold fake keys and card
        # numbers, which no cache entry may); _ensure_checks() reloads the files when needed.
        self.cache.put(key, ([dataclasses.replace(r, check=None, params={}, bad=[], good=[])
                              for r in rules], plans))
        return rules, plans, key

    def _ensure_checks(self) -> None:
        """Give rule stubs from the cache their check kinds: load the rule files (imports libcst)."""
        if all(rule.check is not None for rule in self.all_rules):
            return
        loaded = {r.id: r for r in load_rules(self.settings.extend_rules + self.options.extra_rules,
                                              include_builtin=self.options.include_builtin_rules)}
        for rule in self.all_rules:
            if rule.check is None:
                full = loaded[rule.id]
                rule.params, rule.bad, rule.good, rule.check = (full.params, full.bad, full.good,
                                                                full.check)

    def _prefilter(self) -> Prefilter:
        by_kind: dict[str, list[list[str] | None]] = {}
        for rule in self.rules:
            plan = self.plans[rule.id]
            for kind in plan.file_kinds:
                by_kind.setdefault(kind, []).append(
                    None if plan.terms is None else list(plan.terms))
        names = self.settings.sensitive_names
        return Prefilter.from_terms(by_kind, identifier_terms(
            names.get("pan", []) + names.get("sad", []), whole_words=True))

    def _scan_key(self) -> str:
        """Everything besides a file's path and content that its result depends on."""
        s, o = self.settings, self.options
        return key_of(
            "scan", __version__, _code_fingerprint(), sys.version.split()[0], str(Path.cwd()),
            self.rules_key, repr(sorted(r.id for r in self.rules)),
            repr(sorted(self.plans[r.id].__repr__() for r in self.rules)),
            repr((s.select, s.ignore, sorted(s.per_file_ignores.items()),
                  sorted(s.sensitive_names.items()), s.sanitizers, str(s.root))),
            repr(s.dependencies),  # the PCI9xx window (with the digest of a configured table)
            repr((o.select, o.extend_ignore, o.max_file_size, o.max_parse_tokens, o.file_timeout, o.prefilter,
                  o.inventory)))

    # -- one file -------------------------------------------------------------------------------
    def rules_for(self, path: str, file_kind: str) -> list[Rule]:
        ignored: list[str] = []
        for glob, codes in self.settings.per_file_ignores.items():
            if _glob_match(path, glob, self.settings.root):
                ignored += codes
        return [r for r in self.rules if file_kind in self.plans[r.id].file_kinds
                and not code_matches(r.id, ignored)]

    def analyze_text(self, path: str, text: str, file_kind: str, force: Force = False
                     ) -> FileResult:
        """Analyse one file's decoded text (used by workers and by the rule-example tests).

        Unless ``force`` is True, each rule runs only where one of its prefilter terms occurs (or
        its id is in ``force``); a file no rule is left for is not parsed: it gets only its
        suppressions and (when the project phase may need it) its imports.
        """
        result = FileResult(path=path)
        rules = self.rules_for(path, file_kind)
        if not rules:
            result.scanned = True
            return result
        skipped: tuple[str, ...] = ()
        if force is not True and self.prefilter is not None:
            # Each rule runs only where one of its own terms occurs (a file that passes for a
            # `verify=False` is not given the card-data flow analysis).  A check with a project
            # phase left out here is noted, so the cross-module closure can still ask for the file
            # (and then name the rules it needs it for: ``force``).
            matching = self._matching_rules(rules, text)
            kept = {id(r) for r in matching}
            if force:
                kept |= {id(r) for r in rules if r.id in force}
                matching = [r for r in rules if id(r) in kept]
            skipped = tuple(r.id for r in rules if id(r) not in kept and self.plans[r.id].project)
            rules = matching
        inventory = None
        if self.options.inventory:
            from pcilint import inventory

            if file_kind != "python":
                inventory.text_facts(path, text, file_kind, result.inventory)
        if not rules and not (inventory is not None and file_kind == "python"
                              and inventory.wants_parse(text)) \
                and (file_kind != "python" or _compiles(text)):
            # (A Python file CPython cannot parse takes the libcst path below, so a broken file is
            # reported under `errors` whether or not it matches the prefilter.)
            result.scanned = True
            if file_kind == "python":
                result.suppressions = python_suppressions(text)
                if self.track_deps:
                    result.deps = FileDeps(import_targets(text))
            else:
                result.suppressions = text_suppressions(text)
            return result
        self._ensure_checks()
        module = None
        if file_kind == "python":
            import libcst as cst

            from pcilint.walk import parse_module

            try:
                module = parse_module(text)
            except cst.ParserSyntaxError as exc:
                result.error = _one_line(_syntax_error_message(exc, text))
                # A key or card number in a file that does not parse is still committed: the
                # checks that can judge raw lines read it as text.
                ctx = FileContext(path, text, file_kind, self.settings, None)
                for rule in rules:
                    rule.check.check_unparsed(ctx)
                result.findings = ctx.findings
                result.suppressions = text_suppressions(text)
                return result
            except RecursionError:
                result.error = "expression nested too deeply to parse"
                return result
        ctx = FileContext(path, text, file_kind, self.settings, module)
        if module is not None:
            visitors = [v for v in (r.check.visitor(ctx) for r in rules) if v is not None]
            if inventory is not None:
                visitors.append(inventory.visitor(ctx, result.inventory))
            if visitors:
                _visit_batched(module, visitors)
            result.suppressions = python_suppressions(text)
        else:
            for rule in rules:
                rule.check.check_text(ctx)
            result.suppressions = text_suppressions(text)
        for rule in rules:
            ctx.declaring = rule.id
            facts = rule.check.project_facts(ctx)
            if facts is not None:
                result.facts[rule.id] = facts
        if self.track_deps and module is not None:  # (after project_facts: checks declare there)
            result.deps = FileDeps(import_targets(text), analysed=True, skipped=skipped,
                                   conditional=tuple(dict.fromkeys(ctx.declarations)))
        result.findings = ctx.findings
        result.scanned = True
        return result

    def _over_budget(self, text: str) -> str | None:
        budget = self.options.max_parse_tokens
        if len(text) <= budget:  # (a token is at least one character)
            return None
        count = 0
        for count, _ in enumerate(_TOKEN.finditer(text), 1):
            if count > budget:
                return (f"not analysed: over the per-file budget of {budget:,} tokens (parsing it "
                        "could take gigabytes); checked as text for secrets and card numbers only")
        return None

    def _text_only(self, path: str, text: str, file_kind: str, error: str) -> FileResult:
        """A Python file that is not parsed: listed under errors, its lines checked as text by the
        checks that can judge raw lines."""
        result = FileResult(path=path, error=error)
        rules = self.rules_for(path, file_kind)
        if self.prefilter is not None:
            rules = self._matching_rules(rules, text)
        if rules:
            self._ensure_checks()
            ctx = FileContext(path, text, file_kind, self.settings, None)
            for rule in rules:
                rule.check.check_unparsed(ctx)
            result.findings = ctx.findings
        result.suppressions = text_suppressions(text)
        return result

    def _matching_rules(self, rules: list[Rule], text: str) -> list[Rule]:
        """The rules one of whose own prefilter terms (or the configured sensitive names) occurs
        in ``text``; a rule without terms always matches."""
        assert self.prefilter is not None
        low = text.lower()
        found: dict[Any, bool] = {}  # rules share term lists: each is searched once
        out = []
        for rule in rules:
            terms = self.plans[rule.id].terms
            if terms not in found:
                found[terms] = self.prefilter.matches(terms, text, low)
            if found[terms]:
                out.append(rule)
        return out

    def analyze_file(self, source: SourceFile, force: Force | None = None) -> FileResult:
        """Analyse one file; whatever the file holds, return a result or a one-line error.

        ``force``: the rules to run whatever the prefilter says (see ``Force``; None: the current
        round's, which the pool's crash recovery also sees)."""
        from pcilint import isolation

        isolation.file_started(source.display)
        try:
            with isolation.recursion_headroom():
                result = self._analyze_file(source, _force_of(
                    self._force_round if force is None else force, source.display))
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not end the scan
            first = (str(exc).splitlines() or [""])[0][:120]
            result = FileResult(path=source.display, error=(
                f"internal error while analysing this file: {type(exc).__name__}: {first} "
                "(please report it)"))
        finally:
            isolation.file_finished()
        if result.error:
            result.error = _one_line(result.error)
        return result

    def _analyze_file(self, source: SourceFile, force: Force) -> FileResult:
        from pcilint.guard import structure_problem

        try:
            if source.size > self.options.max_file_size:
                return FileResult(path=source.display, error=(
                    f"skipped: file is {source.size / 2**20:.1f} MiB, over the "
                    f"{self.options.max_file_size / 2**20:.1f} MiB limit (--max-file-size)"))
            try:
                # (through the guarded reader: a file swapped for a FIFO or a device since
                # discovery must not block the scan or stream forever)
                data = safeio.read_bytes(source.path, limit=self.options.max_file_size)
            except safeio.UnsafeFile as exc:
                if exc.errno == errno.EFBIG:
                    return FileResult(path=source.display, error=(
                        f"skipped: file is over the {self.options.max_file_size / 2**20:.1f} MiB "
                        "limit (--max-file-size)"))
                return FileResult(path=source.display,
                                  error="skipped: not a regular file (a pipe, device or socket)")
            except FileNotFoundError:
                return FileResult(path=source.display, error="file disappeared during the scan")
            except IsADirectoryError:
                return FileResult(path=source.display, error="skipped: not a regular file")
            except OSError as exc:
                return FileResult(path=source.display,
                                  error=f"cannot read: {exc.strerror or type(exc).__name__}")
            if len(data) > self.options.max_file_size:  # grew since discovery
                return FileResult(path=source.display, error=(
                    f"skipped: file is {len(data) / 2**20:.1f} MiB, over the "
                    f"{self.options.max_file_size / 2**20:.1f} MiB limit (--max-file-size)"))
            text, problem = decode_source(data, source.kind)
            if text is None:
                return FileResult(path=source.display, error=problem)
            with _time_limit(self.options.file_timeout):
                if source.kind == "python":
                    problem = self._over_budget(text) or structure_problem(text)
                    if problem:
                        # Not parsed; what can be judged from the raw lines still is (a key
                        # in a file too deep or too big to parse is still committed).
                        return self._text_only(source.display, text, source.kind, problem)
                result = self.analyze_text(source.display, text, source.kind, force)
            result.digest = digest(data)
            return result
        except FileTimeout:
            return FileResult(path=source.display, error=(
                f"analysis took longer than {self.options.file_timeout:g} s and was stopped "
                "(--file-timeout)"))
        except RecursionError:
            return FileResult(path=source.display, error="code nested too deeply to analyse")
        except MemoryError:
            return FileResult(path=source.display, error="out of memory while analysing this file")

    # -- one file again, against the last scan (the editor server) ------------------------------
    def check_text(self, path: str, text: str, file_kind: str, force: Force = False
                   ) -> FileResult:
        """:meth:`analyze_file` for text in memory (an editor's unsaved buffer): the same guards
        (size, parse budget, nesting, time limit, internal errors)."""
        from pcilint import isolation
        from pcilint.guard import structure_problem

        try:
            if len(text) > self.options.max_file_size:
                return FileResult(path=path, error=(
                    f"skipped: over the {self.options.max_file_size / 2**20:.1f} MiB limit "
                    "(--max-file-size)"))
            if "\x00" in text:
                return FileResult(path=path, error="skipped: binary file (contains NUL bytes)")
            with isolation.recursion_headroom(), _time_limit(self.options.file_timeout):
                problem = (self._over_budget(text) or structure_problem(text)
                           if file_kind == "python" else None)
                if problem:
                    result = self._text_only(path, text, file_kind, problem)
                else:
                    result = self.analyze_text(path, text, file_kind, force)
        except FileTimeout:
            result = FileResult(path=path, error=(
                f"analysis took longer than {self.options.file_timeout:g} s and was stopped "
                "(--file-timeout)"))
        except RecursionError:
            result = FileResult(path=path, error="code nested too deeply to analyse")
        except MemoryError:
            result = FileResult(path=path, error="out of memory while analysing this file")
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not end the session
            first = (str(exc).splitlines() or [""])[0][:120]
            result = FileResult(path=path, error=(
                f"internal error while analysing this file: {type(exc).__name__}: {first} "
                "(please report it)"))
        if result.error:
            result.error = _one_line(result.error)
        result.digest = digest(text.encode("utf-8", "surrogatepass"))
        return result

    def recheck(self, state: ProjectState, path: str, text: str,
                file_kind: str | None = None, also: Iterable[str] = ()) -> ScanResult:
        """Check one file's current ``text`` against the project of the last ``scan(state=...)``:
        its own findings and the cross-module ones reported in it, the other files' facts reused.

        ``path`` is the file's display path (relative to the scan's ``cwd``).  Files the
        cross-module closure newly needs (the text imports a module that was not analysed) are
        analysed from disk.  ``state`` keeps this text's result, so later rechecks of other files
        see it.  ``also``: other files whose findings to include as they now stand (their own
        from ``state``, the cross-module ones anew: this text can change those).  The result cache
        is neither read nor written (one entry per keystroke)."""
        from pcilint.discovery import file_kind as kind_of

        started = time.perf_counter()
        kind = file_kind or kind_of(Path(path)) or "python"
        result = ScanResult(files_discovered=1)
        before = state.results.get(path)
        fr = self.check_text(path, text, kind, state.forced.get(path, False))
        if before is not None and isinstance(before.facts, dict):
            # Facts equal to the last ones keep their identity: the cross-module summaries
            # (computed once per set of facts) are then reused, as on a save after a check.
            for rule_id, facts in fr.facts.items():
                if before.facts.get(rule_id) == facts:
                    fr.facts[rule_id] = before.facts[rule_id]
        state.results[path] = fr
        # The last scan's closure was complete; it can only change where this file's imports or
        # declared needs did (typing inside a function usually changes neither).
        if self.track_deps and (before is None or before.deps != fr.deps):
            deps = {p: r.deps for p, r in state.results.items() if r.deps is not None}
            graph = DependencyGraph({p: d.imports for p, d in deps.items()})
            while True:
                needed = [p for p in graph.needed_rules(deps, self.declared)
                          if p in state.sources or p == path]
                if not needed:
                    break
                for p in needed:  # every rule at once: never needed again
                    state.forced[p] = True
                    if p == path:
                        fr = state.results[p] = self.check_text(path, text, kind, True)
                    else:
                        state.results[p] = self.analyze_file(state.sources[p], True)
                    deps[p] = state.results[p].deps or FileDeps(analysed=True)
        shown = {p: state.results[p] for p in (path, *also) if p in state.results}
        findings = [f for r in shown.values() for f in r.findings]
        findings += [f for f in self._project_phase(state.results, state.sources, cache=False,
                                                    texts={path: text}) if f.path in shown]
        if fr.error:
            result.errors.append(ScanError(path, fr.error))
        result.files_scanned = int(fr.scanned)
        findings = self._suppress(findings, shown, result)
        result.findings = sorted(_dedupe(findings), key=lambda f: f.sort_key)
        assign_fingerprints(result.findings)
        result.duration_s = time.perf_counter() - started
        return result

    # -- the whole scan ---------------------------------------------------------------------------
    def scan(self, paths: list[Path], cwd: Path | None = None,
             progress: Callable[[int, int], None] | None = None,
             state: ProjectState | None = None) -> ScanResult:
        """Scan ``paths``; ``progress(done, total)`` is called as files finish (main process).
        ``state``, when given, keeps every file's result for :meth:`recheck`."""
        started = time.perf_counter()
        cwd = cwd or Path.cwd()
        files, problems = discover(paths, self.kinds, self.settings.exclude, self.settings.root, cwd)
        result = ScanResult(files_discovered=len(files))
        result.errors += [ScanError(p, m) for p, m in problems]
        file_results = self._run(files, progress)
        by_path: dict[str, FileResult] = {}
        findings: list[Finding] = []
        for fr in file_results:
            by_path[fr.path] = fr
            if fr.error:
                result.errors.append(ScanError(fr.path, fr.error))
            if fr.scanned:
                result.files_scanned += 1
            findings += fr.findings
        self._project_inventory: dict[str, list] = {}
        findings += self._project_phase(by_path, {f.display: f for f in files})
        if state is not None:
            state.results, state.sources = by_path, {f.display: f for f in files}
            state.forced = dict(self._closure_forced)
        findings = self._suppress(findings, by_path, result)
        result.findings = sorted(_dedupe(findings), key=lambda f: f.sort_key)
        assign_fingerprints(result.findings)
        if self.options.inventory:
            from pcilint.inventory import aggregate

            result.inventory = aggregate(
                {p: fr.inventory for p, fr in by_path.items() if fr.inventory},
                self._project_inventory.get("webhook_endpoints"), result.findings,
                result.files_scanned)
        result.errors.sort(key=lambda e: (e.path, e.message))
        result.duration_s = time.perf_counter() - started
        return result

    def _run(self, files: list[SourceFile],
             progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        """Analyse ``files``: cached results first, then the prefilter's pass in the pool, then the
        rounds of files the project phase needs (cross-module flow).  ``progress(done, total)``
        counts cached and analysed files of the first pass."""
        try:
            return self._run_rounds(files, progress)
        except BaseException:
            # Ctrl-C (or any abort): stop the workers now.  Waiting for them, as a normal close
            # does, waits for every chunk already handed out (minutes on a large tree).
            self._close_pool(kill=True)
            raise
        finally:
            self._close_pool()

    def _run_rounds(self, files: list[SourceFile],
                    progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        user_tick = progress or (lambda done, total: None)
        counted = [0]
        self._closure_forced: dict[str, Force] = {}

        def tick(n: int = 1) -> None:
            counted[0] += n
            user_tick(counted[0], len(files))

        results: dict[str, FileResult] = {}
        digests: dict[str, tuple[str | None, Any]] = {}
        # The manifest of every file's entry, and a small delta of the entries made since it was
        # last written: a pre-commit run then writes its few entries, not the whole manifest
        # (tens of MB on a large tree).
        main = self.cache.get(key_of("files", self.scan_key)) if self.cache else None
        delta = self.cache.get(key_of("files-delta", self.scan_key)) if self.cache else None
        main = main if isinstance(main, dict) else {}
        self._delta = delta if isinstance(delta, dict) and main else {}
        self._manifest_size = len(main)
        self._entries = {**main, **self._delta}
        self._new_entries: dict[tuple[str, Force], tuple[str, bytes]] = {}
        todo = self._from_cache(files, False, results, digests)
        if len(todo) < len(files):
            tick(len(files) - len(todo))
        self._store(self._analyse(todo, False, tick), False, results, digests)
        if self.track_deps:
            by_display = {f.display: f for f in files}
            graph: DependencyGraph | None = None
            forced: dict[str, Force] = {}  # file -> the rules the closure has run there
            # The files the closure needed last time for exactly these contents, with their rules:
            # fetched in one round (a warm scan then computes the closure once, to confirm, not
            # once per round).  (one entry per scan key, replaced when the contents change)
            contents = key_of(*sorted(f"{p}:{fr.digest}" for p, fr in results.items()))
            closure_key = key_of("closure", self.scan_key) if self.cache else None
            entry = self.cache.get(closure_key) if closure_key and self.cache else None
            prior = entry[1] if isinstance(entry, tuple) and len(entry) == 2 \
                and entry[0] == contents else None
            if isinstance(prior, list) and prior:
                forced = {p: f for p, f in _forced_entries(prior) if p in by_display}
                self._force_files(forced, by_display, results, digests)
            while True:
                deps = {p: fr.deps for p, fr in results.items() if fr.deps is not None}
                if graph is None:
                    graph = DependencyGraph({p: d.imports for p, d in deps.items()})
                more = _more_forced(forced, graph.needed_rules(deps, self.declared))
                if not more:
                    break
                forced.update(more)
                self._force_files(more, by_display, results, digests)
            if closure_key and self.cache is not None and prior != sorted(forced.items()):
                self.cache.put(closure_key, (contents, sorted(forced.items())))
            self._closure_forced = forced  # (kept by scan(state=...) for recheck)
        if self.cache is not None and self._new_entries:
            self._write_manifest()
        return [results[f.display] for f in files if f.display in results]

    def _force_files(self, force: dict[str, Force], by_display: dict[str, SourceFile],
                     results: dict[str, FileResult], digests: dict[str, tuple[str | None, Any]]
                     ) -> None:
        """One round of the closure: ``force``'s files, analysed with the rules it names."""
        batch = [by_display[p] for p in sorted(force) if p in by_display]
        todo = self._from_cache(batch, force, results, digests)
        self._store(self._analyse(todo, force), force, results, digests)

    def _write_manifest(self) -> None:
        """One signed file per scan key holds every file's entry: a warm scan reads it once.
        Entries of files outside this scan (a pre-commit run sees a few files) are kept.  New
        entries go to the delta while it stays small (DELTA_ENTRIES, or a twentieth of the
        manifest); then delta and manifest are merged and the delta emptied."""
        assert self.cache is not None

        def checked(entries: dict) -> list:
            # (each entry's blob was searched for leaks when made: only the rest is searched)
            return [(k, e[0], e[2:]) for k, e in entries.items()]

        delta = {**self._delta, **self._new_entries}
        delta_key = key_of("files-delta", self.scan_key)
        if self._manifest_size and len(delta) <= max(DELTA_ENTRIES, self._manifest_size // 20):
            self.cache.put(delta_key, delta, checked=checked(delta))
            return
        entries = {**self._entries, **self._new_entries}
        if self.cache.put(key_of("files", self.scan_key), entries, checked=checked(entries)) \
                and (self._delta or not self._manifest_size):
            self.cache.put(delta_key, {})  # (a delta left beside no manifest is stale too)

    def _from_cache(self, files: list[SourceFile], force: Force | dict[str, Force],
                    results: dict[str, FileResult],
                    digests: dict[str, tuple[str, Any]]) -> list[SourceFile]:
        """Fill ``results`` from the cache; return the files still to analyse."""
        if self.cache is None:
            return list(files)
        todo = []
        for f in files:
            entry = self._entries.get((f.display, _force_of(force, f.display)))
            if f.display not in digests:
                digests[f.display] = self._content_key(f, entry)
            content = digests[f.display][0]
            hit = None
            if entry is not None and content is not None and entry[0] == content:
                if entry[1] == b"":
                    hit = FileResult(path=f.display, scanned=True, digest=content)
                else:
                    try:
                        hit, fact_keys, facts_blob = pickle.loads(entry[1])
                        if fact_keys:
                            hit.facts = _LazyFacts(fact_keys, facts_blob)
                    except Exception:  # noqa: BLE001 - a damaged entry is a miss
                        hit = None
            if isinstance(hit, FileResult) and hit.path == f.display:
                results[f.display] = hit
            else:
                todo.append(f)
        return todo

    def _content_key(self, f: SourceFile, entry: Any) -> tuple[str | None, Any]:
        """(content digest, stat signature) of a file.  Like git's index, an unchanged signature
        (size, mtime, ctime, inode) recorded when the file was hashed more than 2 s after its
        last change stands for unchanged content, so a warm scan need not read every file."""
        try:
            st = os.stat(f.path)
        except OSError:
            return None, None
        sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if entry is not None and len(entry) > 2 and entry[2] == sig:
            return entry[0], sig
        if st.st_size > self.options.max_file_size:
            return None, None
        try:
            content = digest(safeio.read_bytes(f.path, limit=self.options.max_file_size))
        except OSError:
            return None, None
        racy = max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - RACY_NS
        return content, (None if racy else sig)

    def _store(self, fresh: list[FileResult], force: Force | dict[str, Force],
               results: dict[str, FileResult],
               digests: dict[str, tuple[str, Any]]) -> None:
        for fr in fresh:
            results[fr.path] = fr
            content, sig = digests.get(fr.path, (None, None))
            # Only deterministic outcomes are cached, and only for the bytes that were hashed
            # (a file edited during the scan is analysed again next time).
            if (self.cache is None or not fr.digest or fr.digest != content
                    or not (fr.error is None or fr.error.startswith(_CACHEABLE_ERRORS))):
                continue
            if (not fr.findings and not fr.facts and fr.error is None and fr.deps is None
                    and not fr.inventory and not (fr.suppressions and fr.suppressions.all)):
                blob: bytes | None = b""  # the common case, rebuilt without unpickling
            else:
                # Facts apart, unpickled only if the project phase runs: their classes may live
                # in modules that import libcst, which a fully cached scan never needs.
                facts_blob = Cache.entry(fr.facts) if fr.facts else b""
                blob = None if facts_blob is None else Cache.entry(
                    (dataclasses.replace(fr, facts={}), sorted(fr.facts), facts_blob))
            if blob is not None:
                # One entry per (path, rules run): a file's older contents are replaced.
                self._new_entries[(fr.path, _force_of(force, fr.path))] = (fr.digest, blob, sig)

    def _analyse(self, files: list[SourceFile], force: Force | dict[str, Force],
                 tick: Callable[[int], None] = lambda n=1: None) -> list[FileResult]:
        if not files:
            return []
        jobs = self.options.jobs or os.cpu_count() or 1
        if jobs <= 1 or len(files) < MIN_FILES_FOR_POOL:
            serial = []
            with _parse_gc():
                for f in files:
                    serial.append(self.analyze_file(f, force))
                    _collect_promoted()
                    tick(1)
            return serial
        # (imported here: a scan served from the cache or the prefilter never starts a pool)
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        from pcilint import isolation

        # Workers inherit the instantiated checks (fork) instead of each building them.
        self._ensure_checks()
        self._force_round = force  # isolation.recover() and a new pool's workers inherit it
        pool, inflight = self._worker_pool(jobs)
        results: dict[str, FileResult] = {}
        try:
            futures = [pool.submit(_work_chunk, chunk, _force_slice(force, chunk))
                       for chunk in _chunks(files, jobs)]
            for future in as_completed(futures):
                for fr in future.result():
                    results[fr.path] = fr
                    tick(1)
        except BrokenProcessPool:
            # A worker died (segfault, OOM killer, watchdog): never re-run its files in this
            # process; the suspects go to processes of their own (see isolation.py).
            lost = [f for f in files if f.display not in results]
            suspects = inflight.suspects()
            self._close_pool()
            results.update(isolation.recover(self, lost, jobs, suspects))
        finally:
            self._force_round = False
        return [results.get(f.display) or isolation.lost_result(f.display) for f in files]

    def _worker_pool(self, jobs: int) -> tuple[Any, Any]:
        """The process pool, started once per scan and kept for the closure's rounds: forking a
        new pool per round from a main process that by then holds every result would copy it
        into each worker (peak memory is summed over them)."""
        if self._pool_state is None:
            from concurrent.futures import ProcessPoolExecutor

            from pcilint import isolation

            inflight = isolation.InFlight()
            pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                       initargs=(self, inflight.directory))
            self._pool_state = (pool, inflight)
        return self._pool_state

    def _close_pool(self, kill: bool = False) -> None:
        if self._pool_state is not None:
            pool, inflight = self._pool_state
            self._pool_state = None
            if kill:
                for process in list(getattr(pool, "_processes", {}).values()):
                    try:
                        process.kill()
                    except (OSError, AttributeError):
                        pass
                pool.shutdown(wait=False, cancel_futures=True)
            else:
                pool.shutdown(wait=True, cancel_futures=True)
            inflight.close()

    def _project_phase(self, by_path: dict[str, FileResult], sources: dict[str, SourceFile],
                       cache: bool = True, texts: dict[str, str] | None = None
                       ) -> list[Finding]:
        """The cross-module findings; ``cache``: reuse and store them; ``texts``: files whose
        current text is not (yet) the one on disk."""
        line_cache: dict[str, list[str]] = {p: t.splitlines() for p, t in (texts or {}).items()}

        def line_of(path: str, line: int) -> str:
            if path not in line_cache:
                src = sources.get(path)
                try:
                    data = safeio.read_bytes(src.path) if src else b""
                    text, _ = decode_source(data, src.kind if src else "python")
                except OSError:
                    text = None
                line_cache[path] = (text or "").splitlines()
            lines = line_cache[path]
            return mask_window(lines, line - 1) if 0 < line <= len(lines) else ""

        project_rules = [r for r in self.rules if self.plans[r.id].project]
        if not project_rules:
            return []
        # The project phase always runs on every file's facts, cached or fresh (a cached file's
        # cross-module findings can change when another file changes); only its output is reused
        # when no file's facts or content changed.
        key = None
        if self.cache is not None and cache:
            # Facts are a function of a file's content under the scan key, so the contents (and
            # which files were analysed) stand for them: a deterministic key across processes.
            key = key_of("project", self.scan_key, *(
                f"{p}:{fr.digest}:{int(bool(fr.facts))}" for p, fr in sorted(by_path.items())))
            hit = self.cache.get(key)
            if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], list):
                self._project_inventory = hit[1]
                return hit[0]
        for fr in by_path.values():
            if isinstance(fr.facts, _LazyFacts):
                fr.facts = fr.facts.load()
        self._ensure_checks()
        reporter = ProjectReporter(line_of)
        for rule in project_rules:
            facts = {p: fr.facts[rule.id] for p, fr in by_path.items() if rule.id in fr.facts}
            rule.check.check_project(facts, reporter)
        self._project_inventory = reporter.inventory
        if key:
            self.cache.put(key, (reporter.findings, reporter.inventory))
        return reporter.findings

    def _suppress(self, findings: list[Finding], by_path: dict[str, FileResult],
                  result: ScanResult) -> list[Finding]:
        kept = []
        hidden: list[Suppressed] = []
        for f in findings:
            fr = by_path.get(f.path)
            sup = fr.suppressions if fr else None
            hit = sup.match(f.rule_id, f.line) if sup is not None else None
            if hit is not None:
                result.suppressed += 1
                hidden.append(Suppressed(f, "inSource", hit.reason, f.path, hit.line))
                continue
            kept.append(f)
        shown = _dedupe([h.finding for h in hidden])
        assign_fingerprints(shown)
        ids = {id(f) for f in shown}
        result.suppressed_findings = sorted((h for h in hidden if id(h.finding) in ids),
                                            key=lambda h: h.finding.sort_key)
        for path, fr in by_path.items():
            if fr.suppressions is not None:
                for s in fr.suppressions.unused():
                    result.unused_suppressions.append((path, s.line, ",".join(s.codes) or "all"))
        result.unused_suppressions.sort()
        return kept


def _overrides(check: Any, name: str) -> bool:
    from pcilint.checks.base import CheckKind

    return getattr(type(check), name) is not getattr(CheckKind, name)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """One defect, one finding: the same rule never reports the same line twice.  Of several
    findings on one line (a PAN and a CVV read together), the most severe is kept."""
    best: dict[tuple[str, str, int], Finding] = {}
    for f in sorted(findings, key=lambda f: f.sort_key):
        key = (f.rule_id, f.path, f.line)
        kept = best.get(key)
        if kept is None or SEVERITY_RANK.get(f.severity, 0) > SEVERITY_RANK.get(kept.severity, 0):
            best[key] = f
    return list(best.values())


def _glob_match(path: str, glob: str, root: Path | None) -> bool:
    candidates = [path]
    if root is not None:
        try:
            candidates.append(Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    return any(fnmatch.fnmatch(c, glob) or fnmatch.fnmatch(c, glob.rstrip("/") + "/*")
               for c in candidates)


def select_rules(rules: list[Rule], select: list[str] | None, ignore: list[str]) -> list[Rule]:
    for group, patterns in (("select", select or []), ("ignore", ignore)):
        for pattern in patterns:
            if not any(r.id.startswith(pattern) for r in rules):
                raise ConfigError(f"{pattern!r} matches no rule (see `pcilint rules`)", field=group)
    active = [r for r in rules if (select is None or code_matches(r.id, select))
              and not code_matches(r.id, ignore)]
    return active


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_source(data: bytes, kind: str) -> tuple[str | None, str]:
    """Decode file bytes, or say (in one line, without quoting the file) why they cannot be.

    Python: PEP 263 coding cookies and the UTF-8 BOM, as CPython reads source.  Templates and
    settings files: UTF-16/32 with a BOM (Windows tools write those), UTF-8, else Latin-1.
    """
    wide = next((enc for bom, enc in _WIDE_BOMS if data.startswith(bom)), None)
    if wide is not None:
        if kind == "python":
            return None, (f"skipped: {wide.upper()}-encoded; Python source must be UTF-8 or declare "
                          "an ASCII-compatible encoding (PEP 263)")
        try:
            return data.decode(wide), ""
        except UnicodeDecodeError as exc:
            return None, f"cannot decode as {wide}: {exc.reason}"
    nul = data.find(b"\x00")
    if nul >= 0:
        if nul < 8192:
            return None, "skipped: binary file (contains NUL bytes)"
        line = data.count(b"\n", 0, nul) + 1
        return None, f"skipped: NUL byte at line {line} (binary data?)"
    if kind == "python":
        encoding = "utf-8"
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            msg = str(getattr(exc, "msg", exc))
            if msg.startswith("unknown encoding"):
                name = msg.partition(":")[2].strip()[:40]
                return None, f"unknown encoding {name!r} in the PEP 263 coding cookie"
            if msg.startswith("encoding problem"):
                return None, "the coding cookie contradicts the UTF-8 byte-order mark"
            # "invalid or missing encoding declaration": not UTF-8 and no cookie; located below.
        try:
            text = data.decode(encoding)
        except LookupError:
            return None, f"unknown encoding {encoding[:40]!r} in the PEP 263 coding cookie"
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return None, (f"cannot decode as {encoding} at line {line}: {exc.reason} "
                          "(wrong or missing PEP 263 coding cookie, or mixed encodings)")
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, ""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, ""


def _one_line(message: str, limit: int = 300) -> str:
    """Error messages are one line and short (they must never carry a chunk of source)."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _syntax_error_message(exc: "libcst.ParserSyntaxError", text: str) -> str:  # noqa: F821
    """A one-line syntax error with the right line: CPython's when it rejects the file too."""
    from pcilint.guard import syntax_error_location

    line, message = syntax_error_location(text)
    if line is not None and message:
        return f"syntax error at line {line}: {message}"
    where = re.search(r"error at (\d+):(\d+)", exc.message)
    line = int(where.group(1)) if where else exc.raw_line
    return f"syntax error at line {line} (libcst): {exc.message}"


class _time_limit:
    """SIGALRM-based per-file time budget (main thread on POSIX only; elsewhere no limit)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.active = (seconds > 0 and hasattr(signal, "setitimer")
                       and threading.current_thread() is threading.main_thread())

    def __enter__(self) -> None:
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._raise)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    @staticmethod
    def _raise(signum: int, frame: Any) -> None:
        raise FileTimeout()

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)


# Errors that depend only on a file's bytes (timeouts, memory and I/O errors are retried next time).
_CACHEABLE_ERRORS = ("syntax error", "cannot decode", "skipped: binary", "expression nested",
                     "skipped: brackets nested", "skipped: an expression is nested")


def _visit_batched(module: Any, visitors: list[Any]) -> None:
    """Run every check's visitor in one read-only traversal (:func:`pcilint.walk.walk_batched`).

    libcst's ``visit_batched`` would look the methods up with ``inspect.getmembers`` over the
    hundreds of visitor stubs (~0.04 s per visitor per file) and rebuild every node it passes; the
    walk calls the same methods on the same nodes in the same order, without either cost."""
    from pcilint.walk import walk_batched

    walk_batched(module, visitors)


def _force_of(force: Any, display: str) -> Any:
    """A file's ``Force`` out of one for a round (a dict: per file; a file it omits: False)."""
    return force.get(display, False) if isinstance(force, dict) else force


def _force_slice(force: Any, files: list[SourceFile]) -> Any:
    """What a worker needs of a round's ``force``: its own files' entries."""
    if isinstance(force, dict):
        return {f.display: force[f.display] for f in files if f.display in force}
    return force


def _more_forced(forced: dict[str, Force], needed: dict[str, frozenset[str] | None]
                 ) -> dict[str, Force]:
    """The closure's next round: each needed file with the rules to run there (those it ran
    before and the newly needed ones), unless it already ran them all."""
    out: dict[str, Force] = {}
    for path, rules in needed.items():
        have = forced.get(path, False)
        if have is True or (rules is not None and have and rules <= set(have)):
            continue
        out[path] = True if rules is None else tuple(sorted(rules | set(have or ())))
    return out


def _forced_entries(prior: list) -> list[tuple[str, Force]]:
    """The closure's cached ``(file, Force)`` pairs; anything else in it is ignored."""
    return [(e[0], e[1]) for e in prior if isinstance(e, tuple) and len(e) == 2
            and isinstance(e[0], str) and (e[1] is True or (
                isinstance(e[1], tuple) and all(isinstance(r, str) for r in e[1])))]


def _compiles(text: str) -> bool:
    """Whether CPython's own compiler (~30x faster than libcst) accepts the file.

    Compiled to bytecode, not to an AST: building the AST's Python objects costs three times the
    whole compilation.  The compiler also rejects a few files the grammar accepts (``return``
    outside a function); those only take the libcst path, which reports what libcst rejects."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes etc.
            compile(text, "<pcilint>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _code_fingerprint() -> str:
    """pcilint's own code (path, size, mtime of each module): an edited check invalidates the cache."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        root = Path(__file__).resolve().parent
        entries = []
        for p in sorted(root.rglob("*.py")):
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append(f"{p.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
        _CODE_FINGERPRINT = key_of(*entries)
    return _CODE_FINGERPRINT


_CODE_FINGERPRINT: str | None = None


def _chunks(files: list[SourceFile], jobs: int) -> list[list[SourceFile]]:
    """Largest files first (they set the tail of a parallel run), in chunks of similar size."""
    ordered = sorted(files, key=lambda f: -f.size)
    target = max(sum(f.size for f in ordered) // (jobs * CHUNKS_PER_JOB), 32 * 1024)
    chunks: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for f in ordered:
        current.append(f)
        size += f.size
        if size >= target:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


_worker_scanner: Scanner | None = None


def _init_worker(scanner: Scanner, inflight_dir: str | None = None) -> None:
    from pcilint import isolation

    global _worker_scanner
    _worker_scanner = scanner
    isolation.init_worker(inflight_dir, scanner.options.file_timeout)
    # What the worker inherited (the checks, libcst's classes, compiled terms) lives as long as
    # the worker: the cyclic collector need not traverse it again (see _parse_gc).
    gc.freeze()
    gc.set_threshold(*PARSE_GC_THRESHOLDS)


# A libcst parse allocates hundreds of thousands of container objects, none of them cyclic
# garbage, so CPython's default thresholds (700, 10, 10) run a young collection every 700 of them
# and re-traverse the growing tree in the older generations: about a fifth of a worker's CPU time
# on the benchmark corpus.  With these a young collection runs 30x less often.  A file's own
# cycles (each check's visitor class, which holds the file's context and so its whole tree) may
# by then have been promoted to the oldest generation, which these thresholds rarely collect:
# _collect_promoted() collects it after such a file (cheap: what the worker inherited is frozen).
PARSE_GC_THRESHOLDS = (20000, 50, 100)


def _collect_promoted() -> None:
    """A full collection if objects reached the oldest generation since the last one (a file
    long enough to run a middle-generation collection): its garbage cycles would otherwise keep
    their parse trees alive until the next full collection, hundreds of files later."""
    if gc.get_count()[2]:
        gc.collect()


class _parse_gc:
    """PARSE_GC_THRESHOLDS for a serial analysis in this process, then the thresholds it had."""

    def __enter__(self) -> None:
        self.saved = gc.get_threshold()
        gc.set_threshold(*PARSE_GC_THRESHOLDS)

    def __exit__(self, *exc: object) -> None:
        gc.set_threshold(*self.saved)


def _work(source: SourceFile, force: Force | dict[str, Force] | None = None) -> FileResult:
    assert _worker_scanner is not None
    return _worker_scanner.analyze_file(source, force)


# After a file this large, a worker hands the memory its parse tree used back to the system:
# CPython keeps freed blocks in its heap, so one 17,000-line file would set the worker's size for
# the rest of the scan (peak RSS is summed over the workers).
RELEASE_AFTER_BYTES = 256 * 1024
_libc_trim: Any = None


def _release_memory() -> None:
    global _libc_trim
    gc.collect()
    if _libc_trim is None:
        try:
            import ctypes

            _libc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to trim
            _libc_trim = False
    if _libc_trim:
        _libc_trim(0)


def _work_chunk(sources: list[SourceFile], force: Force | dict[str, Force] | None = None
                ) -> list[FileResult]:
    results = []
    for source in sources:
        results.append(_work(source, force))
        if source.size > RELEASE_AFTER_BYTES:
            _release_memory()
        else:
            _collect_promoted()
    return results
