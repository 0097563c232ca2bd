"""Flow analysis specs added by the flow audit: exact lines, nested helpers, object state, typed
receivers, re-exports, module globals.  Each spec has a bad case and, where it matters, a clean twin."""

from __future__ import annotations

import textwrap

from conftest import run_json, scan_snippet, write_tree
from pcilint.ruleset import load_rules

FLOW = ["PCI1", "PCI21", "PCI3", "PCI41"]
RULES = load_rules()
LOGGER = "import logging\nlog = logging.getLogger(__name__)\n"


def hits(code: str, path: str = "app.py"):
    result = scan_snippet(LOGGER + textwrap.dedent(code), path, select=FLOW, rules=RULES)
    assert result.error is None
    return [(f.rule_id, f.line) for f in result.findings]


def project_hits(tmp_path, files: dict[str, str]):
    write_tree(tmp_path, files)
    code, doc, _ = run_json(["--select", ",".join(FLOW), str(tmp_path)])
    return sorted((f["rule_id"], f["path"].rsplit("/", 1)[-1], f["line"]) for f in doc["findings"])


def test_identical_statements_are_reported_at_the_one_that_carries_card_data():
    code = """
    def process(request):
        value = request.POST.get("amount")
        log.info("value=%s", value)
        value = request.POST.get("card_number")
        log.info("value=%s", value)

    class Handler:
        def first(self, request):
            item = request.GET.get("sku")
            log.info("item %s", item)

        def second(self, request):
            item = request.GET.get("sku")
            log.info("item %s", item)
            item = request.GET.get("cvv")
            log.info("item %s", item)
    """
    assert hits(code) == [("PCI101", 8), ("PCI101", 19)]


def test_nested_helper_receives_card_data_from_its_enclosing_function():
    code = """
    def pay(request):
        def audit(x):
            log.info("x=%s", x)
        audit(request.POST.get("amount"))
        audit(request.POST.get("card_number"))

    def refund(request):
        def audit(x):
            log.info("x=%s", x)
        audit(request.POST.get("amount"))
    """
    assert hits(code) == [("PCI101", 6)]
