"""PCI5xx transport, PCI6xx webhook and PCI7xx secrets: exact (rule, path, line) on fixtures and trees."""

from __future__ import annotations

import json

from conftest import FIXTURES, run_json, scan_snippet, write_tree


def _hits(findings, prefix=""):
    return sorted((f["rule_id"], f["path"], f["line"]) for f in findings
                  if f["rule_id"].startswith(prefix))


# -- webhooks ---------------------------------------------------------------------------------------

def test_webhook_fixtures_report_exactly_the_unverified_and_defeated_handlers():
    code, out, _err = run_json(["--select", "PCI6", "."], cwd=FIXTURES / "webhooks")
    assert code == 1
    assert _hits(out["findings"]) == [
        ("PCI601", "shop/django_views.py", 14),        # function view, json.loads(request.body)
        ("PCI601", "shop/django_views.py", 35),        # class-based view: the post() def line
        ("PCI601", "shop/fastapi_app.py", 12),         # FastAPI route, await request.json()
        ("PCI601", "shop/flask_unverified.py", 11),    # Flask route: the def, not the decorator
        ("PCI602", "shop/defeated.py", 13),            # "whsec_..." through a module constant
        ("PCI603", "shop/defeated.py", 22),            # SignatureVerificationError -> json.loads
        ("PCI604", "shop/defeated.py", 44),            # construct_event result thrown away
        ("PCI605", "shop/defeated.py", 35),            # tolerance=0
        ("PCI606", "shop/defeated.py", 54),            # construct_event_without_verification
    ]


def test_verified_twins_github_slack_and_helper_in_other_module_stay_clean():
    _code, out, _err = run_json(["--select", "PCI6", "."], cwd=FIXTURES / "webhooks")
    reported = {(f["path"], f["line"]) for f in out["findings"]}
    for path in ("shop/flask_verified.py", "shop/github_hooks.py",
                 "shop/payments/verification.py"):
        assert not any(p == path for p, _ in reported), path
    # the verified Django views and both FastAPI handlers verified by the helper module
    assert ("shop/django_views.py", 22) not in reported
    assert ("shop/django_views.py", 46) not in reported
    assert ("shop/fastapi_app.py", 20) not in reported
    assert ("shop/fastapi_app.py", 28) not in reported


def test_helper_verification_counts_only_when_the_helper_really_verifies(tmp_path):
    write_tree(tmp_path, {
        "app/views.py": '''
            import stripe
            from flask import Flask, request
            from app.util import load_event, checked_event
            app = Flask(__name__)

            @app.post("/stripe/a")
            def hook_a():
                event = load_event(request.data)
                if event["type"] == "invoice.paid":
                    pass
                return ""

            @app.post("/stripe/b")
            def hook_b():
                event = checked_event(request.data, request.headers["Stripe-Signature"])
                if event["type"] == "invoice.paid":
                    pass
                return ""
            ''',
        "app/util.py": '''
            import json
            import os
            import stripe

            def load_event(body):
                return json.loads(body)

            def checked_event(body, sig):
                return stripe.Webhook.construct_event(body, sig, os.environ["WHSEC"])
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI601", "."], cwd=tmp_path)
    assert _hits(out["findings"]) == [("PCI601", "app/views.py", 8)]


def test_only_the_outermost_handler_of_a_chain_is_reported():
    result = scan_snippet('''
        import json
        import stripe

        def webhook(request):
            return process(request)

        def process(request):
            event = json.loads(request.body)
            if event["type"] == "charge.refunded":
                refund(event)
        ''', select=["PCI601"])
    assert [(f.rule_id, f.line) for f in result.findings] == [("PCI601", 5)]


# -- transport --------------------------------------------------------------------------------------

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


# -- secrets ----------------------------------------------------------------------------------------

LIVE = "sk_live_" + "51Hx9TqLmZ2vR8wYpK3dN7cJ"
WHSEC = "whsec_" + "1f3Qk9ZbT0aXw7LmNc4RpE2sVy8UdHgJ"
TEST = "sk_test_" + "51Hx9TqLmZ2vR8wYpK3dN7cJ"


def test_secrets_in_code_and_settings_files_are_reported_masked(tmp_path):
    write_tree(tmp_path, {
        "app/config.py": f'STRIPE_KEY = "{LIVE}"\nHOOK = "{WHSEC}"\nDEV = "{TEST}"\n'
                         'CARD = "4539 1488 0343 6467"\nDEMO = "4242424242424242"\n',
        ".env": f"STRIPE_SECRET_KEY={LIVE}\n",
        "deploy/values.yaml": f"stripe:\n  webhook_secret: {WHSEC}\n",
        "tests/test_pay.py": f'KEY = "{TEST}"\nCARD = "4539 1488 0343 6467"\n',
    })
    code, out, _err = run_json(["--select", "PCI7", "."], cwd=tmp_path)
    assert code == 1
    assert _hits(out["findings"]) == [
        ("PCI701", ".env", 1),
        ("PCI701", "app/config.py", 1),
        ("PCI702", "app/config.py", 2),
        ("PCI702", "deploy/values.yaml", 2),
        ("PCI703", "app/config.py", 3),
        ("PCI704", "app/config.py", 4),   # line 5, Stripe's published test Visa, is not card data
    ]
    sev = {(f["rule_id"], f["line"]): f["severity"] for f in out["findings"]
           if f["path"] == "app/config.py"}
    assert sev[("PCI704", 4)] == "high"
    assert sev[("PCI703", 3)] == "low" and sev[("PCI701", 1)] == "critical"
    text = json.dumps(out)
    for secret in (LIVE, WHSEC, TEST, "4539 1488 0343 6467", "4242424242424242"):
        assert secret not in text


def test_placeholder_keys_are_not_secrets():
    result = scan_snippet('''
        A = "sk_live_..."
        B = "sk_test_xxx"
        C = "sk_live_<your key>"
        D = "sk_live_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        E = "whsec_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
        F = "sk_test_1234567890abcdefghijklmnop"
        ''', path="settings.py", select=["PCI7"])
    assert result.findings == []


def test_verification_through_a_method_on_an_untyped_object_of_this_module_counts():
    # dj-stripe's shape: the view creates a model object whose validate() re-fetches the event
    result = scan_snippet('''
        import json
        import stripe
        from django.views import View

        class Trigger:
            @classmethod
            def from_request(cls, request):
                obj = cls()
                obj.valid = obj.validate(json.loads(request.body))
                return obj

            def validate(self, data):
                return stripe.Event.retrieve(data["id"]).type == data["type"]

        class WebhookView(View):
            def post(self, request):
                trigger = Trigger.from_request(request)
                if json.loads(request.body)["type"] == "invoice.paid":
                    pass
        ''', select=["PCI601"])
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
