"""Configuration: discovery, keys, per-file ignores, and errors that name file, line and key."""

from __future__ import annotations

from conftest import run_cli, run_json, write_tree

LIVE_KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


def test_pyproject_config_is_found_walking_up(tmp_path):
    write_tree(tmp_path, {
        "pyproject.toml": "[tool.pcilint]\nignore = ['PCI701']\n",
        "src/app.py": f"KEY = '{LIVE_KEY}'\n",
    })
    code, doc, _ = run_json(["src"], cwd=tmp_path)
    assert code == 0 and doc["findings"] == []


def test_yaml_config_exclude_and_per_file_ignores(tmp_path):
    write_tree(tmp_path, {
        ".pcilint.yaml": "exclude: ['vendored/']\nper_file_ignores:\n  'scripts/*': [PCI7]\n",
        "vendored/lib.py": f"KEY = '{LIVE_KEY}'\n",
        "scripts/seed.py": f"KEY = '{LIVE_KEY}'\n",
        "app.py": f"KEY = '{LIVE_KEY}'\n",
    })
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert [f["path"] for f in doc["findings"]] == ["app.py"]


def test_fail_on_from_config(tmp_path):
    write_tree(tmp_path, {".pcilint.yaml": "fail_on: critical\n", "app.py": "x = 1\n"})
    assert run_cli(["check", "."], cwd=tmp_path)[0] == 0


def test_unknown_yaml_key_names_file_line_and_key(tmp_path):
    write_tree(tmp_path, {".pcilint.yaml": "select: [PCI7]\nignroe: [PCI1]\n", "app.py": "x = 1\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2
    assert ".pcilint.yaml:2: ignroe: unknown configuration key" in err


def test_bad_toml_value_names_its_line(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname='x'\n\n[tool.pcilint]\nfail_on = 'urgent'\n",
                          "app.py": "x = 1\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2
    assert "pyproject.toml:5: fail_on: must be one of" in err


def test_malformed_yaml_config(tmp_path):
    write_tree(tmp_path, {".pcilint.yaml": "select: [PCI7\n", "app.py": "x = 1\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2 and ".pcilint.yaml:" in err and "invalid YAML" in err


def test_extend_rules_from_config(tmp_path):
    write_tree(tmp_path, {
        ".pcilint.yaml": "extend_rules: [team-rules.yaml]\n",
        "team-rules.yaml": """\
            rules:
              - id: PCI790
                name: internal-vault-token
                category: secrets
                severity: high
                pci_dss: ["8.6.2"]
                message: "hardcoded vault token {literal}"
                summary: Our vault tokens must not be committed.
                why: They unlock the card vault.
                fix: Use the vault agent.
                check:
                  kind: literal-pattern
                  pattern: 'hvs\\.[A-Za-z0-9]{20,}'
                examples:
                  bad: ["T = 'hvs.AAAAAAAAAAAAAAAAAAAAAAAA'"]
                  good: ["T = os.environ['VAULT_TOKEN']"]
            """,
        "app.py": "T = 'hvs.AAAAAAAAAAAAAAAAAAAAAAAA'\n",
    })
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert code == 1
    # the rule file's own bad example is a settings file with the token in it: flagged too
    assert [(f["rule_id"], f["path"]) for f in doc["findings"]] == [
        ("PCI790", "app.py"), ("PCI790", "team-rules.yaml")]
