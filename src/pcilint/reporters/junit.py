"""JUnit XML (``--format junit``): one test case per active rule, so a CI test view lists every PCI
check that ran; a rule with findings fails, and its ``<failure>`` lists them (``path:line:col:
message``).  A file that could not be analysed is a skipped test case of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from pcilint import __version__
from pcilint.findings import SEVERITY_RANK, Finding, ScanResult
from pcilint.reporters import ReportContext

# Characters XML 1.0 cannot carry at all (even escaped).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _finding_line(f: Finding) -> str:
    text = f"{f.path}:{f.line}:{f.column}: {f.rule_id} [{f.severity}] {f.message}"
    for step in f.trace:
        text += f"\n    {step.path}:{step.line}: {step.note}"
    return text


def render(result: ScanResult, ctx: ReportContext) -> str:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_rule[f.rule_id].append(f)
    cases: list[tuple[str, str, str, list[Finding]]] = []  # (rule id, classname, name, findings)
    for rule in ctx.rules:
        cases.append((rule.id, f"pcilint.{rule.category}", f"{rule.id} {rule.name}",
                      by_rule.get(rule.id, [])))
    known = {r.id for r in ctx.rules}
    for rule_id in sorted(set(by_rule) - known):
        found = by_rule[rule_id]
        cases.append((rule_id, f"pcilint.{found[0].category}", rule_id, found))

    failures = sum(1 for c in cases if c[3])
    tests = len(cases) + len(result.errors)
    attrs = {"name": "pcilint", "tests": str(tests), "failures": str(failures), "errors": "0",
             "skipped": str(len(result.errors)), "time": f"{result.duration_s:.3f}"}
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(root, "testsuite", {
        **attrs, "timestamp": ctx.timestamp().strftime("%Y-%m-%dT%H:%M:%S")})
    props = ET.SubElement(suite, "properties")
    for name, value in (("pcilint.version", __version__),
                        ("files_scanned", str(result.files_scanned)),
                        ("findings", str(len(result.findings))),
                        ("fail_on", ctx.fail_on),
                        ("config", ctx.config_source or "(defaults)"),
                        ("paths", " ".join(ctx.scanned_paths))):
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})
    for rule_id, classname, name, found in cases:
        case = ET.SubElement(suite, "testcase", {"classname": classname, "name": _clean(name),
                                                 "time": "0"})
        if found:
            worst = max((f.severity for f in found), key=lambda s: SEVERITY_RANK[s])
            n = len(found)
            failure = ET.SubElement(case, "failure", {
                "type": worst,
                "message": _clean(f"{n} finding{'s' if n != 1 else ''} of {rule_id} "
                                  f"(worst: {worst}); first: {found[0].path}:{found[0].line} "
                                  f"{found[0].message}"),
            })
            failure.text = _clean("\n".join(_finding_line(f) for f in found))
    for e in result.errors:
        case = ET.SubElement(suite, "testcase", {"classname": "pcilint.files",
                                                 "name": _clean(e.path), "time": "0"})
        ET.SubElement(case, "skipped", {"message": _clean(f"not analysed: {e.message}")})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
