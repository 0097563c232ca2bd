"""Card-number literals: 13-19 digits that pass Luhn and start with a real issuer prefix."""

from __future__ import annotations

import re

PAN_CANDIDATE = re.compile(r"(?<![0-9A-Za-z_.])[0-9](?:[ -]?[0-9]){12,18}(?![0-9A-Za-z_])")


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
    """The card network whose prefix (and length) ``digits`` carries, or None."""
    n = len(digits)
    two, three, four, six = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    if digits[0] == "4" and n in (13, 16, 19):
        return "Visa"
    if (51 <= two <= 55 or 222100 <= six <= 272099) and n == 16:
        return "Mastercard"
    if two in (34, 37) and n == 15:
        return "American Express"
    if (four == 6011 or 644 <= three <= 649 or two == 65) and 16 <= n <= 19:
        return "Discover"
    if 3528 <= four <= 3589 and 16 <= n <= 19:
        return "JCB"
    if (300 <= three <= 305 or two in (36, 38)) and 14 <= n <= 19:
        return "Diners Club"
    if two == 62 and 16 <= n <= 19:
        return "UnionPay"
    return None


def is_pan(text: str) -> bool:
    """True when ``text`` (digits with optional single spaces/dashes) is a plausible card number."""
    digits = text.replace(" ", "").replace("-", "")
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
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
