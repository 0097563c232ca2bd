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


def test_verifying_decorators_applied_by_the_class_count_for_its_methods(tmp_path):
    write_tree(tmp_path, {
        "hooks/auth.py": '''
            import functools, os
            import stripe
            from flask import abort, request

            def stripe_signed(fn):
                @functools.wraps(fn)
                def inner(*a, **kw):
                    stripe.WebhookSignature.verify_header(
                        request.get_data(as_text=True), request.headers.get("Stripe-Signature"),
                        os.environ["WHSEC"])
                    return fn(*a, **kw)
                return inner

            def passthrough(fn):
                return fn
            ''',
        "hooks/resources.py": '''
            import json
            from django.utils.decorators import method_decorator
            from django.views import View
            from flask import request
            from flask.views import MethodView
            from flask_restful import Resource
            from hooks.auth import stripe_signed, passthrough

            class Restful(Resource):
                method_decorators = [stripe_signed]
                def post(self):
                    if json.loads(request.data)["type"] == "invoice.paid":
                        return "paid"

            class Method(MethodView):
                decorators = [passthrough]
                def post(self):
                    if json.loads(request.data)["type"] == "invoice.paid":
                        return "paid"

            @method_decorator(stripe_signed, name="dispatch")
            class DjangoView(View):
                def post(self, request):
                    if json.loads(request.body)["type"] == "invoice.paid":
                        return "paid"

            class DjangoMethod(View):
                @method_decorator(stripe_signed)
                def post(self, request):
                    if json.loads(request.body)["type"] == "invoice.paid":
                        return "paid"
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI601", "."], cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in out["findings"]] == [("hooks/resources.py", 18)]


def test_event_name_prefixes_make_a_stripe_handler():
    result = scan_snippet('''
        import json
        import stripe

        def billing_webhook(request):
            data = json.loads(request.body)
            if data["type"].startswith("customer.subscription."):
                sync(data)

        def other_webhook(request):
            data = json.loads(request.body)
            if data["type"].startswith("repo."):
                sync(data)
        ''', select=["PCI601"])
    assert _lines(result) == [("PCI601", 5)]


def test_dispatch_through_a_registry_of_event_names_in_another_module(tmp_path):
    write_tree(tmp_path, {
        "app/billing/__init__.py": "",
        "app/billing/events/__init__.py": "from .registry import HANDLERS, on\n",
        "app/billing/events/registry.py": '''
            def paid(event):
                pass

            HANDLERS = {"invoice.paid": paid}
            ''',
        "app/billing/events/decorated.py": '''
            ROUTES = {}

            def on(name):
                def wrap(fn):
                    ROUTES[name] = fn
                    return fn
                return wrap

            @on("checkout.session.completed")
            def completed(event):
                pass
            ''',
        "app/billing/routes.py": '''
            import stripe
            from flask import Blueprint, request
            from billing.events import HANDLERS
            from billing.events.decorated import ROUTES

            bp = Blueprint("billing", __name__)

            @bp.post("/billing/events")
            def events():
                event = request.get_json()
                HANDLERS[event["type"]](event)
                return ""

            @bp.post("/billing/other")
            def other():
                event = request.get_json()
                ROUTES[event["type"]](event)
                return ""

            @bp.post("/billing/config")
            def config():
                return request.get_json()["name"]
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI601", "."], cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in out["findings"]] == [
        ("app/billing/routes.py", 10), ("app/billing/routes.py", 16)]


def test_optional_verification_is_reported_once_per_handler():
    result = scan_snippet('''
        import json
        import os
        import stripe

        SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
        LITERAL = "whsec_" "8aQz3LmP0nRt5VwX2yBc7DfGhJk9sT1u"

        async def optional(request):
            body = await request.text()
            event = json.loads(body)
            secret = request.app["config"].get("whsec")
            if secret:
                event = stripe.Webhook.construct_event(body, request.headers["Stripe-Signature"], secret)
            if event["type"] == "invoice.paid":
                pass

        def settings_guard(request):
            event = json.loads(request.body)
            if SECRET is not None and request.headers.get("Stripe-Signature"):
                event = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], SECRET)
            if event["type"] == "invoice.paid":
                pass

        def always_set(request):
            event = json.loads(request.body)
            if LITERAL:
                event = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], LITERAL)
            if event["type"] == "invoice.paid":
                pass

        def guarded_by_other_thing(request):
            if request.method == "POST":
                event = stripe.Webhook.construct_event(request.body, request.headers["Stripe-Signature"], SECRET)
                if event["type"] == "invoice.paid":
                    pass
        ''', select=["PCI6"])
    assert _lines(result) == [("PCI607", 9), ("PCI607", 18)]


def test_published_gateway_test_numbers_are_not_reported_and_real_looking_ones_are():
    result = scan_snippet('''
        TEST_NUMBERS = ["378734493671000", "4007000000027", "5431111111111111", "4000000000000002"]
        REAL = "4539 1488 0343 6467"
        MIXED = ["4242424242424242", "4916 3385 0608 2832"]
        ''', path="payments/cards.py", select=["PCI704"])
    # a published number hides nothing next to it: the real-looking one on line 4 is still reported
    assert sorted((f.line, f.severity) for f in result.findings) == [(3, "high"), (4, "high")]


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


def test_a_view_using_another_module_of_a_package_with_receivers_is_not_a_handler(tmp_path):
    # dj-stripe's shape: event_handlers.py registers receivers with event names; an admin method
    # taking `request` uses djstripe.models - not the registry
    write_tree(tmp_path, {
        "djs/__init__.py": "",
        "djs/event_handlers.py": '''
            from djs import webhooks

            @webhooks.handler("customer.subscription.deleted")
            def on_cancel(event):
                pass
            ''',
        "djs/models.py": "class Endpoint:\n    pass\n",
        "djs/admin.py": '''
            import stripe
            from djs import models

            class EndpointAdmin:
                def delete_model(self, request, obj: models.Endpoint):
                    obj.delete()
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI601", "."], cwd=tmp_path)
    assert out["findings"] == []


def test_fastapi_dependency_that_verifies_counts_for_the_endpoint(tmp_path):
    write_tree(tmp_path, {
        "app/deps.py": '''
            import os
            import stripe
            from fastapi import Header, Request

            async def stripe_event(request: Request, stripe_signature: str = Header(...)):
                return stripe.Webhook.construct_event(
                    await request.body(), stripe_signature, os.environ["WHSEC"])

            async def raw_event(request: Request):
                return await request.json()
            ''',
        "app/main.py": '''
            from typing import Annotated
            import stripe
            from fastapi import Depends, FastAPI
            from app.deps import raw_event, stripe_event

            app = FastAPI()

            @app.post("/stripe/a")
            async def a(event: stripe.Event = Depends(stripe_event)):
                if event.type == "invoice.paid":
                    return 1

            @app.post("/stripe/b")
            async def b(event: Annotated[stripe.Event, Depends(stripe_event)]):
                if event.type == "invoice.paid":
                    return 1

            @app.post("/stripe/c")
            async def c(request, event: dict = Depends(raw_event)):
                if event["type"] == "invoice.paid":
                    return 1
            ''',
    })
    _code, out, _err = run_json(["--select", "PCI601", "."], cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in out["findings"]] == [("app/main.py", 20)]
