"""Regressions found by auditing PCI5xx/6xx/7xx on realistic apps and real packages."""

from __future__ import annotations

from conftest import run_json, scan_snippet, write_tree


def _lines(result, prefix=""):
    return sorted((f.rule_id, f.line) for f in result.findings if f.rule_id.startswith(prefix))


def test_an_unverified_context_is_reported_where_it_is_made_not_where_it_is_used():
    result = scan_snippet('''
        import ssl
        import urllib.request

        def fetch(req):
            ctx = ssl._create_unverified_context()
            return urllib.request.urlopen(req, context=ctx).read()
        ''', select=["PCI504"])
    assert _lines(result) == [("PCI504", 6)]
