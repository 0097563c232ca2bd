"""Where pcilint's shipped resources are: a leaf module (it imports nothing of pcilint), so any layer
may ask for a rule pack, a vocabulary or a data table without importing the rule loader."""

from __future__ import annotations

from pathlib import Path


def builtin_rules_dir() -> Path:
    """The shipped rule packs: ``pcilint/_rules`` in an installed wheel, ``rules/`` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_rules"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "rules"
