"""The cache is not a way in (issue 14 §2): entries are data-only JSON checked against a schema, an
entry is bound to its name, and the signing key is never one the scanned tree can read or plant.

The attacker here knows the signing key (a CI that keeps XDG_CACHE_HOME inside the checkout, or a
leaked key): even then a forged entry must run no code and must not change what a scan reports.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from pcilint import cachecodec
from pcilint.cache import MAGIC, Cache, KeyRefused, _signing_key, scanned_trees
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.findings import Finding

KEY = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"


@pytest.fixture(autouse=True)
def _key_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("PCILINT_KEY_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _project(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "keys.py").write_text(f"KEY = '{KEY}'\n")
    (root / "src" / "views.py").write_text(
        "import logging\nlog = logging.getLogger()\n\n\ndef pay(request):\n"
        "    card_number = request.POST['card_number']\n    log.info('card %s', card_number)\n")
    (root / "src" / "clean.py").write_text("def f():\n    return 1\n")
    return root


def _scan(root: Path, **options) -> list[tuple[str, str, int]]:
    options.setdefault("cache_dir", root / ".pcilint_cache")
    scanner = Scanner(Settings(), Options(jobs=1, scan_roots=[root / "src"], **options))
    result = scanner.scan([root / "src"], cwd=root)
    return sorted((f.rule_id, f.path, f.line) for f in result.findings)


def _entries(root: Path) -> list[Path]:
    return [p for p in (root / ".pcilint_cache" / "v3").rglob("*") if p.is_file()]


def _user_key(tmp_path: Path) -> bytes:
    return (tmp_path / "user-cache" / "pcilint" / "cache-key").read_bytes()


def _forge(cache: Cache, path: Path, payload: bytes) -> None:
    """Sign ``payload`` under the entry name ``path`` holds, as an attacker with the key would."""
    name = path.parent.name + path.name
    path.write_bytes(MAGIC + cache._mac(name, payload) + payload)


class _Boom:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_forged_pickle_entry_runs_no_code(tmp_path):
    root = _project(tmp_path / "proj")
    expected = _scan(root)
    assert {r for r, _, _ in expected} >= {"PCI701", "PCI101"}
    cache = Cache(root / ".pcilint_cache", _user_key(tmp_path))
    marker = tmp_path / "pwned"
    for entry in _entries(root):
        _forge(cache, entry, pickle.dumps(_Boom(str(marker))))
    assert _scan(root) == expected  # every entry a miss: analysed again, same findings
    assert not marker.exists()
    # and rewritten: the next scan reads good entries again
    assert all(cachecodec.loads(p.read_bytes()[40:]) is not None for p in _entries(root))


@pytest.mark.parametrize("payload", [
    b'{"c":"os:system","v":["touch /tmp/x"]}',
    b'{"c":"subprocess:Popen","v":[]}',
    b'{"c":"pcilint.findings:Finding","v":[1]}',      # wrong arity: fails the schema check
    b'{"c":"pcilint.__main__:main","v":[]}',          # not a dataclass, and never imported
    b'{"r":7}',
    b'{"x":[1]}',
    b'{"d":[1]}',
    b'[' * 50_000 + b']' * 50_000,
    b'\xff\xfe',
    b'',
])
def test_a_forged_data_entry_is_a_miss_never_trusted(tmp_path, payload):
    root = _project(tmp_path / "proj")
    expected = _scan(root)
    cache = Cache(root / ".pcilint_cache", _user_key(tmp_path))
    for entry in _entries(root):
        _forge(cache, entry, payload)
    assert _scan(root) == expected
    assert "pcilint.__main__" not in sys.modules


def test_a_forged_empty_result_signed_with_a_known_key_is_all_a_key_can_buy(tmp_path):
    """With the key, a well-formed entry can only say what an honest one could: the schema check
    is about types, so the defence against this is the key's location (tests below)."""
    root = _project(tmp_path / "proj")
    _scan(root)
    cache = Cache(root / ".pcilint_cache", _user_key(tmp_path))
    entry = max(_entries(root), key=lambda p: p.stat().st_size)
    value = cachecodec.loads(entry.read_bytes()[40:])
    _forge(cache, entry, cachecodec.dumps(value))  # re-signed unchanged: still accepted
    assert _scan(root)


def test_an_entry_copied_over_another_keys_entry_is_rejected(tmp_path):
    """A `--select PCI5` scan's manifest copied over a full scan's must not hide findings."""
    root = _project(tmp_path / "proj")
    full = _scan(root)
    before = {p: p.read_bytes() for p in _entries(root)}
    assert _scan(root, select=["PCI5"]) == []
    narrow = {p: p.read_bytes() for p in _entries(root) if before.get(p) != p.read_bytes()}
    assert narrow
    for target in before:
        source = next(iter(narrow.values()))
        target.write_bytes(source)
    assert _scan(root) == full


def test_the_key_is_never_inside_the_scanned_tree(tmp_path, monkeypatch):
    root = _project(tmp_path / "proj")
    (root / ".git").mkdir()
    (root / "ci-cache").mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "ci-cache"))
    planted = root / "ci-cache" / "pcilint" / "cache-key"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"k" * 32)  # committed by the pull request
    planted.chmod(0o600)
    with pytest.raises(KeyRefused, match="inside the scanned tree"):
        _signing_key(scanned_trees([root / "src"], cwd=root))
    assert Cache.open(root / ".pcilint_cache", [root / "src"]) is None
    assert "inside the scanned tree" in Cache.refused
    # a scan still works, with no cache, and says why on stderr
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "ci-cache")}
    proc = subprocess.run([sys.executable, "-m", "pcilint", "check", "--format", "json", "src"],
                          cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "cache off" in proc.stderr and "inside the scanned tree" in proc.stderr
    assert {f["rule_id"] for f in json.loads(proc.stdout)["findings"]} >= {"PCI701", "PCI101"}
    assert not (root / ".pcilint_cache").exists() or not _entries(root)


def test_the_key_outside_the_tree_is_made_private(tmp_path):
    key = _signing_key(scanned_trees([tmp_path / "proj"], cwd=tmp_path / "proj"))
    path = tmp_path / "user-cache" / "pcilint" / "cache-key"
    assert path.read_bytes() == key and len(key) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("damage, reason", [
    ("symlink", "symbolic link"),
    ("readable", "readable by other users"),
    ("dir-writable", "writable by other users"),
    ("fifo", "not a regular file"),
    ("short", "too short"),
])
def test_a_key_that_others_could_read_or_plant_is_refused(tmp_path, damage, reason):
    keydir = tmp_path / "user-cache" / "pcilint"
    keydir.mkdir(parents=True, mode=0o700)
    path = keydir / "cache-key"
    if damage == "symlink":
        (tmp_path / "elsewhere").write_bytes(b"k" * 32)
        path.symlink_to(tmp_path / "elsewhere")
    elif damage == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b"k" * (8 if damage == "short" else 32))
        path.chmod(0o644 if damage == "readable" else 0o600)
        if damage == "dir-writable":
            keydir.chmod(0o777)
    with pytest.raises(KeyRefused, match=reason):
        _signing_key([tmp_path / "proj"])
    assert Cache.open(tmp_path / "c", [tmp_path / "proj"]) is None


def test_the_codec_round_trips_what_results_are_made_of():
    shared = frozenset({("p", "card_number"), ("r", 0)})
    finding = Finding(rule_id="PCI101", category="logging", severity="high", path="a.py", line=3, end_line=3,
                      column=1, end_column=9, message="m", pci_dss=["3.3.1"])
    value = {("a.py", ("PCI101",)): ["x", 1, 2.5, None, True, b"\x00\xff", {3}, (shared, shared)],
             "finding": finding, 7: {"nested": [frozenset(), ()]}}
    back = cachecodec.loads(cachecodec.dumps(value))
    assert back == value
    pair = back[("a.py", ("PCI101",))][7]
    assert pair[0] is pair[1]  # shared once, referenced after
    assert type(back["finding"]) is Finding


@pytest.mark.parametrize("value", [object(), Path("x"), lambda: 1, {1: {2: int}}])
def test_the_codec_refuses_what_it_does_not_carry(value):
    with pytest.raises(cachecodec.CodecError):
        cachecodec.dumps(value)


def test_decoding_imports_nothing(monkeypatch):
    data = b'{"c":"pcilint.reporters.nothing_here:X","v":[]}'
    with pytest.raises(cachecodec.CodecError, match="unknown or unloaded"):
        cachecodec.loads(data)
    assert "pcilint.reporters.nothing_here" not in sys.modules
