"""Flow analysis specs added by the flow audit: exact lines, nested helpers, object state, typed
receivers, re-exports, module globals.  Each spec has a bad case and, where it matters, a clean twin."""

from __future__ import annotations

import textwrap

from conftest import run_json, scan_snippet, write_tree
from pcilint.ruleset import load_rules

FLOW = ["PCI1", "PCI21", "PCI3", "PCI41"]
RULES = load_rules()
LOGGER = "import logging\nlog = logging.getLogger(__name__)\n"


def hits(code: str, path: str = "app.py"):
    result = scan_snippet(LOGGER + textwrap.dedent(code), path, select=FLOW, rules=RULES)
    assert result.error is None
    return [(f.rule_id, f.line) for f in result.findings]


def project_hits(tmp_path, files: dict[str, str]):
    write_tree(tmp_path, files)
    code, doc, _ = run_json(["--select", ",".join(FLOW), str(tmp_path)])
    return sorted((f["rule_id"], f["path"].rsplit("/", 1)[-1], f["line"]) for f in doc["findings"])


def test_identical_statements_are_reported_at_the_one_that_carries_card_data():
    code = """
    def process(request):
        value = request.POST.get("amount")
        log.info("value=%s", value)
        value = request.POST.get("card_number")
        log.info("value=%s", value)

    class Handler:
        def first(self, request):
            item = request.GET.get("sku")
            log.info("item %s", item)

        def second(self, request):
            item = request.GET.get("sku")
            log.info("item %s", item)
            item = request.GET.get("cvv")
            log.info("item %s", item)
    """
    assert hits(code) == [("PCI101", 8), ("PCI101", 19)]


def test_nested_helper_receives_card_data_from_its_enclosing_function():
    code = """
    def pay(request):
        def audit(x):
            log.info("x=%s", x)
        audit(request.POST.get("amount"))
        audit(request.POST.get("card_number"))

    def refund(request):
        def audit(x):
            log.info("x=%s", x)
        audit(request.POST.get("amount"))
    """
    assert hits(code) == [("PCI101", 6)]


def test_object_state_written_in_one_method_and_logged_in_another():
    code = """
    class CheckoutView:
        def post(self, request):
            self.submitted = request.POST["card_number"]
            self.amount = request.POST["amount"]
            self.items = []
            self.items.append(request.POST["cvv"])
            self.trace()

        def trace(self):
            log.info("amount=%s", self.amount)
            log.info("submitted=%s", self.submitted)
            log.info("items=%s", self.items)

    class RefundView:
        def post(self, request):
            self.submitted = request.POST["charge"]
            self.handlers = {}

        def trace(self):
            log.info("submitted=%s", self.submitted)
            self.handlers.update(x=1)
            log.info("handlers=%s", self.handlers)
    """
    assert hits(code) == [("PCI101", 14), ("PCI101", 15)]


def test_module_globals_assigned_or_mutated_in_functions():
    code = """
    _last = None
    RECENT = []
    COUNTS = []

    def remember(card_number):
        global _last
        _last = card_number
        RECENT.append(card_number)
        COUNTS.append(len(card_number))

    def dump():
        log.info("last=%s", _last)
        log.info("recent=%s", RECENT)
        log.info("counts=%s", COUNTS)
    """
    assert hits(code) == [("PCI101", 15), ("PCI101", 16)]


def test_methods_on_objects_of_project_classes_across_modules(tmp_path):
    files = {
        "core/__init__.py": "",
        "core/adapters/__init__.py": """
            from .store import CardStore
            from . import export as exporters
        """,
        "core/adapters/store.py": """
            import logging
            log = logging.getLogger(__name__)

            class CardStore:
                def put(self, key, value):
                    log.info("put %s=%s", key, value)

                def put_status(self, key, status):
                    log.info("status %s=%s", key, status)
        """,
        "core/adapters/export.py": """
            import pickle

            def write(path, record):
                with open(path, "wb") as fh:
                    pickle.dump(record, fh)
        """,
        "core/service.py": """
            from core.adapters import CardStore, exporters

            class Repo:
                def save(self, value):
                    pass

            class CheckoutService:
                def __init__(self, store: CardStore, repo=None):
                    self.store = store
                    self.repo = repo or Repo()

                def run(self, order_id, number):
                    self.store.put(order_id, number)
                    self.store.put_status(order_id, "pending")
                    exporters.write("/tmp/x", {"order": order_id, "value": number})

            def handle(request):
                service = CheckoutService(CardStore())
                service.run(request.POST["order"], request.POST["card_number"])
        """,
    }
    assert project_hits(tmp_path, files) == [("PCI101", "store.py", 7), ("PCI212", "export.py", 6)]


def test_package_reexport_is_followed(tmp_path):
    files = {
        "shop/__init__.py": "from .audit import audit_event\n",
        "shop/audit.py": """
            import logging
            _log = logging.getLogger("audit")

            def audit_event(event, **fields):
                _log.info("audit %s %s", event, fields)
        """,
        "shop/views.py": """
            from flask import request
            from shop import audit_event

            def pay():
                audit_event("attempt", card=request.form["card_number"])
        """,
    }
    assert project_hits(tmp_path, files) == [("PCI101", "audit.py", 6)]


def test_value_objects_in_a_models_module_are_not_orm_models(tmp_path):
    files = {
        "orders/__init__.py": "",
        "orders/models.py": """
            from dataclasses import dataclass
            from django.db import models
            from pydantic import BaseModel

            @dataclass
            class Card:
                number: str
                cvc: str

            class CardIn(BaseModel):
                card_number: str

            class StoredCard(models.Model):
                number = models.CharField(max_length=19)

            class Resource(object):
                pass

            class Transaction(Resource):
                @classmethod
                def create(cls, params):
                    return cls()
        """,
        "orders/views.py": """
            from .models import Card, CardIn, StoredCard, Transaction

            def pay(form):
                card = Card(number=form["card_number"], cvc=form["cvc"])
                body = CardIn(card_number=form["card_number"])
                Transaction.create({"credit_card": form["card_number"]})
                StoredCard(number=form["card_number"])
        """,
    }
    assert [h for h in project_hits(tmp_path, files) if h[0] == "PCI210"] == [("PCI210", "views.py", 8)]


def test_request_reads_agree_with_the_request_recognizer():
    code = """
    import bottle
    from django.http import HttpRequest

    def django_view(r: HttpRequest):
        log.info("pan %s", r.POST["card_number"])

    def falcon_on_post(req, resp):
        log.info("body %s", req.media["cvv"])
        log.info("param %s", req.get_param("card_number"))

    class TornadoHandler:
        def post(self):
            log.info("arg %s", self.get_argument("cvc"))

    def bottle_view():
        log.info("form %s", bottle.request.forms.get("cc_number"))

    async def aiohttp_view(request):
        body = await request.json()
        card = body["card"]
        log.info("card %s", card)
        log.info("brand %s", card["brand"])

    def clean(r: HttpRequest, req):
        log.info("amount %s", r.POST["amount"])
        log.info("token %s", req.get_param("token"))
    """
    assert hits(code) == [("PCI101", 8), ("PCI101", 11), ("PCI101", 12), ("PCI101", 16),
                          ("PCI101", 19), ("PCI101", 24)]
