"""The scan: discover files, parse each once, run every active check in one batched traversal,
then the project-wide phase, suppressions and ordering.

Files are analysed in worker processes (``jobs``); each returns a picklable :class:`FileResult`.
"""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import signal
import sys
import threading
import time
import tokenize
import io
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import libcst as cst

from pcilint import isolation
from pcilint.checks.base import FileContext, ProjectReporter
from pcilint.config import Settings, code_matches, validate_codes
from pcilint.discovery import SourceFile, discover
from pcilint.errors import ConfigError
from pcilint.findings import SEVERITY_RANK, Finding, ScanError, ScanResult, assign_fingerprints
from pcilint.ruleset import Rule, load_rules
from pcilint.suppressions import SuppressionMap, python_suppressions, text_suppressions

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_FILE_TIMEOUT = 60.0
# Below this many files a process pool costs more than it saves.
MIN_FILES_FOR_POOL = 24


class FileTimeout(BaseException):  # not Exception: library code must not swallow it
    pass


@dataclass
class Options:
    jobs: int = 0  # 0 = all cores
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    select: list[str] | None = None  # command line, replaces the config's
    extend_ignore: list[str] = field(default_factory=list)
    extra_rules: list[Path] = field(default_factory=list)
    include_builtin_rules: bool = True


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    scanned: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # rule id -> project facts
    suppressions: SuppressionMap | None = None


class Scanner:
    """A configured scanner: the active rules and settings, reusable across scans."""

    def __init__(self, settings: Settings, options: Options, rules: list[Rule] | None = None) -> None:
        self.settings = settings
        self.options = options
        if rules is None:
            rules = load_rules(settings.extend_rules + options.extra_rules,
                               include_builtin=options.include_builtin_rules)
        self.all_rules = rules
        validate_codes([r.id for r in rules], settings, options.select, options.extend_ignore)
        self.rules = select_rules(rules, options.select if options.select is not None
                                  else settings.select, settings.ignore + options.extend_ignore)
        self.kinds = {k for r in self.rules for k in r.check.FILE_KINDS}

    # -- one file -------------------------------------------------------------------------------
    def rules_for(self, path: str, file_kind: str) -> list[Rule]:
        ignored: list[str] = []
        for glob, codes in self.settings.per_file_ignores.items():
            if _glob_match(path, glob, self.settings.root):
                ignored += codes
        return [r for r in self.rules if file_kind in r.check.FILE_KINDS
                and not code_matches(r.id, ignored)]

    def analyze_text(self, path: str, text: str, file_kind: str) -> FileResult:
        """Analyse one file's decoded text (used by workers and by the rule-example tests)."""
        result = FileResult(path=path)
        rules = self.rules_for(path, file_kind)
        if not rules:
            result.scanned = True
            return result
        module = None
        if file_kind == "python":
            try:
                module = cst.parse_module(text)
            except cst.ParserSyntaxError as exc:
                result.error = _one_line(_syntax_error_message(exc, text))
                return result
            except RecursionError:
                result.error = "expression nested too deeply to parse"
                return result
        ctx = FileContext(path, text, file_kind, self.settings, module)
        if module is not None:
            visitors = [v for v in (r.check.visitor(ctx) for r in rules) if v is not None]
            if visitors:
                cst.visit_batched(module, visitors)
            result.suppressions = python_suppressions(text)
        else:
            for rule in rules:
                rule.check.check_text(ctx)
            result.suppressions = text_suppressions(text)
        for rule in rules:
            facts = rule.check.project_facts(ctx)
            if facts is not None:
                result.facts[rule.id] = facts
        result.findings = ctx.findings
        result.scanned = True
        return result

    def analyze_file(self, source: SourceFile) -> FileResult:
        """Analyse one file; whatever the file holds, return a result or a one-line error."""
        isolation.file_started(source.display)
        try:
            with isolation.recursion_headroom():
                result = self._analyze_file(source)
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

    def _analyze_file(self, source: SourceFile) -> FileResult:
        from pcilint.guard import structure_problem

        try:
            if source.size > self.options.max_file_size:
                return FileResult(path=source.display, error=(
                    f"skipped: file is {source.size / 2**20:.1f} MiB, over the "
                    f"{self.options.max_file_size / 2**20:.1f} MiB limit (--max-file-size)"))
            try:
                data = source.path.read_bytes()
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
                    problem = structure_problem(text)
                    if problem:
                        return FileResult(path=source.display, error=problem)
                return self.analyze_text(source.display, text, source.kind)
        except FileTimeout:
            return FileResult(path=source.display, error=(
                f"analysis took longer than {self.options.file_timeout:g} s and was stopped "
                "(--file-timeout)"))
        except RecursionError:
            return FileResult(path=source.display, error="code nested too deeply to analyse")
        except MemoryError:
            return FileResult(path=source.display, error="out of memory while analysing this file")

    # -- the whole scan ---------------------------------------------------------------------------
    def scan(self, paths: list[Path], cwd: Path | None = None,
             progress: Callable[[int, int], None] | None = None) -> ScanResult:
        """Scan ``paths``; ``progress(done, total)`` is called as files finish (main process)."""
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
        findings += self._project_phase(by_path, {f.display: f for f in files})
        findings = self._suppress(findings, by_path, result)
        result.findings = sorted(_dedupe(findings), key=lambda f: f.sort_key)
        assign_fingerprints(result.findings)
        result.errors.sort(key=lambda e: (e.path, e.message))
        result.duration_s = time.perf_counter() - started
        return result

    def _run(self, files: list[SourceFile],
             progress: Callable[[int, int], None] | None = None) -> list[FileResult]:
        jobs = self.options.jobs or os.cpu_count() or 1
        tick = progress or (lambda done, total: None)
        if jobs <= 1 or len(files) < MIN_FILES_FOR_POOL:
            serial = []
            for f in files:
                serial.append(self.analyze_file(f))
                tick(len(serial), len(files))
            return serial
        # Largest files first: they set the tail of a parallel run.
        ordered = sorted(files, key=lambda f: -f.size)
        results: dict[str, FileResult] = {}
        chunk = max(1, min(16, len(ordered) // (jobs * 8)))
        inflight = isolation.InFlight()
        try:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                     initargs=(self, inflight.directory)) as pool:
                for fr in pool.map(_work, ordered, chunksize=chunk):
                    results[fr.path] = fr
                    tick(len(results), len(files))
        except BrokenProcessPool:
            # A worker died (segfault, OOM killer, watchdog): never re-run its files in this
            # process; the suspects go to processes of their own (see isolation.py).
            lost = [f for f in ordered if f.display not in results]
            results.update(isolation.recover(self, lost, jobs, inflight.suspects()))
        finally:
            inflight.close()
        return [results.get(f.display) or isolation.lost_result(f.display) for f in files]

    def _project_phase(self, by_path: dict[str, FileResult],
                       sources: dict[str, SourceFile]) -> list[Finding]:
        line_cache: dict[str, list[str]] = {}

        def line_of(path: str, line: int) -> str:
            if path not in line_cache:
                src = sources.get(path)
                try:
                    data = src.path.read_bytes() if src else b""
                    text, _ = decode_source(data, src.kind if src else "python")
                except OSError:
                    text = None
                line_cache[path] = (text or "").splitlines()
            lines = line_cache[path]
            return lines[line - 1] if 0 < line <= len(lines) else ""

        reporter = ProjectReporter(line_of)
        for rule in self.rules:
            facts = {p: fr.facts[rule.id] for p, fr in by_path.items() if rule.id in fr.facts}
            if facts or _overrides(rule.check, "check_project"):
                rule.check.check_project(facts, reporter)
        return reporter.findings

    def _suppress(self, findings: list[Finding], by_path: dict[str, FileResult],
                  result: ScanResult) -> list[Finding]:
        kept = []
        for f in findings:
            fr = by_path.get(f.path)
            sup = fr.suppressions if fr else None
            if sup is not None and sup.suppresses(f.rule_id, f.line):
                result.suppressed += 1
                continue
            kept.append(f)
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


def _syntax_error_message(exc: cst.ParserSyntaxError, text: str) -> str:
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


_worker_scanner: Scanner | None = None


def _init_worker(scanner: Scanner, inflight_dir: str | None = None) -> None:
    global _worker_scanner
    _worker_scanner = scanner
    isolation.init_worker(inflight_dir, scanner.options.file_timeout)


def _work(source: SourceFile) -> FileResult:
    assert _worker_scanner is not None
    return _worker_scanner.analyze_file(source)
