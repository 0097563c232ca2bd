"""Settings for the demo shop."""

import os

DEBUG = False

# BAD: a live secret key in source control.
STRIPE_SECRET_KEY = "sk_live_51Hx9demoAbCdEfGhIjKlMnOpQrStUvWx"
# BAD: the webhook signing secret in source control.
STRIPE_WEBHOOK_SECRET = "whsec_demo1234567890abcdefghijklmnop"

# GOOD: publishable keys are meant to be public; secrets come from the environment.
STRIPE_PUBLISHABLE_KEY = "pk_live_51Hx9demoAbCdEfGhIjKlMnOpQrStUvWx"
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
