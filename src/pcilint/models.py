"""Library models: what pcilint knows about libraries, as data (``rules/models/*.yaml``).

A model file is a YAML mapping of *sections*; each section says one thing about libraries:

* ``body_parsers``: calls that parse a request body into a mapping (``json.loads``, ``orjson.loads``,
  ``msgspec.json.decode``, ``urllib.parse.parse_qs``); ``parse_methods``: method names that do the
  same on any receiver (``request.get_json()``, ``Model.model_validate_json(...)``);
* ``http_clients``: one entry per library: its import names, the words a file using it contains
  (``terms``, for the prefilter), the factory functions and re-exports
  that stand for its client classes (``aliases``), and the calls that take a URL (``calls``: globs
  with the URL's position ``arg`` / ``keyword``);
* ``web_frameworks``: per framework, the imports that are the current request (``flask.request``),
  the parameter annotations that make a parameter the request (``HttpRequest``) and the parameter
  defaults that make it a request body (``Body(...)``);
* ``stripe``: the Stripe SDK's entry points: its module names (an attribute or variable bound to
  one is the SDK too), client classes, ``StripeClient`` service segments, the methods that write, read,
  verify a webhook signature, re-fetch or construct an event, and where a base URL is set.

Every file is checked against one schema (:data:`SCHEMA`); an error names the file, line and field.
The shipped models (``rules/models/``) are read once per process; a ``--rules`` pack adds its own (a
``models/`` folder in the pack, or a pack file holding model sections instead of ``rules:``), merged
with the shipped ones by :func:`activate` when the rules are loaded.  The analysis reads the models
in force with :func:`current`.  See ``docs/writing-rules.md`` ("Library models").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from pcilint import safeio
from pcilint.errors import RuleError
from pcilint.yamlload import LineDict, LineList, load_yaml

# -- the schema -------------------------------------------------------------------------------------
# A field is ("str" | "int" | "bool" | "list[str]" | "map[str]" | "list[spec]" | "spec", required);
# a section is a field at the top level.  "spec" fields take a nested schema (``CALL_SPEC``).
CALL_SPEC: dict[str, tuple[str, bool]] = {
    "call": ("list[str]", True),       # qualified call globs (a plain string is a one-item list)
    "arg": ("int", False),            # the URL's positional index
    "keyword": ("list[str]", False),  # the URL's keyword name(s)
    "when_arg": ("list[str]", False),  # [index, NAME]: only when that argument is named NAME
    "request": ("bool", False),       # false: builds a client or request object, sends nothing
}
HTTP_CLIENT: dict[str, tuple[str, bool]] = {
    "library": ("str", True),
    "modules": ("list[str]", False),
    "terms": ("list[regex]", False),
    "aliases": ("map[str]", False),
    "calls": ("list[spec]", False),
}
VERIFY_SPEC: dict[str, tuple[str, bool]] = {
    "method": ("str", True),
    "secret_arg": ("int", False),
    "secret_keyword": ("str", False),
    "tolerance_arg": ("int", False),
    "returns_event": ("bool", False),
}
WEB_FRAMEWORK: dict[str, tuple[str, bool]] = {
    "framework": ("str", True),
    "request_globals": ("list[str]", False),
    "request_annotations": ("list[str]", False),
    "body_parameters": ("list[str]", False),
}
STRIPE: dict[str, tuple[str, bool]] = {
    "modules": ("list[str]", False),
    "clients": ("list[str]", False),
    "aliases": ("map[str]", False),
    "services": ("list[str]", False),
    "write_methods": ("list[str]", False),
    "read_methods": ("list[str]", False),
    "verify": ("list[spec]", False),
    "refetch_calls": ("list[str]", False),
    "construct_calls": ("list[str]", False),
    "base_url_attributes": ("list[str]", False),
    "base_url_calls": ("list[spec]", False),
}
SCHEMA: dict[str, tuple[str, bool]] = {
    "body_parsers": ("list[str]", False),
    "parse_methods": ("list[str]", False),
    "http_clients": ("list[spec]", False),
    "stripe": ("spec", False),
    "web_frameworks": ("list[spec]", False),
}
NESTED: dict[str, dict[str, tuple[str, bool]]] = {
    "http_clients": HTTP_CLIENT, "calls": CALL_SPEC, "base_url_calls": CALL_SPEC,
    "verify": VERIFY_SPEC, "stripe": STRIPE, "web_frameworks": WEB_FRAMEWORK,
}
#: fields whose entries are dotted names (``json.loads``), checked on load
DOTTED_KEYS = frozenset({"body_parsers", "parse_methods", "modules", "clients", "request_globals",
                         "request_annotations", "body_parameters", "refetch_calls",
                         "construct_calls", "base_url_attributes"})
_DOTTED = re.compile(r"^[A-Za-z_*][\w*]*(?:\.[\w*()]+)*$")


# -- what the analysis reads ------------------------------------------------------------------------
@dataclass(frozen=True)
class UrlCall:
    """Calls matching ``call`` (globs) take a URL at ``arg`` / ``keyword``."""

    call: tuple[str, ...]
    arg: int | None = None
    keyword: tuple[str, ...] = ()
    when_arg: tuple[int, str] | None = None  # only when argument ``index`` is named ``NAME``
    request: bool = True  # an outgoing request (False: a client or request object is built)

    def as_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"call": list(self.call)}
        if self.arg is not None:
            spec["arg"] = self.arg
        if self.keyword:
            spec["keyword"] = list(self.keyword)
        if self.when_arg is not None:
            spec["when_arg"] = self.when_arg
        return spec


@dataclass(frozen=True)
class Verify:
    method: str
    secret_arg: int | None = None
    secret_keyword: str | None = None
    tolerance_arg: int | None = None
    returns_event: bool = False


@dataclass(frozen=True)
class Models:
    """The library models in force: the shipped ones merged with a rule pack's."""

    body_parsers: frozenset[str] = frozenset()
    parse_methods: frozenset[str] = frozenset()
    http_modules: tuple[str, ...] = ()
    http_terms: tuple[str, ...] = ()  # regex fragments: a file using a client names one
    http_aliases: tuple[tuple[str, str], ...] = ()
    url_calls: tuple[UrlCall, ...] = ()
    stripe_modules: tuple[str, ...] = ()
    stripe_clients: tuple[str, ...] = ()
    stripe_aliases: tuple[tuple[str, str], ...] = ()
    stripe_services: frozenset[str] = frozenset()
    stripe_write_methods: frozenset[str] = frozenset()
    stripe_read_methods: frozenset[str] = frozenset()
    stripe_verify: tuple[Verify, ...] = ()
    stripe_refetch: tuple[str, ...] = ()
    stripe_construct: tuple[str, ...] = ()
    stripe_base_url_attributes: tuple[str, ...] = ()
    stripe_base_url_calls: tuple[UrlCall, ...] = ()
    request_globals: frozenset[str] = frozenset()
    request_annotations: frozenset[str] = frozenset()
    body_parameters: frozenset[str] = frozenset()
    sources: tuple[str, ...] = ()  # the files merged, for messages and the cache

    # derived tables (computed once per Models; Models is immutable)
    @cached_property
    def aliases(self) -> dict[str, str]:
        """Factory functions and re-exports -> the client class they stand for."""
        return dict(self.http_aliases + self.stripe_aliases)

    @cached_property
    def verify_methods(self) -> dict[str, Verify]:
        """Stripe's webhook-verifying methods by name (the receiver may be a ``StripeClient``)."""
        return {v.method: v for v in self.stripe_verify}

    @cached_property
    def parse_regex(self) -> re.Pattern[str]:
        """A qualified or dotted call name ending in a body parser or a parse method."""
        return _suffix_regex(sorted(self.body_parsers) + sorted(self.parse_methods))

    @cached_property
    def refetch_regex(self) -> re.Pattern[str]:
        return _suffix_regex(self.stripe_refetch)

    @cached_property
    def construct_regex(self) -> re.Pattern[str]:
        return _suffix_regex(self.stripe_construct)

    @cached_property
    def client_heads(self) -> frozenset[str]:
        """The top-level modules of every modelled URL-taking call (``requests``, ``urllib``)."""
        return frozenset(g.split(".")[0] for c in self.url_calls + self.stripe_base_url_calls
                         for g in c.call if g[:1].isalpha())

    @cached_property
    def stripe_names(self) -> tuple[str, ...]:
        """Words that name the Stripe SDK in source text (its modules, client classes)."""
        return tuple(sorted({n.rsplit(".", 1)[-1] for n in self.stripe_clients}
                            | {m.split(".")[0] for m in self.stripe_modules}))

    def is_stripe_module(self, qualified: str | None) -> bool:
        """``stripe`` itself or a name inside it (``stripe.Charge``, ``stripe.StripeClient``)."""
        if not qualified:
            return False
        return any(qualified == m or qualified.startswith(m + ".") for m in self.stripe_modules)


def _suffix_regex(names: Iterable[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(n) for n in names}, key=len, reverse=True)
    if not alternatives:
        return re.compile(r"(?!)")
    return re.compile(r"(?:^|\.)(?:" + "|".join(alternatives) + r")$")


# -- loading --------------------------------------------------------------------------------------
def builtin_models_dir() -> Path:
    from pcilint.paths import builtin_rules_dir

    return builtin_rules_dir() / "models"


def model_files(path: Path) -> list[Path]:
    """The model files of a rule pack directory (its ``models/`` folder)."""
    folder = path / "models"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def is_model_data(data: Any) -> bool:
    """Whether a pack file's top-level mapping is a model file (model sections, no ``rules:``)."""
    return isinstance(data, dict) and bool(data) and "rules" not in data and all(
        key in SCHEMA for key in data)


def read_model_file(path: Path) -> dict[str, Any]:
    """One model file, validated: its sections as plain Python values."""
    display = str(path)
    try:
        text = safeio.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read model file: {exc}", path=display) from None
    data = load_yaml(text, display, RuleError)
    if data is None:
        return {}
    if not isinstance(data, LineDict):
        raise RuleError("a model file must be a mapping of model sections "
                        f"({', '.join(sorted(SCHEMA))})", path=display,
                        line=getattr(data, "line", None) or 1)
    return _validate(data, SCHEMA, display, "")


def _validate(node: LineDict, schema: dict[str, tuple[str, bool]], path: str,
              where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in node:
        if key not in schema:
            raise RuleError(f"unknown key (allowed: {', '.join(sorted(schema))})", path=path,
                            line=node.line_of(str(key)), field=f"{where}{key}")
    for key, (kind, required) in schema.items():
        if key not in node:
            if required:
                raise RuleError(f"missing required key `{key}`", path=path, line=node.line,
                                field=where.rstrip(".") or None)
            continue
        out[key] = _value(node[key], kind, path, node.line_of(key), f"{where}{key}", key)
    return out


def _value(value: Any, kind: str, path: str, line: int, name: str, key: str) -> Any:
    def fail(msg: str, at: Any = None) -> RuleError:
        return RuleError(msg, path=path, line=getattr(at, "line", None) or line, field=name)

    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise fail("must be a non-empty string")
        return value.strip()
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise fail("must be a non-negative integer")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if kind == "list[str]":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(x, (str, int)) and str(x).strip()
                                                  and not isinstance(x, bool) for x in items):
            raise fail("must be a list of strings")
        out = [str(x).strip() for x in items]
        if key in DOTTED_KEYS:
            lines = items.item_lines if isinstance(items, LineList) else [line] * len(items)
            for i, item in enumerate(out):
                if not _DOTTED.match(item):
                    raise RuleError(f"{item!r} is not a dotted name", path=path, line=lines[i],
                                    field=name)
        return out
    if kind == "list[regex]":
        items = _value(value, "list[str]", path, line, name, key)
        for item in items:
            try:
                re.compile(item)
            except re.error as exc:
                raise fail(f"invalid regular expression {item!r}: {exc}") from None
        return items
    if kind == "map[str]":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise fail("must be a mapping of names to names")
        return dict(value)
    if kind == "spec":
        if not isinstance(value, LineDict):
            raise fail("must be a mapping")
        return _validate(value, NESTED[key], path, f"{name}.")
    if kind == "list[spec]":
        if not isinstance(value, list):
            raise fail("must be a list of mappings")
        lines = value.item_lines if isinstance(value, LineList) else [line] * len(value)
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, LineDict):
                raise RuleError("each entry must be a mapping", path=path, line=lines[i],
                                field=f"{name}[{i}]")
            out.append(_validate(item, NESTED[key], path, f"{name}[{i}]."))
        return out
    raise AssertionError(kind)


def _url_call(spec: dict[str, Any], path: str) -> UrlCall:
    when = spec.get("when_arg")
    when_arg = None
    if when is not None:
        if len(when) != 2 or not when[0].isdigit():
            raise RuleError("`when_arg` must be [index, NAME]", path=path, field="when_arg")
        when_arg = (int(when[0]), when[1])
    return UrlCall(tuple(spec["call"]), spec.get("arg"), tuple(spec.get("keyword", ())), when_arg,
                   spec.get("request", True))


def merge(files: Iterable[tuple[str, dict[str, Any]]]) -> Models:
    """Merge validated model files (in order; a later file adds to, never removes from, earlier)."""
    parsers: list[str] = []
    methods: list[str] = []
    modules: list[str] = []
    terms: list[str] = []
    aliases: dict[str, str] = {}
    calls: list[UrlCall] = []
    stripe: dict[str, Any] = {}
    web: dict[str, list[str]] = {"request_globals": [], "request_annotations": [],
                                 "body_parameters": []}
    sources: list[str] = []
    for path, data in files:
        sources.append(path)
        parsers += data.get("body_parsers", [])
        methods += data.get("parse_methods", [])
        for client in data.get("http_clients", []):
            modules += client.get("modules", [])
            terms += client.get("terms", []) or [re.escape(m) for m in client.get("modules", [])]
            aliases.update(client.get("aliases", {}))
            calls += [_url_call(spec, path) for spec in client.get("calls", [])]
        for framework in data.get("web_frameworks", []):
            for key, names in web.items():
                names += framework.get(key, [])
        for key, value in data.get("stripe", {}).items():
            if isinstance(value, dict):
                stripe.setdefault(key, {}).update(value)
            else:
                stripe.setdefault(key, []).extend(value)
    return Models(
        body_parsers=frozenset(parsers), parse_methods=frozenset(methods),
        http_modules=tuple(dict.fromkeys(modules)), http_terms=tuple(dict.fromkeys(terms)),
        http_aliases=tuple(aliases.items()),
        url_calls=tuple(dict.fromkeys(calls)),
        stripe_modules=tuple(dict.fromkeys(stripe.get("modules", []))),
        stripe_clients=tuple(dict.fromkeys(stripe.get("clients", []))),
        stripe_aliases=tuple(stripe.get("aliases", {}).items()),
        stripe_services=frozenset(stripe.get("services", [])),
        stripe_write_methods=frozenset(stripe.get("write_methods", [])),
        stripe_read_methods=frozenset(stripe.get("read_methods", [])),
        stripe_verify=tuple({v["method"]: Verify(**v) for v in stripe.get("verify", [])}.values()),
        stripe_refetch=tuple(dict.fromkeys(stripe.get("refetch_calls", []))),
        stripe_construct=tuple(dict.fromkeys(stripe.get("construct_calls", []))),
        stripe_base_url_attributes=tuple(dict.fromkeys(stripe.get("base_url_attributes", []))),
        stripe_base_url_calls=tuple(_url_call(s, "stripe") for s in stripe.get("base_url_calls", [])),
        request_globals=frozenset(web["request_globals"]),
        request_annotations=frozenset(web["request_annotations"]),
        body_parameters=frozenset(web["body_parameters"]),
        sources=tuple(sources),
    )


_files: dict[tuple[str, float, int], dict[str, Any]] = {}  # a file's validated sections, by stat
_builtin: list[tuple[str, dict[str, Any]]] | None = None
_merged: dict[tuple[str, ...], Models] = {}
_current: Models | None = None


def _read_cached(path: Path) -> dict[str, Any]:
    try:
        st = path.stat()
        key = (str(path), st.st_mtime, st.st_size)
    except OSError:
        return read_model_file(path)  # names the file in its error
    if key not in _files:
        _files[key] = read_model_file(path)
    return _files[key]


def builtin() -> list[tuple[str, dict[str, Any]]]:
    """The shipped model files (read once per process)."""
    global _builtin
    if _builtin is None:
        folder = builtin_models_dir()
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml")) \
            if folder.is_dir() else []
        _builtin = [(str(p), read_model_file(p)) for p in files]
    return _builtin


def load(extra: Iterable[Path] = ()) -> Models:
    """The shipped models merged with the model files ``extra`` (cached per list of files)."""
    paths = [Path(p) for p in extra]
    key = tuple(str(p) for p in paths)
    files = builtin() + [(str(p), _read_cached(p)) for p in paths]
    cache_key = key + tuple(str(id(data)) for _p, data in files[len(builtin()):])
    if cache_key not in _merged:
        _merged[cache_key] = merge(files)
    return _merged[cache_key]


def activate(extra: Iterable[Path] = ()) -> Models:
    """Make the shipped models plus ``extra`` the ones in force in this process (and in the worker
    processes it forks).  Called by :func:`pcilint.ruleset.load_rules` for the packs it loads."""
    global _current
    _current = load(extra)
    return _current


def current() -> Models:
    """The models in force: the shipped ones unless a rule pack added its own."""
    global _current
    if _current is None:
        _current = load()
    return _current
