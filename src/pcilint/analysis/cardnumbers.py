"""Card-number literals: 13-19 digits that pass Luhn and start with a real issuer prefix.

The issuer table is data: ``rules/data/iin.yaml`` (issuer, prefixes or prefix ranges, lengths, source),
read once and expanded into one lookup per prefix width, so a check costs a few dict lookups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PAN_CANDIDATE = re.compile(r"(?<![0-9A-Za-z_.])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z_])")

#: A range wider than this (in prefixes of its width) is refused: the table is expanded in memory.
_MAX_RANGE = 10_000


@dataclass(frozen=True)
class Issuer:
    name: str
    prefixes: tuple[str, ...]
    lengths: frozenset[int]
    source: str


@dataclass(frozen=True)
class IinTable:
    issuers: tuple[Issuer, ...]
    #: prefix width -> prefix -> issuers with that prefix, in table order; widths longest first
    by_width: tuple[tuple[int, dict[str, tuple[Issuer, ...]]], ...]

    def issuer(self, digits: str) -> str | None:
        n = len(digits)
        for width, prefixes in self.by_width:
            for entry in prefixes.get(digits[:width], ()):
                if n in entry.lengths:
                    return entry.name
        return None


def table_path() -> Path:
    from pcilint.ruleset import builtin_rules_dir

    return builtin_rules_dir() / "data" / "iin.yaml"


def _expand(prefix: str) -> list[str]:
    lo, sep, hi = prefix.partition("-")
    if not sep:
        hi = lo
    if not (lo.isdigit() and hi.isdigit() and lo.isascii() and hi.isascii()) \
            or len(lo) != len(hi) or int(lo) > int(hi) or int(hi) - int(lo) >= _MAX_RANGE:
        raise ValueError(f"bad IIN prefix {prefix!r} (digits, or lo-hi of one width)")
    return [str(v).zfill(len(lo)) for v in range(int(lo), int(hi) + 1)]


def parse_table(raw: object, source: str = "iin.yaml") -> IinTable:
    """Validate and index a loaded IIN table (errors name the file and the issuer)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("issuers"), list):
        raise ValueError(f"{source}: expected a mapping with an `issuers` list")
    issuers: list[Issuer] = []
    index: dict[int, dict[str, list[Issuer]]] = {}
    for i, item in enumerate(raw["issuers"]):
        where = f"{source}: issuers[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("issuer"), str):
            raise ValueError(f"{where}: needs `issuer`, `prefixes`, `lengths`")
        prefixes, lengths = item.get("prefixes"), item.get("lengths")
        if not isinstance(prefixes, list) or not prefixes or not all(
                isinstance(p, str) for p in prefixes):
            raise ValueError(f"{where} ({item['issuer']}): `prefixes` must be a list of strings")
        if not isinstance(lengths, list) or not lengths or not all(
                isinstance(n, int) and 13 <= n <= 19 for n in lengths):
            raise ValueError(f"{where} ({item['issuer']}): `lengths` must be integers 13-19")
        entry = Issuer(item["issuer"], tuple(prefixes), frozenset(lengths), str(item.get("source", "")))
        issuers.append(entry)
        for prefix in prefixes:
            try:
                expanded = _expand(prefix)
            except ValueError as exc:
                raise ValueError(f"{where} ({entry.name}): {exc}") from None
            for p in expanded:
                index.setdefault(len(p), {}).setdefault(p, []).append(entry)
    by_width = tuple((w, {p: tuple(v) for p, v in index[w].items()})
                     for w in sorted(index, reverse=True))
    return IinTable(tuple(issuers), by_width)


@lru_cache(maxsize=1)
def iin_table() -> IinTable:
    """The shipped IIN table (``rules/data/iin.yaml``), loaded once."""
    import yaml

    path = table_path()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return parse_table(yaml.load(path.read_text(encoding="utf-8"), Loader=loader), str(path))  # noqa: S506


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def issuer(digits: str) -> str | None:
    """The card network whose prefix (and length) ``digits`` carries, or None (``rules/data/iin.yaml``)."""
    return iin_table().issuer(digits)


def is_pan(text: str) -> bool:
    """True when ``text`` (digits with optional single spaces/dashes) is a plausible card number."""
    digits = text.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit()) or not 13 <= len(digits) <= 19:
        return False
    if len(set(digits)) == 1:
        return False
    return issuer(digits) is not None and luhn_ok(digits)


def find_pans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every plausible card number in ``text``."""
    out = []
    for m in PAN_CANDIDATE.finditer(text):
        candidate = m.group(0)
        # reject mixed separators like "4242-4242 4242"? keep: people write both
        if is_pan(candidate):
            out.append((m.start(), m.end(), candidate.replace(" ", "").replace("-", "")))
    return out
