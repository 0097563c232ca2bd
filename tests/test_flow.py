"""The card-data flow analysis, specified through the flow rules' findings.

Each behaviour has a bad case (flagged, at the right line) and a good twin (clean).
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from conftest import run_json, scan_snippet, write_tree
from pcilint.analysis.flow import FileFlow
from pcilint.checks.base import FileContext
from pcilint.config import Settings
from pcilint.ruleset import load_rules

FLOW = ["PCI1", "PCI21", "PCI3", "PCI41"]
RULES = load_rules()


def hits(code: str, settings: Settings | None = None, path: str = "app.py"):
    result = scan_snippet(code, path, select=FLOW, settings=settings, rules=RULES)
    assert result.error is None
    return [(f.rule_id, f.line) for f in result.findings]


def findings(code: str):
    return scan_snippet(code, "app.py", select=FLOW, rules=RULES).findings


LOGGER = "import logging\nlog = logging.getLogger(__name__)\n"


@pytest.mark.parametrize("bad,good", [
    # renamed variables
    ("""
     def pay(request):
         n = request.form["ccnum"]
         log.info(n)
     """, """
     def pay(request):
         n = request.form["amount"]
         log.info(n)
     """),
    # concatenation and f-strings
    ("""
     def pay(pan):
         msg = "card " + pan
         log.info(msg)
     """, """
     def pay(pan):
         msg = "card " + pan[-4:]
         log.info(msg)
     """),
    ("""
     def pay(card_number):
         log.warning(f"declined {card_number}!")
     """, """
     def pay(card_number):
         log.warning(f"declined {card_number[:6]}...")
     """),
    # % and .format
    ("""
     def pay(cvv):
         log.info("cvv=%s" % cvv)
         log.info("cvv={}".format(cvv))
     """, """
     def pay(cvv):
         log.info("cvv length=%d" % len(cvv))
     """),
    # dicts holding card data, logged whole; a safe key read from the same dict
    ("""
     def pay(data):
         details = {"card_number": data["card_number"], "amount": data["amount"]}
         log.info("details %s", details)
     """, """
     def pay(data):
         details = {"card_number": data["card_number"], "amount": data["amount"]}
         log.info("amount %s", details["amount"])
     """),
    # a Card class with self.number
    ("""
     class CreditCard:
         def __init__(self, number):
             self.number = number

         def describe(self):
             log.info("card %s", self.number)
     """, """
     class CreditCard:
         def __init__(self, number, last4):
             self.number = number
             self.last4 = last4

         def describe(self):
             log.info("card ending %s", self.last4)
     """),
    # a helper formats a card into a string, its caller logs it
    ("""
     def fmt(card):
         return "%s/%s" % (card["number"], card["exp_month"])

     def pay(card):
         log.info(fmt(card))
     """, """
     def fmt(card):
         return "%s/%s" % (card["brand"], card["exp_month"])

     def pay(card):
         log.info(fmt(card))
     """),
    # masked helpers (the summary shows every return is sanitized)
    ("""
     def show(n):
         return n

     def pay(card_number):
         log.info(show(card_number))
     """, """
     def show(n):
         return "*" * (len(n) - 4) + n[-4:]

     def pay(card_number):
         log.info(show(card_number))
     """),
    # tuple unpacking, augmented assignment
    ("""
     def pay(request):
         a, b = request.POST["card_number"], 5
         text = "x"
         text += a
         log.info(text)
     """, """
     def pay(request):
         a, b = 5, request.POST["card_number"]
         log.info(a)
     """),
    # for loops, comprehensions, walrus, lambdas
    ("""
     def pay(cards):
         for card in cards:
             log.info([x for x in (card["number"],)])
     """, """
     def pay(cards):
         for card in cards:
             log.info([x for x in (card["last4"],)])
     """),
    ("""
     def pay(request):
         if (n := request.form.get("card_number")):
             log.info(n)
     """, """
     def pay(request):
         if (n := request.form.get("card_number")):
             log.info(len(n))
     """),
    ("""
     def pay(pan):
         f = lambda: pan
         log.info(f())
     """, """
     def pay(pan):
         f = lambda: len(pan)
         log.info(f())
     """),
    # keyword arguments and **kwargs
    ("""
     def pay(pan):
         extra = {"card": pan}
         log.info("paid", extra=extra)
     """, """
     def pay(pan):
         extra = {"card": pan[-4:]}
         log.info("paid", extra=extra)
     """),
    ("""
     def audit(**fields):
         log.info("audit %s", fields)

     def pay(cvc):
         audit(code=cvc)
     """, """
     def audit(**fields):
         log.info("audit %s", fields)

     def pay(cvc):
         audit(code=len(cvc))
     """),
    # string methods
    ("""
     def pay(card_number):
         clean = card_number.replace(" ", "").strip()
         log.info(clean.upper())
     """, """
     def pay(card_number):
         log.info(card_number.replace(" ", "").isdigit())
     """),
    # `with ... as`
    ("""
     def pay(request):
         with request.form["card_number"] as n:
             log.info(n)
     """, """
     def pay(request):
         with request.form["name"] as n:
             log.info(n)
     """),
])
def test_flow_bad_and_good_twin(bad, good):
    assert hits(LOGGER + textwrap.dedent(bad)), "bad case not flagged"
    assert not hits(LOGGER + textwrap.dedent(good)), "good twin flagged"


@pytest.mark.parametrize("code", [
    # len, hmac, hashlib, comparisons, bool
    """
    import hashlib, hmac
    def pay(pan, key):
        log.info("%d %s %s", len(pan), hmac.new(key, pan.encode(), hashlib.sha256).hexdigest(),
                 hashlib.sha256(pan.encode()).hexdigest())
        log.info("%s %s", pan == "x", bool(pan))
    """,
    # look-alike names
    """
    def pay(pan_x, span, card_count, card_title, company, scorecard):
        log.info("%s %s %s %s %s %s", pan_x, span, card_count, card_title, company, scorecard)
    """,
    # Stripe objects: ids and last4
    """
    import stripe
    def pay(pm_id):
        pm = stripe.PaymentMethod.retrieve(pm_id)
        log.info("%s %s %s %s", pm.id, pm.card.last4, pm.card.brand, pm.card.exp_month)
        intent = stripe.PaymentIntent.create(amount=1, currency="usd", payment_method=pm.id)
        log.info("intent %s", intent)
    """,
    # named sanitizers
    """
    def pay(card_number):
        log.info(mask_pan(card_number))
        log.info(redact(card_number))
        log.info(truncate_card(card_number))
    """,
    # request fields that are not card data
    """
    def pay(request):
        log.info(request.POST["amount"], request.form.get("email"), request.GET.get("payment_method_id"))
    """,
    # a card-named constant is configuration, not card data
    """
    CARD_NUMBER_FIELD = "card_number"
    def pay():
        log.info("field %s", CARD_NUMBER_FIELD)
    """,
])
def test_clean_code_stays_clean(code):
    assert not hits(LOGGER + textwrap.dedent(code))


def test_request_sources_of_each_framework():
    code = LOGGER + textwrap.dedent("""
        import json
        from flask import request

        def flask_view():
            data = request.get_json()
            log.info(data["card_number"])

        def django_view(request):
            body = json.loads(request.body)
            log.info(body["cvc"])

        async def starlette_view(request):
            payload = await request.json()
            log.info(payload.get("pan"))

        def drf_view(self, request):
            log.info(self.request.data["cvv"])
    """)
    msgs = {f.line: f.message for f in findings(code)}
    assert sorted(msgs) == [9, 13, 17, 20]
    assert "read from request.get_json()" in msgs[9]
    assert "read from json.loads(request.body)" in msgs[13]
    assert "read from request.json()" in msgs[17]


def test_db_rows_whose_select_names_card_columns():
    bad = LOGGER + textwrap.dedent("""
        def load(conn):
            cur = conn.cursor()
            cur.execute("SELECT id, card_number FROM payments")
            for row in cur.fetchall():
                log.info("row %s", row)
    """)
    good = bad.replace("card_number", "card_last4")
    assert hits(bad) == [("PCI101", 8)]
    assert hits(good) == []


def test_pan_literal_is_a_source_and_is_masked_in_output():
    code = LOGGER + 'def t():\n    log.info("4242 4242 4242 4242")\n'
    [f] = findings(code)
    assert "4242 **** **** 4242" in f.message or "4242…4242" in f.message
    assert "4242 4242 4242 4242" not in f.message + "".join(s.note for s in f.trace)


def test_message_and_trace_follow_the_contract():
    code = textwrap.dedent("""
        import logging
        from flask import request

        logger = logging.getLogger(__name__)


        def pay():
            card_number = request.form["card_number"]
            amount = 5
            logger.info(
                "paying %s", card_number)
    """)
    [f] = findings(code)
    assert (f.rule_id, f.line) == ("PCI101", 11)
    assert f.message == ("card number `card_number` (read from request.form at line 9) "
                         "reaches logger.info")
    assert [(s.line, s.note) for s in f.trace] == [
        (9, "card_number read from request.form"), (11, "reaches logger.info")]


def test_one_finding_per_line_per_rule():
    code = LOGGER + "def pay(pan, cvv):\n    log.info('%s %s', pan, cvv); log.info(pan)\n"
    assert hits(code) == [("PCI101", 4)]


def test_configured_sanitizers():
    code = LOGGER + "def pay(pan):\n    log.info(blank_out(pan))\n    log.info(vault.seal(pan))\n"
    assert len(hits(code)) == 1  # vault.seal: a method on an unknown object does not propagate
    settings = Settings(sanitizers=["blank_out"])
    assert hits(code, settings) == []
    code2 = LOGGER + "import vault\ndef pay(pan):\n    log.info(vault.seal(pan))\n"
    assert hits(code2) == [("PCI101", 5)]
    assert hits(code2, Settings(sanitizers=["vault.*"])) == []


def test_recursion_terminates():
    code = LOGGER + textwrap.dedent("""
        def a(x, n):
            return b(x, n - 1) if n else x

        def b(x, n):
            return a(x, n)

        def pay(pan):
            log.info(a(pan, 3))
    """)
    assert hits(code) == [("PCI101", 11)]


def test_reassigned_with_a_sanitized_value_is_clean():
    code = LOGGER + "def pay(card_number):\n    card_number = mask(card_number)\n    log.info(card_number)\n"
    assert hits(code) == []


def test_branches_merge():
    code = LOGGER + textwrap.dedent("""
        def pay(pan, full):
            if full:
                value = pan
            else:
                value = pan[-4:]
            log.info(value)
    """)
    assert hits(code) == [("PCI101", 9)]


def test_test_code_is_not_analysed_by_default():
    code = LOGGER + "def test_pay():\n    pan = '4242424242424242'\n    log.info(pan)\n"
    assert scan_snippet(code, "tests/test_pay.py", select=FLOW, rules=RULES).findings == []


def test_files_without_card_words_are_not_searched_for_sources():
    code = "def f(x):\n    return x.strip()\n"
    ctx = FileContext("m.py", code, "python", Settings(), cst.parse_module(code))
    flow = FileFlow(ctx)
    assert not flow.has_card
    flow.run()
    assert flow.facts.sources == []
    assert flow.facts.functions["f"].returns == frozenset({("p", "x")})


def test_strange_code_does_not_crash():
    code = textwrap.dedent("""
        match command:
            case {"card_number": n}:
                print(n)
        async def f(pan):
            return [x async for x in pan]
        class A:
            number: int = 1
            def g(self, *a, **k):
                global q
                del a
                yield from k
        x = (yield)
    """)
    result = scan_snippet(code, "app.py", select=FLOW, rules=RULES)
    assert result.error is None


# -- across modules -------------------------------------------------------------------------------
def test_helper_in_another_module_is_reported_at_the_sink_with_the_caller_in_the_trace(tmp_path):
    write_tree(tmp_path, {
        "shop/__init__.py": "",
        "shop/audit.py": """
            import logging

            audit_log = logging.getLogger("audit")


            def audit_event(event, value):
                audit_log.info("%s: %s", event, value)
        """,
        "shop/views.py": """
            from flask import request

            from shop.audit import audit_event
            from .audit import audit_event as audit2


            def pay():
                n = request.form["ccnum"]
                audit_event("payment", n)


            def refund():
                audit2("refund", request.form["amount"])
        """,
    })
    code, data, _ = run_json(["--select", "PCI101", "."], cwd=tmp_path)
    assert code == 1
    [f] = data["findings"]
    assert (f["path"], f["line"]) == ("shop/audit.py", 8)
    assert f["message"] == ("card number `value` (read from request.form at shop/views.py:9) "
                            "reaches audit_log.info")
    assert [(s["path"], s["line"]) for s in f["trace"]] == [
        ("shop/views.py", 9), ("shop/views.py", 10), ("shop/audit.py", 8)]


def test_relative_imports_and_sanitizing_helpers_across_modules(tmp_path):
    write_tree(tmp_path, {
        "pay/__init__.py": "",
        "pay/util/__init__.py": "",
        "pay/util/fmt.py": """
            def safe(n):
                return "*" * 12 + n[-4:]


            def raw(n):
                return f"card {n}"
        """,
        "pay/views.py": """
            import logging
            from .util.fmt import safe, raw

            log = logging.getLogger(__name__)


            def pay(card_number):
                log.info(safe(card_number))
                log.info(raw(card_number))
        """,
    })
    code, data, _ = run_json(["--select", "PCI101", "."], cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("pay/views.py", 10)]


def test_self_method_overridden_in_a_subclass(tmp_path):
    write_tree(tmp_path, {
        "gw/__init__.py": "",
        "gw/base.py": """
            import requests


            class Provider:
                def payload(self, data):
                    return {"amount": data["amount"]}

                def send(self, data):
                    requests.post("https://gw.example.com", json=self.payload(data))
        """,
        "gw/card.py": """
            from .base import Provider


            class CardProvider(Provider):
                def payload(self, data):
                    card = {"number": data["number"], "amount": data["amount"]}
                    return card
        """,
    })
    _, data, _ = run_json(["--select", "PCI411", "."], cwd=tmp_path)
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("gw/base.py", 10)]
