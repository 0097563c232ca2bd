"""The values that flow from the engine to the reporters: findings, traces, errors and scan results.

Everything here is plain data and picklable, so worker processes can return it.  Text that can
contain source (messages, snippets, trace notes, error messages) is masked when it is created, so
no reporter can ever print a full card number or secret key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pcilint.masking import mask_text

if TYPE_CHECKING:
    from pcilint.prefilter import FileDeps
    from pcilint.suppressions import SuppressionMap

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}  # low=0 .. critical=3

CATEGORIES = {
    "1": "logging",
    "2": "storage",
    "3": "caching",
    "4": "transmission",
    "5": "transport",
    "6": "webhook",
    "7": "secrets",
    "8": "validation",
    "9": "dependencies",
}


def severity_at_least(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True)
class TraceStep:
    """One step of the evidence path from a card-data source to the sink."""

    path: str
    line: int
    note: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "note", mask_text(self.note))

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "note": self.note}


@dataclass
class Finding:
    rule_id: str
    category: str
    severity: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    pci_dss: tuple[str, ...] = ()
    trace: tuple[TraceStep, ...] = ()
    snippet: str = ""  # the (masked) source line of the finding, for reports and fingerprints
    fingerprint: str = ""

    def __post_init__(self) -> None:
        self.message = mask_text(self.message)
        self.snippet = mask_text(self.snippet)
        self.trace = tuple(self.trace)
        self.pci_dss = tuple(self.pci_dss)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "pci_dss": list(self.pci_dss),
            "fingerprint": self.fingerprint,
            "trace": [step.to_json() for step in self.trace],
        }


def assign_fingerprints(findings: list[Finding]) -> None:
    """Give every finding a fingerprint that survives unrelated edits above it.

    The fingerprint hashes the rule, the file, the finding's own (masked, whitespace-folded) source
    line, its message with every number blanked (messages cite lines: "read ... at line 9") and its
    rank among identical (rule, file, line text, message) findings - never the line number, and
    never an unmasked literal.  The message tells apart findings whose first line is the same text
    (``logger.info(`` opening different multi-line calls), so inserting one does not re-rank the rest.
    """
    seen: dict[tuple[str, str, str], int] = {}
    for finding in sorted(findings, key=lambda f: f.sort_key):
        text = " ".join(finding.snippet.split())
        text += "\x1f" + re.sub(r"[0-9]+", "#", " ".join(finding.message.split()))
        key = (finding.rule_id, finding.path, text)
        rank = seen.get(key, 0)
        seen[key] = rank + 1
        digest = hashlib.sha256(
            "\x1f".join((finding.rule_id, finding.path, text, str(rank))).encode("utf-8")
        ).hexdigest()
        finding.fingerprint = digest[:32]


@dataclass
class FileResult:
    """What the analysis of one file returns (from a worker process or the cache)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    scanned: bool = False
    facts: dict[str, Any] = field(default_factory=dict)  # rule id -> project facts
    suppressions: SuppressionMap | None = None
    digest: str = ""  # of the bytes analysed (the cache key's content part)
    deps: FileDeps | None = None  # imports and declared needs, when a project phase may need them
    inventory: dict[str, list] = field(default_factory=dict)  # what was examined (inventory.py)


@dataclass(frozen=True)
class ScanError:
    """A file that could not be analysed (the scan goes on without it)."""

    path: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", mask_text(self.message))

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message}


@dataclass
class Suppressed:
    """A finding an auditor should still see: suppressed by an inline comment (SARIF kind
    ``inSource``) or accepted in a baseline file (``external``), with the reason given and, where git
    knows, who wrote the suppression and when."""

    finding: Finding
    kind: str  # "inSource" | "external"
    justification: str
    path: str  # where the suppression is written: the source file, or the baseline file
    line: int = 0  # its line (0: not known)
    author: str = ""
    date: str = ""  # ISO 8601 date of the line's last change

    def __post_init__(self) -> None:
        self.justification = mask_text(self.justification)

    def to_json(self) -> dict[str, Any]:
        suppression: dict[str, Any] = {"kind": self.kind, "justification": self.justification,
                                       "path": self.path, "line": self.line}
        if self.author:
            suppression["author"] = self.author
        if self.date:
            suppression["date"] = self.date
        return {**self.finding.to_json(), "suppression": suppression}


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    files_discovered: int = 0
    duration_s: float = 0.0
    suppressed: int = 0
    unused_suppressions: list[tuple[str, int, str]] = field(default_factory=list)
    # the findings behind ``suppressed`` (inline), then those a baseline accepted (see scope.py)
    suppressed_findings: list[Suppressed] = field(default_factory=list)
    inventory: dict[str, Any] | None = None  # what was examined (pcilint.inventory), when asked

    def by_severity(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for severity in SEVERITIES:
            n = sum(1 for f in self.findings if f.severity == severity)
            if n:
                counts[severity] = n
        return counts
