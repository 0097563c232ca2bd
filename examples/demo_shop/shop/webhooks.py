"""Stripe webhook receivers (Flask)."""

import json

import stripe
from flask import Blueprint, request

from shop.models import Order
from shop.settings import WEBHOOK_SECRET

hooks = Blueprint("hooks", __name__)


@hooks.route("/webhooks/stripe-legacy", methods=["POST"])
def stripe_webhook_legacy():
    # BAD: anybody can POST a fake "payment_intent.succeeded" here.
    event = json.loads(request.data)
    if event["type"] == "payment_intent.succeeded":
        Order.objects.filter(payment_intent=event["data"]["object"]["id"]).update(paid=True)
    return "", 200


@hooks.route("/webhooks/stripe", methods=["POST"])
def stripe_webhook():
    # GOOD: the signature is verified before the event is trusted.
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "invalid signature", 400
    if event["type"] == "payment_intent.succeeded":
        Order.objects.filter(payment_intent=event["data"]["object"]["id"]).update(paid=True)
    return "", 200
