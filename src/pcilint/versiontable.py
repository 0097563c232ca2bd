"""The SDK version table of the PCI9xx rules, and the support window it implies.

The table (``rules/data/stripe-versions.yaml``, rebuilt by ``scripts/build_stripe_versions.py``)
lists each major of the SDK with its first and last release, their dates and the API version each
pins, and carries its own ``generated`` date.  Every judgement is made against that date, never
against the clock of the machine that scans, so a scan of the same code gives the same findings on
any day; a team moves the window by updating pcilint or in ``[tool.pcilint.dependencies]``:

* ``versions_file``: a table of the same format to use instead of the shipped one;
* ``min_supported_major``: the oldest major still in the window (instead of the table's policy);
* ``max_api_version_age_days``: how much older than the table's date a pinned API version may be.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pcilint import safeio
from pcilint.errors import PcilintError, RuleError
from pcilint.specifiers import parse_version
from pcilint.yamlload import LineDict, load_yaml

# ``2024-09-30.acacia``; a beta header may follow (``2022-08-01; server_side_confirmation_beta=v1``)
API_VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.[a-z]+)?(?:\s*;.*)?$", re.S)
TABLE_KEYS = {"package", "generated", "grace_days", "majors"}
MAJOR_KEYS = {"major", "first_release", "first_date", "last_release", "last_date", "api_version",
              "last_api_version"}


@dataclass(frozen=True)
class Major:
    major: int
    first_release: str
    first_date: dt.date
    last_release: str
    last_date: dt.date
    api_version: str | None  # pinned by the first release (None: the account's default)
    last_api_version: str | None  # pinned by the last release


@dataclass(frozen=True)
class VersionTable:
    package: str
    generated: dt.date
    grace_days: int  # how long a superseded major stays in the window
    majors: tuple[Major, ...]  # ascending
    source: str  # the file it was read from

    @property
    def latest(self) -> Major:
        return self.majors[-1]

    def min_supported_major(self) -> int:
        """The oldest major in the support window: the first one whose successor came out less
        than ``grace_days`` before the table's date (the latest major always is)."""
        cutoff = self.generated - dt.timedelta(days=self.grace_days)
        for current, successor in zip(self.majors, self.majors[1:]):
            if successor.first_date > cutoff:
                return current.major
        return self.latest.major


@dataclass(frozen=True)
class DependencySettings:
    """``[tool.pcilint.dependencies]``: overrides of the shipped table and of its policy."""

    versions_file: str | None = None
    versions_digest: str = ""  # of the file's content: results cached under the old table expire
    min_supported_major: int | None = None
    max_api_version_age_days: int | None = None


@dataclass(frozen=True)
class Policy:
    """A table with the configured window applied: what the dependency checks compare with."""

    table: VersionTable
    min_supported_major: int
    max_api_age_days: int

    @property
    def api_cutoff(self) -> dt.date:
        """Pinned API versions dated before this are too old."""
        return self.table.generated - dt.timedelta(days=self.max_api_age_days)


def api_version_date(version: str) -> dt.date | None:
    """``2024-09-30.acacia`` -> 2024-09-30 (also with a ``; beta=v1`` suffix); None for anything
    that is not an API version."""
    m = API_VERSION.match(version.strip())
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m.group(1))
    except ValueError:
        return None


def policy(table_path: Path, settings: DependencySettings | None, default_age_days: int
           ) -> Policy:
    """The policy a rule applies: its table (or the configured one, when it is for the same
    package) and the configured window."""
    table = load_table(table_path)
    if settings is not None and settings.versions_file:
        override = load_table(Path(settings.versions_file))
        if override.package == table.package:
            table = override
    min_major = table.min_supported_major()
    age = default_age_days
    if settings is not None:
        if settings.min_supported_major is not None:
            min_major = settings.min_supported_major
        if settings.max_api_version_age_days is not None:
            age = settings.max_api_version_age_days
    return Policy(table, min_major, age)


def load_table(path: Path, error: type[PcilintError] = RuleError) -> VersionTable:
    """Read and validate a version table; problems raise ``error`` naming file, line and field."""
    try:
        st = path.stat()
    except OSError as exc:
        raise error(f"cannot read version table: {exc.strerror or exc}", path=str(path)) from None
    return _load_cached(str(path), st.st_mtime_ns, st.st_size, error)


@lru_cache(maxsize=8)
def _load_cached(path: str, _mtime: int, _size: int, error: type[PcilintError]) -> VersionTable:
    try:
        text = safeio.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read version table: {exc}", path=path) from None
    return parse_table(text, path, error)


def table_digest(path: Path) -> str:
    try:
        return hashlib.sha256(safeio.read_bytes(path)).hexdigest()[:16]
    except OSError:
        return ""


def parse_table(text: str, path: str, error: type[PcilintError] = RuleError) -> VersionTable:
    data = load_yaml(text, path, error)

    def fail(node: Any, key: str | None, msg: str, field: str | None = None) -> PcilintError:
        line = None
        if isinstance(node, LineDict):
            line = node.line_of(key) if key else node.line
        return error(msg, path=path, line=line, field=field or key)

    if not isinstance(data, LineDict):
        raise error("a version table must be a mapping with `package`, `generated` and `majors`",
                    path=path, line=1)
    for key in data:
        if key not in TABLE_KEYS:
            raise fail(data, str(key), f"unknown key (allowed: {', '.join(sorted(TABLE_KEYS))})")
    for key in ("package", "generated", "majors"):
        if key not in data:
            raise fail(data, None, f"missing required key `{key}`")
    package = data["package"]
    if not isinstance(package, str) or not package.strip():
        raise fail(data, "package", "must be a package name")
    generated = _date(data, "generated", fail)
    grace = data.get("grace_days", 365)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 0:
        raise fail(data, "grace_days", "must be a whole number of days (0 or more)")
    rows = data["majors"]
    if not isinstance(rows, list) or not rows:
        raise fail(data, "majors", "must be a non-empty list")
    majors: list[Major] = []
    for i, row in enumerate(rows):
        where = f"majors[{i}]"
        if not isinstance(row, LineDict):
            raise fail(data, "majors", "each entry must be a mapping", where)
        for key in row:
            if key not in MAJOR_KEYS:
                raise fail(row, str(key), f"unknown key (allowed: {', '.join(sorted(MAJOR_KEYS))})",
                           f"{where}.{key}")
        for key in ("major", "first_release", "first_date", "last_release", "last_date"):
            if key not in row:
                raise fail(row, None, f"missing required key `{key}`", where)
        number = row["major"]
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise fail(row, "major", "must be a whole number", f"{where}.major")
        if majors and number <= majors[-1].major:
            raise fail(row, "major", "majors must be listed in ascending order, each once",
                       f"{where}.major")
        first = _release(row, "first_release", number, fail, where)
        last = _release(row, "last_release", number, fail, where)
        if last < first:
            raise fail(row, "last_release", "is older than first_release", f"{where}.last_release")
        first_date = _date(row, "first_date", fail, where)
        if first_date > generated:
            raise fail(row, "first_date", "is after the table's `generated` date",
                       f"{where}.first_date")
        if majors and first_date < majors[-1].first_date:
            raise fail(row, "first_date", "is before the previous major's first_date",
                       f"{where}.first_date")
        last_date = _date(row, "last_date", fail, where)
        if last_date < first_date:
            raise fail(row, "last_date", "is before first_date", f"{where}.last_date")
        apis = [_api(row, key, fail, where) for key in ("api_version", "last_api_version")]
        majors.append(Major(number, str(row["first_release"]), first_date,
                            str(row["last_release"]), last_date, apis[0], apis[1]))
    return VersionTable(package.strip(), generated, grace, tuple(majors), path)


def _date(node: LineDict, key: str, fail: Any, where: str = "") -> dt.date:
    value = node[key]
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    field = f"{where}.{key}" if where else key
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail(node, key, "must be a date written YYYY-MM-DD", field)


def _release(node: LineDict, key: str, major: int, fail: Any, where: str) -> Any:
    parsed = parse_version(str(node[key]))
    if parsed is None or parsed[2]:
        raise fail(node, key, "must be a version number such as 2.55.0", f"{where}.{key}")
    if parsed[0].major != major:
        raise fail(node, key, f"is not a release of major {major}", f"{where}.{key}")
    return parsed[0]


def _api(node: LineDict, key: str, fail: Any, where: str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or api_version_date(value) is None:
        raise fail(node, key, "must be null or an API version such as 2024-09-30.acacia",
                   f"{where}.{key}")
    return value
