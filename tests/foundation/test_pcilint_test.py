"""`pcilint test RULES...`: a rule pack's examples as tests, each misbehaving one named by file and line."""

from __future__ import annotations

from conftest import run_cli

HEAD = """\
rules:
  - id: PCI791
    name: test-rule
    category: secrets
    severity: high
    message: "found {literal} {missing}"
    pci_dss: ["3.5.1"]
    summary: s
    why: w
    fix: f
    check:
      kind: literal-pattern
      pattern: 'zz[0-9]+'
    examples:
"""


def _pack(tmp_path, examples: str):
    (tmp_path / "pack.yaml").write_text(HEAD.replace('"found {literal} {missing}"', '"found {literal}"')
                                        + examples)
    return run_cli(["test", "pack.yaml"], tmp_path)


def test_a_pack_whose_examples_behave_passes(tmp_path):
    code, out, err = _pack(tmp_path, """\
      bad:
        - |
          a = 1
          # ruleid: PCI791
          KEY = "zz123"
      good:
        - |
          KEY = "zz"
""")
    assert code == 0, out + err
    assert "2 examples, 0 problems" in out + err


def test_each_misbehaving_example_is_named_by_file_and_line(tmp_path):
    code, out, _err = _pack(tmp_path, """\
      bad:
        - |
          # ruleid: PCI791
          a = 1
          KEY = "zz123"
        - |
          KEY = "zz123"
        - |
          # ruleid: PCI792
          KEY = "zz123"
        - |
          # ok: PCI791
          KEY = "zz123"
      good:
        - |
          KEY = "zz999"
        - |
          # ruleid: PCI791
          x = 1
""")
    assert code == 1
    lines = out.strip().splitlines()
    assert "pack.yaml:16: PCI791: bad example (as example.py): reported on line(s) 3, marked 2" in out
    assert "pack.yaml:20: PCI791: bad example (as example.py): marks no line" in out
    assert "pack.yaml:22: PCI791: bad example (as example.py): markers name PCI792" in out
    assert "pack.yaml:25: PCI791: bad example (as example.py): reported on line(s) 2 marked `ok:`" in out
    assert "pack.yaml:29: PCI791: good example (as example.py): must not be reported" in out
    assert "pack.yaml:31: PCI791: good example (as example.py): a good example marks no line" in out
    assert all("pack.yaml:" in line for line in lines), out


def test_an_unfilled_message_field_is_a_problem(tmp_path):
    (tmp_path / "pack.yaml").write_text(HEAD + """\
      bad:
        - |
          # ruleid: PCI791
          KEY = "zz123"
      good: ["x = 1"]
""")
    code, out, _err = run_cli(["test", "pack.yaml"], tmp_path)
    assert code == 1 and "message leaves a field unfilled" in out, out


def test_an_invalid_pack_is_a_one_line_error(tmp_path):
    (tmp_path / "pack.yaml").write_text("rules: 5\n")
    code, _out, err = run_cli(["test", "pack.yaml"], tmp_path)
    assert code == 2 and "pack.yaml" in err
