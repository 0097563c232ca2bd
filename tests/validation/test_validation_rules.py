"""PCI8xx: client-controlled values reaching money/object parameters of Stripe calls.

Beyond the rules' own examples: the paths through which a client value travels (and is reported,
with its source and parameter), and the look-alikes that must stay clean.
"""

from __future__ import annotations

import pytest

from conftest import scan_snippet


def _hits(code: str, rule: str = "PCI8"):
    result = scan_snippet(code, "app/views.py", select=[rule])
    assert result.error is None, result.error
    return [(f.rule_id, f.line, f.message) for f in result.findings]


FLAGGED = {
    "through a variable, float and arithmetic": ("""
        import stripe
        from flask import request

        def pay():
            data = request.get_json()
            euros = float(data.get("euros"))
            stripe.PaymentIntent.create(amount=round(euros * 100), currency="eur")
        """, "PCI801", 8, 'request.get_json().get("euros")', "`amount`"),
    "a dict built before the call and spread": ("""
        import stripe
        from flask import request

        def pay():
            params = {"amount": int(request.form["amount"]), "currency": "eur"}
            stripe.PaymentIntent.create(**params)
        """, "PCI801", 7, 'request.form["amount"]', "`amount`"),
    "checked in one branch only": ("""
        import stripe
        from flask import abort, request

        def pay(vip):
            amount = int(request.form["amount"])
            if vip:
                if amount < 100:
                    abort(400)
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """, "PCI801", 10, 'request.form["amount"]', "`amount`"),
    "a refund amount from a DRF serializer": ("""
        import stripe

        def refund(serializer, charge):
            stripe.Refund.create(charge=charge.stripe_id,
                                 amount=serializer.validated_data["amount"])
        """, "PCI801", 6, 'serializer.validated_data["amount"]', "`amount`"),
    "a WTForms field": ("""
        import stripe

        def pay(form):
            stripe.PaymentIntent.create(amount=form.amount.data * 100, currency="eur")
        """, "PCI801", 5, "form.amount.data", "`amount`"),
    "Connect on_behalf_of from a query string": ("""
        import stripe
        from flask import request

        def pay():
            stripe.PaymentIntent.create(amount=1000, currency="eur",
                                        on_behalf_of=request.args["acct"])
        """, "PCI803", 7, 'request.args["acct"]', "`on_behalf_of`"),
}


@pytest.mark.parametrize("name", FLAGGED)
def test_client_values_are_reported_with_source_and_parameter(name):
    code, rule, line, source, param = FLAGGED[name]
    hits = _hits(code)
    assert [(r, n) for r, n, _ in hits] == [(rule, line)], hits
    message = hits[0][2]
    assert source in message and param in message, message


CLEAN = {
    "a server-side lookup by a client id": """
        import stripe
        from flask import request
        from shop.models import Product

        def pay():
            pid = int(request.form["product_id"])
            price = Product.objects.get(pk=pid).price
            stripe.PaymentIntent.create(amount=price, currency="eur")
        """,
    "a server-side allow-list with get()": """
        import stripe
        from flask import request

        PRICES = {"basic": "price_1", "pro": "price_2"}

        def subscribe():
            stripe.checkout.Session.create(
                mode="subscription",
                line_items=[{"price": PRICES.get(request.form["plan"]), "quantity": 1}],
                success_url="https://example.invalid/ok")
        """,
    "clamped with min and max": """
        import stripe
        from flask import request

        def tip():
            amount = min(max(int(request.form["amount"]), 100), 10_000)
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """,
    "a validating function called first": """
        import stripe
        from flask import request

        def tip():
            amount = int(request.form["amount"])
            validate_amount(amount)
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """,
    "a guard that raises inside try/else": """
        import stripe
        from flask import request

        def tip():
            amount = int(request.form["amount"])
            if amount <= 0 or amount > 50_000:
                raise ValueError("amount out of range")
            else:
                note = "ok"
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """,
    "a reassigned variable": """
        import stripe
        from flask import request

        def pay(order):
            amount = request.form["amount"]
            amount = order.total_cents
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """,
    "a request value sent to a non-Stripe API": """
        import requests
        from flask import request

        def ship():
            requests.post("https://carrier.example.invalid/labels",
                          json={"amount": request.form["amount"]})
        """,
    "client values only in metadata and description": """
        import stripe
        from flask import request

        def pay(order):
            stripe.PaymentIntent.create(amount=order.total_cents, currency="eur",
                                        description=request.form["note"],
                                        metadata={"amount": request.form["amount"]})
        """,
    "a route parameter the framework bounds": """
        import stripe
        from fastapi import FastAPI, Query

        app = FastAPI()

        @app.post("/tip")
        def tip(amount: int = Query(ge=100, le=10_000)):
            stripe.PaymentIntent.create(amount=amount, currency="eur")
        """,
    "the customer stored for the signed-in user and the server's session": """
        import stripe
        from flask import request, session

        def pay(order):
            stripe.PaymentIntent.create(amount=order.total_cents, currency="eur",
                                        customer=session["stripe_customer_id"],
                                        receipt_email=request.form["email"])
            stripe.PaymentIntent.retrieve(request.json["id"])
        """,
    "filters of Stripe reads": """
        import stripe
        from flask import request

        def prices():
            return stripe.Price.list(currency=request.args["currency"], active=True)

        def invoice_preview(user):
            return stripe.Invoice.upcoming(customer=user.stripe_customer_id,
                                           subscription_items=[{"price": request.args["price"]}])
        """,
    "test code": """
        import stripe
        from flask import request

        def test_pay():
            stripe.PaymentIntent.create(amount=int(request.form["amount"]), currency="eur")
        """,
}


@pytest.mark.parametrize("name", CLEAN)
def test_look_alikes_stay_clean(name):
    path = "tests/test_pay.py" if name == "test code" else "app/views.py"
    result = scan_snippet(CLEAN[name], path, select=["PCI8"])
    assert result.error is None
    assert result.findings == [], [(f.rule_id, f.line, f.message) for f in result.findings]


def test_one_finding_per_argument_line_and_rule():
    hits = _hits("""
        import stripe
        from flask import request

        def pay():
            stripe.PaymentIntent.create(amount=int(request.form["a"]), currency=request.form["c"])
        """)
    assert [(r, n) for r, n, _ in hits] == [("PCI801", 6)]


# -- across functions and modules ---------------------------------------------------------------

def test_a_client_value_passed_to_a_helper_in_the_same_module():
    result = scan_snippet("""
        import stripe
        from flask import request

        def charge(amount, currency="eur"):
            return stripe.PaymentIntent.create(amount=amount, currency=currency)

        def checked(amount):
            if not 100 <= amount <= 10_000:
                raise ValueError(amount)
            return stripe.PaymentIntent.create(amount=amount, currency="eur")

        def pay():
            charge(int(request.form["amount"]))
            checked(int(request.form["amount"]))
            charge(1000, currency="usd")
        """, "app/views.py", select=["PCI8"])
    hits = [(f.rule_id, f.line, f.message) for f in result.findings]
    assert [(r, n) for r, n, _ in hits] == [("PCI801", 6)], hits
    assert 'request.form["amount"]' in hits[0][2] and "`amount`" in hits[0][2]
    (f,) = result.findings
    assert [s.line for s in f.trace] == [14, 14, 6]
    assert f.trace[1].note == "passed to charge() as amount"


def test_a_client_value_passed_to_a_helper_in_another_module(tmp_path):
    from conftest import run_json, write_tree

    write_tree(tmp_path, {
        "shop/__init__.py": "",
        "shop/billing.py": """\
            import stripe


            class Billing:
                def refund(self, charge_id, amount):
                    return stripe.Refund.create(charge=charge_id, amount=amount)


            def pay(customer, amount):
                return stripe.PaymentIntent.create(customer=customer, amount=amount,
                                                   currency="eur")
            """,
        "shop/views.py": """\
            from flask import request

            from shop.billing import Billing, pay


            def checkout(user):
                pay(user.stripe_customer_id, 2000)
                pay(request.form["customer"], 2000)


            def refund_view(order):
                Billing().refund(order.charge_id, order.amount)
            """,
    })
    code, doc, _ = run_json(["."], cwd=tmp_path)
    found = [(f["rule_id"], f["path"], f["line"]) for f in doc["findings"]
             if f["category"] == "validation"]
    assert found == [("PCI803", "shop/billing.py", 10)], doc["findings"]
    (f,) = [f for f in doc["findings"] if f["rule_id"] == "PCI803"]
    assert f["message"].startswith("client-controlled `request.form[\"customer\"]` (line 8 in shop/views.py) sets `customer`"), f["message"]
    assert [s["path"] for s in f["trace"]] == ["shop/views.py", "shop/views.py", "shop/billing.py"]
