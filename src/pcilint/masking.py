"""Masking of card numbers and Stripe secrets in any text pcilint emits.

pcilint must never become a leak itself: every message, snippet, trace note, error, fingerprint
input, cache entry and log line passes through :func:`mask_text` first.

Masking is deliberately greedy: masking a number that was not a card number costs nothing, letting
one through is a PCI incident.  So every run of 13 or more digits is masked, whatever its length or
Luhn check, with up to three separator characters between digits (spaces, tabs, dashes, dots,
slashes, and the underscores of Python numeric literals such as ``4242_4242_4242_4242``).  Stripe
keys are masked wherever their prefix appears, even glued to a word (``KEY_sk_live_...``) or split
by string concatenation (``"sk_live_" "51H..."``, also across lines).  Webhook secrets keep
their base64 alphabet (``+``, ``/``, ``=``) inside the masked body.  Text that spells a value with
escapes (``"sk\\x5flive_..."``, ``"\\x34\\x35..."``) is decoded as Python would before it is
searched; when the decoded text holds a value, the decoded, masked text is what is returned.

:func:`mask_window` masks one line of a file in the context of its neighbours, so a key whose body
continues on the next line of a statement is masked on both lines.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters allowed between the digits of one card-number-like run.
_SEPARATORS = " \t._/\\-\u00a0\u2009\u202f"
# Adjacent string literals: "a" "b", 'a' + 'b', "a" \ (newline) "b", across lines too.
_JOIN = r"""(?:["']\s*[+\\]?\s*[rbufRBUF]{0,2}["'])"""
# 13+ digits (\d: any script's digits), each pair separated by at most three separator characters
# or by the quotes of adjacent literals ("4539" "5717" ...).
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:(?:[" + re.escape(_SEPARATORS) + r"]{0,3}|" + _JOIN
                        + r")\d){12,}")
# Stripe secret-bearing keys: secret, restricted and webhook signing secrets, live or test.  The
# body may continue across adjacent string literals ("sk_live_" "abc", 'sk_live_' + 'abc').
_SECRET = re.compile(r"((?:sk|rk)_(?:live|test)_|whsec_)((?:[A-Za-z0-9+/=]|" + _JOIN + r")+)")
# Escapes Python decodes inside string literals that could spell a digit, letter or underscore.
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{1,3})"
                     r"|N\{([A-Za-z0-9 \-]{1,60})\})")
_JOINED = re.compile(_JOIN)
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
    return f"{prefix}…{tail}" + "\n" * body.count("\n")  # line breaks kept: lines stay lines


def _decode_escape(m: re.Match[str]) -> str:
    hexa, u4, u8, octal, name = m.groups()
    try:
        if name is not None:
            ch = unicodedata.lookup(name)
        else:
            ch = chr(int(hexa or u4 or u8, 16) if octal is None else int(octal, 8))
    except (KeyError, ValueError, OverflowError):
        return m.group(0)
    return ch if ch.isprintable() and ch not in "\n\r" else m.group(0)


def _mask_plain(text: str) -> str:
    if any(ch.isdigit() for ch in text):
        text = _DIGIT_RUN.sub(lambda m: mask_pan(m.group(0)), text)
    if "_" in text:
        text = _SECRET.sub(lambda m: mask_secret(m.group(1), m.group(2)), text)
    return text


def mask_text(text: str) -> str:
    """Return ``text`` with every PAN-like digit run and Stripe secret key masked."""
    if not text:
        return text
    out = _mask_plain(text)
    # What Python would make of the text: escapes decoded, adjacent literals joined.  If a value
    # survives the plain masking in that form, the decoded, joined and masked text is returned.
    if "\\" in out or "'" in out or '"' in out:
        spelled = _JOINED.sub("", _ESCAPE.sub(_decode_escape, out))
        if spelled != out and _mask_plain(spelled) != spelled:
            return _mask_plain(_JOINED.sub("", _ESCAPE.sub(_decode_escape, text)))
    return out


#: Lines of context on each side that :func:`mask_window` reads.
WINDOW = 3


def mask_window(lines: list[str], index: int) -> str:
    """Line ``lines[index]`` masked in the context of its neighbours (a multi-line statement)."""
    lo, hi = max(0, index - WINDOW), min(len(lines), index + WINDOW + 1)
    block = mask_text("\n".join(lines[lo:hi])).split("\n")
    own = index - lo
    return block[own] if len(block) == hi - lo else mask_text(lines[index])


# -- the last gate: every string that leaves the process -------------------------------------------
# A run of 13-19 digits standing on its own (not inside a word or a hex digest), with separators.
_BOUNDED_RUN = re.compile(r"(?<![A-Za-z0-9])\d(?:[" + re.escape(_SEPARATORS) + r"]{0,3}\d){12,18}"
                          r"(?![A-Za-z0-9])")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_bounded(m: re.Match[str]) -> str:
    digits = "".join(ch for ch in m.group(0) if ch.isdigit())
    return mask_pan(m.group(0)) if digits.isascii() and _luhn(digits) else m.group(0)


def mask_output(text: str) -> str:
    """The final pass over a whole report or console line before it leaves the process.

    Findings, errors and traces are masked when they are made; this pass catches what reaches an
    output another way: file and directory names, the working directory, configuration paths, a
    suppression comment's codes, a rule page.  It masks every Stripe secret key and every
    Luhn-valid 13-19 digit run that stands on its own, and leaves hex digests and ids alone, so
    fingerprints and hashes in the same text stay intact."""
    if not text:
        return text
    if "_" in text:
        text = _SECRET.sub(lambda m: mask_secret(m.group(1), m.group(2)), text)
    if any(ch.isdigit() for ch in text):
        text = _BOUNDED_RUN.sub(_mask_bounded, text)
    return text
