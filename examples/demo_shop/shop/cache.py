"""Caching of checkout state."""

from django.core.cache import cache


def remember_card(request, user_id, card_number):
    # BAD: the card number cached and kept in the server-side session.
    cache.set(f"checkout:{user_id}:card", card_number, timeout=600)
    request.session["card_number"] = card_number


def remember_payment_method(request, user_id, payment_method_id):
    # GOOD: the Stripe payment-method id is a token, safe to cache.
    cache.set(f"checkout:{user_id}:pm", payment_method_id, timeout=600)
    request.session["payment_method_id"] = payment_method_id
