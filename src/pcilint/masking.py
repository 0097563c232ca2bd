"""Masking of card numbers and Stripe secrets in any text pcilint emits.

pcilint must never become a leak itself: every message, snippet, trace note, error, fingerprint
input, cache entry and log line passes through :func:`mask_text` first.

Masking is deliberately greedy: masking a number that was not a card number costs nothing, letting
one through is a PCI incident.  So every run of 13 or more digits is masked, whatever its length or
Luhn check, with up to three separator characters between digits (spaces, tabs, dashes, dots,
slashes, and the underscores of Python numeric literals such as ``4242_4242_4242_4242``).  Stripe
keys are masked wherever their prefix appears, even glued to a word (``KEY_sk_live_...``) or split
by string concatenation (``"sk_live_" "51H..."``).
"""

from __future__ import annotations

import re

#: Characters allowed between the digits of one card-number-like run.
_SEPARATORS = " \t._/\\-\u00a0\u2009\u202f"
# 13+ digits (\d: any script's digits), each pair separated by at most three separator characters.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[" + re.escape(_SEPARATORS) + r"]{0,3}\d){12,}")
# Stripe secret-bearing keys: secret, restricted and webhook signing secrets, live or test.  The
# body may continue across adjacent string literals ("sk_live_" "abc", 'sk_live_' + 'abc').
_JOIN = r"""(?:["']\s*\+?\s*[rbuRBU]?["'])"""
_SECRET = re.compile(r"((?:sk|rk)_(?:live|test)_|whsec_)((?:[A-Za-z0-9]|" + _JOIN + r")+)")
_ALNUM = re.compile(r"[A-Za-z0-9]")


def mask_pan(text: str) -> str:
    """Mask one card-number-like run, keeping the first and last four digits and the layout."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    keep = set(digits[:4]) | set(digits[-4:])
    return "".join("*" if (ch.isdigit() and i not in keep) else ch for i, ch in enumerate(text))


def mask_secret(prefix: str, body: str) -> str:
    """``sk_live_…9aBc``: the prefix and, for a long enough key, its last four characters."""
    chars = "".join(_ALNUM.findall(body))
    tail = chars[-4:] if len(chars) > 8 else ""
    return f"{prefix}…{tail}"


def mask_text(text: str) -> str:
    """Return ``text`` with every PAN-like digit run and Stripe secret key masked."""
    if not text:
        return text
    if any(ch.isdigit() for ch in text):
        text = _DIGIT_RUN.sub(lambda m: mask_pan(m.group(0)), text)
    if "_" in text:
        text = _SECRET.sub(lambda m: mask_secret(m.group(1), m.group(2)), text)
    return text
