"""Baselines: accept the findings a project has today, report only new ones.

``pcilint baseline create -o .pcilint-baseline.json`` records every current finding by its fingerprint
(line-number independent, see :func:`pcilint.findings.assign_fingerprints`); ``pcilint check --baseline
FILE`` then hides those and reports the rest.  A baseline holds only the fingerprint, the rule, the path
and the masked message of each finding: never a card number or a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcilint import __version__, safeio
from pcilint.errors import PcilintError
from pcilint.findings import Finding
from pcilint.masking import mask_text
from pcilint.reporters.output import write_atomic

FORMAT_VERSION = 1
DEFAULT_NAME = ".pcilint-baseline.json"


@dataclass
class Baseline:
    entries: list[dict[str, str]] = field(default_factory=list)

    @property
    def fingerprints(self) -> set[str]:
        return {e["fingerprint"] for e in self.entries}

    def split(self, findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
        """(new findings, findings already in the baseline)."""
        known = self.fingerprints
        new = [f for f in findings if f.fingerprint not in known]
        old = [f for f in findings if f.fingerprint in known]
        return new, old


def entry(finding: Finding) -> dict[str, str]:
    return {"fingerprint": finding.fingerprint, "rule_id": finding.rule_id, "path": finding.path,
            "message": mask_text(finding.message)}


def document(entries: list[dict[str, str]]) -> dict[str, Any]:
    entries = sorted(entries, key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))
    return {
        "version": FORMAT_VERSION,
        "tool": {"name": "pcilint", "version": __version__},
        "comment": "Known pcilint findings, accepted for now; `pcilint check --baseline` reports only "
                   "findings not listed here. Regenerate with --update-baseline.",
        "findings": entries,
    }


def write_baseline(path: Path, findings: list[Finding], keep: list[dict[str, str]] = (),
                   reasons: dict[str, str] | None = None) -> int:
    """Write the baseline of ``findings`` (plus ``keep``: entries of files this run did not scan).

    Returns the number of entries written.
    """
    entries = {e["fingerprint"]: {**e, "message": mask_text(str(e.get("message", "")))}
               for e in keep}
    for f in findings:
        if f.fingerprint:
            entries[f.fingerprint] = entry(f)
            if reasons and reasons.get(f.fingerprint):
                entries[f.fingerprint]["reason"] = mask_text(reasons[f.fingerprint])
    doc = document(list(entries.values()))
    write_atomic(path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return len(doc["findings"])


def load_baseline(path: Path) -> Baseline:
    display = str(path)
    try:
        text = safeio.read_text(path)
    except FileNotFoundError:
        raise PcilintError("baseline file not found (create it with `pcilint baseline create`)",
                           path=display) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PcilintError(f"cannot read baseline: {exc}", path=display) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PcilintError(f"baseline is not valid JSON: {exc.msg}", path=display,
                           line=exc.lineno) from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise PcilintError("not a pcilint baseline (expected an object with a `findings` list)",
                           path=display)
    if data.get("version") != FORMAT_VERSION:
        raise PcilintError(f"unsupported baseline version {data.get('version')!r} "
                           f"(this pcilint writes version {FORMAT_VERSION})", path=display)
    entries = []
    for i, item in enumerate(data["findings"]):
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise PcilintError(f"baseline entry {i + 1} has no fingerprint", path=display)
        entries.append({"fingerprint": item["fingerprint"],
                        "rule_id": str(item.get("rule_id", "")),
                        "path": str(item.get("path", "")),
                        "message": mask_text(str(item.get("message", "")))})
        if isinstance(item.get("reason"), str) and item["reason"].strip():
            # why the finding was accepted: written by hand, shown in reports as the justification
            entries[-1]["reason"] = mask_text(item["reason"].strip())
    return Baseline(entries)


def covered_by(path: str, scanned: list[str]) -> bool:
    """Whether a finding path lies under one of the scanned (display) paths."""
    for s in scanned:
        s = s.rstrip("/")
        if s in ("", "."):
            if not path.startswith("/") and not path.startswith("../"):
                return True
            continue
        if path == s or path.startswith(s + "/"):
            return True
    return False
