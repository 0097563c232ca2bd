"""The cache's data-only format: JSON, with tags for the Python types pcilint's results are made of.

A cache entry must never be a way to run code (issue 14 §2: a pickle planted in a cache directory
that a CI keeps inside the checkout executed attacker code).  So entries are JSON, and decoding
builds nothing but plain data and pcilint's own dataclasses:

    None, bool, int, float, str   themselves
    list                          a JSON array
    tuple / frozenset / set       {"t": [...]} / {"f": [...]} / {"s": [...]}
    dict (any hashable keys)      {"d": [k1, v1, k2, v2, ...]}
    bytes                         {"b": "<latin-1 text>"}
    a pcilint dataclass           {"c": "pcilint.module:Class", "v": [field1, field2, ...]}
    the n-th tagged value again   {"r": n}

Every JSON object is one of these tags (a dict is never written as a JSON object), so decoding is
``json.loads`` with an ``object_hook`` and never guesses.  Values shared in memory (one frozenset of
labels referenced by a thousand call sites) are written once and referenced by their position in
the order the hook sees them (children before parents), which keeps entries near pickle's size.
A dataclass is rebuilt only if its module is a ``pcilint.*`` module that is already imported
(decoding imports nothing), the name is a dataclass defined there, and the number of values equals
its number of fields (a schema check); its fields are then set directly, as pickle does, without
calling ``__init__``.  Anything else (an unknown tag or class, a wrong arity, a bad reference,
malformed JSON, nesting past the recursion limit) raises :class:`CodecError`, which the cache treats
as a miss: the entry is ignored and rewritten, never trusted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

__all__ = ["CodecError", "dumps", "loads"]


class CodecError(ValueError):
    """A value that cannot be encoded, or bytes that are not a well-formed entry."""


_CLASSES: dict[str, tuple[type, tuple[str, ...]]] = {}  # "module:Class" -> (class, field names)
_NAMES: dict[type, str] = {}


def _name_of(cls: type) -> str:
    name = _NAMES.get(cls)
    if name is None:
        if not cls.__module__.startswith("pcilint.") or "<" in cls.__qualname__:
            raise CodecError(f"not a pcilint class: {cls.__module__}.{cls.__qualname__}")
        name = f"{cls.__module__}:{cls.__qualname__}"
        _NAMES[cls] = name
        _CLASSES[name] = (cls, tuple(f.name for f in dataclasses.fields(cls)))
    return name


def _class(name: str) -> tuple[type, tuple[str, ...]]:
    known = _CLASSES.get(name)
    if known is not None:
        return known
    module, _, qualname = name.partition(":")
    if not module.startswith("pcilint.") or not qualname or not all(
            part.isidentifier() for part in (*module.split("."), *qualname.split("."))):
        raise CodecError(f"cache entry names a class outside pcilint: {name[:80]!r}")
    obj: Any = sys.modules.get(module)  # (never imported here: decoding runs no module's code)
    for part in qualname.split(".") if obj is not None else ():
        obj = getattr(obj, part, None)
    if obj is None:
        raise CodecError(f"cache entry names an unknown or unloaded class: {name[:80]!r}")
    if not (isinstance(obj, type) and dataclasses.is_dataclass(obj)):
        raise CodecError(f"cache entry names a non-dataclass: {name[:80]!r}")
    _name_of(obj)
    return _CLASSES[name]


def _encoder() -> Any:
    memo: dict[int, int] = {}
    keep: list[Any] = []  # (ids stay unique while the values they name are alive)

    def seen(v: Any, out: dict) -> dict:
        memo[id(v)] = len(keep)
        keep.append(v)
        return out

    def enc(v: Any) -> Any:
        t = type(v)
        if v is None or t is str or t is int or t is bool or t is float:
            return v
        if t is list:
            return [enc(x) for x in v]
        ref = memo.get(id(v))
        if ref is not None:
            return {"r": ref}
        if t is tuple:
            return seen(v, {"t": [enc(x) for x in v]})
        if t is frozenset:
            return seen(v, {"f": [enc(x) for x in v]})
        if t is dict:
            items: list[Any] = []
            for k, x in v.items():
                items.append(enc(k))
                items.append(enc(x))
            return seen(v, {"d": items})
        if t is set:
            return seen(v, {"s": [enc(x) for x in v]})
        if t is bytes:
            return seen(v, {"b": v.decode("latin-1")})
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            name = _name_of(t)
            return seen(v, {"c": name, "v": [enc(getattr(v, f)) for f in _CLASSES[name][1]]})
        raise CodecError(f"cannot cache a {t.__module__}.{t.__qualname__}")

    return enc


def _decoder() -> Any:
    table: list[Any] = []
    add = table.append

    def hook(o: dict) -> Any:
        if len(o) == 1:
            (tag, x), = o.items()
            if tag == "r":
                if type(x) is not int or not 0 <= x < len(table):
                    raise CodecError("cache entry holds a bad reference")
                return table[x]
            if type(x) is list:
                if tag == "t":
                    v: Any = tuple(x)
                elif tag == "f":
                    v = frozenset(x)
                elif tag == "d":
                    if len(x) % 2:
                        raise CodecError("cache entry holds a dict with a key and no value")
                    it = iter(x)
                    v = dict(zip(it, it))
                elif tag == "s":
                    v = set(x)
                else:
                    raise CodecError(f"cache entry holds an unknown tag {tag[:20]!r}")
            elif tag == "b" and type(x) is str:
                v = x.encode("latin-1")
            else:
                raise CodecError(f"cache entry holds an unknown tag {tag[:20]!r}")
        elif len(o) == 2 and type(o.get("c")) is str and type(o.get("v")) is list:
            cls, names = _class(o["c"])
            values = o["v"]
            if len(values) != len(names):
                raise CodecError(f"cache entry does not match {o['c'][:80]}'s fields")
            v = object.__new__(cls)
            for name, value in zip(names, values):
                object.__setattr__(v, name, value)
        else:
            raise CodecError("cache entry holds an untagged object")
        add(v)
        return v

    return hook


def dumps(value: Any) -> bytes:
    """``value`` as entry bytes; :class:`CodecError` if it holds a type the format does not carry."""
    try:
        return json.dumps(_encoder()(value), separators=(",", ":"),
                          check_circular=False).encode("ascii")
    except RecursionError as exc:
        raise CodecError("value nested too deeply to cache") from exc
    except (TypeError, ValueError, UnicodeError) as exc:
        raise CodecError(str(exc)) from exc


def loads(data: bytes | str) -> Any:
    """The value ``data`` encodes; :class:`CodecError` for anything that is not a well-formed entry."""
    try:
        return json.loads(data, object_hook=_decoder())
    except CodecError:
        raise
    except (ValueError, TypeError, RecursionError, UnicodeError) as exc:
        raise CodecError(f"malformed cache entry: {type(exc).__name__}") from exc
