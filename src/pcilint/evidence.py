"""The audit trail around a scan's findings: the exceptions (suppressed and baselined findings, with
their reason and who wrote them when) and the metadata that identifies what was scanned with what.

The engine records inline suppressions (``ScanResult.suppressed_findings``, kind ``inSource``);
:func:`add_exceptions` adds the findings a baseline accepted (kind ``external``) and asks git blame
who last changed each suppression's line.  :func:`scan_metadata` gathers the revision, tool version,
rule-set digest and configuration for the reporters.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcilint import __version__, safeio
from pcilint.findings import ScanResult, Suppressed

if TYPE_CHECKING:
    from pcilint.config import Settings
    from pcilint.ruleset import Rule
    from pcilint.scope import Narrowing


def add_exceptions(result: ScanResult, narrowed: "Narrowing", cwd: Path, blame: bool = True) -> None:
    """Add the baselined findings as ``external`` suppressions; fill in git blame (who/when)."""
    if narrowed.baseline_path and narrowed.baselined:
        reasons, lines = _baseline_entries(Path(narrowed.baseline_path))
        for f in narrowed.baselined:
            reason = reasons.get(f.fingerprint) or f"accepted in the baseline {narrowed.baseline_path}"
            result.suppressed_findings.append(Suppressed(
                f, "external", reason, narrowed.baseline_path, lines.get(f.fingerprint, 0)))
    if blame and result.suppressed_findings:
        _blame(result.suppressed_findings, cwd)


def _baseline_entries(path: Path) -> tuple[dict[str, str], dict[str, int]]:
    """fingerprint -> reason written in the baseline entry, and -> the line of its fingerprint."""
    from pcilint.baseline import load_baseline

    reasons: dict[str, str] = {}
    lines: dict[str, int] = {}
    try:
        baseline = load_baseline(path)
        text = safeio.read_text(path)
    except Exception:  # noqa: BLE001 - the baseline was read before; this is only decoration
        return reasons, lines
    for e in baseline.entries:
        if e.get("reason"):
            reasons[e["fingerprint"]] = e["reason"]
    for n, row in enumerate(text.splitlines(), 1):
        if '"fingerprint"' in row:
            value = row.split(":", 1)[-1].strip().strip(",").strip('"')
            lines.setdefault(value, n)
    return reasons, lines


def _blame(items: list[Suppressed], cwd: Path) -> None:
    from pcilint.gitinfo import blame

    by_file: dict[str, list[Suppressed]] = {}
    for s in items:
        if s.line > 0:
            by_file.setdefault(s.path, []).append(s)
    for path, group in by_file.items():
        p = Path(path)
        who = blame(p if p.is_absolute() else cwd / p, [s.line for s in group])
        for s in group:
            if s.line in who:
                s.author, s.date = who[s.line]


def rules_digest(rules: list["Rule"]) -> str:
    """A digest of the active rules (their codes and the files defining them) and the data tables
    they use: two reports with the same digest were produced by the same rule set.  Computed from
    the files, so a run whose rules came from the cache gives the same digest."""
    from pcilint.pcidss import table_path

    h = hashlib.sha256()
    h.update(json.dumps(sorted(r.id for r in rules)).encode("utf-8"))
    files = sorted({r.source.rpartition(":")[0] or r.source for r in rules})
    data = table_path().parent
    for name in [*files, str(table_path()), str(data / "stripe-versions.yaml"), str(data / "iin.yaml"),
                 str(data.parent / "vocabulary" / "card-data.yaml")]:
        try:
            h.update(safeio.read_bytes(name))
        except OSError:
            h.update(name.encode("utf-8"))
    return "sha256:" + h.hexdigest()[:16]


def configuration(settings: "Settings", select: list[str] | None, ignore: list[str],
                  fail_on: str) -> dict[str, Any]:
    """The configuration the scan ran with: the file it came from and the effective settings."""
    deps = settings.dependencies
    return {
        "file": settings.source,
        "select": select if select is not None else settings.select,
        "ignore": list(settings.ignore) + list(ignore),
        "fail_on": fail_on,
        "exclude": list(settings.exclude),
        "per_file_ignores": dict(settings.per_file_ignores),
        "sensitive_names": dict(settings.sensitive_names),
        "sanitizers": list(settings.sanitizers),
        "dependencies": None if deps is None else {
            "versions_file": deps.versions_file, "min_supported_major": deps.min_supported_major,
            "max_api_version_age_days": deps.max_api_version_age_days},
        "warn_unused_ignores": settings.warn_unused_ignores,
    }


def scan_metadata(paths: list[Path], cwd: Path, rules: list["Rule"], config: dict[str, Any]
                  ) -> dict[str, Any]:
    from pcilint.gitinfo import revision

    rev = revision(paths[0] if paths else cwd)
    return {"tool_version": __version__, "revision": rev.to_json() if rev else None,
            "rules_digest": rules_digest(rules), "configuration": config}
