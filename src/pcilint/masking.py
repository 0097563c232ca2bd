"""Masking of card numbers and Stripe secrets in any text pcilint emits.

pcilint must never become a leak itself: every message, snippet, trace note, error, fingerprint
input, cache entry and log line passes through :func:`mask_text` first.
"""

from __future__ import annotations

import re

# 13-19 digits, optionally separated by single spaces or dashes (as PANs are written).
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
# Stripe secret-bearing keys: secret, restricted and webhook signing secrets, live or test.
_SECRET = re.compile(r"\b((?:sk|rk)_(?:live|test)_|whsec_)([A-Za-z0-9]+)")


def mask_pan(text: str) -> str:
    """Mask one card-number-like run, keeping the first and last four digits and the layout."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    keep = set(digits[:4]) | set(digits[-4:])
    return "".join("*" if (ch.isdigit() and i not in keep) else ch for i, ch in enumerate(text))


def mask_secret(prefix: str, body: str) -> str:
    tail = body[-4:] if len(body) > 8 else ""
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
