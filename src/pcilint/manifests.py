"""Reading dependency manifests: which requirements (and locked versions) a project declares, and
on which line.

Formats (see :func:`manifest_format`): ``requirements*.txt`` (and ``constraints*.txt``, and the
``.txt`` files of a ``requirements/`` directory), ``Pipfile``, ``Pipfile.lock``, ``poetry.lock``,
``uv.lock``, ``pdm.lock``, ``pyproject.toml`` (PEP 621 dependencies and optional dependencies,
PEP 735 dependency groups, Poetry, uv and PDM development dependencies) and ``setup.cfg``.
``setup.py`` is read from its syntax tree by the check itself (it is never executed).

Nothing here follows an include (``-r other.txt``) or touches another file: each manifest is read
on its own, from its text, so a result depends only on the file's content (and can be cached on it).
pip-tools' ``requirements.in`` is not read: it lists what to resolve, and its compiled
``requirements.txt`` is the pin.  A manifest that is not valid TOML or JSON yields nothing (the
lock files are also read line by line, which survives a damaged file).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Iterator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: What :func:`manifest_format` returns; the dependency checks' ``formats`` parameter names these.
FORMATS = ("requirements", "pipfile", "pipfile-lock", "poetry-lock", "uv-lock", "pdm-lock",
           "pyproject", "setup-cfg", "setup-py")
LOCK_FORMATS = {"pipfile-lock", "poetry-lock", "uv-lock", "pdm-lock"}
_BY_NAME = {"pipfile": "pipfile", "pipfile.lock": "pipfile-lock", "poetry.lock": "poetry-lock",
            "uv.lock": "uv-lock", "pdm.lock": "pdm-lock", "pyproject.toml": "pyproject",
            "setup.cfg": "setup-cfg", "setup.py": "setup-py"}
_REQUIREMENTS_NAME = re.compile(r"^(?:.*[-_.])?(?:requirements|constraints)(?:[-_.].*)?\.txt$",
                                re.I)
_REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?P<rest>.*)$", re.S)
# (Lines are cut with searches that cannot backtrack over a long run of spaces: a hostile file
# must not make a reader quadratic.)
#: pip options that may follow a requirement on its line (``--hash=...``)
_TRAILING_OPTION = re.compile(r"(?<!\S)--?[A-Za-z]")
_COMMENT = re.compile(r"(?<!\S)#")


@dataclass(frozen=True)
class Requirement:
    """One requirement of a package (or its locked version), where it is written."""

    name: str  # normalised (PEP 503): ``Stripe_SDK`` -> ``stripe-sdk``
    text: str  # as written (for messages), e.g. ``stripe[async]==2.55.0``
    spec: str  # the version constraint, "" for none
    line: int
    column: int = 1  # 1-based
    poetry: bool = False  # ``spec`` uses Poetry's syntax (``^2.5``)
    locked: bool = False  # a lock file's resolved version (``spec`` is ``==version``)
    direct: bool = False  # a URL, path or VCS reference: no version constraint to judge


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def manifest_format(path: str) -> str | None:
    """The manifest format of a file, from its name (and, for ``requirements/*.txt``, its
    directory), or None."""
    p = PurePosixPath(path.replace("\\", "/"))
    name = p.name.lower()
    if name in _BY_NAME and (name != "pipfile" or p.name == "Pipfile"):
        return _BY_NAME[name]
    if name.endswith(".txt") and (_REQUIREMENTS_NAME.match(name) or
                                  p.parent.name.lower() == "requirements"):
        return "requirements"
    return None


def parse_requirement(text: str) -> tuple[str, str, bool] | None:
    """A PEP 508 requirement -> (normalised name, version constraint, is a direct reference);
    None if it is not one (an option line, a bare URL or path)."""
    m = _REQUIREMENT.match(text.strip())
    if not m:
        return None
    rest = m.group("rest").strip()
    if rest.startswith("@"):
        return normalize_name(m.group("name")), "", True
    spec = rest.split(";", 1)[0].strip()
    if spec and not re.match(r"^\(?\s*(?:[<>=!~]|$)", spec):
        return None  # ``stripe 2.0``, ``./pkg``, ``stripe-2.0.tar.gz``: not a requirement
    return normalize_name(m.group("name")), spec, False


def _uncomment(line: str) -> str:
    """A line without its ``#`` comment (one at the start or after whitespace, as pip reads it)."""
    m = _COMMENT.search(line)
    return line[: m.start()] if m else line


def _header(line: str) -> tuple[bool, str] | None:
    """A TOML table header: (is an array of tables ``[[...]]``, the dotted name), else None."""
    text = line.strip()
    if not text.startswith("["):
        return None
    double = text.startswith("[[")
    close = text.find("]]" if double else "]")
    rest = text[close + (2 if double else 1):].strip() if close >= 0 else "x"
    name = text[2 if double else 1: close].strip()
    if not name or (rest and not rest.startswith("#")):
        return None  # ``["a", "b"],``: an array's element, not a header
    return double, name


def has_constraints(text: str) -> bool:
    """Whether a requirements file applies a constraints file (``-c constraints.txt``)."""
    return re.search(r"^[ \t]*(?:-c|--constraint)(?:[ \t=]|$)", text, re.M) is not None


def read_manifest(fmt: str, text: str) -> list[Requirement]:
    """Every requirement of a manifest of format ``fmt`` (see :data:`FORMATS`; not setup-py)."""
    reader = _READERS.get(fmt)
    return list(reader(text)) if reader else []


# -- requirements files ---------------------------------------------------------------------------
def _requirements(text: str) -> Iterator[Requirement]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        first = i
        logical = lines[i]
        while logical.endswith("\\") and i + 1 < len(lines):
            i += 1
            logical = logical[:-1] + " " + lines[i]
        i += 1
        content = _uncomment(logical).strip()
        if not content or content.startswith("-"):
            continue  # -r / -c / -e / --index-url ...: not a requirement of a named package
        option = _TRAILING_OPTION.search(content)
        content = (content[: option.start()] if option else content).strip()
        parsed = parse_requirement(content)
        if parsed is None:
            continue
        name, spec, direct = parsed
        indent = len(lines[first]) - len(lines[first].lstrip())
        yield Requirement(name, content, spec, first + 1, indent + 1, direct=direct)


# -- TOML manifests -------------------------------------------------------------------------------
def _sections(text: str) -> list[tuple[str, int, int]]:
    """(dotted header name, first line, last line) of each TOML table; "" for the top."""
    lines = text.splitlines()
    out: list[tuple[str, int, int]] = []
    name, start = "", 1
    for number, line in enumerate(lines, 1):
        header = _header(line)
        if header is not None:
            out.append((name, start, number - 1))
            name = ".".join(part.strip().strip("\"'") for part in header[1].split("."))
            start = number
    out.append((name, start, len(lines)))
    return out


class _Locator:
    """Finds the lines of values tomllib read (it keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.sections = _sections(text)
        self.used: set[tuple[int, int]] = set()

    def string(self, value: str, tables: tuple[str, ...] = ()) -> tuple[int, int] | None:
        """(line, column) of the quoted string ``value``, in one of ``tables`` when given."""
        pattern = re.compile(r"""(["'])""" + re.escape(value) + r"\1")
        return self._first(pattern, tables)

    def key(self, key: str, tables: tuple[str, ...]) -> tuple[int, int] | None:
        """(line, column) of ``key = ...`` in one of ``tables``, or of a ``[table.key]`` header."""
        found = self._first(re.compile(r"""^\s*(["']?)""" + re.escape(key) + r"""\1\s*="""),
                            tables, at_group=False)
        if found is None:
            headers = tuple(f"{t}.{key}" for t in tables)
            for name, start, _end in self.sections:
                if name in headers:
                    return start, 1
        return found

    def _first(self, pattern: re.Pattern[str], tables: tuple[str, ...], at_group: bool = True
               ) -> tuple[int, int] | None:
        for name, start, end in self.sections:
            if tables and name not in tables:
                continue
            for number in range(start, end + 1):
                line = self.lines[number - 1]
                stripped = line.lstrip()
                if stripped.startswith("#"):
                    continue
                for m in pattern.finditer(line):
                    column = (m.start() if at_group else len(line) - len(stripped)) + 1
                    if (number, column) not in self.used:
                        self.used.add((number, column))
                        return number, column
        return None


def _toml(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        return None


def _pep508_list(values: Any, locate: _Locator, tables: tuple[str, ...]) -> Iterator[Requirement]:
    if not isinstance(values, list):
        return
    for value in values:
        if not isinstance(value, str):
            continue  # ``{include-group = "test"}``
        parsed = parse_requirement(value)
        if parsed is None:
            continue
        where = locate.string(value, tables) or locate.string(value)
        if where is None:
            continue
        name, spec, direct = parsed
        yield Requirement(name, value.strip(), spec, where[0], where[1], direct=direct)


def _keyed(table: Any, locate: _Locator, tables: tuple[str, ...], poetry: bool
           ) -> Iterator[Requirement]:
    """``name = "spec"`` / ``name = {version = "spec", ...}`` tables (Pipfile, Poetry); Poetry's
    list of constraints (``[{version = "^2", python = "<3.8"}, ...]``) is their union."""
    if not isinstance(table, dict):
        return
    for key, value in table.items():
        specs: list[str] = []
        direct = False
        for one in value if isinstance(value, list) else [value]:
            if isinstance(one, str):
                specs.append(one.strip())
            elif isinstance(one, dict) and isinstance(one.get("version"), str):
                specs.append(one["version"].strip())
            elif isinstance(one, dict) and any(k in one for k in ("git", "path", "file", "url")):
                direct = True
            elif isinstance(one, dict):
                specs.append("*")  # ``{extras = [...]}``: any version
        if not specs and not direct or len(specs) > 1 and not poetry:
            continue
        where = locate.key(str(key), tables)
        if where is None:
            continue
        spec = "" if any(s in ("", "*") for s in specs) else " || ".join(specs)
        shown = str(key) + (f" {spec}" if poetry and spec else spec)
        yield Requirement(normalize_name(str(key)), shown, spec, where[0], where[1],
                          poetry=poetry, direct=not specs)


def _pyproject(text: str) -> Iterator[Requirement]:
    doc = _toml(text)
    if doc is None:
        return
    locate = _Locator(text)
    project = doc.get("project")
    if isinstance(project, dict):
        yield from _pep508_list(project.get("dependencies"), locate, ("project",))
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for values in optional.values():
                yield from _pep508_list(values, locate,
                                        ("project.optional-dependencies", "project"))
    groups = doc.get("dependency-groups")
    if isinstance(groups, dict):
        for values in groups.values():
            yield from _pep508_list(values, locate, ("dependency-groups",))
    tool = doc.get("tool") if isinstance(doc.get("tool"), dict) else {}
    uv = tool.get("uv")
    if isinstance(uv, dict):
        yield from _pep508_list(uv.get("dev-dependencies"), locate, ("tool.uv",))
    pdm = tool.get("pdm")
    if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
        for values in pdm["dev-dependencies"].values():
            yield from _pep508_list(values, locate, ("tool.pdm.dev-dependencies", "tool.pdm"))
    poetry = tool.get("poetry")
    if isinstance(poetry, dict):
        for key in ("dependencies", "dev-dependencies"):
            yield from _keyed(poetry.get(key), locate, (f"tool.poetry.{key}",), poetry=True)
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, body in groups.items():
                if isinstance(body, dict):
                    yield from _keyed(body.get("dependencies"), locate,
                                      (f"tool.poetry.group.{group}.dependencies",), poetry=True)


def _pipfile(text: str) -> Iterator[Requirement]:
    doc = _toml(text)
    if doc is None:
        return
    locate = _Locator(text)
    for section, table in doc.items():
        if section in ("source", "requires", "pipenv", "scripts") or not isinstance(table, dict):
            continue
        yield from _keyed(table, locate, (section,), poetry=False)


def _lock(text: str) -> Iterator[Requirement]:
    """``[[package]]`` entries of poetry.lock, uv.lock and pdm.lock, read line by line: reported
    at their ``name = "..."`` line (where the entry starts; the message names the version)."""
    current: dict[str, Any] | None = None

    def done(entry: dict[str, Any] | None) -> Iterator[Requirement]:
        if entry and "name" in entry and "version" in entry:
            line, column, name = entry["name"]
            version = entry["version"]
            yield Requirement(normalize_name(name), name, f"=={version}", line, column,
                              locked=True)

    for number, line in enumerate(text.splitlines(), 1):
        header = _header(line)
        if header is not None:
            yield from done(current)
            current = {} if header == (True, "package") else None
            continue
        if current is None:
            continue
        kv = re.match(r"""^(\s*)(name|version)\s*=\s*(["'])([^"']+)\3""", line)
        if kv and kv.group(2) not in current:
            if kv.group(2) == "name":
                current["name"] = (number, len(kv.group(1)) + 1, kv.group(4))
            else:
                current["version"] = kv.group(4)
    yield from done(current)


def _pipfile_lock(text: str) -> Iterator[Requirement]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return
    if not isinstance(doc, dict):
        return
    lines = text.splitlines()
    used: set[int] = set()
    for section, packages in doc.items():
        if section.startswith("_") or not isinstance(packages, dict):
            continue
        for key, entry in packages.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
                continue
            version = entry["version"]
            pattern = re.compile(r'"' + re.escape(key) + r'"\s*:')
            where = next(((n, m.start() + 1) for n, line in enumerate(lines, 1) if n not in used
                          for m in [pattern.search(line)] if m), None)
            if where is None:
                continue
            used.add(where[0])
            yield Requirement(normalize_name(key), key, version, where[0], where[1], locked=True)


# -- setup.cfg ------------------------------------------------------------------------------------
def _setup_cfg(text: str) -> Iterator[Requirement]:
    """``install_requires`` of ``[options]`` and every entry of ``[options.extras_require]``,
    one requirement a line (setuptools' multi-line values)."""
    section = ""
    collecting = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if not line[0].isspace():
            header = re.match(r"^\[([^\]]+)\]\s*$", stripped)
            if header:
                section, collecting = header.group(1).strip().lower(), False
                continue
            kv = re.match(r"^([\w.-]+)\s*[=:]\s*(.*)$", line)
            collecting = kv is not None and (
                section == "options.extras_require"
                or section == "options" and kv.group(1).lower() == "install_requires")
            if not collecting or kv is None:
                continue
            value, column = kv.group(2), kv.start(2)
        elif collecting:
            value, column = stripped, len(line) - len(line.lstrip())
        else:
            continue
        value = _uncomment(value).strip()
        parsed = parse_requirement(value) if value else None
        if parsed is None:
            continue
        name, spec, direct = parsed
        yield Requirement(name, value, spec, number, column + 1, direct=direct)


_READERS = {
    "requirements": _requirements,
    "pipfile": _pipfile,
    "pipfile-lock": _pipfile_lock,
    "poetry-lock": _lock,
    "uv-lock": _lock,
    "pdm-lock": _lock,
    "pyproject": _pyproject,
    "setup-cfg": _setup_cfg,
}
