"""Every YAML rule's own examples: each `bad` example is flagged by that rule, each `good` one is not.

The cases are collected from the rule packs, so adding a rule adds its tests.
"""

from __future__ import annotations

import pytest

from pcilint.ruleset import load_rules

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


@pytest.mark.parametrize("rule,example", list(_cases("good")))
def test_good_example_is_clean(rule, example):
    result = scan_snippet(example.code, example.path, select=[rule.id], rules=RULES)
    assert result.error is None, result.error
    hits = [f for f in result.findings if f.rule_id == rule.id]
    assert not hits, _describe(rule, example, hits)


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
