"""One file: read it (guarded, size-limited), decode it, parse it once, run every active check's
visitor in one batched traversal, and return a :class:`FileResult` or a one-line error.  Whatever
the file holds, the analysis never raises."""

from __future__ import annotations

import codecs
import errno
import io
import re
import signal
import threading
import tokenize
from typing import Any, Tuple, Union

from pcilint import safeio
from pcilint.cache import digest
from pcilint.checks.base import FileContext
from pcilint.discovery import SourceFile
from pcilint.findings import FileResult
from pcilint.prefilter import FileDeps, import_targets
from pcilint.ruleset import Rule
from pcilint.suppressions import python_suppressions, text_suppressions

#: The per-file memory budget, in tokens: libcst holds about 0.5-2.5 KB per token while it parses,
#: so a 200,000-function file took 3.3 GB and a 5 MB list literal 1.9 GB.  Real code stays far
#: below (the largest file of 2,054 in site-packages has 63,000); a file over the budget is checked
#: as text only (secrets, card numbers) and listed under errors.
DEFAULT_MAX_PARSE_TOKENS = 250_000


_TOKEN = re.compile(r"\w+|[^\w\s]")

# Which rules a file's analysis runs: False, those one of whose prefilter terms occur in it; True,
# every rule; a tuple of rule ids, those and the ones with matching terms (the rules the closure
# needs the file for).  Part of a cached entry's key.
Force = Union[bool, Tuple[str, ...]]


class FileTimeout(BaseException):  # not Exception: library code must not swallow it
    pass


class FileAnalysis:
    """The per-file part of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's
    rules, plans, prefilter and settings)."""

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
                return self._check_as_text(result, text, file_kind, rules)
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
        return self._check_as_text(result, text, file_kind, rules)

    def _check_as_text(self, result: FileResult, text: str, file_kind: str,
                       rules: list[Rule]) -> FileResult:
        """``rules``' raw-line checks (``check_unparsed``) on a file that is not parsed."""
        if rules:
            ctx = FileContext(result.path, text, file_kind, self.settings, None)
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


def _force_of(force: Any, display: str) -> Any:
    """A file's ``Force`` out of one for a round (a dict: per file; a file it omits: False)."""
    return force.get(display, False) if isinstance(force, dict) else force


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


def _visit_batched(module: Any, visitors: list[Any]) -> None:
    """Run every check's visitor in one read-only traversal (:func:`pcilint.walk.walk_batched`).

    libcst's ``visit_batched`` would look the methods up with ``inspect.getmembers`` over the
    hundreds of visitor stubs (~0.04 s per visitor per file) and rebuild every node it passes; the
    walk calls the same methods on the same nodes in the same order, without either cost."""
    from pcilint.walk import walk_batched

    walk_batched(module, visitors)


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
