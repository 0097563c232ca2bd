"""SARIF 2.1.0 (``--format sarif``), shaped for GitHub code scanning.

* one ``run``; ``tool.driver.rules`` holds every active rule with its documentation as help text, its
  PCI DSS requirements as ``properties.tags`` and a GitHub ``security-severity`` score;
* each result carries the pcilint fingerprint in ``partialFingerprints`` (GitHub computes its own
  ``primaryLocationLineHash`` beside it), the masked source line as the region snippet, and the
  finding's ``trace`` as a ``codeFlow`` (source -> ... -> sink);
* columns are 1-based and ``endColumn`` is exclusive, counted in UTF-16 code units as GitHub expects
  (``run.columnKind``); the engine counts code points, so lines holding characters outside the Basic
  Multilingual Plane are converted from the source file.

Validated against the OASIS schema in the test suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pcilint import __version__, safeio
from pcilint.findings import Finding, ScanResult
from pcilint.reporters import ReportContext

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"

# GitHub: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def pci_tags(category: str, requirements: tuple[str, ...] | list[str]) -> list[str]:
    return ["security", "pci-dss", category] + [f"PCI-DSS-{req}" for req in requirements]


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    refs = "\n".join(f"- {ref}" for ref in rule.references)
    text = (f"{rule.summary}\n\nWhy: {rule.why.strip()}\n\nHow to fix: {rule.fix.strip()}"
            + (f"\n\nReferences:\n{refs}" if refs else ""))
    markdown = (f"{rule.summary}\n\n## Why is this bad?\n{rule.why.strip()}\n\n"
                f"## How to fix\n{rule.fix.strip()}\n\n"
                f"PCI DSS v4.0.1: {', '.join(rule.pci_dss)}"
                + (f"\n\n## References\n{refs}" if refs else ""))
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(rule.why.split())},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {
            "tags": pci_tags(rule.category, rule.pci_dss) + list(rule.tags),
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "problem.severity": LEVEL[rule.severity],
            "severity": rule.severity,
            "category": rule.category,
            "pci_dss": list(rule.pci_dss),
        },
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
    return descriptor


def _bare_descriptor(finding: Finding) -> dict[str, Any]:
    """A rule that found something but is not among the context's rules (custom callers)."""
    return {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.rule_id},
        "defaultConfiguration": {"level": LEVEL[finding.severity]},
        "properties": {"tags": pci_tags(finding.category, finding.pci_dss),
                       "security-severity": SECURITY_SEVERITY[finding.severity]},
    }


class _Utf16Columns:
    """Converts the engine's code-point columns to UTF-16 code units, reading a file only when a
    finding's line may hold a character outside the Basic Multilingual Plane."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.files: dict[str, list[str] | None] = {}

    def _line(self, path: str, line: int) -> str | None:
        if path not in self.files:
            try:
                data = safeio.read_bytes(self.cwd / path)
                self.files[path] = data.decode("utf-8", errors="replace").splitlines()
            except (OSError, ValueError):
                self.files[path] = None
        lines = self.files[path]
        if lines is None or not 0 < line <= len(lines):
            return None
        return lines[line - 1]

    def convert(self, f: Finding, line: int, column: int) -> int:
        if line == f.line and all(ord(ch) < 0x10000 for ch in f.snippet):
            return column
        text = self._line(f.path, line)
        if text is None:
            return column
        prefix = text[: max(column - 1, 0)]
        return column + sum(1 for ch in prefix if ord(ch) >= 0x10000)


def _artifact(path: str) -> dict[str, Any]:
    if path.startswith("/"):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _region(f: Finding, columns: _Utf16Columns) -> dict[str, Any]:
    start_line = max(f.line, 1)
    start_col = max(columns.convert(f, start_line, f.column), 1)
    region: dict[str, Any] = {"startLine": start_line, "startColumn": start_col}
    end_line = max(f.end_line, start_line)
    end_col = columns.convert(f, end_line, f.end_column) if f.end_column else 0
    if end_line > start_line or end_col > start_col:
        region["endLine"] = end_line
        if end_col >= 1:
            region["endColumn"] = end_col
    if f.snippet:
        region["snippet"] = {"text": f.snippet}
    return region


def _location(f: Finding, columns: _Utf16Columns, message: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": _artifact(f.path),
                                                "region": _region(f, columns)}}
    if message:
        loc["message"] = {"text": message}
    return loc


def _code_flow(f: Finding, columns: _Utf16Columns) -> dict[str, Any]:
    steps = [{
        "location": {
            "physicalLocation": {"artifactLocation": _artifact(step.path),
                                 "region": {"startLine": max(step.line, 1)}},
            "message": {"text": step.note or "step"},
        },
        "executionOrder": i + 1,
    } for i, step in enumerate(f.trace)]
    steps.append({"location": _location(f, columns, f.message), "executionOrder": len(steps) + 1})
    return {"message": {"text": f"card data reaches the sink in {len(steps)} steps"},
            "threadFlows": [{"locations": steps}]}


def to_document(result: ScanResult, ctx: ReportContext) -> dict[str, Any]:
    cwd = Path(ctx.cwd) if ctx.cwd else Path.cwd()
    columns = _Utf16Columns(cwd)
    descriptors = [_rule_descriptor(r) for r in ctx.rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    for f in result.findings:
        if f.rule_id not in index:
            index[f.rule_id] = len(descriptors)
            descriptors.append(_bare_descriptor(f))
    for sup in result.suppressed_findings:
        f = sup.finding
        if f.rule_id not in index:
            index[f.rule_id] = len(descriptors)
            descriptors.append(_bare_descriptor(f))

    def sarif_result(f: Finding, baseline_state: str | None) -> dict[str, Any]:
        res: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [_location(f, columns)],
            "partialFingerprints": {"pcilintFingerprint/v1": f.fingerprint} if f.fingerprint
            else {},
            "properties": {"severity": f.severity, "category": f.category,
                           "pci_dss": list(f.pci_dss),
                           "security-severity": SECURITY_SEVERITY[f.severity]},
        }
        if not res["partialFingerprints"]:
            del res["partialFingerprints"]
        if f.trace:
            res["codeFlows"] = [_code_flow(f, columns)]
        if baseline_state:
            res["baselineState"] = baseline_state
        return res

    results = [sarif_result(f, "new" if ctx.baseline_path else None) for f in result.findings]
    for sup in result.suppressed_findings:
        res = sarif_result(sup.finding, "unchanged" if sup.kind == "external" else None)
        suppression: dict[str, Any] = {"kind": sup.kind, "status": "accepted"}
        if sup.justification:
            suppression["justification"] = sup.justification
        if sup.line > 0:
            suppression["location"] = {"physicalLocation": {
                "artifactLocation": _artifact(sup.path), "region": {"startLine": sup.line}}}
        who = {k: v for k, v in (("author", sup.author), ("date", sup.date)) if v}
        if who:
            suppression["properties"] = who
        res["suppressions"] = [suppression]
        results.append(res)
    notifications = [{
        "level": "warning",
        "message": {"text": e.message},
        "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.path)}}],
    } for e in result.errors]
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "endTimeUtc": ctx.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "toolExecutionNotifications": notifications,
        "properties": {"filesScanned": result.files_scanned,
                       "durationSeconds": round(result.duration_s, 3),
                       "suppressed": result.suppressed},
    }
    meta = ctx.metadata or {}
    if meta.get("revision"):
        invocation["properties"]["revision"] = meta["revision"]
    if meta.get("rules_digest"):
        invocation["properties"]["rulesDigest"] = meta["rules_digest"]
    driver: dict[str, Any] = {"name": "pcilint", "version": __version__,
                              "semanticVersion": __version__}
    home = _home_page()
    if home:
        driver["informationUri"] = home
    driver["rules"] = descriptors
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": cwd.resolve().as_uri().rstrip("/") + "/"}},
        "columnKind": "utf16CodeUnits",
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _home_page() -> str | None:
    """The repository pcilint was pip-installed from (PEP 610 ``direct_url.json``), when it is an
    https URL: the page that has its README and docs/.  pcilint is not published anywhere else, and
    a link that does not resolve is worse than none (SARIF makes ``informationUri`` optional), so a
    clone or an editable install gives none."""
    from pcilint.projectinit import install_source

    source = install_source()
    if source is None or not source[0].startswith("https://"):
        return None
    url = source[0].removesuffix(".git")
    return url if "@" not in url.split("://", 1)[1].split("/", 1)[0] else None  # no credentials


def render(result: ScanResult, ctx: ReportContext) -> str:
    return json.dumps(to_document(result, ctx), indent=2, ensure_ascii=False) + "\n"
