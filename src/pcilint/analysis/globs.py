"""Matching qualified names against the rules' shell-style globs (``logging.*``, ``*.objects.create``).

``fnmatch.fnmatchcase`` compiles and runs one pattern per call; a check that tries a name against a
rule's twenty globs at every call site spent a tenth of a scan there.  Here each glob list becomes
one compiled alternation, built once per distinct list.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Iterable


@lru_cache(maxsize=4096)
def _compiled(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))


def glob_pattern(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern that fully matches what any of ``globs`` matches (``fnmatchcase`` semantics)."""
    return _compiled(globs if isinstance(globs, tuple) else tuple(globs))


def matches_any(name: str | None, globs: Iterable[str]) -> bool:
    """``any(fnmatch.fnmatchcase(name, g) for g in globs)``, with one compiled pattern."""
    if name is None:
        return False
    pattern = _compiled(globs if isinstance(globs, tuple) else tuple(globs))
    return pattern is not None and pattern.match(name) is not None
