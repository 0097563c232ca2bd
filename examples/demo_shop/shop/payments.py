"""Checkout views (Flask)."""

import logging

import stripe
from flask import Flask, jsonify, request

from shop.audit import audit_event
from shop.settings import STRIPE_API_KEY

app = Flask(__name__)
log = logging.getLogger(__name__)
stripe.api_key = STRIPE_API_KEY


@app.post("/checkout/legacy")
def legacy_checkout():
    # BAD: raw card data posted to our server, logged and sent to Stripe from the backend.
    card_number = request.form["card_number"]
    cvc = request.form["cvc"]
    log.info("charging card %s", card_number)
    token = stripe.Token.create(
        card={"number": card_number, "exp_month": 12, "exp_year": 2030, "cvc": cvc}
    )
    audit_event("legacy-checkout", {"card": card_number})
    charge = stripe.Charge.create(amount=2000, currency="usd", source=token.id)
    return jsonify(id=charge.id)


@app.post("/checkout")
def checkout():
    # GOOD: Stripe.js/Elements tokenized the card in the browser; we only see a pm_... id.
    payment_method_id = request.json["payment_method_id"]
    intent = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method=payment_method_id, confirm=True
    )
    pm = stripe.PaymentMethod.retrieve(payment_method_id)
    log.info("charged card ending %s (%s)", pm.card.last4, pm.card.brand)
    audit_event("checkout", {"order": intent.id, "last4": pm.card.last4})
    return jsonify(id=intent.id, status=intent.status)


def masked(card_number: str) -> str:
    return "*" * (len(card_number) - 4) + card_number[-4:]


def log_card_on_file(card_number: str) -> None:
    # GOOD: only a masked form of the number reaches the log.
    log.info("card on file %s", masked(card_number))


@app.post("/checkout/tip")
def tip():
    # BAD: the browser chooses the amount it is charged (price tampering).
    amount = int(request.form["amount"])
    intent = stripe.PaymentIntent.create(
        amount=amount, currency="usd", payment_method=request.form["payment_method_id"]
    )
    return jsonify(id=intent.id)


@app.post("/checkout/order")
def pay_order():
    # GOOD: the client names the order; the amount comes from the order stored on the server.
    from shop.models import Order

    order = Order.objects.get(pk=int(request.form["order_id"]))
    intent = stripe.PaymentIntent.create(
        amount=order.amount, currency="usd", payment_method=request.form["payment_method_id"]
    )
    return jsonify(id=intent.id)


@app.post("/checkout/donate")
def donate():
    # GOOD: the donor chooses the amount, and it is checked against bounds first.
    amount = int(request.form["amount"])
    if amount < 100 or amount > 100_000:
        return jsonify(error="amount out of range"), 400
    intent = stripe.PaymentIntent.create(
        amount=amount, currency="usd", payment_method=request.form["payment_method_id"]
    )
    return jsonify(id=intent.id)
