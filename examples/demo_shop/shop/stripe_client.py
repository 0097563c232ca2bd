"""A thin client for Stripe endpoints the SDK does not wrap."""

import os

import requests

STRIPE_API = "https://api.stripe.com/v1"
# BAD: plain HTTP to Stripe.
LEGACY_FILES_API = "http://files.stripe.com/v1/files"
MOCK_API = "http://localhost:12111/v1"


def list_files():
    # BAD: the HTTP URL above is used, and certificate checks are off.
    return requests.get(LEGACY_FILES_API, verify=False, timeout=10)


def balance():
    # GOOD: HTTPS with certificate verification.
    key = os.environ["STRIPE_API_KEY"]
    return requests.get(f"{STRIPE_API}/balance", auth=(key, ""), timeout=10)


def mock_balance():
    # GOOD: a local stripe-mock server over loopback.
    return requests.get(MOCK_API + "/balance", timeout=10)
