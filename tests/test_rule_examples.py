"""Every YAML rule's own examples: each `bad` example is flagged by that rule, each `good` one is not.

A `bad` example marks the lines it must be reported on (`# ruleid: PCIxxx` directly above each, or
`expect_line:` for a format without comments; see `pcilint.ruletest` and docs/writing-rules.md): the
rule must report exactly those lines, none marked `# ok: PCIxxx`, fill every `{field}` of its
message, and report the same with the marker lines emptied.  The checks are `pcilint test`'s
(`pcilint.ruletest.check_example`); the cases are collected from the rule packs, so adding a rule
adds its tests.
"""

from __future__ import annotations

import pytest

from pcilint.checks import bind
from pcilint.ruleset import load_rules
from pcilint.ruletest import check_example

RULES = bind(load_rules())


def _cases(which: str):
    for rule in RULES:
        for i, example in enumerate(getattr(rule, which)):
            yield pytest.param(rule, example, id=f"{rule.id}-{which}-{i + 1}")


def _explain(problems, example) -> str:
    return "\n".join(map(str, problems)) + "\n" + example.code


@pytest.mark.parametrize("rule,example", list(_cases("bad")))
def test_bad_example_is_flagged_on_its_marked_lines(rule, example):
    problems = check_example(rule, example, True, RULES)
    assert not problems, _explain(problems, example)


@pytest.mark.parametrize("rule,example", list(_cases("good")))
def test_good_example_is_clean(rule, example):
    problems = check_example(rule, example, False, RULES)
    assert not problems, _explain(problems, example)


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
