"""Regressions from the declared-card-data rules' audit (precision and recall on realistic code).  Each
behaviour has a clean twin where one makes sense."""

from __future__ import annotations

from pathlib import Path

from conftest import scan_snippet, write_tree

from pcilint.config import Settings
from pcilint.engine import Options, Scanner


def _hits(code: str, rule: str, path: str = "app/views.py") -> list[tuple[int, str]]:
    result = scan_snippet(code, path=path, select=[rule])
    return [(f.line, f.severity) for f in result.findings if f.rule_id == rule]


def _scan_tree(tmp_path: Path, files: dict[str, str], select: list[str]) -> set[tuple[str, str, int]]:
    write_tree(tmp_path, files)
    scanner = Scanner(Settings(), Options(jobs=1, select=select))
    result = scanner.scan([tmp_path], cwd=tmp_path)
    assert not result.errors
    return {(f.rule_id, f.path, f.line) for f in result.findings}


def test_two_reads_on_one_line_keep_the_higher_severity():
    code = """
        from flask import request

        def pay():
            data = request.get_json()
            charge(data["card_number"], data.get("cvc"))
            charge(data.get("cvc"), data["card_number"])
    """
    assert _hits(code, "PCI401") == [(6, "critical"), (7, "critical")]


def test_template_inputs_that_nobody_types_card_data_into():
    from pcilint.analysis.names import vocabulary
    from pcilint.checks.template_card_input import card_inputs

    html = """<form method="post">
      <input name="cvv" size="4">
      <input name="cid" value="{{ campaign.id }}">
      <input name="card_number" readonly value="**** {{ card.last4 }}">
      <input name="card_number" disabled>
      <input name="csc">
    </form>"""
    assert [(line, name) for line, _, name, _ in card_inputs(html, vocabulary())] == [
        (2, "cvv"), (6, "csc")]


def test_request_model_reexported_by_its_package(tmp_path):
    found = _scan_tree(tmp_path, {
        "app/__init__.py": "",
        "app/schemas/__init__.py": "from .payments import ChargeIn, ReceiptOut\n",
        "app/schemas/payments.py": """
            from pydantic import BaseModel

            class ChargeIn(BaseModel):
                card_number: str

            class ReceiptOut(BaseModel):
                card_number: str
        """,
        "app/routes.py": """
            from fastapi import APIRouter
            from app.schemas import ChargeIn, ReceiptOut

            router = APIRouter()

            @router.post("/charge", response_model=ReceiptOut)
            def charge(body: ChargeIn):
                return {}
        """,
    }, ["PCI404"])
    assert found == {("PCI404", "app/schemas/payments.py", 5)}


def test_model_fields_through_project_field_types_and_reexports(tmp_path):
    found = _scan_tree(tmp_path, {
        "core/__init__.py": "",
        "core/fields.py": """
            from django.db import models

            class UpperCharField(models.CharField):
                pass

            class TrimmedField(UpperCharField):
                pass

            class Unrelated:
                pass
        """,
        "core/db/__init__.py": "from django.db.models import CharField, Model  # noqa\n",
        "billing/__init__.py": "",
        "billing/models.py": """
            from core import db
            from core.db import CharField, Model
            from core.fields import TrimmedField, Unrelated, UpperCharField

            class CardOnFile(Model):
                card_number = CharField(max_length=19)
                cvv2 = db.CharField(max_length=4)
                cvc = TrimmedField(max_length=4)
                security_code = UpperCharField(max_length=4)
                last4 = CharField(max_length=4)
                pan = Unrelated()
        """,
    }, ["PCI201"])
    assert found == {("PCI201", "billing/models.py", n) for n in (7, 8, 9, 10)}


def test_project_field_types_through_several_modules_without_card_words(tmp_path):
    # core/ has no card words (the prefilter skips it): the closure asks core/fields.py for
    # TrimmedField, follows its local base to core/base.py, and leaves core/other.py alone
    files = {
        "core/__init__.py": "",
        "core/base.py": """
            from django.db import models

            class BaseTextField(models.CharField):
                pass
        """,
        "core/other.py": "from django.db import models\n\nclass SlugishField(models.SlugField):\n"
                         "    pass\n",
        "core/fields.py": """
            from core.base import BaseTextField
            from core.other import SlugishField  # noqa

            class UpperCharField(BaseTextField):
                pass

            class TrimmedField(UpperCharField):
                pass
        """,
        "billing/__init__.py": "",
        "billing/models.py": """
            from django.db import models
            from core.fields import TrimmedField

            class CardOnFile(models.Model):
                cvc = TrimmedField(max_length=4)
        """,
    }
    assert _scan_tree(tmp_path, files, ["PCI201"]) == {("PCI201", "billing/models.py", 6)}
