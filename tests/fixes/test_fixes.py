"""Autofixes (issue 18 §1): per fix, the source before and after, that the result re-parses and that
the finding is gone when the file is scanned again; and that files keep their bytes otherwise."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.fixes import Fix, apply_fixes, fixes_for
from pcilint.ruleset import load_rules

RULES = load_rules()
LIVE = "sk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"
RESTRICTED = "rk_live_" + "51HxAbCdEfGhIjKlMnOpQrStUv"
WHSEC = "whsec_" + "1f3Qk9ZbT0aXw7LmNc4RpE2sVy8UdHgJ"


def scan(tmp_path: Path, name: str, data: bytes, monkeypatch) -> list:
    """The findings of one file written to disk, scanned by the real engine."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    result = Scanner(Settings(), Options(jobs=1, cache_dir=None), rules=RULES).scan([Path(name)])
    assert not result.errors, result.errors
    return result.findings


def fix(tmp_path, name: str, before: str | bytes, monkeypatch, unsafe: bool = True):
    data = textwrap.dedent(before).encode() if isinstance(before, str) else before
    findings = scan(tmp_path, name, data, monkeypatch)
    return findings, apply_fixes(name, data, findings, unsafe=unsafe, rules=RULES)


# (rule, file name, before, after)
CASES = [
    ("PCI501", "client.py", '''
        import stripe
        stripe.api_base = "http://api.stripe.com"
        ''', '''
        import stripe
        stripe.api_base = "https://api.stripe.com"
        '''),
    ("PCI501", "urls.py", '''
        FILES = f"http://files.stripe.com/v1/{'files'}"
        ''', '''
        FILES = f"https://files.stripe.com/v1/{'files'}"
        '''),
    ("PCI501", "settings.yaml", '''
        stripe:
          files_base: http://files.stripe.com  # legacy
        ''', '''
        stripe:
          files_base: https://files.stripe.com  # legacy
        '''),
    ("PCI503", "fetch.py", '''
        import requests
        requests.get("https://api.acme.io", verify=False)
        ''', '''
        import requests
        requests.get("https://api.acme.io")
        '''),
    ("PCI503", "fetch.py", '''
        import requests
        requests.post(
            "https://api.acme.io",
            json={},
            verify=False,
        )
        ''', '''
        import requests
        requests.post(
            "https://api.acme.io",
            json={},
        )
        '''),
    ("PCI503", "conn.py", '''
        import aiohttp
        connector = aiohttp.TCPConnector(ssl=False, limit=10)
        ''', '''
        import aiohttp
        connector = aiohttp.TCPConnector(limit=10)
        '''),
    ("PCI503", "session.py", '''
        import requests
        s = requests.Session()
        # turned off for the staging proxy
        s.verify = False  # TODO
        s.headers["X"] = "1"
        ''', '''
        import requests
        s = requests.Session()
        # turned off for the staging proxy
        # TODO
        s.headers["X"] = "1"
        '''),
    ("PCI505", "sdk.py", '''
        import stripe

        def configure():
            stripe.verify_ssl_certs = False
        ''', '''
        import stripe

        def configure():
            pass
        '''),
    ("PCI505", "sdk.py", '''
        from stripe import HTTPXClient
        http = HTTPXClient(verify_ssl_certs=False)
        ''', '''
        from stripe import HTTPXClient
        http = HTTPXClient()
        '''),
    ("PCI605", "hooks.py", '''
        import os
        import stripe

        def webhook(request):
            event = stripe.Webhook.construct_event(
                request.body, request.META["HTTP_STRIPE_SIGNATURE"], os.environ["WHSEC"],
                tolerance=0)
            if event.type == "invoice.paid":
                mark_paid(event.data.object)
        ''', '''
        import os
        import stripe

        def webhook(request):
            event = stripe.Webhook.construct_event(
                request.body, request.META["HTTP_STRIPE_SIGNATURE"], os.environ["WHSEC"])
            if event.type == "invoice.paid":
                mark_paid(event.data.object)
        '''),
    ("PCI606", "hooks.py", '''
        """Webhooks."""
        import stripe
        from flask import Flask, request

        app = Flask(__name__)

        @app.post("/stripe-webhook")
        def stripe_webhook():
            event = stripe.Webhook.construct_event_without_verification(request.data)
            if event.type == "invoice.paid":
                mark_paid(event.data.object)
            return "", 200
        ''', '''
        """Webhooks."""
        import os
        import stripe
        from flask import Flask, request

        app = Flask(__name__)

        @app.post("/stripe-webhook")
        def stripe_webhook():
            event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], os.environ["STRIPE_WEBHOOK_SECRET"])
            if event.type == "invoice.paid":
                mark_paid(event.data.object)
            return "", 200
        '''),
    ("PCI701", "config.py", f'''
        """Config."""
        from __future__ import annotations

        import stripe

        stripe.api_key = "{LIVE}"
        ''', '''
        """Config."""
        from __future__ import annotations

        import os
        import stripe

        stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
        '''),
    ("PCI701", "config.py", f'''
        STRIPE = {{"secret": '{RESTRICTED[:8]}' '{RESTRICTED[8:]}'}}
        ''', '''
        import os

        STRIPE = {"secret": os.environ['STRIPE_RESTRICTED_KEY']}
        '''),
    ("PCI701", "config.py", f'''
        import os
        KEY = os.environ.get("STRIPE_API_KEY", "{LIVE}")
        ''', '''
        import os
        KEY = os.environ["STRIPE_API_KEY"]
        '''),
    ("PCI702", "hooks.py", f'''
        import json
        import requests

        endpoint_secret = "{WHSEC}"
        ''', '''
        import json
        import os
        import requests

        endpoint_secret = os.environ["STRIPE_WEBHOOK_SECRET"]
        '''),
    ("PCI101", "pay.py", '''
        import logging
        logger = logging.getLogger(__name__)

        def charge(card_number, cvc):
            logger.info("charging card %s (cvc %s)", card_number, cvc)
        ''', '''
        import logging
        logger = logging.getLogger(__name__)

        def charge(card_number, cvc):
            logger.info("charging card %s (cvc %s)", "****" + str(card_number)[-4:], "***")
        '''),
    ("PCI101", "pay.py", '''
        from flask import current_app, request

        def pay():
            card = request.get_json()["card"]
            current_app.logger.warning(f"declined: {card['number']}")
        ''', '''
        from flask import current_app, request

        def pay():
            card = request.get_json()["card"]
            current_app.logger.warning(f"declined: {'****' + str(card['number'])[-4:]}")
        '''),
    ("PCI102", "pay.py", '''
        def show(card_number):
            print("got card " + card_number)
        ''', '''
        def show(card_number):
            print("got card " + ("****" + str(card_number)[-4:]))
        '''),
]


@pytest.mark.parametrize("rule_id,name,before,after", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_fix_rewrites_the_code_and_the_finding_is_gone(tmp_path, monkeypatch, rule_id, name,
                                                       before, after):
    findings, result = fix(tmp_path, name, before, monkeypatch)
    assert rule_id in {f.rule_id for f in findings}
    new = result.new_source.decode()
    assert new == textwrap.dedent(after)
    assert [f.rule_id for f in result.applied] == [rule_id]
    if name.endswith(".py"):
        ast.parse(new)
    again = scan(tmp_path, name, result.new_source, monkeypatch)
    assert rule_id not in {f.rule_id for f in again}, again


def test_fixes_for_offers_one_fix_per_finding_with_its_range_and_safety(tmp_path, monkeypatch):
    code = ('import requests\nimport stripe\nstripe.api_key = "' + LIVE + '"\n'
            'requests.get("http://api.stripe.com/v1", verify=False)\n').encode()
    findings = scan(tmp_path, "app.py", code, monkeypatch)
    fixes = fixes_for("app.py", code, findings, rules=RULES)
    by_rule = {f.rule_id: f for f in fixes}
    assert set(by_rule) == {"PCI501", "PCI503", "PCI701"}
    assert all(isinstance(f, Fix) for f in fixes)
    assert by_rule["PCI501"].safe and by_rule["PCI503"].safe and not by_rule["PCI701"].safe
    finding = next(f for f in findings if f.rule_id == "PCI503")
    assert (by_rule["PCI503"].line, by_rule["PCI503"].column, by_rule["PCI503"].end_line,
            by_rule["PCI503"].end_column) == (finding.line, finding.column, finding.end_line,
                                              finding.end_column)
    # each fix is the whole file with that one fix applied
    assert b"https://api.stripe.com" in by_rule["PCI501"].new_source
    assert b"verify=False" in by_rule["PCI501"].new_source
    assert b"import os\n" in by_rule["PCI701"].new_source
    assert b"http://api.stripe.com" in by_rule["PCI701"].new_source
    # without unsafe, apply_fixes applies only the safe ones and says what it held back
    result = apply_fixes("app.py", code, findings, rules=RULES)
    assert sorted(f.rule_id for f in result.applied) == ["PCI501", "PCI503"]
    assert [f.rule_id for f in result.skipped] == ["PCI701"]
    assert LIVE.encode() in result.new_source
    assert b'requests.get("https://api.stripe.com/v1")' in result.new_source


def test_crlf_line_endings_are_kept(tmp_path, monkeypatch):
    code = ("import stripe\r\n# keys\r\nstripe.api_key = '" + LIVE + "'\r\n"
            "stripe.verify_ssl_certs = False\r\nstripe.api_base = 'http://api.stripe.com'\r\n"
            ).encode()
    findings, result = fix(tmp_path, "crlf.py", code, monkeypatch)
    assert len(result.applied) == 3
    new = result.new_source
    assert new.count(b"\r\n") == new.count(b"\n") == 5  # import os added, one line removed
    assert new == (b"import os\r\nimport stripe\r\n# keys\r\n"
                   b"stripe.api_key = os.environ['STRIPE_SECRET_KEY']\r\n"
                   b"stripe.api_base = 'https://api.stripe.com'\r\n")
    assert not scan(tmp_path, "crlf.py", new, monkeypatch)


def test_latin1_pep263_file_keeps_its_encoding(tmp_path, monkeypatch):
    code = ("# -*- coding: latin-1 -*-\n# Paramètres de paiement (clé ci-dessous)\n"
            "import stripe\nstripe.api_key = '" + LIVE + "'  # clé\n").encode("latin-1")
    findings, result = fix(tmp_path, "réglages.py", code, monkeypatch)
    assert [f.rule_id for f in result.applied] == ["PCI701"]
    new = result.new_source
    assert b"Param\xe8tres" in new and b"# cl\xe9\n" in new  # still latin-1 bytes
    with pytest.raises(UnicodeDecodeError):
        new.decode("utf-8")
    assert new.decode("latin-1") == (
        "# -*- coding: latin-1 -*-\n# Paramètres de paiement (clé ci-dessous)\nimport os\n"
        "import stripe\nstripe.api_key = os.environ['STRIPE_SECRET_KEY']  # clé\n")
    assert not scan(tmp_path, "réglages.py", new, monkeypatch)


def test_comments_and_formatting_around_a_fix_are_kept(tmp_path, monkeypatch):
    before = '''\
        import requests   # HTTP client


        def get(url):
            # the proxy re-signs certificates
            return requests.get(  # call
                url,
                verify=False,  # see OPS-12
            )
        '''
    findings, result = fix(tmp_path, "proxy.py", before, monkeypatch)
    assert result.new_source.decode() == textwrap.dedent('''\
        import requests   # HTTP client


        def get(url):
            # the proxy re-signs certificates
            return requests.get(  # call
                url,  # see OPS-12
            )
        ''')


def test_a_fix_that_would_not_reparse_is_not_applied(tmp_path, monkeypatch):
    import libcst as cst

    from pcilint.fixes import python as py

    def broken(tree, finding):
        plan, title = py.plan_https_url(tree, finding)
        for key in plan.replace:
            plan.replace[key] = [lambda node: node.with_changes(value='"https://api.stripe.com')]
        return plan, title

    code = b'import stripe\nstripe.api_base = "http://api.stripe.com"\n'
    findings = scan(tmp_path, "broken.py", code, monkeypatch)
    monkeypatch.setitem(py.PLANNERS, "https-url", broken)
    assert fixes_for("broken.py", code, findings, rules=RULES) == []
    result = apply_fixes("broken.py", code, findings, rules=RULES)
    assert result.new_source == code and not result.applied
    with pytest.raises(cst.ParserSyntaxError):  # what the skipped fix would have written
        cst.parse_module(b'import stripe\nstripe.api_base = "https://api.stripe.com\n')


def test_look_alikes_are_left_alone(tmp_path, monkeypatch):
    before = '''
        import os
        import stripe

        def webhook(request):
            event = stripe.Webhook.construct_event(
                request.body, request.META["HTTP_STRIPE_SIGNATURE"], os.environ["WHSEC"],
                tolerance=600)
            return event

        def show(pm, card_number):
            print("card ending", pm.card.last4)
            print("masked", "****" + card_number[-4:])
        '''
    findings, result = fix(tmp_path, "fine.py", before, monkeypatch)
    assert findings == [] and result.new_source == textwrap.dedent(before).encode()


def test_a_leak_through_an_unnamed_value_is_left_for_a_person(tmp_path, monkeypatch):
    before = '''
        import logging
        from flask import request
        log = logging.getLogger(__name__)

        def pay():
            details = {"n": request.form["card_number"]}
            log.info("charge %s", details)
        '''
    findings, result = fix(tmp_path, "pay.py", before, monkeypatch)
    assert "PCI101" in {f.rule_id for f in findings}
    assert not any(f.rule_id == "PCI101" for f in result.applied)
    assert b'log.info("charge %s", details)' in result.new_source


def test_unknown_autofix_kind_is_an_error_naming_file_and_line(tmp_path):
    from pcilint.errors import RuleError
    from pcilint.ruleset import load_rule_file

    pack = tmp_path / "mine.yaml"
    pack.write_text(textwrap.dedent('''\
        rules:
          - id: PCI190
            name: my-rule
            category: logging
            severity: low
            pci_dss: ["3.4.1"]
            message: "x"
            summary: s
            why: w
            fix: prose stays prose
            autofix: {kind: make-it-secure, safety: safe}
            check: {kind: literal-pattern, pattern: 'xyz'}
            examples: {bad: ["A = 'xyz'"], good: ["A = 1"]}
        '''))
    with pytest.raises(RuleError) as err:
        load_rule_file(pack)
    assert f"{pack}:11" in str(err.value) and "make-it-secure" in str(err.value)
    pack.write_text(pack.read_text().replace("make-it-secure, safety: safe",
                                             "https-url, safety: maybe"))
    with pytest.raises(RuleError) as err:
        load_rule_file(pack)
    assert f"{pack}:11" in str(err.value) and "safety" in str(err.value)
    pack.write_text(pack.read_text().replace("safety: maybe", "safety: unsafe"))
    (rule,) = load_rule_file(pack)
    assert rule.autofix == {"kind": "https-url", "safety": "unsafe"}
    assert rule.fix == "prose stays prose"


def test_every_declared_autofix_fixes_at_least_one_of_its_rules_bad_examples():
    from conftest import scan_snippet

    declared = [r for r in RULES if r.autofix]
    assert {r.id for r in declared} >= {"PCI501", "PCI503", "PCI505", "PCI605", "PCI606",
                                         "PCI701", "PCI702", "PCI101", "PCI102"}
    for rule in declared:
        fixed = 0
        for example in rule.bad:
            code = textwrap.dedent(example.code)
            found = [f for f in scan_snippet(code, example.path, select=[rule.id],
                                             rules=RULES).findings if f.rule_id == rule.id]
            result = apply_fixes(example.path, code.encode(), found, unsafe=True, rules=RULES)
            if result.applied:
                fixed += 1
                left = scan_snippet(result.new_source.decode(), example.path, select=[rule.id],
                                    rules=RULES).findings
                assert not [f for f in left if f.rule_id == rule.id], (rule.id, example.line)
        assert fixed, rule.id


def test_fixes_on_one_block_combine_in_one_run(tmp_path, monkeypatch):
    before = """\
        import requests
        import stripe
        s = requests.Session()
        stripe.verify_ssl_certs = False
        s.verify = False
        requests.get("https://a.acme.io", verify=False, timeout=5)
        requests.get("https://b.acme.io", verify=False)
        """
    findings, result = fix(tmp_path, "many.py", before, monkeypatch, unsafe=False)
    assert sorted(f.rule_id for f in result.applied) == ["PCI503", "PCI503", "PCI503", "PCI505"]
    assert result.new_source.decode() == textwrap.dedent("""\
        import requests
        import stripe
        s = requests.Session()
        requests.get("https://a.acme.io", timeout=5)
        requests.get("https://b.acme.io")
        """)
    assert not scan(tmp_path, "many.py", result.new_source, monkeypatch)
