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

from pcilint.errors import ConfigError
from pcilint.findings import SEVERITIES
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
}


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
    source: str | None = None  # the config file these came from
    root: Path | None = None  # directory of the config file (patterns are relative to it)


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
                text = candidate.read_text(encoding="utf-8", errors="replace")
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
        text = path.read_text(encoding="utf-8")
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
            return data.line_of(key) if isinstance(data, LineDict) else None
    else:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+)", str(exc))
            raise ConfigError(f"invalid TOML: {exc}", path=display,
                              line=int(m.group(1)) if m else None) from None
        data = doc.get("tool", {}).get("pcilint", {})
        if not isinstance(data, dict):
            raise ConfigError("[tool.pcilint] must be a table", path=display)

        def line_of(key: str) -> int | None:
            header = re.search(r"^\s*\[tool\.pcilint", text, re.M)
            start = header.start() if header else 0
            m = re.search(rf"^\s*{re.escape(key)}\s*=", text[start:], re.M)
            if m is None:
                m = re.search(rf"^\s*\[tool\.pcilint\.{re.escape(key)}\]", text, re.M)
                return text[: m.start()].count("\n") + 1 if m else None
            return text[: start + m.start()].count("\n") + 1
    return _settings_from(data, display, path.parent, line_of)


def _settings_from(data: dict[str, Any], display: str, root: Path, line_of: Any) -> Settings:
    settings = Settings(source=display, root=root)

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
        settings.exclude = str_list("exclude")
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
    return settings


def code_matches(code: str, patterns: list[str]) -> bool:
    return any(code.startswith(p) for p in patterns)
