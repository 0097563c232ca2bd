"""Autofixes: rewrite the code a finding points at, losslessly, with libcst.

The API (used by ``pcilint check --fix`` and by the editor server)::

    from pcilint.fixes import fixes_for, apply_fixes

    fixes = fixes_for(path, source, findings)          # list[Fix], one per fixable finding
    result = apply_fixes(path, source, findings, unsafe=False)   # FixResult

- ``path`` is the file's path as the findings name it (``Finding.path``; its suffix decides how the
  file is read: Python through libcst, settings/template files as text); ``source`` the file's bytes
  as they are on disk (any PEP 263 encoding, any line endings); ``findings`` the findings of a scan
  for that file (others are ignored).  ``rules`` (keyword, optional) is the loaded rule set; the
  built-in rules are used when it is not given.
- ``Fix`` is a frozen dataclass: ``rule_id, line, column, end_line, end_column`` (the finding's
  range, 1-based as in the JSON contract), ``safe: bool``, ``title: str`` (one line, for a code
  action or a diff header) and ``new_source: bytes`` (the whole file after applying that one fix,
  encoded as the original was, its line endings and comments kept).  A fix whose result would not
  re-parse is never returned.
- ``apply_fixes`` applies every fix of ``findings`` at once (only the safe ones unless
  ``unsafe=True``) and returns ``FixResult(new_source, applied: list[Fix], skipped: list[Fix])``
  (``skipped``: unsafe fixes left out, or fixes that conflicted); ``new_source == source`` when
  nothing applied.
- Which rule has which fix is declared in the rule's YAML: ``autofix: {kind: https-url, safety:
  safe}`` (``pcilint rule PCI501`` shows it); :data:`pcilint.fixes.kinds.FIX_KINDS` lists the kinds.

``add_ignores(path, source, findings, reason)`` (in :mod:`pcilint.fixes.ignores`) is the other
rewrite: it adds ``# pcilint: ignore[PCIxxx] -- reason`` comments where :mod:`pcilint.suppressions`
reads them.
"""
