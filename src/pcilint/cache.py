"""The result cache: per-file results keyed on file content, rules, configuration and pcilint itself.

Layout (default ``.pcilint_cache/`` in the working directory, ``--cache-dir`` to move it)::

    .pcilint_cache/CACHEDIR.TAG        # backup tools skip the directory
    .pcilint_cache/.gitignore          # `*`: never committed
    .pcilint_cache/v3/<2 hex>/<key>    # one entry per (scan key, file path, content, depth)

An entry is ``MAGIC + HMAC-SHA256(key name + NUL + payload) + payload``, the payload in the
data-only JSON format of :mod:`pcilint.cachecodec` (never pickle: decoding runs no code and builds
only plain data and pcilint's dataclasses, checked against their fields).  The MAC covers the
entry's name (its key: settings, rule set, file digest) as well as its bytes, so an entry copied over
another key's file is rejected.  The HMAC key lives outside the project, in the user's cache
directory (``$PCILINT_KEY_DIR``, else ``$XDG_CACHE_HOME/pcilint``, else ``~/.cache/pcilint``), and is
used only if it is a regular file (not a symlink) owned by this user, readable by no one else, in a
directory no one else can write, and outside the scanned tree (the paths scanned, and the git work
trees around them and around the working directory): a key a repository could commit or read is never trusted, and
the cache is then off for the run, with a note saying why.
Writes are atomic (temporary file + ``os.replace``); an entry that is truncated, corrupt or signed
with another key is ignored, never an error.  Nothing that could hold a full card number or secret
key is written: findings are masked when they are created, and :meth:`Cache.put` refuses any payload
in which a plausible PAN or Stripe secret still appears.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from pcilint import cachecodec
from pcilint.analysis.cardnumbers import find_pans
from pcilint.reporters.output import write_atomic

CACHE_DIR_NAME = ".pcilint_cache"
FORMAT = "v3"
MAGIC = b"PCILINT3"
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
    explicit = os.environ.get("PCILINT_KEY_DIR")
    if explicit:
        return Path(explicit) / "cache-key"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pcilint" / "cache-key"


def scanned_trees(paths: list[Path], cwd: Path | None = None) -> list[Path]:
    """The trees a scan of ``paths`` reads: each path, and the git work tree around it and around
    the working directory (a repository can commit anything in its work tree)."""
    trees: list[Path] = []
    for p, own in [(cwd or Path.cwd(), False)] + [(p, True) for p in paths]:
        try:
            start = p.resolve()
        except (OSError, RuntimeError):
            continue
        if own:
            trees.append(start)
        for d in (start, *start.parents):
            if (d / ".git").exists():
                trees.append(d)
                break
    return trees


class KeyRefused(Exception):
    """Why the signing key cannot be trusted (the cache is then off)."""


def _inside(path: Path, tree: Path) -> bool:
    try:
        path.resolve().relative_to(tree)
        return True
    except ValueError:
        return False


def _private(st: os.stat_result, what: str, path: Path) -> None:
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise KeyRefused(f"{what} {path} is owned by another user")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise KeyRefused(f"{what} {path} is writable by other users")


def _read_key(path: Path) -> bytes | None:
    """The key at ``path`` if it exists and is private; None if missing; KeyRefused otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if path.is_symlink():
            raise KeyRefused(f"cache key {path} is a symbolic link") from exc
        raise KeyRefused(f"cache key {path} cannot be read ({exc.strerror})") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyRefused(f"cache key {path} is not a regular file")
        _private(st, "cache key", path)
        if st.st_mode & (stat.S_IRGRP | stat.S_IROTH):
            raise KeyRefused(f"cache key {path} is readable by other users")
        key = os.read(fd, 4096)
    finally:
        os.close(fd)
    if len(key) < 32:
        raise KeyRefused(f"cache key {path} is too short")
    return key


def _signing_key(trees: list[Path]) -> bytes:
    """The per-user key entries are signed with (created on first use); KeyRefused when it cannot
    be trusted or made."""
    path = _user_key_file()
    if any(_inside(path.parent, tree) for tree in trees):
        raise KeyRefused(f"the cache key directory {path.parent} is inside the scanned tree "
                         "(set PCILINT_KEY_DIR, or XDG_CACHE_HOME, outside it)")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path.parent)
    except OSError as exc:
        raise KeyRefused(f"the cache key directory {path.parent} cannot be made "
                         f"({exc.strerror})") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise KeyRefused(f"the cache key directory {path.parent} is not a directory")
    _private(st, "the cache key directory", path.parent)
    key = _read_key(path)
    if key is not None:
        return key
    tmp = path.parent / f".key-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # first writer wins; a concurrent run then reads the same key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise KeyRefused(f"the cache key {path} cannot be written ({exc.strerror})") from exc
    key = _read_key(path)
    if key is None:
        raise KeyRefused(f"the cache key {path} vanished")
    return key


class Cache:
    """A directory of signed, atomically written entries.  Every failure degrades to a miss."""

    refused: str | None = None  # why the last open() returned None (for a note on stderr)

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self.entries = directory / FORMAT
        self._key = key
        self.hits = 0
        self.misses = 0
        self.writes = 0

    @classmethod
    def open(cls, directory: Path, scanned: list[Path] | None = None) -> "Cache | None":
        """Open (creating if needed) the cache at ``directory`` for a scan of ``scanned`` (default:
        the working directory's git work tree); None when it cannot be used (``Cache.refused``
        then says why, when the reason is the key)."""
        try:
            key = _signing_key(scanned_trees(scanned or []))
        except KeyRefused as exc:
            Cache.refused = str(exc)
            return None
        Cache.refused = None
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
            value = cachecodec.loads(payload)
        except cachecodec.CodecError:  # a stale or damaged entry is only a miss
            self.misses += 1
            return None
        self.hits += 1
        return value

    @staticmethod
    def entry(value: Any) -> bytes | None:
        """``value`` encoded for a collection stored with :meth:`put`; None if it cannot be cached
        (a type the format does not carry, or it would hold a full PAN or secret)."""
        try:
            payload = cachecodec.dumps(value)
        except cachecodec.CodecError:
            return None
        return None if leaks(payload) else payload

    def put(self, key: str, value: Any, checked: Any = None) -> bool:
        """Store ``value``; False when it was not stored (not encodable, would leak, disk error).

        ``checked``: the part of ``value`` still to search for leaks, when the rest is made of
        :meth:`entry` payloads that were searched already (a manifest of thousands of entries)."""
        try:
            payload = cachecodec.dumps(value)
            scanned = payload if checked is None else cachecodec.dumps(checked)
        except cachecodec.CodecError:  # facts a check kind made of other types: just not cached
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
