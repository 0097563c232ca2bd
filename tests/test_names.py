"""The card-data vocabulary (docs/contract.md §1): names are matched by words, never by substring."""

from __future__ import annotations

import pytest

from pcilint.analysis.names import classify, split_words, vocabulary


@pytest.mark.parametrize("name", [
    "card_number", "cardNumber", "CardNumber", "card-number", "card[number]", "card_no", "cardnum",
    "card_num", "cc_number", "ccnum", "cc_num", "ccn", "credit_card", "credit_card_number",
    "creditcard", "pan", "PAN", "primary_account_number", "card_numbers", "card_number_raw",
    "x_card_num",
])
def test_pan_names(name):
    assert classify(name) == "pan"


@pytest.mark.parametrize("name", [
    "cvv", "cvv2", "cvc", "cvc2", "cid", "csc", "card_code", "card_security_code", "security_code",
    "securityCode", "card_verification", "track1", "track2", "track_data", "magstripe", "pin_block",
    "card_pin", "cvv_input",
])
def test_sad_names(name):
    assert classify(name) == "sad"


@pytest.mark.parametrize("name", [
    # contract: not card data
    "last4", "last_four", "card_last4", "brand", "card_brand", "exp_month", "exp_year", "expiry",
    "fingerprint", "card_fingerprint", "card_id", "card_token", "payment_method", "payment_method_id",
    "pm_id", "customer_id", "stripeToken", "bin",
    # look-alikes: words, not substrings
    "span", "pan_x", "company", "scorecard", "card_count", "card_title", "panel", "expand", "discard",
    "number", "account_number", "masked_card_number", "card_number_masked", "pan_hash", "pan_last4",
    "cvc_check", "card_number_length", "is_card_number",
])
def test_not_card_data(name):
    assert classify(name) is None


def test_split_words_handles_camel_snake_kebab_and_digits():
    assert split_words("cardNumber") == ("card", "number")
    assert split_words("CC_CVV2") == ("cc", "cvv2")
    assert split_words("card-security-code") == ("card", "security", "code")
    assert split_words("HTTPCardNumber") == ("http", "card", "number")


def test_card_containers_make_number_a_pan():
    vocab = vocabulary()
    assert vocab.is_card_container("card")
    assert vocab.is_card_container("credit_card")
    assert not vocab.is_card_container("card_token")
    assert not vocab.is_card_container("scorecard")


def test_sensitive_names_extend_the_vocabulary():
    # a vocabulary term followed by a word that changes its meaning is not card data
    assert classify("pan_blob") is None
    extra = {"pan": ["zahlkarte_nr"], "safe": ["preview"]}
    assert classify("zahlkarte_nr", extra) == "pan"
    assert classify("card_number_preview", extra) is None
    assert classify("zahlkarte_nr") is None
