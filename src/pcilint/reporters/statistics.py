"""``--statistics``: the number of findings per rule, most frequent first."""

from __future__ import annotations

from collections import Counter

from pcilint.findings import ScanResult
from pcilint.reporters import ReportContext


def statistics_lines(result: ScanResult, ctx: ReportContext) -> list[str]:
    counts = Counter(f.rule_id for f in result.findings)
    names = {r.id: r.name for r in ctx.rules}
    return [f"{n:6d}  {rule_id}  {names.get(rule_id, '')}".rstrip()
            for rule_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
