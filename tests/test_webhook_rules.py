"""PCI6xx webhook: exact (rule, path, line) on the webhook fixtures and trees: unverified and
defeated handlers, verification in helpers, decorators, dependencies and other modules, and the
verified twins that stay clean."""

from __future__ import annotations

import json

from conftest import FIXTURES, run_json, scan_snippet, write_tree


def _hits(findings, prefix=""):
    return sorted((f["rule_id"], f["path"], f["line"]) for f in findings
                  if f["rule_id"].startswith(prefix))

def _lines(result, prefix=""):
    return sorted((f.rule_id, f.line) for f in result.findings if f.rule_id.startswith(prefix))


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
