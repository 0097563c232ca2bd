"""Input schemas with card fields that are no FastAPI request body (issue 16 §2): GraphQL inputs
(graphene, strawberry, SDL strings for ariadne) and pydantic models that map stored rows or live in a
schema module - PCI404, with how the field receives the card data in the message."""

from __future__ import annotations

from conftest import scan_snippet, write_tree
from pcilint.checks.card_field import sdl_inputs
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.ruleset import load_rules

RULES = load_rules()


def pci404(code: str, path: str = "app/api.py"):
    result = scan_snippet(code, path=path, select=["PCI404"], rules=RULES)
    assert result.error is None
    return sorted((f.line, f.severity) for f in result.findings), [f.message for f in result.findings]


def scan_tree(tmp_path, files):
    write_tree(tmp_path, files)
    scanner = Scanner(Settings(), Options(jobs=1, select=["PCI404"]), rules=RULES)
    result = scanner.scan([tmp_path], cwd=tmp_path)
    assert not result.errors
    return sorted((f.path, f.line) for f in result.findings), [f.message for f in result.findings]


# -- graphene -----------------------------------------------------------------------------------------
def test_graphene_input_types_and_mutation_arguments():
    found, messages = pci404('''
        import graphene
        from graphene import relay, InputObjectType, String

        class CardInput(InputObjectType):
            card_number = String(required=True)
            cvv = graphene.String()
            number = graphene.String()
            last4 = graphene.String()
            payment_method_id = graphene.ID()

        class Pay(graphene.Mutation):
            class Arguments:
                card_number = graphene.Argument(graphene.String)
                amount = graphene.Int()

            ok = graphene.Boolean()
            card_number = graphene.String()   # the mutation's output: not an input

        class AddCard(relay.ClientIDMutation):
            class Input:
                number = graphene.String()     # a number of `AddCard`: a card's

        class Refund(graphene.Mutation):
            class Arguments:
                number = graphene.String()     # a refund number, not a card's
        ''')
    assert found == [(6, "high"), (7, "critical"), (8, "high"), (14, "high"), (22, "high")]
    assert all("as a GraphQL input" in m for m in messages)
    assert messages[0].startswith("graphene input field `card_number` receives a card number")


def test_graphene_output_types_are_not_inputs():
    found, _ = pci404('''
        import graphene

        class CardType(graphene.ObjectType):
            card_number = graphene.String()
            last4 = graphene.String()

        class Query(graphene.ObjectType):
            card = graphene.Field(CardType)

        class Arguments:                        # not inside a mutation
            cvv = graphene.String()
        ''')
    assert found == []


# -- strawberry -----------------------------------------------------------------------------------------
def test_strawberry_inputs_are_inputs_and_types_are_not():
    found, messages = pci404('''
        import strawberry
        from typing import Optional

        @strawberry.input
        class CardInput:
            number: str
            cvc: Optional[str] = None
            brand: str = ""

        @strawberry.input(description="billing")
        class BillingInput:
            card_number: str

        @strawberry.type
        class Card:
            last4: str
            card_number: str
        ''')
    assert found == [(7, "high"), (8, "critical"), (13, "high")]
    assert messages[0].startswith("strawberry input type field `number`")


def test_a_strawberry_input_inheriting_card_fields_from_another_module(tmp_path):
    found, _ = scan_tree(tmp_path, {
        "app/__init__.py": "",
        "app/base.py": '''
            import strawberry

            @strawberry.input
            class CardFields:
                card_number: str
            ''',
        "app/inputs.py": '''
            import strawberry
            from app.base import CardFields

            @strawberry.input
            class ChargeInput(CardFields):
                amount: int
            ''',
    })
    assert found == [("app/base.py", 6)]


# -- SDL strings ----------------------------------------------------------------------------------------
SDL = '''
    "A card the customer types in {braces in a description}"
    input CardInput @oneOf {
        number: String!     # a comment { with braces }
        cvc: String
        expMonth: Int
    }

    type Card {
        number: String
        last4: String
    }

    type Mutation {
        payWithCard(cardNumber: String!, amount: Int): Boolean
        refund(number: String!): Boolean
    }
'''


def test_sdl_inputs_are_input_fields_and_arguments_only():
    found = [(name, owner) for _, name, owner, _ in sdl_inputs(SDL)]
    assert found == [("number", "CardInput"), ("cvc", "CardInput"), ("expMonth", "CardInput"),
                     ("cardNumber", "payWithCard"), ("amount", "payWithCard"),
                     ("number", "refund")]


def test_sdl_in_a_python_string_is_reported_at_the_field_inside_it():
    code = 'from ariadne import gql\n\ntype_defs = gql("""' + SDL + '""")\n'
    result = scan_snippet(code, path="app/schema.py", select=["PCI404"], rules=RULES)
    lines = code.splitlines()
    got = sorted((f.line, f.column) for f in result.findings)
    assert [(n, lines[n - 1][c - 1:].split(":")[0].split("(")[0]) for n, c in got] == [
        (6, "number"), (7, "cvc"), (17, "cardNumber")]


def test_a_one_line_sdl_string_and_strings_that_are_not_sdl():
    found, _ = pci404('''
        SCHEMA = "input PayInput { cardNumber: String! amount: Int }"
        HELP = "type your card number {here}"
        TEMPLATE = "{card_number} {cvc}"
        BROKEN = "input X { number: "
        ''')
    assert found == [(2, "high")]


def test_the_exact_column_of_a_one_line_sdl_field():
    result = scan_snippet('S = "input PayInput { cardNumber: String! }"\n', select=["PCI404"],
                          rules=RULES)
    (f,) = result.findings
    assert 'S = "input PayInput { cardNumber'[f.column - 1:].startswith("cardNumber")


# -- pydantic: stored rows, schema modules ---------------------------------------------------------------
def test_pydantic_models_that_map_stored_rows():
    found, messages = pci404('''
        from pydantic import BaseModel, ConfigDict

        class ORMBase(BaseModel):
            class Config:
                orm_mode = True

        class StoredCard(ORMBase):
            card_number: str

        class V2(BaseModel):
            model_config = ConfigDict(from_attributes=True)
            cvv: str

        class V2Dict(BaseModel):
            model_config = {"from_attributes": True}
            pan_value: str

        class Kw(BaseModel, orm_mode=True):
            card_no: str

        class Plain(BaseModel):               # neither stored nor a request body
            card_number: str

        class Off(BaseModel):
            model_config = ConfigDict(from_attributes=False)
            card_number: str

        class SafeStored(BaseModel):
            model_config = ConfigDict(from_attributes=True)
            last4: str
            brand: str
            payment_method_id: str
        ''')
    assert found == [(9, "high"), (13, "critical"), (17, "high"), (20, "high")]
    assert "from stored rows (`orm_mode`" in messages[0]
    assert "from stored rows (`from_attributes`" in messages[1]


def test_orm_mode_inherited_from_a_base_in_another_module(tmp_path):
    found, _ = scan_tree(tmp_path, {
        "app/__init__.py": "",
        "app/core.py": '''
            from pydantic import BaseModel

            class ORMModel(BaseModel):
                class Config:
                    orm_mode = True
            ''',
        "app/cards.py": '''
            from app.core import ORMModel

            class CardRow(ORMModel):
                card_number: str
                last4: str
            ''',
    })
    assert found == [("app/cards.py", 5)]


def test_schema_modules_input_schemas_are_reported_and_responses_are_not(tmp_path):
    found, messages = scan_tree(tmp_path, {
        "app/__init__.py": "",
        "app/schemas.py": '''
            from pydantic import BaseModel

            class PaymentCreate(BaseModel):
                card_number: str

            class PaymentOut(BaseModel):
                card_number: str

            class Receipt(BaseModel):
                cvv: str

            class Summary(BaseModel):
                last4: str
                brand: str
                payment_method_id: str
            ''',
        "app/routes.py": '''
            from fastapi import APIRouter
            from app.schemas import Receipt

            router = APIRouter()

            @router.get("/receipt", response_model=Receipt)
            def receipt():
                return {}
            ''',
        "app/models.py": '''
            from pydantic import BaseModel

            class GatewayCard(BaseModel):   # not a schema module, not a body: not reported
                card_number: str
            ''',
    })
    assert found == [("app/schemas.py", 5)]
    assert "in a schema module (`app.schemas`)" in messages[0]


def test_a_request_body_keeps_its_own_wording_in_a_schema_module(tmp_path):
    _, messages = scan_tree(tmp_path, {
        "app/__init__.py": "",
        "app/schemas/__init__.py": "",
        "app/schemas/pay.py": '''
            from pydantic import BaseModel

            class ChargeIn(BaseModel):
                card_number: str
            ''',
        "app/routes.py": '''
            from fastapi import FastAPI
            from app.schemas.pay import ChargeIn

            app = FastAPI()

            @app.post("/charge")
            def charge(body: ChargeIn):
                return {}
            ''',
    })
    assert len(messages) == 1 and "in a request body" in messages[0]


def test_input_schemas_in_tests_are_not_reported():
    found, _ = pci404('''
        import strawberry

        @strawberry.input
        class CardInput:
            number: str
        ''', path="tests/test_schema.py")
    assert found == []
