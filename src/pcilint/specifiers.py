"""Which versions a dependency's version constraint allows, in the terms the PCI9xx rules need.

The dependency rules ask two questions of a constraint: *the newest major it allows* (is every
allowed version past the support window?) and *whether it has an upper bound at all* (can an install
pick up the next major?).  Both follow from an interval of release numbers, so this module reads
PEP 440 specifier sets (``==2.55.0``, ``~=2.5``, ``>=2,<3``, ``==2.*``, ``!=2.1``) and Poetry's
constraints (``^2.5``, ``~2.5``, ``2.5.0``, ``2.*``, ``>=2 <3``, ``^2 || ^3``) into that interval.

Hand-written rather than ``packaging``: ``packaging`` is not among pcilint's runtime dependencies
(pytest brings it, so the tests compare this module with it), PEP 440 has no Poetry syntax, and only
the release numbers matter here.  Pre-releases count as just below their release (``<3`` allows
no 3.0 pre-release, as in PEP 440); ``!=`` exclusions, post/dev/local parts and epochs 0 are
ignored (an exclusion can only make fewer versions allowed: ignoring it never invents a finding).
A constraint this module cannot read gives None, and no rule reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(
    r"^v?(?:0!)?(?P<release>\d+(?:\.\d+)*)(?P<wild>\.\*)?"
    r"(?P<pre>[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?"
    r"(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?"
    r"(?P<dev>[-_.]?dev[-_.]?\d*)?"
    r"(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$", re.I)
_CLAUSE = re.compile(r"^(===|==|!=|~=|<=|>=|<|>|\^|~|=)?\s*(\S+)$")


@dataclass(frozen=True, order=True)
class Version:
    """A release number (trailing zeros dropped: 2.0.0 == 2) and whether it is a pre-release."""

    release: tuple[int, ...]
    final: bool = True  # False for a pre- or dev-release, which sorts just below its release

    @property
    def major(self) -> int:
        return self.release[0] if self.release else 0


def _strip(parts: tuple[int, ...]) -> tuple[int, ...]:
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


def parse_version(text: str) -> tuple[Version, tuple[int, ...], bool] | None:
    """(version, the release numbers as written, ends with ``.*``) or None."""
    m = _VERSION.match(text.strip())
    if not m:
        return None
    written = tuple(int(p) for p in m.group("release").split("."))
    final = not (m.group("pre") or m.group("dev"))
    return Version(_strip(written), final), written, bool(m.group("wild"))


def _bump(parts: tuple[int, ...], index: int) -> Version:
    """The release after every version starting with ``parts[:index + 1]``: 2.5 at 0 -> 3."""
    return Version(_strip(parts[:index] + (parts[index] + 1,)), final=False)


@dataclass(frozen=True)
class Allowed:
    """What a constraint allows: its interval's ends (None: open) and, for ``==``, the version."""

    lower: Version | None = None
    upper: Version | None = None  # exclusive unless upper_inclusive
    upper_inclusive: bool = False
    pinned: str | None = None  # the exact version of an ``==``/``===`` pin

    @property
    def bounded(self) -> bool:
        return self.upper is not None

    @property
    def newest_major(self) -> int | None:
        """The newest major with an allowed version; None when there is no upper bound."""
        if self.upper is None:
            return None
        if self.upper_inclusive:
            return self.upper.major
        # ``<3`` (and ``<3.0.0rc1``) allow only 2.x: PEP 440 leaves 3's pre-releases out too
        return self.upper.major - 1 if len(self.upper.release) == 1 else self.upper.major

    def is_empty(self) -> bool:
        newest = self.newest_major
        if newest is not None and newest < 0:
            return True  # ``<0``
        if self.lower is None or self.upper is None:
            return False
        if self.upper_inclusive:
            return self.lower > self.upper
        return self.lower >= self.upper

    def intersect(self, other: "Allowed") -> "Allowed":
        lower = max((b for b in (self.lower, other.lower) if b is not None), default=None)
        uppers = [(u, inc) for u, inc in ((self.upper, self.upper_inclusive),
                                         (other.upper, other.upper_inclusive)) if u is not None]
        # the lower of the two upper ends; at a tie an exclusive end is the tighter
        upper, inclusive = min(uppers, key=lambda ui: (ui[0], ui[1])) if uppers else (None, False)
        return Allowed(lower, upper, inclusive, self.pinned or other.pinned)


ANY = Allowed()


def _clause(op: str, version: str, poetry: bool) -> Allowed | None:
    parsed = parse_version(version)
    if parsed is None:
        return None
    v, written, wild = parsed
    if wild and op not in ("==", "!=", "=", ""):
        return None
    if op in ("==", "===", "=", "") and wild:
        return Allowed(Version(_strip(written)), _bump(written, len(written) - 1))
    if op in ("==", "===", "=") or (op == "" and poetry):
        return Allowed(v, v, True, pinned=version)
    if op == "!=":
        return ANY
    if op == "~=" or (op == "~" and poetry):
        if op == "~=" and len(written) < 2:
            return None  # PEP 440: ``~=`` needs at least two release numbers
        index = 0 if len(written) == 1 else (len(written) - 2 if op == "~=" else 1)
        return Allowed(v, _bump(written, index))
    if op == "^" and poetry:
        index = next((i for i, p in enumerate(written) if p != 0), len(written) - 1)
        return Allowed(v, _bump(written, index))
    if op == ">=":
        return Allowed(lower=v)
    if op == ">":
        # (the least version above v: v with a trailing .0.1 is close enough for majors)
        return Allowed(lower=Version(v.release + (0, 1)) if v.final else v)
    if op == "<=":
        return Allowed(upper=v, upper_inclusive=True)
    if op == "<":
        # ``<3.0`` also leaves out 3.0's pre-releases (PEP 440): the same end as ``<3.0rc0``
        return Allowed(upper=Version(v.release, final=False))
    return None


def _conjunction(clauses: list[str], poetry: bool) -> Allowed | None:
    result = ANY
    for raw in clauses:
        raw = raw.strip()
        if not raw or raw == "*":
            continue
        m = _CLAUSE.match(raw)
        if not m:
            return None
        op = m.group(1) or ""
        if op in ("^", "~", "=") and not poetry or (op == "" and not poetry):
            return None
        one = _clause(op, m.group(2), poetry)
        if one is None:
            return None
        result = result.intersect(one)
    return result


def allowed(spec: str, poetry: bool = False) -> Allowed | None:
    """What ``spec`` allows (``""``/``"*"``: anything), or None if it cannot be read or allows
    nothing.  ``poetry``: Poetry's syntax (``^``, ``~``, bare versions, ``||``, spaces as AND)."""
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    if poetry:
        alternatives = [a for a in re.split(r"\|\|?", spec)]
        results = []
        for alt in alternatives:
            # ``>=2 <3`` and ``>= 2, < 3``: glue each operator to its version, then split
            glued = re.sub(r"(===|==|!=|~=|<=|>=|<|>|\^|~|=)\s+", r"\1", alt.strip())
            one = _conjunction(re.split(r"[,\s]+", glued), poetry=True)
            if one is None:
                return None
            if not one.is_empty():
                results.append(one)
        if not results:
            return None
        if len(results) == 1:
            return results[0]
        return _union(results)
    one = _conjunction(spec.split(","), poetry=False)
    if one is None or one.is_empty():
        return None
    return one


def _union(parts: list[Allowed]) -> Allowed:
    """The smallest interval holding every alternative (``^2 || ^3``: 2 up to 3.x)."""
    if any(p.upper is None for p in parts):
        upper, inclusive = None, False
    else:
        upper, inclusive = max(((p.upper, p.upper_inclusive) for p in parts),  # type: ignore[misc]
                               key=lambda ui: (ui[0], ui[1]))
    lowers = [p.lower for p in parts]
    lower = None if any(lo is None for lo in lowers) else min(lowers)  # type: ignore[type-var]
    return Allowed(lower, upper, inclusive)
