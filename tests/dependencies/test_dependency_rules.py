"""PCI901-903 end to end: manifests found in a directory scan and when named on the command line,
findings exactly at the requirement, lock entry or API-version assignment, look-alikes clean, and
the [tool.pcilint.dependencies] overrides (with their errors and the cache)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO, run_cli, run_json, write_tree
from pcilint.versiontable import load_table

TABLE = load_table(REPO / "rules" / "data" / "stripe-versions.yaml")
OLDEST = TABLE.min_supported_major()  # the window moves with the table: derive versions from it
IN_WINDOW = f"{OLDEST}.0.0"
PAST_WINDOW = f"{OLDEST - 1}.0.0"
CURRENT = TABLE.latest.last_release

TREE = {
    "app/requirements.txt": "flask==3.0.3\nstripe==2.55.0\n",
    "app/requirements-dev.txt": "-r requirements.txt\nstripe\npytest\n",
    "app/constraints.txt": f"stripe=={CURRENT}\n",
    "app/requirements/base.txt": "# the SDK\nStripe>=5.0  # any newer major\n",
    "app/requirements/pinned.txt": "-c ../constraints.txt\nstripe\n",
    "svc/Pipfile": '[packages]\nstripe = "*"\ndj-stripe = "==2.4.0"\n',
    "svc/Pipfile.lock": json.dumps({"_meta": {}, "default": {
        "dj-stripe": {"version": "==2.4.0"}, "stripe": {"version": "==4.2.0"}}}, indent=4),
    "lib/pyproject.toml": ('[project]\nname = "lib"\ndependencies = ["stripe>=5"]\n\n'
                           '[build-system]\nrequires = ["hatchling"]\n'),
    "lib/setup.py": ('from setuptools import setup\n\nsetup(\n    name="lib",\n'
                     '    install_requires=["requests", "stripe>=2,<3"],\n'
                     f'    extras_require={{"new": ["stripe~={CURRENT}"]}},\n)\n'),
    "poetry/pyproject.toml": f'[tool.poetry.dependencies]\nstripe = "^{CURRENT}"\n',
    "poetry/poetry.lock": f'[[package]]\nname = "stripe"\nversion = "{IN_WINDOW}"\n',
    "uvapp/uv.lock": ('version = 1\n\n[[package]]\nname = "stripe-mock"\nversion = "1.0.0"\n\n'
                      f'[[package]]\nname = "stripe"\nversion = "{PAST_WINDOW}"\n'),
    "code/client.py": ('import stripe\n\nstripe.api_version = "2019-12-03"\n'
                       'client = stripe.StripeClient("k", stripe_version='
                       f'"{TABLE.latest.last_api_version}")\n'),
    "tests/requirements.txt": "stripe==1.0\n",
    "notes.txt": "stripe==2.0\n",
    "requirements.in": "stripe==2.0\n",
}
EXPECTED = {
    ("PCI901", "app/requirements.txt", 2),
    ("PCI902", "app/requirements-dev.txt", 2),
    ("PCI902", "app/requirements/base.txt", 2),
    ("PCI901", "svc/Pipfile.lock", 7),
    ("PCI901", "lib/setup.py", 5),
    ("PCI901", "uvapp/uv.lock", 8),
    ("PCI903", "code/client.py", 3),
}


def findings(doc) -> set[tuple[str, str, int]]:
    return {(f["rule_id"], f["path"], f["line"]) for f in doc["findings"]}


def test_directory_scan_finds_exactly_the_outdated_and_unbounded_requirements(tmp_path):
    write_tree(tmp_path, TREE)
    code, doc, _ = run_json(["--select", "PCI9", "."], cwd=tmp_path)
    assert code == 1 and doc["errors"] == []
    assert findings(doc) == EXPECTED
    # every manifest but the test one and the unscanned kinds (.in, notes), plus the Python files
    assert doc["summary"]["files_scanned"] == len(TREE) - 2
    by_path = {f["path"]: f for f in doc["findings"]}
    lock = by_path["svc/Pipfile.lock"]
    assert lock["category"] == "dependencies" and lock["severity"] == "medium"
    assert lock["pci_dss"] == ["6.3.3"]
    assert "`stripe` is locked at 4.2.0 (major 4)" in lock["message"]
    assert f"majors before {OLDEST} get no fixes" in lock["message"]
    assert by_path["app/requirements-dev.txt"]["message"].startswith("`stripe` has no version")
    assert by_path["app/requirements/base.txt"]["message"].startswith(
        "`Stripe>=5.0` has no upper bound")
    assert by_path["code/client.py"]["severity"] == "low"
    assert "`2019-12-03`" in by_path["code/client.py"]["message"]
    setup_line = TREE["lib/setup.py"].splitlines()[4]
    assert by_path["lib/setup.py"]["column"] == setup_line.index('"stripe>=2,<3"') + 1


def test_manifests_named_on_the_command_line_are_scanned(tmp_path):
    # pre-commit passes the staged file names
    write_tree(tmp_path, TREE)
    code, doc, _ = run_json(["app/requirements.txt", "uvapp/uv.lock", "svc/Pipfile",
                             "requirements.in"], cwd=tmp_path)
    assert code == 1
    assert findings(doc) == {("PCI901", "app/requirements.txt", 2),
                             ("PCI901", "uvapp/uv.lock", 8)}
    assert doc["summary"]["files_scanned"] == 3


def test_manifests_are_not_discovered_when_no_dependency_rule_runs(tmp_path):
    write_tree(tmp_path, {"requirements.txt": "stripe==2.55.0\n", "poetry.lock": "x\n",
                          "app.py": "x = 1\n"})
    code, doc, _ = run_json(["--select", "PCI7", "."], cwd=tmp_path)
    assert code == 0 and doc["summary"]["files_scanned"] == 1


def test_a_suppression_comment_works_in_a_requirements_file(tmp_path):
    write_tree(tmp_path, {"requirements.txt": (
        "stripe==2.55.0  # pcilint: ignore[PCI901] -- the legacy worker, replaced in Q3\n"
        "# pcilint: ignore[PCI902]\nstripe-extra\nstripe\n")})
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert findings(doc) == {("PCI902", "requirements.txt", 4)}
    assert doc["summary"]["findings"] == 1


def test_config_moves_the_window_and_the_api_age(tmp_path):
    write_tree(tmp_path, TREE)
    write_tree(tmp_path, {"pyproject.toml": (
        "[tool.pcilint]\nselect = ['PCI9']\n\n[tool.pcilint.dependencies]\n"
        "min_supported_major = 2\nmax_api_version_age_days = 5000\n")})
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert findings(doc) == {("PCI902", "app/requirements-dev.txt", 2),
                             ("PCI902", "app/requirements/base.txt", 2)}
    # the same tree, the configuration changed back: the cached results do not survive it
    (tmp_path / "pyproject.toml").write_text("[tool.pcilint]\nselect = ['PCI9']\n")
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert findings(doc) == EXPECTED


def test_config_versions_file_replaces_the_shipped_table(tmp_path):
    write_tree(tmp_path, TREE)
    own = ('package: stripe\ngenerated: "2019-06-01"\ngrace_days: 365\nmajors:\n'
           '  - {major: 1, first_release: "1.5.0", first_date: "2011-10-29",'
           ' last_release: "1.84.2", last_date: "2018-07-06", api_version: null}\n'
           '  - {major: 2, first_release: "2.0.0", first_date: "2018-07-10",'
           ' last_release: "2.30.0", last_date: "2019-05-30", api_version: null}\n')
    write_tree(tmp_path, {"ci/stripe-versions.yaml": own, ".pcilint.yaml": (
        "select: [PCI9]\ndependencies:\n  versions_file: ci/stripe-versions.yaml\n")})
    code, doc, _ = run_json(["."], cwd=tmp_path)
    # 2019's view: major 1, superseded less than a year before, is still in the window, and
    # 2019-12-03 is a new API version
    assert findings(doc) == {("PCI902", "app/requirements-dev.txt", 2),
                             ("PCI902", "app/requirements/base.txt", 2)}
    assert all("`stripe==2.30.0`" in f["message"] for f in doc["findings"])
    # editing the table (same path) invalidates cached results too
    (tmp_path / "ci" / "stripe-versions.yaml").write_text(
        own.replace('generated: "2019-06-01"', 'generated: "2021-06-01"'))
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert ("PCI901", "app/requirements.txt", 2) not in findings(doc)  # 2 is the latest there
    assert ("PCI903", "code/client.py", 3) not in findings(doc)
    (tmp_path / "ci" / "stripe-versions.yaml").write_text(
        own.replace('generated: "2019-06-01"', 'generated: "2023-06-01"'))
    code, doc, _ = run_json(["."], cwd=tmp_path)
    assert ("PCI903", "code/client.py", 3) in findings(doc)  # 2019-12-03 is now 3.5 years old


@pytest.mark.parametrize("config,where,message", [
    ("[tool.pcilint.dependencies]\nmin_supported_major = 'ten'\n",
     "pyproject.toml:2: dependencies.min_supported_major:", "whole number"),
    ("[tool.pcilint.dependencies]\nmax_api_version_age_days = -1\n",
     "pyproject.toml:2: dependencies.max_api_version_age_days:", "whole number"),
    ("[tool.pcilint.dependencies]\nmin_major = 3\n", "pyproject.toml:2: dependencies.min_major:",
     "unknown key"),
    ("[tool.pcilint]\ndependencies = 3\n", "pyproject.toml:2: dependencies:", "must be a mapping"),
    ("[tool.pcilint.dependencies]\n\nversions_file = 'missing.yaml'\n",
     "pyproject.toml:3: dependencies.versions_file:", "not found"),
])
def test_bad_dependency_settings_name_file_line_and_key(tmp_path, config, where, message):
    write_tree(tmp_path, {"pyproject.toml": config, "requirements.txt": "stripe\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2
    assert where in err and message in err, err
    assert "Traceback" not in err


def test_a_broken_versions_file_names_its_own_line_and_field(tmp_path):
    write_tree(tmp_path, {
        ".pcilint.yaml": "dependencies:\n  versions_file: table.yaml\n",
        "table.yaml": ('package: stripe\ngenerated: "2026-01-01"\nmajors:\n'
                       '  - {major: 3, first_release: "3.0.0", first_date: "2022-05-09",'
                       ' last_release: "3.5.0", last_date: "2022-06-30"}\n'
                       '  - {major: 2, first_release: "2.0.0", first_date: "2018-07-10",'
                       ' last_release: "2.76.0", last_date: "2022-05-05"}\n'),
        "requirements.txt": "stripe\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2
    assert re.search(r"table\.yaml:5: majors\[1\]\.major: majors must be listed in ascending", err)


def test_yaml_config_sub_key_line(tmp_path):
    write_tree(tmp_path, {".pcilint.yaml": "dependencies:\n  min_supported_major: 1\n"
                                           "  max_api_version_age_days: x\n",
                          "requirements.txt": "stripe\n"})
    code, _, err = run_cli(["check", "."], cwd=tmp_path)
    assert code == 2 and ".pcilint.yaml:3: dependencies.max_api_version_age_days:" in err


def test_the_judgement_never_reads_the_clock():
    # The window and the API age come from the table's `generated` date only, so a scan gives
    # the same findings on any day; nothing on the dependency path may ask for today's date.
    sources = ["versiontable.py", "specifiers.py", "manifests.py", "checks/dependency_version.py",
               "checks/api_version_age.py"]
    for name in sources:
        text = (REPO / "src" / "pcilint" / name).read_text(encoding="utf-8")
        assert not re.search(r"\b(today|now|utcnow)\(|\btime\.time\(", text), name


def test_precommit_hook_files_pattern_matches_the_manifests_pcilint_reads():
    from pcilint.discovery import file_kind

    hooks = (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    block = hooks[hooks.index("- id: pcilint-dependencies"):]
    pattern = re.compile(re.search(r"^\s*files: (.+)$", block, re.M).group(1))
    assert "--select PCI9" in block
    names = ["requirements.txt", "requirements-dev.txt", "dev-requirements.txt", "constraints.txt",
             "a/requirements/base.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock",
             "pdm.lock", "pyproject.toml", "setup.cfg", "pkg/setup.py"]
    for name in names:
        assert pattern.search(name), name
        assert file_kind(Path(name)) in ("manifest", "settings", "python"), name
    for name in ["requirements.in", "notes.txt", "yarn.lock", "app.py", "myrequirementsfile.txt",
                 "setup_tools.py"]:
        assert not pattern.search(name), name
