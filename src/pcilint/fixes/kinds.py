"""The autofix kinds a rule's YAML can declare (``autofix: {kind: ..., safety: safe|unsafe}``).

Kept apart from the rewriting code so the rule loader can validate a rule pack without importing
it.  ``safety`` is the rule author's promise: ``safe`` fixes are applied by ``--fix``; ``unsafe``
ones (they change what the program does at run time, or need something set up first) only with
``--unsafe-fixes``.
"""

from __future__ import annotations

FIX_KINDS: dict[str, str] = {
    "https-url": "rewrites `http://` to `https://` in the Stripe URL literal",
    "remove-insecure-setting": "removes the `verify=False` / `ssl=False` argument or the "
                               "`... = False` assignment, so the library's verifying default applies",
    "remove-tolerance": "removes `tolerance=0` / `tolerance=None` from `construct_event` / "
                        "`verify_header`, so the default 300 s replay window applies",
    "env-secret": "replaces the hardcoded key with `os.environ[\"STRIPE_SECRET_KEY\"]` "
                  "(`STRIPE_RESTRICTED_KEY` for `rk_`, `STRIPE_WEBHOOK_SECRET` for `whsec_`) and "
                  "adds `import os`; the variable must be set where the code runs",
    "mask-card-data": "replaces a card number in the call by its masked last four "
                      "(`\"****\" + str(pan)[-4:]`) and a security code by `\"***\"`",
    "verify-webhook": "replaces `construct_event_without_verification(payload)` by "
                      "`construct_event(payload, request.headers[\"Stripe-Signature\"], "
                      "os.environ[\"STRIPE_WEBHOOK_SECRET\"])`",
}

SAFETIES = ("safe", "unsafe")
