"""The result cache: hits when nothing changed, misses when anything a result depends on changed,
never holds a full card number or secret, and never breaks a scan."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_json
from helpers import project, scan, summary, write_rule
from pcilint.cache import Cache, leaks
from pcilint.engine import Scanner

KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"
PAN = "4111" + "1111" + "1111" + "1111"


@pytest.fixture(autouse=True)
def _own_signing_key(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _tree(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "keys.py").write_text(f"KEY = '{KEY}'\n")
    (root / "src" / "clean.py").write_text("def f():\n    return 1\n")
    return root


def _scan(root: Path, monkeypatch=None, forbid_analysis=False, **options):
    options.setdefault("cache_dir", root / ".pcilint_cache")
    if forbid_analysis:
        def boom(self, *a, **k):
            raise AssertionError("a cached file was analysed again")
        monkeypatch.setattr(Scanner, "analyze_file", boom)
    try:
        return scan([Path("src")], root, **options)
    finally:
        if forbid_analysis:
            monkeypatch.undo()


def test_a_warm_scan_reuses_every_result(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    _, cold = _scan(root)
    scanner, warm = _scan(root, monkeypatch, forbid_analysis=True)
    assert summary(warm) == summary(cold) and len(cold.findings) == 1
    assert warm.files_scanned == cold.files_scanned == 2
    tag = (root / ".pcilint_cache" / "CACHEDIR.TAG").read_text()
    assert tag.startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_editing_a_file_invalidates_its_entry(tmp_path):
    root = _tree(tmp_path)
    _scan(root)
    (root / "src" / "clean.py").write_text(f"OTHER = '{KEY}'\n")
    _, result = _scan(root)
    assert sorted(f.path for f in result.findings) == ["src/clean.py", "src/keys.py"]


def test_changing_a_rule_invalidates_the_cache(tmp_path):
    root = project(tmp_path / "proj")
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = write_rule(rules)
    opts = dict(extra_rules=[rule], include_builtin_rules=False, cache_dir=tmp_path / "c")
    _, first = scan([root], tmp_path, **opts)
    rule.write_text(rule.read_text().replace("severity: high", "severity: low"))
    _, second = scan([root], tmp_path, **opts)
    assert [f.severity for f in first.findings] == ["high"]
    assert [f.severity for f in second.findings] == ["low"]


def test_changing_the_configuration_invalidates_the_cache(tmp_path):
    root = _tree(tmp_path)
    code, doc, _ = run_json(["src"], cwd=root)
    assert code == 1 and len(doc["findings"]) == 1
    (root / ".pcilint.yaml").write_text("per_file_ignores:\n  'src/keys.py': [PCI701]\n")
    code, doc, _ = run_json(["src"], cwd=root)
    assert code == 0 and doc["findings"] == []


def test_a_changed_callee_in_another_module_changes_a_cached_callers_finding(tmp_path):
    # The caller's file is a cache hit; the project phase reruns on its cached facts plus the
    # helper's new ones, so the cross-module finding follows the helper.
    root = project(tmp_path / "proj")
    rule = write_rule(tmp_path)
    opts = dict(extra_rules=[rule], include_builtin_rules=False, cache_dir=tmp_path / "c")
    _, before = scan([root], tmp_path, **opts)
    assert [(f.path, f.line) for f in before.findings] == [("proj/app/audit.py", 2)]
    audit = root / "app" / "audit.py"
    audit.write_text("def audit_event(value):\n    return len(value)\n")
    _, after = scan([root], tmp_path, **opts)
    assert after.findings == []
    audit.write_text("import logging\n\ndef audit_event(value):\n    x = 1\n    print(value)\n")
    scanner, again = scan([root], tmp_path, **opts)
    assert [(f.path, f.line) for f in again.findings] == [("proj/app/audit.py", 5)]
    assert scanner.cache.hits >= 1


def test_the_cache_never_holds_a_full_card_number_or_secret(tmp_path):
    root = _tree(tmp_path)
    (root / "src" / "cards.py").write_text(
        f"CARD = '{PAN}'  # pcilint: ignore[PCI1] -- {PAN}\nprint('{KEY}')\n")
    _scan(root)
    _scan(root)  # a warm run rewrites nothing it should not
    blobs = [p.read_bytes() for p in (root / ".pcilint_cache").rglob("*") if p.is_file()]
    assert blobs
    for blob in blobs:
        assert KEY.encode() not in blob and PAN.encode() not in blob
        assert not leaks(blob)


def test_a_payload_holding_a_pan_or_key_is_refused(tmp_path):
    cache = Cache.open(tmp_path / "c")
    assert cache.put("k1", {"facts": ["card_number", "audit_event"]})
    assert cache.get("k1") == {"facts": ["card_number", "audit_event"]}
    assert not cache.put("k2", {"value": PAN}) and cache.get("k2") is None
    assert not cache.put("k3", ["x", KEY]) and cache.get("k3") is None
    assert Cache.entry({"n": "4111 1111 1111 1111"}) is None


def test_corrupt_or_foreign_entries_are_ignored(tmp_path):
    root = _tree(tmp_path)
    _, cold = _scan(root)
    entries = [p for p in (root / ".pcilint_cache" / "v3").rglob("*") if p.is_file()]
    assert entries
    for i, p in enumerate(entries):
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2] if i % 2 else data[:40] + b"garbage" + data[47:])
    _, warm = _scan(root)
    assert summary(warm) == summary(cold)
    # An entry signed with another user's key (e.g. committed to the repository) is not loaded.
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "another-user")
    other = Cache.open(tmp_path / "x")
    other.put("k", [1, 2, 3])
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    mine = Cache.open(tmp_path / "x")
    assert mine.get("k") is None


def test_no_cache_writes_nothing_and_cache_dir_moves_it(tmp_path):
    root = _tree(tmp_path)
    run_json(["src", "--no-cache"], cwd=root)
    assert not (root / ".pcilint_cache").exists()
    run_json(["src", "--cache-dir", "elsewhere"], cwd=root)
    assert (root / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (root / ".pcilint_cache").exists()


def test_a_fully_cached_scan_does_not_import_libcst(tmp_path):
    root = _tree(tmp_path)
    code = ("import sys\nfrom pcilint.cli import main\n"
            "try:\n    main(['check', 'src', '-q'])\nexcept SystemExit:\n    pass\n"
            "print('LIBCST', 'libcst' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    assert "LIBCST True" in runs[0].stdout  # the cold run parses keys.py
    assert "LIBCST False" in runs[1].stdout, runs[1].stderr


def test_a_same_size_edit_with_the_old_mtime_is_still_seen(tmp_path, monkeypatch):
    # The stat shortcut includes ctime and the inode, which no edit can keep.
    import pcilint.scan_cache as scan_cache  # (the per-file cache entries)

    monkeypatch.setattr(scan_cache, "RACY_NS", 0)
    root = _tree(tmp_path)
    clean = root / "src" / "clean.py"
    clean.write_text("A = 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\n")
    st = clean.stat()
    _, first = _scan(root)
    assert [f.path for f in first.findings] == ["src/keys.py"]
    with open(clean, "r+") as fh:  # same inode, same size, mtime put back
        fh.write(f"A = '{KEY}'\n"[: st.st_size])
    os.utime(clean, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert clean.stat().st_size == st.st_size
    _, second = _scan(root)
    assert sorted(f.path for f in second.findings) == ["src/clean.py", "src/keys.py"]


def test_a_warm_scan_with_settled_files_reads_no_source(tmp_path, monkeypatch):
    import pcilint.scan_cache as scan_cache  # (the per-file cache entries)

    monkeypatch.setattr(scan_cache, "RACY_NS", 0)
    root = _tree(tmp_path)
    _, cold = _scan(root)
    real = Path.read_bytes
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self.name) or real(self))
    _, warm = _scan(root)
    assert summary(warm) == summary(cold)
    assert not any(name.endswith(".py") for name in read), read


def test_the_cache_directory_can_come_from_the_environment(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    monkeypatch.setenv("PCILINT_CACHE_DIR", str(tmp_path / "from-env"))
    run_json(["src"], cwd=root)
    assert (tmp_path / "from-env" / "CACHEDIR.TAG").is_file()
    assert not (root / ".pcilint_cache").exists()
    run_json(["src", "--cache-dir", "flag"], cwd=root)  # the option wins over the variable
    assert (root / "flag" / "CACHEDIR.TAG").is_file()


def test_a_few_new_entries_go_to_a_delta_and_the_manifest_is_rewritten_when_it_grows(
        tmp_path, monkeypatch):
    from pcilint import scan_cache
    from pcilint.cache import key_of

    root = _tree(tmp_path)
    for i in range(6):
        (root / "src" / f"m{i}.py").write_text(f"def f{i}():\n    return {i}\n")
    scanner, _ = _scan(root)
    cache = Cache.open(root / ".pcilint_cache")
    manifest = cache._path(key_of("files", scanner.scan_key))
    delta_key = key_of("files-delta", scanner.scan_key)
    written = manifest.read_bytes()
    assert not cache.get(delta_key)
    # one edit: only the delta is written, and the next scan takes the edit from it
    (root / "src" / "clean.py").write_text(f"OTHER = '{KEY}'\n")
    _scan(root)
    assert manifest.read_bytes() == written and len(cache.get(delta_key)) == 1
    _, warm = _scan(root, monkeypatch, forbid_analysis=True)
    assert sorted(f.path for f in warm.findings) == ["src/clean.py", "src/keys.py"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # (undone by _scan)
    # once the delta would outgrow its limit, manifest and delta are merged, the delta emptied
    monkeypatch.setattr(scan_cache, "DELTA_ENTRIES", 1)
    for i in range(2):
        (root / "src" / f"m{i}.py").write_text(f"def g{i}():\n    return {i}\n")
    _scan(root)
    assert manifest.read_bytes() != written and cache.get(delta_key) == {}
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    _, warm = _scan(root, monkeypatch, forbid_analysis=True)
    assert sorted(f.path for f in warm.findings) == ["src/clean.py", "src/keys.py"]
