"""A rule's documentation page (``pcilint rule CODE``), in the style of ``ruff rule``."""

from __future__ import annotations

import textwrap

from pcilint.ruleset import Rule


def render_rule_page(rule: Rule, markdown: bool = False) -> str:
    def block(code: str) -> str:
        return "```python\n" + code.rstrip() + "\n```" if markdown else textwrap.indent(
            code.rstrip(), "    ")

    lines = [
        f"# {rule.id} {rule.name}" if markdown else f"{rule.id} {rule.name}",
        "",
        f"Category: {rule.category}   Severity: {rule.severity}   PCI DSS: {', '.join(rule.pci_dss)}",
        "",
        "## What it does" if markdown else "What it does:",
        rule.summary,
        "",
        "## Why is this bad?" if markdown else "Why is this bad?",
        rule.why,
        "",
        "## Example" if markdown else "Example (flagged):",
        block(rule.bad[0].code),
        "",
        "## Use instead" if markdown else "Use instead:",
        block(rule.good[0].code),
        "",
        "## How to fix" if markdown else "How to fix:",
        rule.fix,
    ]
    if rule.autofix:
        from pcilint.fixes.kinds import FIX_KINDS

        flag = "--fix" if rule.autofix["safety"] == "safe" else "--fix --unsafe-fixes"
        lines += ["", "## Autofix" if markdown else "Autofix:",
                  f"{rule.autofix['kind']} ({rule.autofix['safety']}, applied by `pcilint check "
                  f"{flag}`): {FIX_KINDS[rule.autofix['kind']]}."]
    if rule.references:
        lines += ["", "## References" if markdown else "References:"]
        lines += [f"- {ref}" for ref in rule.references]
    return "\n".join(lines).rstrip() + "\n"
