"""Which PCI DSS v4.0.1 requirements a finding evidences (docs/contract.md §2, ``pci_dss``).

Decided per finding from what it involves: the card data (PAN, SAD, both) the check saw, or the
rule's default (a secret, no data), what the rule's sink does with it and through which channel.
The table is data: ``rules/data/pci-dss.yaml``; ``docs/pci-dss.md`` quotes each requirement.
A rule the table does not know (a team's own rule pack) keeps the ``pci_dss`` its YAML declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from pcilint.paths import builtin_rules_dir

PAN, SAD, SECRET, NONE = "pan", "sad", "secret", "none"


@dataclass(frozen=True)
class Table:
    version: str
    titles: dict[str, str]
    rules: dict[str, dict[str, str]]
    mappings: dict[tuple[str, str, str], tuple[str, ...]]  # (action, data, channel) -> reqs

    def requirements(self, rule_id: str, involves: Iterable[str] = ()) -> tuple[str, ...] | None:
        """The requirements a finding of ``rule_id`` involving ``involves`` evidences (None: the
        rule is not in the table)."""
        entry = self.rules.get(rule_id)
        if entry is None:
            return None
        data = [d for d in involves if d] or [entry.get("data", PAN)]
        out: list[str] = []
        for d in data:
            reqs = self.mappings.get((entry["action"], d, entry.get("channel", "")))
            if reqs is None:
                reqs = self.mappings.get((entry["action"], d, ""), ())
            out += [r for r in reqs if r not in out]
        return tuple(sorted(out, key=requirement_key))


def requirement_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in number.split("."))


def table_path() -> Path:
    return builtin_rules_dir() / "data" / "pci-dss.yaml"


@lru_cache(maxsize=1)
def table() -> Table:
    import yaml

    raw: Any = yaml.safe_load(table_path().read_text(encoding="utf-8"))
    mappings = {(m["action"], m["data"], m.get("channel", "")): tuple(m["requirements"])
                for m in raw["mappings"]}
    return Table(version=str(raw["version"]), titles=dict(raw["requirements"]),
                 rules={k: dict(v) for k, v in raw["rules"].items()}, mappings=mappings)


def involved(fields: dict[str, Any]) -> tuple[str, ...]:
    """The card data a finding's message fields say it involves: an explicit ``involves`` (a
    check that saw several kinds), else the ``data``/``what`` description of the one it shows."""
    explicit = fields.get("involves")
    if explicit:
        return tuple(sorted(set(explicit)))
    from pcilint.analysis.declarations import PAN_LABEL, SAD_LABEL

    for key in ("data", "what"):
        text = fields.get(key)
        if not isinstance(text, str):
            continue
        if text == SAD_LABEL or "sensitive authentication" in text or "security code" in text:
            return (SAD,)
        if text == PAN_LABEL or "card number" in text:
            return (PAN,)
    return ()


def requirements_for(rule_id: str, declared: tuple[str, ...], fields: dict[str, Any]) -> tuple[str, ...]:
    found = table().requirements(rule_id, involved(fields))
    return declared if found is None else found
