"""The scan's use of the result cache (:mod:`pcilint.cache`): the scan key, per-file entries
keyed on content (a stat signature standing for it, as git's index does), the manifest and its
delta, and project facts decoded only when the project phase needs them."""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any

from pcilint import __version__, cachecodec, safeio
from pcilint.cache import Cache, digest, key_of
from pcilint.discovery import SourceFile
from pcilint.findings import FileResult
from pcilint.scan_file import Force, _force_of

#: New cache entries kept apart from the manifest (see Scanner._write_manifest) up to this many.
DELTA_ENTRIES = 64


# A file changed this recently is hashed again next time even if its stat looks the same.
RACY_NS = 2_000_000_000


# Errors that depend only on a file's bytes (timeouts, memory and I/O errors are retried next time).
_CACHEABLE_ERRORS = ("syntax error", "cannot decode", "skipped: binary", "expression nested",
                     "skipped: brackets nested", "skipped: an expression is nested")


class _LazyFacts(dict):
    """A cached file's project facts: the rule ids now, the values (decoded) when needed."""

    def __init__(self, keys: list[str], blob: bytes, force: "Force" = False) -> None:
        super().__init__(dict.fromkeys(keys))
        self.blob = blob
        self.force = force  # the rules the entry was made with (to analyse again if it fails)

    def load(self) -> dict[str, Any]:
        return cachecodec.loads(self.blob)


class ResultCache:
    """The cache part of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's state)."""

    def _scan_key(self) -> str:
        """Everything besides a file's path and content that its result depends on."""
        s, o = self.settings, self.options
        return key_of(
            "scan", __version__, _code_fingerprint(), sys.version.split()[0], str(Path.cwd()),
            self.rules_key, repr(sorted(r.id for r in self.rules)),
            repr(sorted(self.plans[r.id].__repr__() for r in self.rules)),
            repr((s.select, s.ignore, sorted(s.per_file_ignores.items()),
                  sorted(s.sensitive_names.items()), s.sanitizers, str(s.root))),
            repr(s.dependencies),  # the PCI9xx window (with the digest of a configured table)
            repr((o.select, o.extend_ignore, o.max_file_size, o.max_parse_tokens, o.file_timeout, o.prefilter,
                  o.inventory)))

    def _write_manifest(self) -> None:
        """One signed file per scan key holds every file's entry: a warm scan reads it once.
        Entries of files outside this scan (a pre-commit run sees a few files) are kept.  New
        entries go to the delta while it stays small (DELTA_ENTRIES, or a twentieth of the
        manifest); then delta and manifest are merged and the delta emptied."""
        assert self.cache is not None

        def checked(entries: dict) -> list:
            # (each entry's blob was searched for leaks when made: only the rest is searched)
            return [(k, e[0], e[2:]) for k, e in entries.items()]

        delta = {**self._delta, **self._new_entries}
        delta_key = key_of("files-delta", self.scan_key)
        if self._manifest_size and len(delta) <= max(DELTA_ENTRIES, self._manifest_size // 20):
            self.cache.put(delta_key, delta, checked=checked(delta))
            return
        entries = {**self._entries, **self._new_entries}
        if self.cache.put(key_of("files", self.scan_key), entries, checked=checked(entries)) \
                and (self._delta or not self._manifest_size):
            self.cache.put(delta_key, {})  # (a delta left beside no manifest is stale too)

    def _from_cache(self, files: list[SourceFile], force: Force | dict[str, Force],
                    results: dict[str, FileResult],
                    digests: dict[str, tuple[str, Any]]) -> list[SourceFile]:
        """Fill ``results`` from the cache; return the files still to analyse."""
        if self.cache is None:
            return list(files)
        todo = []
        for f in files:
            entry = self._entries.get((f.display, _force_of(force, f.display)))
            if f.display not in digests:
                digests[f.display] = self._content_key(f, entry)
            content = digests[f.display][0]
            hit = None
            if entry is not None and content is not None and entry[0] == content:
                if entry[1] == b"":
                    hit = FileResult(path=f.display, scanned=True, digest=content)
                else:
                    try:
                        hit, fact_keys, facts_blob = cachecodec.loads(entry[1])
                        if fact_keys:
                            hit.facts = _LazyFacts(fact_keys, facts_blob,
                                                   _force_of(force, f.display))
                    except (cachecodec.CodecError, TypeError, ValueError):  # a damaged entry is a miss
                        hit = None
            if isinstance(hit, FileResult) and hit.path == f.display:
                results[f.display] = hit
            else:
                todo.append(f)
        return todo

    def _content_key(self, f: SourceFile, entry: Any) -> tuple[str | None, Any]:
        """(content digest, stat signature) of a file.  Like git's index, an unchanged signature
        (size, mtime, ctime, inode) recorded when the file was hashed more than 2 s after its
        last change stands for unchanged content, so a warm scan need not read every file."""
        try:
            st = os.stat(f.path)
        except OSError:
            return None, None
        sig = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        if entry is not None and len(entry) > 2 and entry[2] == sig:
            return entry[0], sig
        if st.st_size > self.options.max_file_size:
            return None, None
        try:
            content = digest(safeio.read_bytes(f.path, limit=self.options.max_file_size))
        except OSError:
            return None, None
        racy = max(st.st_mtime_ns, st.st_ctime_ns) > time.time_ns() - RACY_NS
        return content, (None if racy else sig)

    def _store(self, fresh: list[FileResult], force: Force | dict[str, Force],
               results: dict[str, FileResult],
               digests: dict[str, tuple[str, Any]]) -> None:
        for fr in fresh:
            results[fr.path] = fr
            content, sig = digests.get(fr.path, (None, None))
            # Only deterministic outcomes are cached, and only for the bytes that were hashed
            # (a file edited during the scan is analysed again next time).
            if (self.cache is None or not fr.digest or fr.digest != content
                    or not (fr.error is None or fr.error.startswith(_CACHEABLE_ERRORS))):
                continue
            if (not fr.findings and not fr.facts and fr.error is None and fr.deps is None
                    and not fr.inventory and not (fr.suppressions and fr.suppressions.all)):
                blob: bytes | None = b""  # the common case, rebuilt without unpickling
            else:
                # Facts apart, decoded only if the project phase runs: their classes may live
                # in modules that import libcst, which a fully cached scan never needs.
                facts_blob = Cache.entry(fr.facts) if fr.facts else b""
                blob = None if facts_blob is None else Cache.entry(
                    (dataclasses.replace(fr, facts={}), sorted(fr.facts), facts_blob))
            if blob is not None:
                # One entry per (path, rules run): a file's older contents are replaced.
                self._new_entries[(fr.path, _force_of(force, fr.path))] = (fr.digest, blob, sig)


def _forced_entries(prior: list) -> list[tuple[str, Force]]:
    """The closure's cached ``(file, Force)`` pairs; anything else in it is ignored."""
    return [(e[0], e[1]) for e in prior if isinstance(e, tuple) and len(e) == 2
            and isinstance(e[0], str) and (e[1] is True or (
                isinstance(e[1], tuple) and all(isinstance(r, str) for r in e[1])))]


def _code_fingerprint() -> str:
    """pcilint's own code (path, size, mtime of each module): an edited check invalidates the cache."""
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        root = Path(__file__).resolve().parent
        entries = []
        for p in sorted(root.rglob("*.py")):
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append(f"{p.relative_to(root).as_posix()}:{st.st_size}:{st.st_mtime_ns}")
        _CODE_FINGERPRINT = key_of(*entries)
    return _CODE_FINGERPRINT


_CODE_FINGERPRINT: str | None = None
