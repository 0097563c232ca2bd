"""PCI5xx transport: exact (rule, path, line) on snippets and trees, across modules, and the
http:// URLs that never reach a client."""

from __future__ import annotations

from conftest import run_json, scan_snippet, write_tree


def _lines(result, prefix=""):
    return sorted((f.rule_id, f.line) for f in result.findings if f.rule_id.startswith(prefix))


TRANSPORT = '''\
"""Billing client. Docs: http://billing.acme.io/docs (not a request)."""
import ssl
import requests as r
import urllib3
from requests import Session as S
import stripe

BASE = "http://billing.acme.io/api"
LOCAL = "http://localhost:8080"
XMLNS = "http://www.w3.org/2000/svg"


def sync():
    r.get(BASE + "/invoices")
    r.get(LOCAL + "/health")
    s = S()
    s.verify = False
    s.post("https://billing.acme.io", verify=False)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    urllib3.disable_warnings()


stripe.api_base = "http://api.stripe.com"
stripe.verify_ssl_certs = False
'''


def test_transport_rules_report_at_the_literal_keyword_or_assignment():
    result = scan_snippet(TRANSPORT, path="billing.py", select=["PCI5"])
    assert sorted((f.rule_id, f.line) for f in result.findings) == [
        ("PCI501", 25),   # http://api.stripe.com
        ("PCI502", 8),    # the constant's literal, not the call that uses it
        ("PCI503", 17),   # s.verify = False on an aliased Session
        ("PCI503", 18),   # verify=False keyword
        ("PCI504", 20),   # check_hostname = False
        ("PCI504", 21),   # ssl.CERT_NONE
        ("PCI505", 26),   # stripe.verify_ssl_certs = False
        ("PCI506", 22),   # urllib3.disable_warnings()
    ]
    severities = {f.rule_id: f.severity for f in result.findings}
    assert severities["PCI506"] == "low" and severities["PCI503"] == "high"


def test_http_url_not_passed_to_a_client_is_not_a_finding():
    result = scan_snippet('''
        NS = "http://schemas.xmlsoap.org/soap/envelope/"
        LINK = "http://billing.acme.io/help"
        def render():
            return f"<a href='{LINK}'>help</a>"
        ''', select=["PCI502"])
    assert result.findings == []


def test_odd_code_does_not_crash_the_new_checks():
    result = scan_snippet('''
        import requests, stripe
        args = {"verify": False}
        requests.get(*["http://a.io"], **args)
        stripe.Webhook.construct_event(*parts)
        @(lambda f: f)
        def webhook(request):
            try:
                pass
            except:
                pass
        x = requests.Session().get
        ''', select=["PCI5", "PCI6", "PCI7"])
    assert result.error is None


def test_an_unverified_context_is_reported_where_it_is_made_not_where_it_is_used():
    result = scan_snippet('''
        import ssl
        import urllib.request

        def fetch(req):
            ctx = ssl._create_unverified_context()
            return urllib.request.urlopen(req, context=ctx).read()
        ''', select=["PCI504"])
    assert _lines(result) == [("PCI504", 6)]


def test_http_urls_reaching_a_client_through_settings_or_another_module(tmp_path):
    write_tree(tmp_path, {
        "project/settings/base.py": '''
            FRAUD_API = "http://fraud.partner-api.net/score"
            HELP_URL = "http://help.partner-api.net/"
            METRICS = "http://localhost:9000"
            ''',
        "shop/config.py": '''
            class Config:
                LEDGER = "http://ledger.acme.io/api"
                DOCS = "http://docs.acme.io/"
            ''',
        "shop/constants.py": 'RATES = "http://rates.acme.io/today"\n',
        "shop/services.py": '''
            import requests
            from django.conf import settings
            from shop.config import Config
            from shop.constants import RATES

            def score(obj):
                requests.post(settings.FRAUD_API, json=obj)
                requests.get(settings.METRICS)
                requests.get(f"{Config.LEDGER}/entries")
                return requests.get(RATES + "?ccy=EUR")

            def help_link():
                return settings.HELP_URL + Config.DOCS  # never requested
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI502", "."], cwd=tmp_path)
    assert sorted((f["path"], f["line"]) for f in out["findings"]) == [
        ("project/settings/base.py", 2), ("shop/config.py", 3), ("shop/constants.py", 1)]
