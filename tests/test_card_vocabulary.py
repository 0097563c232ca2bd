"""The card-data names real payment code uses beyond English snake_case (issue 16 §2): other
languages (folded to ASCII), ActiveMerchant-style `verification_value` and `number` on a card object,
CamelCase and upper-case field names; and the look-alikes that stay silent."""

from __future__ import annotations

import pytest

from conftest import scan_snippet
from pcilint.analysis.names import classify, fold, split_words
from pcilint.config import Settings
from pcilint.ruleset import load_rules

RULES = load_rules()


def lines(code: str, select=("PCI101",), path: str = "app/pay.py", settings=None):
    result = scan_snippet(code, path=path, select=list(select), rules=RULES, settings=settings)
    return sorted({(f.rule_id, f.line) for f in result.findings})


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [
    # Spanish
    "numero_tarjeta", "numeroTarjeta", "NumeroTarjeta", "numero_de_tarjeta", "num_tarjeta",
    "nro_tarjeta", "tarjeta_credito", "tarjeta_de_credito", "número_tarjeta", "númeroTarjeta",
    "numero_tarjeta_raw",
    # Portuguese
    "numero_cartao", "numero_do_cartao", "número_do_cartão", "cartao_credito", "cartão_de_crédito",
    # French
    "numero_carte", "numéro_de_carte", "carte_bancaire", "carte_bleue",
    # German
    "kartennummer", "Kartennummer", "kreditkartennummer", "KreditkartenNummer", "kartennr",
    # Italian, Dutch, Polish, Turkish, Russian, Indonesian, Czech, Swedish
    "numero_carta", "numero_della_carta", "carta_di_credito", "kaartnummer", "creditcardnummer",
    "numer_karty", "kart_numarasi", "kart_numarası", "kartNo", "kredi_karti", "kredi_kartı",
    "nomer_karty", "nomor_kartu", "cislo_karty", "číslo_karty", "kortnummer",
    # CamelCase / upper case
    "CardNumber", "cardNumber", "CARD_NUMBER", "CARD_NO", "CcNum", "CCNumber", "creditCardNumber",
])
def test_pan_names_in_other_languages_and_cases(name):
    assert classify(name) == "pan"


@pytest.mark.parametrize("name", [
    "verification_value", "verificationValue", "card_verification_value",
    "codigo_verificacion", "código_de_verificación", "codigo_seguridad", "codigoSeguridad",
    "codigo_de_seguridad", "codigo_seguranca", "código_de_segurança", "cryptogramme",
    "code_securite", "code_de_sécurité", "pruefziffer", "prüfziffer", "Prüfziffer",
    "kartenpruefnummer", "kartenprüfnummer", "sicherheitscode", "codice_sicurezza",
    "codice_di_sicurezza", "beveiligingscode", "kod_bezpieczenstwa", "kod_bezpieczeństwa",
    "guvenlik_kodu", "güvenlik_kodu", "kod_bezopasnosti", "CVV", "CVV2", "CVC", "Cvv",
])
def test_sad_names_in_other_languages_and_cases(name):
    assert classify(name) == "sad"


@pytest.mark.parametrize("name", [
    # `number` is card data only on a card object
    "number", "numero", "nummer", "number_of_cards", "numero_pedido", "numero_de_pedido",
    "numero_telefono", "numero_cuenta_id", "order_number", "kundennummer", "bestellnummer",
    "rechnungsnummer", "numero_commande", "numero_ordine", "ordernummer", "siparis_no",
    # other kinds of card, and safe words after the term
    "card_count", "card_title", "numero_tarjeta_regalo", "numero_carte_fidelite",
    "numero_tarjeta_id", "numero_tarjeta_masked", "tarjeta_credito_last4", "kartennummer_hash",
    "numero_carte_token",
    # other codes: postal codes, one-time codes, check digits of other things
    "codigo_postal", "codigo", "codigo_pedido", "codigo_verificacion_email", "email_verification_value",
    "otp_verification_value", "iban_pruefziffer", "code_postal", "code_securite_sociale",
    "verification_code", "sms_code", "pruefsumme",
    # accounts are not cards: `acct`/`ACCT_TYPE` and friends (only PayPal's exact `ACCT` is)
    "account_id", "acct", "Acct", "acct_id", "ACCT_TYPE", "ACCTTYPE", "acct_type", "ACCT_ID",
])
def test_look_alikes_are_not_card_data(name):
    assert classify(name) is None


def test_acct_is_card_data_only_as_paypals_exact_field_name():
    assert classify("ACCT") == "pan"
    assert classify("acct") is None and classify("Acct") is None


@pytest.mark.parametrize("text,folded", [
    ("número_tarjeta", "numero_tarjeta"), ("código_segurança", "codigo_seguranca"),
    ("prüfziffer", "prufziffer"), ("kart_numarası", "kart_numarasi"), ("Straße", "Strasse"),
    ("kod_bezpieczeństwa", "kod_bezpieczenstwa"), ("card_number", "card_number"),
])
def test_folding(text, folded):
    assert fold(text) == folded


def test_folded_words_split_like_ascii_ones():
    assert split_words("númeroTarjeta") == ("numero", "tarjeta")
    assert split_words("NúmeroDeTarjeta") == ("numero", "de", "tarjeta")


# -- in code ------------------------------------------------------------------------------------------
def test_a_card_objects_number_and_verification_value_are_card_data():
    assert lines('''
        import logging
        log = logging.getLogger(__name__)

        def charge(credit_card, card, cc, data):
            log.info("a %s", credit_card.number)
            log.info("b %s", card.number)
            log.info("c %s", cc.number)
            log.info("d %s", cc.verification_value)
            log.info("e %s", card["number"])
            log.info("f %s", data["card"]["number"])
            log.info("g %s", data["credit_card"]["verification_value"])
        ''') == [("PCI101", n) for n in range(6, 13)]


def test_number_on_anything_else_is_not_card_data():
    assert lines('''
        import logging
        log = logging.getLogger(__name__)

        def charge(order, phone, invoice, data, number_of_cards, card_count):
            log.info("a %s", order.number)
            log.info("b %s", phone.number)
            log.info("c %s", invoice["number"])
            log.info("d %s", data["order"]["number"])
            log.info("e %s %s", number_of_cards, card_count)
            log.info("f %s", data["scorecard"]["number"])
        ''') == []


def test_activemerchant_style_credit_card_class():
    assert lines('''
        import logging
        log = logging.getLogger(__name__)

        class CreditCard:
            def __init__(self, number, verification_value):
                self.number = number
                self.verification_value = verification_value

            def dump(self):
                log.info("card %s", self.number)
                log.info("cvv %s", self.verification_value)
        ''') == [("PCI101", 11), ("PCI101", 12)]


def test_a_file_whose_only_card_names_have_accents_is_analysed():
    # no ASCII card word anywhere: the prefilter and the flow's word search fold the text too
    code = '''
        import logging
        from flask import request
        log = logging.getLogger(__name__)

        def pagar():
            código_segurança = request.form.get("código_segurança")
            log.info("pago %s", código_segurança)
        '''
    assert lines(code, select=("PCI101", "PCI401")) == [("PCI101", 8), ("PCI401", 7)]


def test_spanish_and_german_request_fields_reach_a_log():
    assert lines('''
        import logging
        from flask import request
        log = logging.getLogger(__name__)

        def pagar():
            log.info("t %s", request.form["numero_tarjeta"])
            log.info("c %s", request.form["codigo_seguridad"])
            log.info("k %s", request.form["Kartennummer"])
            log.info("p %s", request.form["numero_pedido"])
            log.info("z %s", request.form["codigo_postal"])
        ''') == [("PCI101", 7), ("PCI101", 8), ("PCI101", 9)]


def test_upper_case_request_fields_are_card_data_and_upper_case_constants_are_not():
    assert lines('''
        import logging
        from flask import request
        log = logging.getLogger(__name__)
        FIELDS = {"CARD_NUMBER": "card_number"}

        def pay():
            log.info("a %s", request.form["CVV"])
            log.info("b %s", request.form["CARD_NO"])
            nvp = {"METHOD": "DoDirectPayment", "ACCT": request.form["ACCT"]}
            log.info("c %s", nvp)
            log.info("d %s", request.form["ACCT_TYPE"])
            log.info("e %s", FIELDS["CARD_NUMBER"])
            log.info("f %s", request.form["ACCTTYPE"])
        ''') == [("PCI101", 8), ("PCI101", 9), ("PCI101", 11)]


def test_users_extend_the_vocabulary_in_their_language_with_accents():
    settings = Settings(sensitive_names={"pan": ["número_de_cartão_interno"], "sad": ["clé_carte"]})
    code = '''
        import logging
        log = logging.getLogger(__name__)

        def f(numero_de_cartao_interno, cle_carte, cle):
            log.info("a %s", numero_de_cartao_interno)
            log.info("b %s", cle_carte)
            log.info("c %s", cle)
        '''
    assert lines(code, settings=settings) == [("PCI101", 6), ("PCI101", 7)]
    assert lines(code) == []


# -- the rule examples this issue added: exactly the `# ruleid:` lines are reported ----------------
def _marked(code: str, rule_id: str) -> list[int]:
    lines_ = code.splitlines()
    return sorted(i + 2 for i, line in enumerate(lines_)
                  if line.strip() == f"# ruleid: {rule_id}")


@pytest.mark.parametrize("rule_id", ["PCI101", "PCI401", "PCI404", "PCI704"])
def test_marked_examples_report_exactly_their_marked_lines(rule_id):
    rule = next(r for r in RULES if r.id == rule_id)
    marked_examples = [ex for ex in rule.bad if _marked(ex.code, rule_id)]
    assert marked_examples
    for ex in marked_examples:
        result = scan_snippet(ex.code, ex.path, select=[rule_id], rules=RULES)
        assert sorted({f.line for f in result.findings}) == _marked(ex.code, rule_id), ex.code
