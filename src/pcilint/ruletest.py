"""Line markers in rule examples: where a ``bad`` example must be reported, and where it must not.

Semgrep's convention: a comment line ``# ruleid: PCI212`` directly above the line the finding must be
reported on, ``# ok: PCI212`` above a line that must not be reported. Several marker lines may stand
above one line. The comment opener is the example's own language's: ``#`` (Python, requirements, TOML,
YAML, ``.env``, ``setup.cfg``), ``<!-- ... -->`` or ``{# ... #}`` (templates), ``//``. A file format
without comments (a JSON lock file) gives the lines in the example's ``expect_line:`` field instead.

A marker is a comment: it moves the lines below it and changes nothing else a rule sees.
:func:`blank_markers` gives the example with each marker line emptied, so a test can check that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = re.compile(
    r"^[ \t]*(?:#|//|<!--|\{#)[ \t]*(?P<what>ruleid|ok):[ \t]*"
    r"(?P<ids>PCI\d{3}(?:[ \t]*,[ \t]*PCI\d{3})*)[ \t]*(?:-->|#\})?[ \t]*$")


@dataclass
class Markers:
    expect: dict[str, set[int]] = field(default_factory=dict)  # rule id -> lines it must report
    ok: dict[str, set[int]] = field(default_factory=dict)      # rule id -> lines it must not report
    dangling: list[int] = field(default_factory=list)          # marker lines with no code line below


def parse_markers(code: str) -> Markers:
    """The marked lines of ``code`` (1-based, counted in ``code`` as written, markers included)."""
    out = Markers()
    pending: list[tuple[int, str, list[str]]] = []
    lines = code.splitlines()
    for number, line in enumerate(lines, 1):
        m = MARKER.match(line)
        if m:
            ids = [i.strip() for i in m.group("ids").split(",")]
            pending.append((number, m.group("what"), ids))
            continue
        for _, what, ids in pending:
            table = out.expect if what == "ruleid" else out.ok
            for rule_id in ids:
                table.setdefault(rule_id, set()).add(number)
        pending = []
    out.dangling = [number for number, _, _ in pending]
    return out


def blank_markers(code: str) -> str:
    """``code`` with every marker line emptied: the same line numbers, no marker comments."""
    keep_end = code.endswith("\n")
    lines = ["" if MARKER.match(line) else line for line in code.splitlines()]
    return "\n".join(lines) + ("\n" if keep_end else "")


# -- running a rule's examples (`pcilint test`, tests/test_rule_examples.py) -----------------------

_UNFILLED = re.compile(r"\{\w+\}")


@dataclass(frozen=True)
class Problem:
    """An example that does not behave: where it is written (rule file, line) and what is wrong."""

    path: str
    line: int
    rule_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule_id}: {self.message}"


def scan_example(code: str, path: str, rule_id: str, rules: list, settings: Any = None) -> Any:
    """Analyse one in-memory file with the real engine and only ``rule_id`` active, the project
    phase included (card data may come from another module; here there is one); a FileResult."""
    from pcilint.checks.base import ProjectReporter
    from pcilint.config import Settings
    from pcilint.discovery import file_kind
    from pcilint.engine import Options, Scanner
    from pcilint.project_phase import _dedupe

    scanner = Scanner(settings or Settings(), Options(jobs=1, select=[rule_id]), rules=rules)
    result = scanner.analyze_text(path, code, file_kind(Path(path)) or "python")
    lines = code.splitlines()
    reporter = ProjectReporter(lambda p, n: lines[n - 1] if 0 < n <= len(lines) else "")
    for rule in scanner.rules:
        if rule.id in result.facts:
            rule.check.check_project({path: result.facts[rule.id]}, reporter)
    result.findings = _dedupe(result.findings + reporter.findings)
    return result


def check_example(rule: Any, example: Any, bad: bool, rules: list) -> list[Problem]:
    """What is wrong with one example of ``rule`` (empty: it behaves).

    A bad example must be reported by its rule on exactly the lines it marks, on none marked ok,
    with every ``{field}`` of the message filled, and the same with its marker lines emptied; a
    good one must not be reported and marks no ``ruleid:`` line.  Neither may fail to analyse
    (except a bad example of a Python file that does not parse: it is listed *and* reported)."""
    where = rule.source.rsplit(":", 1)[0]

    def problem(message: str) -> Problem:
        return Problem(where, example.line, rule.id,
                       f"{'bad' if bad else 'good'} example (as {example.path}): {message}")

    result = scan_example(example.code, example.path, rule.id, rules)
    hits = [f for f in result.findings if f.rule_id == rule.id]
    shown = "; ".join(f"line {f.line}: {f.message}" for f in hits) or "no finding"
    markers = parse_markers(example.code)
    if not bad:
        out = []
        if result.error is not None:
            out.append(problem(f"not analysed: {result.error}"))
        if hits:
            out.append(problem(f"must not be reported, is: {shown}"))
        if markers.expect or example.expect_lines:
            out.append(problem("a good example marks no line `ruleid:` / `expect_line:`"))
        return out
    out = []
    broken = _python_that_does_not_parse(example)
    if result.error is not None and not (broken and result.error.startswith("syntax error")):
        out.append(problem(f"not analysed: {result.error}"))
    elif broken and result.error is None:
        out.append(problem("does not parse, but is not listed as a syntax error"))
    if markers.dangling:
        out.append(problem(f"the marker on line {markers.dangling[0]} marks no line"))
    others = (set(markers.expect) | set(markers.ok)) - {rule.id}
    if others:
        out.append(problem(f"markers name {', '.join(sorted(others))}, not the example's rule"))
    expected = markers.expect.get(rule.id, set()) | set(example.expect_lines)
    lines = {f.line for f in hits}
    if not hits:
        out.append(problem("must be reported, is not"))
    elif not expected:
        out.append(problem(f"marks no line it must be reported on (`# ruleid: {rule.id}` above "
                           f"each, or `expect_line:`); reported: {shown}"))
    elif lines != expected:
        out.append(problem(f"reported on line(s) {_lines(lines)}, marked {_lines(expected)}"))
    ok = lines & markers.ok.get(rule.id, set())
    if ok:
        out.append(problem(f"reported on line(s) {_lines(ok)} marked `ok:`"))
    for f in hits:
        if _UNFILLED.search(f.message):
            out.append(problem(f"message leaves a field unfilled: {f.message}"))
    if markers.expect and not out:
        def seen(res: Any) -> list:
            return sorted((f.rule_id, f.line, f.column, f.message) for f in res.findings)

        plain = scan_example(blank_markers(example.code), example.path, rule.id, rules)
        if seen(plain) != seen(result):
            out.append(problem("its marker comments change what the rule reports"))
    return out


def check_rules(rules: list, only: Any = None) -> tuple[int, list[Problem]]:
    """Every example of every rule in ``rules`` (or of those ``only(rule)`` accepts): how many
    examples were run, and the problems."""
    count, problems = 0, []
    for rule in rules:
        if only is not None and not only(rule):
            continue
        for bad, examples in ((True, rule.bad), (False, rule.good)):
            for example in examples:
                count += 1
                problems += check_example(rule, example, bad, rules)
    return count, problems


def _python_that_does_not_parse(example: Any) -> bool:
    if not example.path.endswith(".py"):
        return False
    try:
        compile(example.code, example.path, "exec")
    except SyntaxError:
        return True
    return False


def _lines(lines: set[int]) -> str:
    return ", ".join(str(n) for n in sorted(lines))
