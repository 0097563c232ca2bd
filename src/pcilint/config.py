"""Project configuration: ``[tool.pcilint]`` in ``pyproject.toml`` or a ``.pcilint.yaml`` file.

The nearest configuration found by walking up from the first scanned path wins (``--config`` names one
explicitly).  Unknown keys and bad values are errors naming the file, the line and the key.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcilint import safeio
from pcilint.errors import ConfigError
from pcilint.findings import SEVERITIES
from pcilint.versiontable import DependencySettings
from pcilint.yamlload import LineDict, load_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CODE_OR_PREFIX = re.compile(r"^PCI[0-9]{0,3}$")
YAML_NAMES = (".pcilint.yaml", ".pcilint.yml")

KEYS = {
    "select": "list of rule codes or prefixes to run (default: all)",
    "ignore": "list of rule codes or prefixes to skip",
    "exclude": "list of gitignore-style patterns of paths not to scan",
    "fail_on": "lowest severity that makes the run fail (critical, high, medium, low)",
    "extend_rules": "list of extra rule files or directories, relative to the config file",
    "per_file_ignores": "mapping of path glob -> list of codes or prefixes ignored there",
    "sensitive_names": "extra card-data vocabulary: {pan: [...], sad: [...], safe: [...]}",
    "sanitizers": "extra function names whose result is no longer card data",
    "dependencies": "the PCI9xx support window: {versions_file, min_supported_major, "
                    "max_api_version_age_days}",
    "fail_on_errors": "fail the run when a file could not be analysed (default true)",
    "warn_unused_ignores": "report `# pcilint: ignore` comments that suppress nothing: false "
                           "(default), true (warn) or \"fail\" (warn and fail the run)",
}
UNUSED_IGNORES = ("off", "warn", "fail")
DEPENDENCY_KEYS = ("versions_file", "min_supported_major", "max_api_version_age_days")


@dataclass
class Settings:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    fail_on: str = "low"
    extend_rules: list[Path] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    sensitive_names: dict[str, list[str]] = field(default_factory=dict)
    sanitizers: list[str] = field(default_factory=list)
    dependencies: DependencySettings | None = None  # [tool.pcilint.dependencies]
    warn_unused_ignores: str = "off"  # off, warn, fail
    fail_on_errors: bool = True  # a file that could not be analysed fails the run
    source: str | None = None  # the config file these came from
    root: Path | None = None  # directory of the config file (patterns are relative to it)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line in the config file


def find_config(start: Path) -> Path | None:
    """The nearest ``.pcilint.yaml`` or ``pyproject.toml`` with ``[tool.pcilint]`` at or above start."""
    current = start.resolve()
    if current.is_file() or not current.exists():
        current = current.parent
    for directory in (current, *current.parents):
        for name in YAML_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                text = safeio.read_text(candidate, errors="replace")
            except OSError:
                continue
            if re.search(r"^\s*\[tool\.pcilint[\].]", text, re.M):
                return candidate
    return None


def load_config(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    display = str(path)
    try:
        text = safeio.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", path=display) from None
    if path.name in YAML_NAMES or path.suffix in (".yaml", ".yml"):
        data = load_yaml(text, display, ConfigError)
        if data is None:
            data = LineDict()
            data.key_lines = {}
        if not isinstance(data, dict):
            raise ConfigError("configuration must be a mapping", path=display, line=1)

        def line_of(key: str) -> int | None:
            if "." in key:  # a key of a sub-mapping: ``dependencies.versions_file``
                outer, inner = key.split(".", 1)
                sub = data.get(outer) if isinstance(data, LineDict) else None
                if isinstance(sub, LineDict):
                    return sub.line_of(inner)
                key = outer
            return data.line_of(key) if isinstance(data, LineDict) else None
    else:
        try:
            doc = tomllib.loads(text)
        except RecursionError:
            raise ConfigError("invalid TOML: nested too deeply", path=display) from None
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            line = int(m.group(1)) if m else None
            if line is None and "end of document" in str(exc):
                line = text.count("\n") + (0 if text.endswith("\n") else 1)
            raise ConfigError(f"invalid TOML: {str(exc).split(' (at ')[0]}", path=display,
                              line=line) from None
        tool = doc.get("tool", {})
        data = tool.get("pcilint", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise ConfigError("[tool.pcilint] must be a table", path=display,
                              line=_toml_table_lines(text).get("", (None,))[0])

        tables = _toml_table_lines(text)

        def line_of(key: str) -> int | None:
            """The line of ``key`` inside [tool.pcilint] (or of its own [tool.pcilint.key] table;
            ``table.key``: of a key inside that table)."""
            if "." in key:
                outer, inner = key.split(".", 1)
                if outer in tables:
                    start, end = tables[outer]
                    lines = text.splitlines()[start - 1: end]
                    for offset, line in enumerate(lines):
                        if re.match(rf"""\s*["']?{re.escape(inner)}["']?\s*=""", line):
                            return start + offset
                key = outer
            if key in tables:
                return tables[key][0]
            start, end = tables.get("", (1, None))
            lines = text.splitlines()[start - 1: end]
            for offset, line in enumerate(lines):
                if re.match(rf"""\s*["']?{re.escape(key)}["']?\s*=""", line):
                    return start + offset
            return start
    return _settings_from(data, display, path.parent, line_of)


def _toml_table_lines(text: str) -> dict[str, tuple[int, int | None]]:
    """[tool.pcilint] ("") and its sub-tables ("key"): (first line, last line or None) of each."""
    headers = [(m.group(1).strip(), text[: m.start()].count("\n") + 1)
               for m in re.finditer(r"^[ \t]*\[+([^\]\n]+)\]+", text, re.M)]
    out: dict[str, tuple[int, int | None]] = {}
    for i, (name, line) in enumerate(headers):
        end = headers[i + 1][1] - 1 if i + 1 < len(headers) else None
        name = name.replace('"', "").replace("'", "").replace(" ", "")
        if name == "tool.pcilint":
            out[""] = (line, end)
        elif name.startswith("tool.pcilint."):
            out.setdefault(name[len("tool.pcilint."):].split(".")[0], (line, end))
    return out


def _settings_from(data: dict[str, Any], display: str, root: Path, line_of: Any) -> Settings:
    settings = Settings(source=display, root=root)
    for key in data:
        line = line_of(str(key))
        if line:
            settings.lines[str(key)] = line

    def fail(key: str, msg: str) -> ConfigError:
        return ConfigError(msg, path=display, line=line_of(key), field=key)

    def str_list(key: str) -> list[str]:
        value = data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of strings")
        return list(value)

    def codes(key: str, values: list[str]) -> list[str]:
        for v in values:
            if not CODE_OR_PREFIX.match(v):
                raise fail(key, f"{v!r} is not a rule code or prefix (like PCI101 or PCI1)")
        return values

    for key in data:
        if key not in KEYS:
            raise fail(key, f"unknown configuration key (known: {', '.join(sorted(KEYS))})")
    if "select" in data:
        settings.select = codes("select", str_list("select"))
    if "ignore" in data:
        settings.ignore = codes("ignore", str_list("ignore"))
    if "exclude" in data:
        from pcilint.discovery import MAX_STAR_RUNS, MAX_STARS_PER_SEGMENT, glob_too_complex

        settings.exclude = str_list("exclude")
        for pattern in settings.exclude:
            if glob_too_complex(pattern):
                raise fail("exclude", f"{pattern!r} has more than {MAX_STARS_PER_SEGMENT} `*` in one "
                                      f"path segment or {MAX_STAR_RUNS} in all: it could take hours "
                                      "to match")
    if "fail_on" in data:
        if data["fail_on"] not in SEVERITIES:
            raise fail("fail_on", f"must be one of {', '.join(SEVERITIES)}")
        settings.fail_on = data["fail_on"]
    if "extend_rules" in data:
        settings.extend_rules = [(root / p) for p in str_list("extend_rules")]
    if "per_file_ignores" in data:
        value = data["per_file_ignores"]
        if not isinstance(value, dict):
            raise fail("per_file_ignores", "must be a mapping of glob -> list of codes")
        for glob, vals in value.items():
            if isinstance(vals, str):
                vals = [vals]
            if not isinstance(vals, list) or not all(isinstance(v, str) for v in vals):
                raise fail("per_file_ignores", f"{glob!r} must map to a list of codes")
            settings.per_file_ignores[str(glob)] = codes("per_file_ignores", list(vals))
    if "sensitive_names" in data:
        value = data["sensitive_names"]
        if not isinstance(value, dict):
            raise fail("sensitive_names", "must be a mapping with pan/sad/safe lists")
        for group, names in value.items():
            if group not in ("pan", "sad", "safe"):
                raise fail("sensitive_names", f"unknown group {group!r} (use pan, sad or safe)")
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise fail("sensitive_names", f"{group} must be a list of names")
            settings.sensitive_names[group] = list(names)
    if "sanitizers" in data:
        settings.sanitizers = str_list("sanitizers")
    if "dependencies" in data:
        settings.dependencies = _dependency_settings(data["dependencies"], display, root, line_of)
    if "fail_on_errors" in data:
        if not isinstance(data["fail_on_errors"], bool):
            raise fail("fail_on_errors", "must be true or false")
        settings.fail_on_errors = data["fail_on_errors"]
    if "warn_unused_ignores" in data:
        value = data["warn_unused_ignores"]
        if value is True or value is False:
            settings.warn_unused_ignores = "warn" if value else "off"
        elif value in UNUSED_IGNORES:
            settings.warn_unused_ignores = value
        else:
            raise fail("warn_unused_ignores", 'must be true, false or "fail"')
    return settings


def _dependency_settings(value: Any, display: str, root: Path, line_of: Any) -> DependencySettings:
    """``[tool.pcilint.dependencies]``; a ``versions_file`` is read and validated here, so a broken
    table stops the run before the scan (naming the table's file, line and field)."""
    from pcilint.versiontable import load_table, table_digest

    def fail(key: str | None, msg: str) -> ConfigError:
        name = f"dependencies.{key}" if key else "dependencies"
        return ConfigError(msg, path=display, line=line_of(name), field=name)

    if not isinstance(value, dict):
        raise fail(None, "must be a mapping: {versions_file, min_supported_major, "
                         "max_api_version_age_days}")
    for key in value:
        if key not in DEPENDENCY_KEYS:
            raise fail(str(key), f"unknown key (known: {', '.join(DEPENDENCY_KEYS)})")
    numbers: dict[str, int | None] = {}
    for key in ("min_supported_major", "max_api_version_age_days"):
        number = value.get(key)
        if number is not None and (not isinstance(number, int) or isinstance(number, bool)
                                   or number < 0):
            raise fail(key, "must be a whole number (0 or more)")
        numbers[key] = number
    versions_file = None
    digest = ""
    if "versions_file" in value:
        if not isinstance(value["versions_file"], str) or not value["versions_file"].strip():
            raise fail("versions_file", "must be the path of a version table file")
        path = root / value["versions_file"]
        if not path.is_file():
            raise fail("versions_file", f"version table not found: {path}")
        load_table(path, ConfigError)
        versions_file, digest = str(path), table_digest(path)
    return DependencySettings(versions_file, digest, numbers["min_supported_major"],
                              numbers["max_api_version_age_days"])


def code_matches(code: str, patterns: list[str]) -> bool:
    return any(code.startswith(p) for p in patterns)


def validate_codes(known: list[str], settings: Settings, select: list[str] | None,
                   ignore: list[str]) -> None:
    """Every code or prefix named on the command line or in the configuration must match a rule.

    A typo in ``--select`` would otherwise silently run nothing; errors name where the code came
    from (``--select``, or the configuration file, line and key).
    """
    def matches(code: str) -> bool:
        return any(k.startswith(code) for k in known)

    for flag, values in (("--select", select or []), ("--ignore", ignore)):
        for code in values:
            if not CODE_OR_PREFIX.match(code):
                raise ConfigError(f"{code!r} is not a rule code or prefix (like PCI101 or PCI1)",
                                  field=flag)
            if not matches(code):
                raise ConfigError(f"{code!r} matches no rule (see `pcilint rules`)", field=flag)
    groups = [("select", settings.select or []), ("ignore", settings.ignore)]
    groups += [("per_file_ignores", codes) for codes in settings.per_file_ignores.values()]
    for key, values in groups:
        for code in values:
            if not matches(code):
                raise ConfigError(f"{code!r} matches no rule (see `pcilint rules`)",
                                  path=settings.source, line=settings.lines.get(key), field=key)
