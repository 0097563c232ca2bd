"""The line markers of rule examples (`# ruleid:` / `# ok:` / `expect_line:`), parsed alone."""

from __future__ import annotations

import pytest

from pcilint.errors import RuleError
from pcilint.ruleset import load_rule_file
from pcilint.ruletest import blank_markers, parse_markers


def test_ruleid_marks_the_next_code_line():
    code = "import logging\n# ruleid: PCI101\nlogging.info(pan)\nx = 1\n"
    m = parse_markers(code)
    assert m.expect == {"PCI101": {3}} and m.ok == {} and m.dangling == []


def test_stacked_markers_and_ok_mark_the_same_line():
    code = "def f():\n    # ruleid: PCI101, PCI102\n    # ok: PCI103\n    log(pan)\n"
    m = parse_markers(code)
    assert m.expect == {"PCI101": {4}, "PCI102": {4}}
    assert m.ok == {"PCI103": {4}}


@pytest.mark.parametrize("line", ["<!-- ruleid: PCI405 -->", "{# ruleid: PCI405 #}",
                                  "  // ruleid: PCI405", "#ruleid:PCI405"])
def test_comment_syntax_of_other_languages(line):
    assert parse_markers(f"<form>\n{line}\n<input name=cvc>\n").expect == {"PCI405": {3}}


@pytest.mark.parametrize("line", ["x = 1  # ruleid: PCI101", "# ruleid: PCI10", "# rule id: PCI101",
                                  "# ruleid: PCI101 and more", '"# ruleid: PCI101"'])
def test_look_alikes_are_not_markers(line):
    m = parse_markers(line + "\nlog(pan)\n")
    assert m.expect == {} and m.ok == {}


def test_a_marker_with_no_line_below_is_dangling():
    assert parse_markers("log(pan)\n# ruleid: PCI101\n").dangling == [2]


def test_blank_markers_keeps_every_other_line_and_the_numbering():
    code = "a = 1\n    # ruleid: PCI101\nlog(pan)  # ruleid: PCI101\n"
    assert blank_markers(code) == "a = 1\n\nlog(pan)  # ruleid: PCI101\n"
    assert blank_markers("# ok: PCI101\nx") == "\nx"


RULE = """\
rules:
  - id: PCI791
    name: test-rule
    category: secrets
    severity: high
    message: "m"
    pci_dss: ["3.5.1"]
    summary: s
    why: w
    fix: f
    check:
      kind: literal-pattern
      pattern: 'zz'
    examples:
      bad:
        - path: a.json
          EXTRA
          code: |
            {"k": "zz"}
      good: ["x = 1"]
"""


@pytest.mark.parametrize("extra,lines", [("expect_line: 1", (1,)), ("expect_line: [1, 3]", (1, 3))])
def test_expect_line_is_read(tmp_path, extra, lines):
    p = tmp_path / "r.yaml"
    p.write_text(RULE.replace("EXTRA", extra))
    assert load_rule_file(p)[0].bad[0].expect_lines == lines


@pytest.mark.parametrize("extra,field", [("expect_line: first", "expect_line"),
                                         ("expect_line: [0]", "expect_line"),
                                         ("expect_line: true", "expect_line"),
                                         ("expect_lines: 1", "expect_lines")])
def test_bad_expect_line_is_an_error_naming_file_line_and_field(tmp_path, extra, field):
    p = tmp_path / "r.yaml"
    p.write_text(RULE.replace("EXTRA", extra))
    with pytest.raises(RuleError) as err:
        load_rule_file(p)
    assert err.value.field == field and err.value.line == 17 and err.value.path == str(p)
