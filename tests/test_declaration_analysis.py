"""Specifications of the analysis helpers of the declared-card-data rules: SQL columns, request
reads, template inputs, declared names.  Each behaviour has a clean twin."""

from __future__ import annotations

import libcst as cst
import pytest

from pcilint.analysis.declarations import annotation_card_kind, declared_card_data, is_card_class
from pcilint.analysis.imports import ImportTable
from pcilint.analysis.names import vocabulary
from pcilint.analysis.requests import RequestAliases, card_request_read, request_body_origin
from pcilint.analysis.sql import written_columns
from pcilint.checks.template_card_input import card_inputs

from conftest import scan_snippet

VOCAB = vocabulary()


def _cols(sql: str) -> list[tuple[str, str]]:
    return [(c.table, c.column) for c in written_columns(sql)]


# -- SQL ----------------------------------------------------------------------------------------
def test_sql_insert_columns_are_read_from_the_column_list_only():
    assert _cols("INSERT INTO cards (a, card_number) VALUES ('cvv', 'pan')") == [
        ("cards", "a"), ("cards", "card_number")]


def test_sql_comments_and_string_values_are_not_columns():
    assert _cols("UPDATE t SET note = 'card_number; cvv' -- cvv = 1\nWHERE id = 1") == [("t", "note")]


def test_sql_where_and_select_columns_are_not_written():
    assert _cols("UPDATE cards SET status = %s WHERE card_number = %s") == [("cards", "status")]
    assert _cols("SELECT card_number, cvv FROM cards") == []


def test_sql_quoted_identifiers_and_schemas():
    assert _cols('INSERT INTO billing."cards" ("card_number", `cvv`, [pan]) VALUES (?, ?, ?)') == [
        ("cards", "card_number"), ("cards", "cvv"), ("cards", "pan")]


def test_sql_create_table_skips_constraints():
    cols = _cols("CREATE TEMP TABLE x (id int, pan text, PRIMARY KEY (id), "
                 "CONSTRAINT fk FOREIGN KEY (pan) REFERENCES y(id))")
    assert cols == [("x", "id"), ("x", "pan")]


def test_sql_upsert_targets_are_written():
    assert ("t", "cvv") in _cols(
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET cvv = excluded.cvv")
    assert ("t", "cvv") in _cols("INSERT INTO t (id) VALUES (1) ON DUPLICATE KEY UPDATE cvv = 2")


@pytest.mark.parametrize("prose", [
    "Please update your card number in settings",
    "Insert into the slot your card number",
    "We create table cards for you",
    "ALTER TABLE",
    "INSERT INTO (",
    "UPDATE",
    "",
])
def test_sql_prose_and_fragments_write_nothing(prose):
    assert _cols(prose) == []


def test_sql_rule_ignores_docstrings_and_reports_once_per_literal():
    code = '''
    def f(cur):
        """INSERT INTO cards (card_number) VALUES (?)"""
        cur.execute("INSERT INTO cards (card_number, "
                    "cvv) VALUES (?, ?)")
    '''
    result = scan_snippet(code, select=["PCI202"])
    assert [(f.line, f.severity) for f in result.findings] == [(4, "critical")]


# -- requests -----------------------------------------------------------------------------------
def _expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


@pytest.mark.parametrize("code,origin", [
    ("request.form", "request.form"),
    ("request.POST", "request.POST"),
    ("self.request.GET", "request.GET"),
    ("request.get_json()", "request.get_json()"),
    ("await request.json()", "request.json()"),
    ("json.loads(request.body)", "json.loads(request.body)"),
    ("json.loads(request.body.decode())", "json.loads(request.body)"),
    ("request.form.to_dict()", "request.form"),
    ("request.get_json() or {}", "request.get_json()"),
])
def test_request_bodies(code, origin):
    imports = ImportTable(names={"json": "json"})
    assert request_body_origin(_expr(code), imports) == origin


@pytest.mark.parametrize("code", [
    "response.json()", "requests.get(url).json()", "request.headers", "request.body",
    "json.loads(payload)", "session.data", "request.user",
])
def test_not_request_bodies(code):
    assert request_body_origin(_expr(code), ImportTable(names={"json": "json"})) is None


@pytest.mark.parametrize("code,kind", [
    ('request.form["card_number"]', "pan"),
    ('request.POST.get("cvc", "")', "sad"),
    ('request.json["card"]["number"]', "pan"),
    ('request.json.get("card", {}).get("cvc")', "sad"),
    ('request.args.getlist("ccnum")', "pan"),
])
def test_card_reads(code, kind):
    read = card_request_read(_expr(code), VOCAB)
    assert read is not None and read.kind == kind


@pytest.mark.parametrize("code", [
    'request.form["card_last4"]', 'request.form["card_brand"]', 'request.json["number"]',
    'request.POST["payment_method_id"]', 'request.form["pan_x"]', 'request.args["card_count"]',
    'config["card_number"]', 'request.form[key]', 'request.headers["cvv"]',
])
def test_not_card_reads(code):
    assert card_request_read(_expr(code), VOCAB) is None


def test_aliases_follow_assignments_in_order():
    aliases = RequestAliases()
    aliases.assign(cst.Name("data"), _expr("request.get_json()"), None, VOCAB)
    aliases.assign(cst.Name("card"), _expr('data["card"]'), None, VOCAB)
    assert card_request_read(_expr('card["number"]'), VOCAB, None, aliases).kind == "pan"
    aliases.assign(cst.Name("card"), _expr("load_card()"), None, VOCAB)  # rebound: no longer a body
    assert card_request_read(_expr('card["number"]'), VOCAB, None, aliases) is None


def test_request_read_is_reported_at_the_subscript_line():
    code = '''
    def view(request):
        value = (
            request.POST["card_number"]
        )
    '''
    result = scan_snippet(code, select=["PCI401"])
    assert [f.line for f in result.findings] == [4]


# -- templates ----------------------------------------------------------------------------------
def test_template_inputs_by_name_id_and_autocomplete():
    html = ('<input name="card[number]">\n<input name="x" id="cvc">\n'
            '<input name="y" autocomplete="shipping cc-number">\n<input id="card-number">\n'
            '<input name="cc-exp" autocomplete="cc-exp">\n<input type="submit" name="cvc">\n')
    assert [(line, kind) for line, _, _, kind in card_inputs(html, VOCAB)] == [
        (1, "pan"), (2, "sad"), (3, "pan")]


@pytest.mark.parametrize("broken", [
    "<input name='cvc", "<<<input name=cvc>>>", "{% if %}<input name=\"{{ x }}\" id=\"cvc\"",
    "<input name=\"cvc\" {% for x in y %}{{ x }}{% endfor %}>", "\x00\x01<input", "<!-- <input name=cvc",
])
def test_malformed_templates_never_crash(broken):
    card_inputs(broken, VOCAB)


def test_weak_template_names_need_a_strong_sibling():
    assert card_inputs('<input type="hidden" name="cid" value="1">', VOCAB) == []
    lines = [line for line, *_ in card_inputs('<input name="cid">\n<input name="card_number">', VOCAB)]
    assert lines == [1, 2]


# -- declarations -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,cls,kind", [
    ("card_number", None, "pan"), ("number", "CreditCard", "pan"), ("number", "CardForm", "pan"),
    ("number", "PaymentCardIn", "pan"), ("number", "Order", None), ("number", "CardTokenSerializer", None),
    ("pan", "Customer", None), ("pan", "Payment", "pan"), ("cid", "Comment", None),
    ("cid", "CardDetails", "sad"), ("cvv_check", "Card", None), ("card_number_last4", None, None),
])
def test_declared_card_data(name, cls, kind):
    assert declared_card_data(name, VOCAB, cls) == kind


def test_weak_name_is_corroborated_by_a_strong_sibling():
    assert declared_card_data("pan", VOCAB, "Record", ["pan", "cvv"]) == "pan"
    assert declared_card_data("pan", VOCAB, "Record", ["pan", "cvv_check"]) is None


@pytest.mark.parametrize("name,expected", [
    ("CreditCard", True), ("CardForm", True), ("Scorecard", False), ("CardGame", False),
    ("DiscardForm", False), ("BaseCardSerializer", True), ("CardBrand", False),
])
def test_is_card_class(name, expected):
    assert is_card_class(name, VOCAB) is expected


@pytest.mark.parametrize("ann,kind", [
    ("str", "scalar"), ("Optional[str]", "scalar"), ("str | None", "scalar"), ("Mapped[str]", "scalar"),
    ("Annotated[str, Form()]", "scalar"), ("constr(min_length=13)", "scalar"),
    ("PaymentCardNumber", "pan"), ("Card", "other"), ("list[str]", "other"), ("Mapped['Card']", "other"),
])
def test_annotation_card_kind(ann, kind):
    assert annotation_card_kind(_expr(ann)) == kind


@pytest.mark.parametrize("code", [
    '''
    class PayHandler(tornado.web.RequestHandler):
        def post(self):
            number = self.get_body_argument("card_number")
    ''',
    '''
    def on_post(req, resp):
        cvv = req.get_param("cvv")
    ''',
    '''
    from bottle import request
    def pay():
        return request.forms.get("ccnum")
    ''',
    '''
    async def pay(request):
        data = await request.post()
        return data["card_number"]
    ''',
    '''
    from fastapi import Body
    @router.post("/pay")
    async def pay(payload: dict = Body(...)):
        return payload["cvc"]
    ''',
])
def test_more_frameworks_request_reads(code):
    result = scan_snippet(code, select=["PCI401"])
    assert len(result.findings) == 1, result.findings


@pytest.mark.parametrize("code", [
    '''
    class Handler:
        def post(self):
            pm = self.get_body_argument("payment_method_id")
            x = self.get_argument("card_last4")
    ''',
    '''
    def fetch(session):
        return session.get_param("cvv")  # not a request
    ''',
])
def test_more_frameworks_clean_twins(code):
    assert scan_snippet(code, select=["PCI401"]).findings == []


def test_weak_request_keys_need_a_card_context():
    clean = '''
    def track(request):
        campaign = request.args.get("cid")
    '''
    assert scan_snippet(clean, select=["PCI401"]).findings == []
    by_function = '''
    def checkout(request):
        pan = request.form["pan"]
    '''
    assert [f.line for f in scan_snippet(by_function, select=["PCI401"]).findings] == [3]
    by_sibling = '''
    def submit(request):
        a = request.form["cid"]
        b = request.form["card_number"]
    '''
    assert sorted(f.line for f in scan_snippet(by_sibling, select=["PCI401"]).findings) == [3, 4]


@pytest.mark.parametrize("code", [
    "class X(**kw):\n    card_number = models.CharField()\n",
    "class X(models.Model): card_number = models.CharField()\n",
    "class F(forms.ModelForm):\n    class Meta:\n        fields = [f for f in FIELDS]\n",
    "class F(forms.ModelForm):\n    class Meta:\n        fields = ('card_number' 'x', 1, None)\n",
    "import sqlalchemy as sa\nsa.Column()\nsa.Column(**kw)\nsa.Column(*args)\n",
    "x = f'INSERT INTO {t} ({cols}) VALUES ({vals})'\n",
    "x = b'INSERT INTO cards (card_number) VALUES (?)'\n",
    "x = '\\xff INSERT INTO \"unterminated (card_number'\n",
    "@lru_cache\n@\\\n  staticmethod\ndef f(*, cvv, **kw): pass\n",
    "def view(request):\n    request.form[0]\n    request.form[\"a\", \"b\"]\n    request.form.get()\n    request.form.get(**kw)\n",
    "class A(B):\n    pass\nclass B(A):\n    card_number: str\n",
    "from pydantic import BaseModel\nclass A(A):\n    cvv: str\n@app.post('/')\ndef f(a: A): pass\n",
])
def test_odd_code_never_crashes(code):
    rules = ["PCI201", "PCI202", "PCI320", "PCI401", "PCI402", "PCI403", "PCI404"]
    result = scan_snippet(code, select=rules)
    assert result.error is None
