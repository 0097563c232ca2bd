"""The declared-card-data rules (PCI201-202, PCI320, PCI401-405) on realistic multi-module apps.

Each fixture is scanned from its own directory (so paths are app-relative and not test code) and the
findings must be exactly the expected (rule, path, line) set: every look-alike in the fixtures
(`card_last4`, `card_brand`, `exp_month`, `payment_method_id`, `cvc_check`, `card_count`, masked
columns, relations named `credit_card`, a tax-id `pan`, Stripe Elements inputs, a downgrade that re-adds
a dropped column...) must stay clean.
"""

from __future__ import annotations

from conftest import FIXTURES, run_json

STRUCTURAL = "PCI201,PCI202,PCI320,PCI401,PCI402,PCI403,PCI404,PCI405"


def _scan(name: str) -> tuple[set[tuple[str, str, int]], dict]:
    code, doc, _ = run_json(["--select", STRUCTURAL, "."], cwd=FIXTURES / name)
    assert doc["errors"] == []
    found = {(f["rule_id"], f["path"], f["line"]) for f in doc["findings"]}
    assert code == (1 if found else 0)
    return found, doc


def test_storage_models_app_findings_are_exact():
    found, doc = _scan("storage_models")
    assert found == {
        # Django: a PAN and a CVV column on a model whose abstract base lives in another module
        ("PCI201", "shop/models.py", 23),
        ("PCI201", "shop/models.py", 24),
        # `number` on a CreditCard model is the card number
        ("PCI201", "shop/models.py", 29),
        # SQLAlchemy 2.0 declarative: mapped_column and a bare Mapped[...] annotation; Core Table column
        ("PCI201", "billing/tables.py", 22),
        ("PCI201", "billing/tables.py", 23),
        ("PCI201", "billing/tables.py", 34),
        # Beanie document through a project base class in another module (relative import);
        # mongoengine field
        ("PCI201", "billing/documents.py", 8),
        ("PCI201", "billing/documents.py", 14),
        # Alembic upgrade creating a cvv column (the downgrade that re-adds it is not reported)
        ("PCI201", "migrations/versions/1b7c_create.py", 16),
        # raw SQL: CREATE TABLE with pan, a multi-line INSERT, an f-string UPDATE
        ("PCI202", "billing/repository.py", 4),
        ("PCI202", "billing/repository.py", 32),
        ("PCI202", "billing/repository.py", 39),
    }
    severities = {(f["path"], f["line"]): f["severity"] for f in doc["findings"]}
    assert severities[("shop/models.py", 23)] == "high"
    assert severities[("shop/models.py", 24)] == "critical"  # SAD
    assert severities[("billing/repository.py", 32)] == "critical"  # INSERT writes cvv


def test_transmission_app_findings_are_exact():
    found, doc = _scan("transmission_app")
    assert found == {
        # FastAPI: Form() parameter named cvv; a read from `await request.form()`
        ("PCI401", "app/api/routes.py", 24),
        ("PCI401", "app/api/routes.py", 26),
        # pydantic request bodies: OrderIn (route parameter, module-qualified) -> card: CardCreate ->
        # base CardBase (aliased `cardNumber`); CardOut/ChargeIn stay clean
        ("PCI404", "app/api/schemas.py", 9),
        ("PCI404", "app/api/schemas.py", 15),
        # GatewayPayload is no request body, but a card-number schema in the app's schema module
        # (issue 16 §2: reported without request-body proof)
        ("PCI404", "app/api/schemas.py", 43),
        # Flask with `request` imported as `req`, through `payload = req.get_json(...) or {}`
        ("PCI401", "app/flask_app.py", 12),
        ("PCI401", "app/flask_app.py", 19),
        # Django form, ModelForm Meta.fields string, WTForms fields named by their labels
        ("PCI402", "app/forms.py", 11),
        ("PCI402", "app/forms.py", 13),
        ("PCI402", "app/forms.py", 25),
        ("PCI402", "app/forms.py", 29),
        ("PCI402", "app/forms.py", 30),
        # DRF serializer (the ModelSerializer's masked SerializerMethodField is clean)
        ("PCI403", "app/serializers.py", 9),
        ("PCI403", "app/serializers.py", 10),
        # lru_cache and Flask-Caching memoize on functions taking card data (decorator line)
        ("PCI320", "app/services/gateway.py", 12),
        ("PCI320", "app/services/gateway.py", 17),
        # Django views: request.POST, json.loads(request.body) -> card object -> "number", self.request
        ("PCI401", "app/views.py", 12),
        ("PCI401", "app/views.py", 13),
        ("PCI401", "app/views.py", 23),
        ("PCI401", "app/views.py", 29),
        # template: named card-number input, multi-line CVC input with a Django-rendered name
        ("PCI405", "templates/shop/checkout.html", 6),
        ("PCI405", "templates/shop/checkout.html", 9),
    }
    by_line = {(f["path"], f["line"]): f for f in doc["findings"]}
    assert by_line[("templates/shop/checkout.html", 9)]["severity"] == "critical"
    assert "request.POST" in by_line[("app/views.py", 12)]["message"]
    assert by_line[("app/api/schemas.py", 15)]["rule_id"] == "PCI404"
