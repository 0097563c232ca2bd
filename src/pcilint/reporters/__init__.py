"""Reporters turn a :class:`~pcilint.findings.ScanResult` into one output format.

Each reporter is a function ``render(result, context) -> str`` registered in :data:`FORMATS`.  Reporters
only format: findings arrive already masked, ordered and fingerprinted.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from pcilint.findings import ScanResult
    from pcilint.ruleset import Rule


@dataclass
class ReportContext:
    rules: list["Rule"] = field(default_factory=list)  # the active rules
    show_trace: bool = False
    statistics: bool = False
    color: bool = False
    config_source: str | None = None
    scanned_paths: list[str] = field(default_factory=list)
    fail_on: str = "low"


Renderer = Callable[["ScanResult", ReportContext], str]

# format name -> "module:function" (imported on first use so start-up stays cheap)
FORMATS: dict[str, str] = {
    "text": "pcilint.reporters.text:render",
    "json": "pcilint.reporters.json_report:render",
}


def get_renderer(name: str) -> Renderer:
    module, _, func = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), func)
