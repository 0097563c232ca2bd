"""Tests may use Stripe's test keys and test cards: pcilint leaves them alone."""

import stripe

stripe.api_key = "sk_test_51Hx9demoAbCdEfGhIjKlMnOpQrStUvWx"
TEST_CARD = "4242424242424242"


def test_test_card_is_visa():
    assert TEST_CARD.startswith("4")
