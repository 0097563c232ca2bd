"""Classifying names as card data: PAN, SAD (CVV, track data, PIN) or neither.

The vocabulary lives in ``rules/vocabulary/card-data.yaml`` (teams extend it through the
``sensitive_names`` configuration key).  Matching is by words - ``cardNumber``, ``card_number``,
``card-number`` and ``card[number]`` all split into ``card number`` - never by substring.  Names in
other languages are folded to ASCII first (``número_tarjeta`` -> ``numero tarjeta``, ``prüfziffer`` ->
``prufziffer``), so the vocabulary lists each term once, without accents.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pcilint.paths import builtin_rules_dir

PAN = "pan"
SAD = "sad"

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


#: Letters NFKD does not decompose, spelled as payment code in those languages spells them in ASCII.
_FOLD = {"ß": "ss", "ẞ": "SS", "ı": "i", "İ": "I", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
         "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
_FOLD_CHARS = re.compile("[" + "".join(_FOLD) + "]")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """``text`` with accents and ligatures folded to ASCII letters where it has them
    (``número`` -> ``numero``, ``segurança`` -> ``seguranca``, ``numarası`` -> ``numarasi``);
    other characters are kept.  ASCII text is returned as it is.  (Regex passes, not a loop over
    characters: whole files with an em dash in a comment are folded for the prefilter.)"""
    if text.isascii():
        return text
    text = _FOLD_CHARS.sub(lambda m: _FOLD[m.group(0)], text)
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def split_words(name: str) -> tuple[str, ...]:
    """``cardNumber`` -> ('card', 'number'); ``CC_CVV2`` -> ('cc', 'cvv2'); ``card[number]`` too;
    ``númeroTarjeta`` -> ('numero', 'tarjeta')."""
    name = fold(name)
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        if not chunk:
            continue
        if chunk.islower() or chunk.isupper() or chunk.isdigit():
            words.append(chunk.lower())
            continue
        words += [w.lower() for w in _CAMEL.findall(chunk)]
    # keep digits glued to a preceding word the vocabulary knows with its digit (cvv2, track1)
    merged: list[str] = []
    for w in words:
        if w.isdigit() and merged and merged[-1] + w in _DIGIT_GLUED:
            merged[-1] += w
        else:
            merged.append(w)
    return tuple(merged)


_DIGIT_GLUED = {"cvv2", "cvc2", "track1", "track2", "last4", "first6", "sha256"}


@dataclass
class Vocabulary:
    pan: list[tuple[str, ...]] = field(default_factory=list)
    sad: list[tuple[str, ...]] = field(default_factory=list)
    neutral: set[str] = field(default_factory=set)
    safe: set[str] = field(default_factory=set)
    containers: list[tuple[str, ...]] = field(default_factory=list)
    #: whole names matched case-sensitively, as written (``ACCT``, PayPal's card-number field)
    exact: dict[str, str] = field(default_factory=dict)

    def extended(self, extra: dict[str, list[str]] | None) -> "Vocabulary":
        if not extra:
            return self
        return Vocabulary(
            pan=self.pan + [split_words(n) for n in extra.get("pan", [])],
            sad=self.sad + [split_words(n) for n in extra.get("sad", [])],
            neutral=set(self.neutral),
            safe=self.safe | {w for n in extra.get("safe", []) for w in split_words(n)},
            containers=list(self.containers),
            exact=dict(self.exact),
        )

    def classify(self, name: str) -> str | None:
        """'pan', 'sad' or None for an identifier, attribute, key or field name."""
        return _classify(self, name)

    def is_card_container(self, name: str) -> bool:
        """Whether ``name`` names a card (so its ``number`` is a PAN): ``card``, ``credit_card``..."""
        words = split_words(name)
        if not words or any(w in self.safe for w in words):
            return False
        return any(words[-len(term):] == term for term in self.containers)

    def __hash__(self) -> int:  # identity hash so the lru_cache below can key on it
        return id(self)


def _words_match(words: tuple[str, ...], term: tuple[str, ...], neutral: set[str]) -> bool:
    n = len(term)
    for i in range(len(words) - n + 1):
        if words[i:i + n] == term and all(w in neutral for w in words[i + n:]):
            return True
    return False


@lru_cache(maxsize=65536)
def _classify(vocab: Vocabulary, name: str) -> str | None:
    if name in vocab.exact:
        return vocab.exact[name]
    words = split_words(name)
    if not words or len(words) > 8:
        return None
    # plural of the last word (card_numbers, cvvs)
    if len(words[-1]) > 3 and words[-1].endswith("s") and words[-1] not in vocab.safe:
        words = words[:-1] + (words[-1][:-1],)
    if any(w in vocab.safe for w in words):
        return None
    for term in vocab.sad:
        if _words_match(words, term, vocab.neutral):
            return SAD
    for term in vocab.pan:
        if _words_match(words, term, vocab.neutral):
            return PAN
    return None


def vocabulary_file() -> Path:
    return builtin_rules_dir() / "vocabulary" / "card-data.yaml"


@lru_cache(maxsize=1)
def _builtin() -> Vocabulary:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser where PyYAML has it
    data = yaml.load(vocabulary_file().read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    return Vocabulary(
        pan=[split_words(t) for t in data["pan"]],
        sad=[split_words(t) for t in data["sad"]],
        neutral={str(w) for w in data["neutral_suffixes"]},
        safe={str(w) for w in data["safe_words"]},
        containers=[split_words(t) for t in data["card_containers"]],
        exact={str(n): PAN for n in data.get("exact_pan", [])}
        | {str(n): SAD for n in data.get("exact_sad", [])},
    )


_extended: dict[tuple, Vocabulary] = {}


def vocabulary(extra: dict[str, list[str]] | None = None) -> Vocabulary:
    """The shipped vocabulary, extended by a configuration's ``sensitive_names``."""
    if not extra:
        return _builtin()
    key = tuple(sorted((k, tuple(v)) for k, v in extra.items()))
    if key not in _extended:
        _extended[key] = _builtin().extended(extra)
    return _extended[key]


def classify(name: str, extra: dict[str, list[str]] | None = None) -> str | None:
    return vocabulary(extra).classify(name)
