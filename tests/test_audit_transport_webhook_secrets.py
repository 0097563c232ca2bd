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
