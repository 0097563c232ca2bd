"""Card-number literals of every network in the IIN table (``rules/data/iin.yaml``, issue 16 §2):
a Luhn-valid number of each issuer is a PAN literal (PCI704), its look-alikes are not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import scan_snippet
from pcilint.analysis.cardnumbers import _expand, iin_table, is_pan, issuer, luhn_ok, parse_table
from pcilint.ruleset import load_rules

RULES = load_rules()
DOC = Path(__file__).resolve().parent.parent / "docs" / "rules-secrets.md"


def luhn_complete(body: str) -> str:
    """``body`` plus the check digit that makes it pass Luhn."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError(body)


def card(prefix: str, length: int, filler: str = "739182645") -> str:
    body = (prefix + filler * 3)[:length - 1]
    return luhn_complete(body)


def pci704(code: str, path: str = "payments/cards.py"):
    return [f.line for f in scan_snippet(code, path=path, select=["PCI704"], rules=RULES).findings]


# -- every entry of the table -------------------------------------------------------------------
ENTRIES = [(e.name, p, n) for e in iin_table().issuers for p in e.prefixes for n in sorted(e.lengths)]


def _matching(number: str) -> list[tuple[int, str]]:
    """(prefix width, issuer) of every entry whose prefix and length fit ``number``."""
    out = []
    for e in iin_table().issuers:
        if len(number) not in e.lengths:
            continue
        for p in e.prefixes:
            lo, _, hi = p.partition("-")
            if int(lo) <= int(number[:len(lo)]) <= int(hi or lo):
                out.append((len(lo), e.name))
    return out


@pytest.mark.parametrize("name,prefix,length", ENTRIES)
def test_each_prefix_and_length_of_the_table_is_a_card_number(name, prefix, length):
    for end in {prefix.split("-")[0], prefix.split("-")[-1]}:
        number = card(end, length)
        assert is_pan(number), number
        matching = _matching(number)
        assert (len(end), name) in matching
        # the most specific entry names the issuer (a longer prefix than this one may claim it)
        assert issuer(number) in {n for w, n in matching if w == max(w for w, _ in matching)}


def test_the_networks_of_issue_16_are_in_the_table():
    names = {e.name for e in iin_table().issuers}
    assert {"Mir", "RuPay", "Elo", "Hipercard", "Troy", "Verve", "Humo", "UzCard", "UnionPay", "JCB",
            "Discover", "Maestro", "Visa", "Mastercard", "American Express", "Diners Club"} <= names


@pytest.mark.parametrize("number,name", [
    (card("2200", 16), "Mir"), (card("2204", 19), "Mir"),
    (card("60", 16), "RuPay"), (card("508", 16), "RuPay"), (card("81", 16), "RuPay"),
    (card("82", 16), "RuPay"),
    (card("353", 16), "JCB"), (card("356", 16), "JCB"),  # RuPay-JCB co-brands: JCB's 4-digit range
    (card("509123", 16), "Elo"), (card("650031", 16), "Elo"),  # Elo's 65xxxx, not Discover's 65
    (card("606282", 16), "Hipercard"), (card("3841", 19), "Hipercard"),
    (card("9792", 16), "Troy"),
    (card("506099", 16), "Verve"), (card("506198", 19), "Verve"), (card("650027", 18), "Verve"),
    (card("9860", 16), "Humo"), (card("8600", 16), "UzCard"),
    (card("62", 19), "UnionPay"), (card("3530", 16), "JCB"), (card("6011", 16), "Discover"),
    (card("6759", 13), "Maestro"), (card("5018", 19), "Maestro"),
])
def test_issuer_names(number, name):
    assert issuer(number) == name and is_pan(number)


@pytest.mark.parametrize("prefix,length", [
    ("2200", 16), ("60", 16), ("509123", 16), ("606282", 16), ("9792", 16), ("506099", 16),
    ("9860", 16), ("8600", 16), ("62", 19), ("3530", 16), ("6011", 16), ("5018", 19),
])
def test_a_number_of_each_new_network_is_reported_by_pci704(prefix, length):
    number = card(prefix, length)
    grouped = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    assert pci704(f'CARD = "{number}"\nOTHER = "{grouped}"\nINT = {number}\n') == [1, 2, 3]


# -- look-alikes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    card("2200", 15), card("9860", 15), card("8600", 17), card("9792", 19), card("60", 18),  # length
    card("509123", 18), card("2200", 16)[:-1] + str((int(card("2200", 16)[-1]) + 1) % 10),  # Luhn
    card("9860", 16)[:-1] + str((int(card("9860", 16)[-1]) + 5) % 10),
    card("2205", 15), card("1", 15), card("7", 16), card("99", 16), card("8601", 16),  # no issuer
    "2200000000000000", "8600000000000000", "9860000000000001", "22002200220022002",
])
def test_look_alike_numbers_are_not_card_numbers(text):
    assert not is_pan(text)


def test_look_alike_literals_are_not_reported():
    mir = card("2200", 16)
    assert pci704(f'''
        ORDER_ID = "ORD-{mir}"
        SKU = "A{mir}"
        PHONE_RU = "+7 915 123 45 67"
        PHONE_CN = "+86 138 0013 8000"
        PHONE_UZ = "+998 90 123 45 67"
        TS_MS = 1700000000000
        TS_US = 1700000000123456
        TS_NS = 1700000000123456789
        MASKED = "2200 **** **** 1234"
        MASKED_UZ = "8600 12** **** 4321"
        SHORT = "{mir[:12]}"
        VERSION = "{mir[:4]}.{mir[4:8]}.{mir[8:]}"
        ''') == []


def test_new_network_numbers_in_tests_are_not_reported_and_test_cards_stay_silent():
    mir = card("2200", 16)
    assert pci704(f'CARD = "{mir}"\n', path="tests/test_checkout.py") == []
    # Adyen's published Elo / Hipercard test cards are, like Stripe's, no cardholder's number
    assert pci704('ELO = "5066991111111118"\nHIPER = "6062 8288 8866 6688"\n') == []
    assert pci704('STRIPE = "4242424242424242"\n') == []


def test_masking_hides_the_new_networks():
    from pcilint.masking import mask_text

    for prefix in ("2200", "9860", "8600", "9792", "606282"):
        number = card(prefix, 16)
        assert number not in mask_text(f"card {number}")


# -- the table file -------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,message", [
    ({}, "issuers"),
    ({"issuers": [{"issuer": "X", "prefixes": ["4a"], "lengths": [16]}]}, "bad IIN prefix"),
    ({"issuers": [{"issuer": "X", "prefixes": ["55-5"], "lengths": [16]}]}, "bad IIN prefix"),
    ({"issuers": [{"issuer": "X", "prefixes": ["60-50"], "lengths": [16]}]}, "bad IIN prefix"),
    ({"issuers": [{"issuer": "X", "prefixes": ["0-999999"], "lengths": [16]}]}, "bad IIN prefix"),
    ({"issuers": [{"issuer": "X", "prefixes": ["4"], "lengths": [12]}]}, "lengths"),
    ({"issuers": [{"issuer": "X", "prefixes": [], "lengths": [16]}]}, "prefixes"),
    ({"issuers": [{"prefixes": ["4"], "lengths": [16]}]}, "issuer"),
])
def test_a_bad_table_is_refused_with_the_entry_named(raw, message):
    with pytest.raises(ValueError, match=message) as exc:
        parse_table(raw, "iin.yaml")
    assert exc.value.args[0].startswith("iin.yaml")


def test_the_longest_prefix_names_the_issuer_in_a_table_of_ones_own():
    table = parse_table({"issuers": [
        {"issuer": "Wide", "prefixes": ["65"], "lengths": [16]},
        {"issuer": "Narrow", "prefixes": ["650000-650009"], "lengths": [16]},
        {"issuer": "Long", "prefixes": ["650005"], "lengths": [19]},
    ]})
    assert table.issuer(card("650005", 16)) == "Narrow"
    assert table.issuer(card("650005", 19)) == "Long"
    assert table.issuer(card("651", 16)) == "Wide"
    assert table.issuer(card("651", 19)) is None


def test_the_docs_table_lists_every_issuer_and_prefix():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Card-number literals: the IIN table"):]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \| ([^|]+) \|", section, re.M)}
    for entry in iin_table().issuers:
        assert entry.name in rows, entry.name
        for prefix in entry.prefixes:
            assert prefix.replace("-", "–") in rows[entry.name] or prefix in rows[entry.name], \
                (entry.name, prefix)
