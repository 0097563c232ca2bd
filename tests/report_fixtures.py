"""Findings and rules built directly, for reporter tests (and the report screenshot script's
``--sample`` mode): every category, traces, several PCI DSS requirements, a scan error.

Rules of families still being written elsewhere are stand-ins with realistic text; reporters only
format, so they need nothing but the data.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pcilint.findings import Finding, ScanError, ScanResult, TraceStep, assign_fingerprints
from pcilint.reporters import ReportContext
from pcilint.ruleset import Example, Rule

FIXED_TIME = datetime(2025, 1, 15, 9, 30, tzinfo=timezone.utc)


def make_rule(rule_id: str, name: str, category: str, severity: str, pci: tuple[str, ...],
              summary: str, fix: str, references: tuple[str, ...] = ()) -> Rule:
    return Rule(id=rule_id, name=name, category=category, severity=severity, message="{detail}",
                pci_dss=pci, summary=summary,
                why="The Stripe guide says not to do this; PCI DSS asks that it never happens.",
                fix=fix, kind="stand-in", params={}, bad=[Example("x = 1", "example.py", 1)],
                good=[Example("x = 2", "example.py", 1)], references=references,
                source="tests/report_fixtures.py:1")


def sample_rules() -> list[Rule]:
    return [
        make_rule("PCI101", "card-data-in-logs", "logging", "high", ("3.3.1", "3.5.1"),
                  "Card data reaches a log call.",
                  "Log the PaymentMethod id or the last four digits (`card.last4`), never the number."),
        make_rule("PCI201", "card-data-model-field", "storage", "critical", ("3.2.1", "3.5.1"),
                  "A model field stores a card number or CVC.",
                  "Store the Stripe PaymentMethod id (`pm_...`) and display fields (brand, last4, "
                  "expiry) instead."),
        make_rule("PCI301", "card-data-in-cache", "caching", "high", ("3.3.1", "3.5.1"),
                  "Card data is written to a cache or session.",
                  "Cache the PaymentMethod id; let Stripe hold the card."),
        make_rule("PCI401", "card-data-read-from-request", "transmission", "high",
                  ("4.2.1", "12.5.2"), "The server reads a raw card number from a request.",
                  "Collect card details with Stripe Elements / Checkout and send only the "
                  "PaymentMethod id to your server."),
        make_rule("PCI501", "tls-verification-disabled", "transport", "high", ("4.2.1",),
                  "TLS certificate verification is turned off.",
                  "Remove `verify=False`; point `REQUESTS_CA_BUNDLE` at your CA if you use a "
                  "private one."),
        make_rule("PCI601", "webhook-without-signature-check", "webhook", "critical", ("6.2.4",),
                  "A Stripe webhook handler acts on an event without verifying its signature.",
                  "Verify with `stripe.Webhook.construct_event(payload, sig_header, "
                  "endpoint_secret)` before acting on the event."),
        make_rule("PCI701", "stripe-live-secret-key", "secrets", "critical", ("3.5.1", "8.6.2"),
                  "A Stripe live secret key is written in the code.",
                  "Read the key from the environment and rotate the exposed key.",
                  ("https://docs.stripe.com/keys-best-practices",)),
    ]


def _f(rule_id: str, category: str, severity: str, path: str, line: int, column: int,
       message: str, snippet: str, pci: tuple[str, ...], trace=(), end_column: int = 0) -> Finding:
    return Finding(rule_id=rule_id, category=category, severity=severity, path=path, line=line,
                   column=column, end_line=line, end_column=end_column or column + len(snippet),
                   message=message, pci_dss=pci, trace=tuple(trace), snippet=snippet)


def sample_findings() -> list[Finding]:
    findings = [
        _f("PCI101", "logging", "high", "shop/payments.py", 42, 5,
           "card number `card_number` (read from request.form at line 38) reaches logger.info",
           'logger.info(f"charging card {card_number} for order {order.id}")', ("3.3.1", "3.5.1"),
           trace=[TraceStep("shop/payments.py", 38, "card_number read from request.form"),
                  TraceStep("shop/payments.py", 40, "passed to build_charge(card_number)")]),
        _f("PCI201", "storage", "critical", "shop/models.py", 12, 5,
           "model field `card_number` stores a card number",
           "card_number = models.CharField(max_length=19)", ("3.2.1", "3.5.1")),
        _f("PCI201", "storage", "critical", "shop/models.py", 13, 5,
           "model field `cvc` stores a card security code (SAD)",
           "cvc = models.CharField(max_length=4)", ("3.2.1", "3.5.1")),
        _f("PCI301", "caching", "high", "shop/views.py", 57, 9,
           "card number `pan` (from a request at line 51) is written to cache.set",
           'cache.set(f"checkout:{request.user.id}", {"pan": pan}, 600)', ("3.3.1", "3.5.1"),
           trace=[TraceStep("shop/views.py", 51, "pan read from request.POST"),
                  TraceStep("shop/views.py", 55, "pan stored in dict literal")]),
        _f("PCI401", "transmission", "high", "shop/views.py", 51, 15,
           "card number read from request.POST['card_number'] on the server",
           'pan = request.POST["card_number"]', ("4.2.1", "12.5.2")),
        _f("PCI501", "transport", "high", "shop/fulfilment.py", 23, 58,
           "TLS certificate verification disabled (verify=False) on requests.post",
           'resp = requests.post(FULFIL_URL, json=payload, timeout=10, verify=False)', ("4.2.1",)),
        _f("PCI701", "secrets", "critical", "shop/settings.py", 31, 21,
           "hardcoded Stripe live secret key sk_live_51HxAbCdEfGhIjKlMnOpQrStUv: load it from "
           "the environment or a secret manager",
           'STRIPE_SECRET_KEY = "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"', ("3.5.1", "8.6.2")),
    ]
    assign_fingerprints(findings)
    return findings


def sample_inventory() -> dict:
    """What a real scan of the sample would have examined (pcilint.inventory.aggregate's shape)."""
    return {
        "version": 1, "files_examined": 48,
        "http_calls": {"total": 2, "by_scheme": {"https": 1, "loopback": 1},
                       "sites": [{"path": "shop/client.py", "line": 4, "call": "requests.get",
                                  "scheme": "https"},
                                 {"path": "shop/client.py", "line": 9, "call": "requests.get",
                                  "scheme": "loopback"}]},
        "stripe_js_templates": [{"path": "templates/pay.html", "line": 3, "loads_stripe_js": True,
                                 "mounts": True}],
        "templates_posting_card_fields": [],
        "stripe_id_models": [{"path": "shop/models.py", "line": 5, "model": "Order",
                              "fields": ["stripe_customer_id"], "id_prefixes": ["cus_"]}],
        "card_data_fields": ["shop/models.py:12"],
        "stripe_money_calls": [], "client_controlled_params": 0,
        "webhook_endpoints": [{"path": "shop/hooks.py", "line": 14, "handler": "stripe_webhook",
                               "verified": True, "how": ["shop/hooks.py:17 construct_event"]}],
        "stripe_requirements": [], "raw_card_to_stripe_calls": 0,
    }


def sample_result() -> ScanResult:
    return ScanResult(findings=sample_findings(),
                      errors=[ScanError("shop/legacy/broken.py", "syntax error at line 3: bad input")],
                      files_scanned=48, files_discovered=49, duration_s=0.84, suppressed=1,
                      inventory=sample_inventory())


def sample_context(**overrides) -> ReportContext:
    values = dict(rules=sample_rules(), show_trace=True, config_source="pyproject.toml",
                  scanned_paths=["shop"], fail_on="high", generated_at=FIXED_TIME,
                  cwd="/srv/checkout")
    values.update(overrides)
    return ReportContext(**values)
