"""Registry of check kinds.  Each kind lives in its own module and registers itself on import."""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

from pcilint.checks.base import CheckKind
from pcilint.errors import RuleError

if TYPE_CHECKING:
    from pcilint.ruleset import Rule

KINDS: dict[str, type[CheckKind]] = {}
_loaded = False


def register(cls: type[CheckKind]) -> type[CheckKind]:
    """Class decorator: make a check kind available to YAML rules under ``cls.kind``."""
    assert cls.kind and cls.kind not in KINDS, cls.kind
    KINDS[cls.kind] = cls
    return cls


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def kind_doc(cls: type[CheckKind]) -> str:
    """A kind's own documentation: its class docstring (never the inherited base class's), else the
    docstring of the module it is defined in."""
    import inspect
    import sys

    own = cls.__dict__.get("__doc__")
    if own:
        return inspect.cleandoc(own)
    module = sys.modules.get(cls.__module__)
    return inspect.cleandoc(module.__doc__) if module is not None and module.__doc__ else ""


def bind(rules: "list[Rule]") -> "list[Rule]":
    """Give each rule without one its check kind's instance (validating the kind's parameters);
    returns ``rules``.  Imports every check kind (and so libcst) the first time."""
    for rule in rules:
        if rule.check is None:
            rule.check = instantiate(rule)
    return rules


def instantiate(rule: "Rule") -> CheckKind:
    _load_all()
    cls = KINDS.get(rule.kind)
    if cls is None:
        path, _, line = rule.source.rpartition(":")
        raise RuleError(f"unknown check kind {rule.kind!r} (known: {', '.join(sorted(KINDS))})",
                        path=path, line=rule.param_lines.get("kind", int(line)),
                        field=f"{rule.id}.check.kind")
    return cls(rule)
