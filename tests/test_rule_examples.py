"""Every YAML rule's own examples: each `bad` example is flagged by that rule, each `good` one is not.

A `bad` example marks the lines it must be reported on (`# ruleid: PCIxxx` directly above each, or
`expect_line:` for a format without comments; see `pcilint.ruletest` and docs/writing-rules.md): the
rule must report exactly those lines, none marked `# ok: PCIxxx`, and fill every `{field}` of its message.
The cases are collected from the rule packs, so adding a rule adds its tests.
"""

from __future__ import annotations

import re

import pytest

from pcilint.ruleset import load_rules
from pcilint.ruletest import blank_markers, parse_markers

from conftest import scan_snippet

RULES = load_rules()


def _cases(which: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, which)):
            yield pytest.param(rule, example, id=f"{rule.id}-{which}-{i + 1}")


def _describe(rule, example, findings) -> str:
    return (f"{rule.id} example at {rule.source.rsplit(':', 1)[0]}:{example.line} "
            f"(as {example.path}):\n{example.code}\nfindings: "
            + "; ".join(f"{f.rule_id}@{f.line} {f.message}" for f in findings))


def _parses(example) -> bool:
    if not example.path.endswith(".py"):
        return True
    try:
        compile(example.code, example.path, "exec")
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("rule,example", list(_cases("bad")))
def test_bad_example_is_flagged(rule, example):
    result = scan_snippet(example.code, example.path, select=[rule.id], rules=RULES)
    if _parses(example):
        assert result.error is None, result.error
    else:  # an example of a file that does not parse: listed under errors *and* reported
        assert result.error and result.error.startswith("syntax error"), result.error
    hits = [f for f in result.findings if f.rule_id == rule.id]
    assert hits, _describe(rule, example, result.findings)
    expected, ok = _marked_lines(rule, example)
    lines = {f.line for f in hits}
    assert lines == expected, (f"reported on lines {sorted(lines)}, marked {sorted(expected)}: "
                               + _describe(rule, example, result.findings))
    assert not lines & ok, f"reported on a line marked ok: {_describe(rule, example, hits)}"
    for f in hits:
        assert not re.search(r"\{\w+\}", f.message), f"unfilled field: {f.message}"


def _marked_lines(rule, example) -> tuple[set[int], set[int]]:
    where = f"{rule.id} example at {rule.source.rsplit(':', 1)[0]}:{example.line}"
    markers = parse_markers(example.code)
    assert not markers.dangling, f"{where}: a marker on line {markers.dangling[0]} marks no line"
    others = (set(markers.expect) | set(markers.ok)) - {rule.id}
    assert not others, f"{where}: markers name {sorted(others)}, not the example's rule"
    expected = markers.expect.get(rule.id, set()) | set(example.expect_lines)
    assert expected, (f"{where}: a bad example marks the lines it must be reported on "
                      f"(`# ruleid: {rule.id}` above each, or `expect_line:`)")
    return expected, markers.ok.get(rule.id, set())


@pytest.mark.parametrize("rule,example", list(_cases("bad")))
def test_markers_change_nothing_but_line_numbers(rule, example):
    """A marker is a comment: with every marker line emptied, the findings are the same."""
    if not parse_markers(example.code).expect:
        pytest.skip("no marker comments (expect_line:)")

    def seen(code):
        result = scan_snippet(code, example.path, select=[rule.id], rules=RULES)
        return sorted((f.rule_id, f.line, f.column, f.message) for f in result.findings)

    assert seen(example.code) == seen(blank_markers(example.code))


@pytest.mark.parametrize("rule,example", list(_cases("good")))
def test_good_example_is_clean(rule, example):
    result = scan_snippet(example.code, example.path, select=[rule.id], rules=RULES)
    assert result.error is None, result.error
    hits = [f for f in result.findings if f.rule_id == rule.id]
    assert not hits, _describe(rule, example, hits)
    markers = parse_markers(example.code)
    assert not markers.expect and not example.expect_lines, (
        f"{rule.id}: a good example marks no line `ruleid:` / `expect_line:`")


def test_every_rule_has_bad_and_good_examples():
    for rule in RULES:
        assert rule.bad and rule.good, rule.id


def test_rule_codes_are_unique_and_follow_the_contract():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.category == {"1": "logging", "2": "storage", "3": "caching", "4": "transmission",
                              "5": "transport", "6": "webhook", "7": "secrets", "8": "validation",
                              "9": "dependencies"}[r.id[3]]
