"""The result cache: per-file results keyed on file content, rules, configuration and pcilint itself.

Layout (default ``.pcilint_cache/`` in the working directory, ``--cache-dir`` to move it)::

    .pcilint_cache/CACHEDIR.TAG        # backup tools skip the directory
    .pcilint_cache/.gitignore          # `*`: never committed
    .pcilint_cache/v2/<2 hex>/<key>    # one entry per (scan key, file path, content, depth)

An entry is ``MAGIC + HMAC-SHA256(key name + NUL + payload) + pickle``: an entry copied over
another key's file is rejected.  The HMAC key lives outside the project, in the user's
cache directory, so an entry planted in a repository (a pull request that commits a
``.pcilint_cache/``) is rejected instead of unpickled: scanning untrusted code must stay safe.
Writes are atomic (temporary file + ``os.replace``); an entry that is truncated, corrupt or signed
with another key is ignored, never an error.  Nothing that could hold a full card number or secret
key is written: findings are masked when they are created, and :meth:`Cache.put` refuses any payload
in which a plausible PAN or Stripe secret still appears.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from pcilint.analysis.cardnumbers import find_pans
from pcilint.reporters.output import write_atomic

CACHE_DIR_NAME = ".pcilint_cache"
FORMAT = "v2"
MAGIC = b"PCILINT2"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pcilint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_SECRET = re.compile(rb"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}|whsec_[A-Za-z0-9]{8,}")
_DIGITS = re.compile(rb"[0-9][0-9 -]{11,}[0-9]")


def digest(data: bytes) -> str:
    """The content key of a file's bytes."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def key_of(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=20).hexdigest()


def leaks(payload: bytes) -> bool:
    """Whether serialized bytes still hold something that looks like a full PAN or a secret key."""
    if _SECRET.search(payload):
        return True
    for m in _DIGITS.finditer(payload):
        if find_pans(m.group(0).decode("ascii")):
            return True
    return False


def _user_key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pcilint" / "cache-key"


def _signing_key() -> bytes | None:
    """The per-user key entries are signed with (created on first use); None if unavailable."""
    path = _user_key_file()
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # first writer wins; a concurrent run then reads the same key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        key = path.read_bytes()
        return key if len(key) >= 32 else None
    except OSError:
        return None


class Cache:
    """A directory of signed, atomically written entries.  Every failure degrades to a miss."""

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.entries = directory / FORMAT
        self._key = key
        self.hits = 0
        self.misses = 0
        self.writes = 0

    @classmethod
    def open(cls, directory: Path) -> "Cache | None":
        """Open (creating if needed) the cache at ``directory``; None when it cannot be used."""
        key = _signing_key()
        if key is None:
            return None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            tag = directory / "CACHEDIR.TAG"
            if not tag.exists():
                write_atomic(tag, CACHEDIR_TAG.encode())
            ignore = directory / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, b"# Created by pcilint: this cache is never committed.\n*\n")
        except OSError:
            return None
        return cls(directory, key)

    def _mac(self, key: str, payload: bytes) -> bytes:
        """The MAC of an entry: over its key name too, so an entry moved to another key fails."""
        return hmac.new(self._key, key.encode("utf-8", "surrogatepass") + b"\x00" + payload,
                        hashlib.sha256).digest()

    def _path(self, key: str) -> Path:
        return self.entries / key[:2] / key[2:]

    def get(self, key: str) -> Any:
        """The value stored under ``key``, or None (missing, corrupt, foreign or unreadable)."""
        try:
            blob = self._path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        head, mac, payload = blob[:8], blob[8:40], blob[40:]
        if head != MAGIC or not hmac.compare_digest(
                mac, self._mac(key, payload)):
            self.misses += 1
            return None
        try:
            value = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a stale entry from another pcilint is only a miss
            self.misses += 1
            return None
        self.hits += 1
        return value

    @staticmethod
    def entry(value: Any) -> bytes | None:
        """``value`` pickled for a collection stored with :meth:`put`; None if it cannot be cached
        (unpicklable, or it would hold a full PAN or secret)."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001
            return None
        return None if leaks(payload) else payload

    def put(self, key: str, value: Any, checked: Any = None) -> bool:
        """Store ``value``; False when it was not stored (unpicklable, would leak, disk error).

        ``checked``: the part of ``value`` still to search for leaks, when the rest is made of
        :meth:`entry` payloads that were searched already (a manifest of thousands of entries)."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            scanned = payload if checked is None else pickle.dumps(checked)
        except Exception:  # noqa: BLE001 - facts a check kind made unpicklable: just not cached
            return False
        if leaks(scanned):
            return False
        blob = MAGIC + self._mac(key, payload) + payload
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, blob)
        except OSError:
            return False
        self.writes += 1
        return True
