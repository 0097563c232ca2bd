"""Library models (rules/models/*.yaml): the loader, each modelled parser and client end to end,
and a rule pack that adds its own."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pcilint import models
from pcilint.errors import RuleError
from pcilint.ruleset import load_rules

from conftest import REPO, run_cli, scan_snippet

RULES = load_rules()
SHIPPED = models.current()


@pytest.fixture
def restore_models():
    """A test that activates a pack's models puts the shipped ones back."""
    yield
    models.activate([])


def _write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- the loader ---------------------------------------------------------------------------------
def test_shipped_models_are_read_once_per_process():
    assert models.builtin() is models.builtin()
    assert models.load() is models.load()
    names = {Path(p).name for p, _ in models.builtin()}
    assert {"parsers.yaml", "http-clients.yaml", "stripe.yaml"} <= names


def test_a_good_model_file_is_merged_with_the_shipped_ones(tmp_path):
    path = _write(tmp_path, """\
        body_parsers: [acme.fastjson.loads]
        parse_methods: [from_wire]
        http_clients:
          - library: acme-http
            modules: [acme_http]
            aliases: {acme_http.make_client: acme_http.Client}
            calls:
              - call: [acme_http.fetch, acme_http.Client.fetch]
                arg: 0
                keyword: [url, target]
        stripe:
          modules: [acme_stripe_shim]
          services: [widgets]
        """)
    m = models.load([path])
    assert "acme.fastjson.loads" in m.body_parsers and "json.loads" in m.body_parsers
    assert "from_wire" in m.parse_methods
    assert m.aliases["acme_http.make_client"] == "acme_http.Client"
    assert m.aliases["requests.session"] == "requests.Session"  # shipped ones kept
    added = [c for c in m.url_calls if "acme_http.fetch" in c.call]
    assert added == [models.UrlCall(("acme_http.fetch", "acme_http.Client.fetch"), 0,
                                    ("url", "target"))]
    assert m.stripe_modules == ("stripe", "acme_stripe_shim")
    assert {"widgets", "refunds"} <= m.stripe_services
    assert m.parse_regex.search("acme.fastjson.loads") and m.parse_regex.search("x.from_wire")
    assert not m.parse_regex.search("x.from_wire_format")


def test_broken_yaml_names_the_file_and_line(tmp_path):
    path = _write(tmp_path, "body_parsers:\n  - json.loads\n  - [unclosed\nstripe: {}\n")
    with pytest.raises(RuleError) as err:
        models.read_model_file(path)
    assert err.value.path == str(path)
    assert err.value.line in (3, 4)
    assert str(err.value).startswith(f"{path}:{err.value.line}: invalid YAML")


def test_an_unknown_key_names_the_file_line_and_field(tmp_path):
    path = _write(tmp_path, """\
        http_clients:
          - library: acme
            calls:
              - call: [acme.get]
                argument: 0
        """)
    with pytest.raises(RuleError) as err:
        models.read_model_file(path)
    assert (err.value.path, err.value.line) == (str(path), 5)
    assert err.value.field == "http_clients[0].calls[0].argument"
    assert "unknown key" in str(err.value) and "keyword" in str(err.value)  # says what is allowed


def test_an_unknown_section_is_refused(tmp_path):
    path = _write(tmp_path, "body_parser: [json.loads]\n")
    with pytest.raises(RuleError) as err:
        models.read_model_file(path)
    assert (err.value.line, err.value.field) == (1, "body_parser")


@pytest.mark.parametrize("text,line,field,says", [
    ("body_parsers: 3\n", 1, "body_parsers", "list of strings"),
    ("http_clients:\n  - library: acme\n    calls:\n      - call: [acme.get]\n        arg: one\n",
     5, "http_clients[0].calls[0].arg", "non-negative integer"),
    ("stripe:\n  verify:\n    - {method: check, returns_event: maybe}\n", 3,
     "stripe.verify[0].returns_event", "true or false"),
    ("http_clients:\n  - modules: [acme]\n", 2, "http_clients[0]", "missing required key `library`"),
    ("http_clients: [acme]\n", 1, "http_clients[0]", "must be a mapping"),
    ("stripe: [stripe]\n", 1, "stripe", "must be a mapping"),
    ("body_parsers:\n  - json.loads\n  - 'json loads'\n", 3, "body_parsers", "not a dotted name"),
    ("http_clients:\n  - library: acme\n    terms: ['acme(']\n", 3, "http_clients[0].terms",
     "invalid regular expression"),
    ("http_clients:\n  - library: acme\n    aliases: [a, b]\n", 3, "http_clients[0].aliases",
     "mapping of names"),
])
def test_a_wrong_type_names_the_file_line_and_field(tmp_path, text, line, field, says):
    path = _write(tmp_path, text)
    with pytest.raises(RuleError) as err:
        models.read_model_file(path)
    assert (err.value.path, err.value.line, err.value.field) == (str(path), line, field)
    assert says in str(err.value)


def test_a_model_file_that_cannot_be_read_is_an_error(tmp_path):
    with pytest.raises(RuleError, match="cannot read model file"):
        models.read_model_file(tmp_path)  # a directory


def test_a_pack_file_that_is_neither_rules_nor_models_says_both(tmp_path):
    path = _write(tmp_path, "body_parser: [json.loads]\n", "pack.yaml")
    with pytest.raises(RuleError, match="top-level `rules:` list.*library-model file"):
        load_rules([path])


# -- every modelled body parser is recognised end to end ------------------------------------------
def _parser_call(name: str) -> tuple[str, str]:
    """(import line, call expression) for a parser's qualified name."""
    return f"import {name.rsplit('.', 1)[0]}", name


@pytest.mark.parametrize("parser", sorted(SHIPPED.body_parsers))
def test_each_body_parser_makes_a_request_body_read(parser):
    imp, call = _parser_call(parser)
    code = f"""\
        {imp}

        def pay(request):
            data = {call}(request.body)
            return data["card_number"]
        """
    result = scan_snippet(code, select=["PCI401"], rules=RULES)
    hits = [f for f in result.findings if f.rule_id == "PCI401"]
    assert [(f.line, parser in f.message) for f in hits] == [(5, True)], result.findings


@pytest.mark.parametrize("parser", sorted(SHIPPED.body_parsers))
def test_each_body_parser_is_a_parse_in_a_webhook_error_handler(parser):
    """A handler of SignatureVerificationError that parses the payload anyway processes an
    unverified event (PCI603), whichever library parses it."""
    imp, call = _parser_call(parser)
    code = f"""\
        import os
        import stripe
        {imp}
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/stripe/webhook", methods=["POST"])
        def webhook():
            payload = request.data
            try:
                event = stripe.Webhook.construct_event(
                    payload, request.headers.get("Stripe-Signature"), os.environ["WHSEC"])
            except stripe.error.SignatureVerificationError:
                event = {call}(payload)
                handle(event)
                return "", 200
            handle(event)
            return "", 200
        """
    result = scan_snippet(code, select=["PCI603"], rules=RULES)
    assert [f.rule_id for f in result.findings] == ["PCI603"], result.findings


def test_a_webhook_error_handler_that_only_rejects_is_not_flagged():
    code = """\
        import os
        import stripe
        import simplejson
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/stripe/webhook", methods=["POST"])
        def webhook():
            try:
                event = stripe.Webhook.construct_event(
                    request.data, request.headers.get("Stripe-Signature"), os.environ["WHSEC"])
            except stripe.error.SignatureVerificationError:
                return "bad signature", 400
            handle(simplejson.loads(request.data))
            return "", 200
        """
    assert scan_snippet(code, select=["PCI603"], rules=RULES).findings == []


# -- every modelled HTTP client entry point is judged by the insecure-URL rule ---------------------
def _makes_object(prefix: str, m: models.Models) -> bool:
    """Whether ``prefix`` (``requests.Session``, ``urllib.request.build_opener``) is called to make
    the object the method is called on, rather than being a module."""
    last = prefix.rsplit(".", 1)[-1]
    return last[:1].isupper() or prefix in m.aliases.values() or prefix in m.aliases


def _client_cases(m: models.Models):
    for spec in m.url_calls + m.stripe_base_url_calls:
        for glob in spec.call:
            name = glob.replace("*", "get")
            yield pytest.param(name, spec, id=f"{name}-{spec.arg}-{'|'.join(spec.keyword)}")


def _client_snippet(name: str, spec: models.UrlCall, url: str, keyword: bool) -> tuple[str, int]:
    """Code calling ``name`` with ``url`` where the model says the URL goes; the URL's line.

    ``requests.get`` is called as a function of its module; ``requests.Session.get`` on an object
    made by ``requests.Session()`` (an upper-case class, or a factory the aliases name)."""
    prefix, _, method = name.rpartition(".")
    if prefix and _makes_object(prefix, SHIPPED):
        module = _module_of(prefix)
        lines = [f"import {module}", f"client = {prefix}()"]
        target = f"client.{method}"
    else:
        module = prefix
        lines = [f"import {module}"]
        target = name
    args: list[str] = []
    if spec.when_arg is not None:
        index, option = spec.when_arg
        args = ["None"] * index + [f"{module}.{option}"]
    if keyword:
        args.append(f"{spec.keyword[0]}={url!r}")
    else:
        args += ["'GET'"] * ((spec.arg or 0) - len(args)) + [repr(url)]
    lines.append(f"{target}({', '.join(args)})")
    return "\n".join(lines) + "\n", len(lines)


def _module_of(maker: str) -> str:
    """The module of an object maker: ``requests`` of ``requests.Session``, ``urllib.request`` of
    ``urllib.request.build_opener``."""
    parts = maker.split(".")
    while len(parts) > 1 and _makes_object(".".join(parts), SHIPPED):
        parts.pop()
    return ".".join(parts)


CLIENT_CASES = list(_client_cases(SHIPPED))


def test_the_client_cases_cover_every_library_of_the_brief():
    names = " ".join(p.values[0] for p in CLIENT_CASES)
    for needed in ("requests.get", "httpx.AsyncClient.post", "urllib.request.urlretrieve",
                   "urllib.request.URLopener.open", "urllib.request.OpenerDirector.open",
                   "urllib.request.Request", "urllib3.PoolManager.request", "aiohttp.ClientSession.get",
                   "http.client.HTTPConnection.request", "pycurl.Curl.setopt",
                   "tornado.httpclient.AsyncHTTPClient.fetch", "stripe.StripeClient"):
        assert needed in names, needed


@pytest.mark.parametrize("name,spec", CLIENT_CASES)
@pytest.mark.parametrize("keyword", [False, True], ids=["positional", "keyword"])
def test_each_http_client_entry_point_flags_a_plain_http_url(name, spec, keyword):
    if keyword and not spec.keyword or not keyword and spec.arg is None:
        pytest.skip("the model gives no such position")
    url = "http://billing.acme.io/v1/charge"
    if "base_addresses" in spec.keyword:
        code = f"import stripe\nclient = stripe.StripeClient('k', base_addresses={{'api': {url!r}}})\n"
        line = 2
    else:
        code, line = _client_snippet(name, spec, url, keyword)
    result = scan_snippet(code, select=["PCI502"], rules=RULES)
    assert [(f.rule_id, f.line) for f in result.findings] == [("PCI502", line)], code


@pytest.mark.parametrize("url", ["https://billing.acme.io/v1/charge", "http://localhost:8080/x",
                                 "http://127.0.0.1/x", "http://[::1]:9000/"])
@pytest.mark.parametrize("name,spec", [c for c in CLIENT_CASES if c.values[1].arg is not None])
def test_each_http_client_entry_point_accepts_https_and_loopback(name, spec, url):
    code, _line = _client_snippet(name, spec, url, keyword=False)
    assert scan_snippet(code, select=["PCI502"], rules=RULES).findings == [], code


def test_pycurl_counts_only_the_url_option():
    code = """\
        import pycurl
        c = pycurl.Curl()
        c.setopt(pycurl.REFERER, "http://billing.acme.io/")
        c.setopt(c.URL, "http://billing.acme.io/pay")
        """
    result = scan_snippet(code, select=["PCI502"], rules=RULES)
    assert [f.line for f in result.findings] == [4]


def test_each_stripe_base_url_attribute_flags_a_plain_http_url():
    for attribute in SHIPPED.stripe_base_url_attributes:
        code = f"import stripe\n{attribute} = 'http://stripe-proxy.acme.io'\n"
        result = scan_snippet(code, select=["PCI502"], rules=RULES)
        assert [f.line for f in result.findings] == [2], attribute


def test_a_variable_bound_to_a_client_module_is_that_module():
    code = """\
        import requests

        class Billing:
            def __init__(self):
                self.http = requests

            def charge(self):
                return self.http.post("http://billing.acme.io/charge")
        """
    result = scan_snippet(code, select=["PCI502"], rules=RULES)
    assert [f.line for f in result.findings] == [8]


# -- Stripe entry points --------------------------------------------------------------------------
def test_an_attribute_bound_to_the_stripe_module_is_a_stripe_call():
    code = """\
        import stripe

        class Payments:
            def __init__(self):
                self.stripe = stripe

            def pay(self, request):
                return self.stripe.PaymentIntent.create(amount=request.POST["amount"], currency="usd")
        """
    result = scan_snippet(code, select=["PCI801"], rules=RULES)
    assert [(f.rule_id, f.line) for f in result.findings] == [("PCI801", 8)]


def test_an_attribute_bound_to_another_module_is_not_a_stripe_call():
    code = """\
        import payments_sdk

        class Payments:
            def __init__(self):
                self.stripe = payments_sdk

            def pay(self, request):
                return self.stripe.PaymentIntent.create(amount=request.POST["amount"])
        """
    assert scan_snippet(code, select=["PCI801"], rules=RULES).findings == []


def test_stripe_client_services_come_from_the_model():
    code = """\
        from stripe import StripeClient

        def refund(request):
            client = StripeClient("sk_test_x")
            return client.v1.refunds.create(params={"amount": request.POST["amount"]})
        """
    result = scan_snippet(code, select=["PCI801"], rules=RULES)
    assert [f.line for f in result.findings] == [5]


# -- web frameworks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SHIPPED.request_globals))
def test_each_request_global_is_the_request(name):
    module, _, attr = name.rpartition(".")
    code = f"""\
        from {module} import {attr} as incoming

        def pay():
            return incoming.form["card_number"]
        """
    result = scan_snippet(code, select=["PCI401"], rules=RULES)
    assert [f.line for f in result.findings] == [4], result.findings


def test_a_name_that_is_not_a_request_global_is_not_the_request():
    code = """\
        from acme.context import request_log as incoming

        def pay():
            return incoming.form["card_number"]
        """
    assert scan_snippet(code, select=["PCI401"], rules=RULES).findings == []


@pytest.mark.parametrize("annotation", sorted(SHIPPED.request_annotations))
def test_each_request_annotation_makes_the_parameter_the_request(annotation):
    code = f"""\
        def pay(incoming: {annotation}):
            return incoming.POST["card_number"]
        """
    result = scan_snippet(code, select=["PCI401"], rules=RULES)
    assert [f.line for f in result.findings] == [2], result.findings


@pytest.mark.parametrize("marker", sorted(SHIPPED.body_parameters))
def test_each_body_parameter_default_makes_the_parameter_a_body(marker):
    code = f"""\
        from fastapi import {marker}

        def pay(payload: dict = {marker}(...)):
            return payload["card_number"]
        """
    result = scan_snippet(code, select=["PCI401"], rules=RULES)
    assert [f.line for f in result.findings] == [4], result.findings


# -- a user's rule pack adds models ---------------------------------------------------------------
PACK_MODEL = """\
    body_parsers: [acme.wire.loads]
    http_clients:
      - library: acme-http
        modules: [acme_http]
        calls:
          - call: [acme_http.fetch]
            arg: 0
            keyword: url
    """
PARSER_CODE = """\
    import acme.wire

    def pay(request):
        data = acme.wire.loads(request.body)
        return data["card_number"]
    """
CLIENT_CODE = 'import acme_http\nacme_http.fetch("http://billing.acme.io/pay")\n'


def _findings(rules, code: str, code_id: str) -> list[int]:
    return [f.line for f in scan_snippet(code, select=[code_id], rules=rules).findings]


def test_without_the_pack_the_parser_and_client_are_unknown():
    assert _findings(RULES, PARSER_CODE, "PCI401") == []
    assert _findings(RULES, CLIENT_CODE, "PCI502") == []


def test_a_packs_models_folder_adds_a_parser_and_a_client(tmp_path, restore_models):
    (tmp_path / "models").mkdir()
    _write(tmp_path / "models", PACK_MODEL, "acme.yaml")
    rules = load_rules([tmp_path])
    assert _findings(rules, PARSER_CODE, "PCI401") == [5]
    assert _findings(rules, CLIENT_CODE, "PCI502") == [2]
    models.activate([])
    assert _findings(load_rules(), CLIENT_CODE, "PCI502") == []  # nothing left behind


def test_a_model_file_given_as_a_pack_file_adds_a_client(tmp_path, restore_models):
    path = _write(tmp_path, PACK_MODEL, "acme-models.yaml")
    rules = load_rules([path])
    assert _findings(rules, CLIENT_CODE, "PCI502") == [2]


def test_a_broken_pack_model_names_its_file_and_line(tmp_path, restore_models):
    (tmp_path / "models").mkdir()
    bad = _write(tmp_path / "models", "http_clients:\n  - library: x\n    calls: 7\n", "bad.yaml")
    with pytest.raises(RuleError) as err:
        load_rules([tmp_path])
    assert (err.value.path, err.value.line) == (str(bad), 3)


def test_the_cli_uses_a_packs_models(tmp_path, restore_models):
    pack = tmp_path / "pack"
    (pack / "models").mkdir(parents=True)
    _write(pack / "models", PACK_MODEL, "acme.yaml")
    src = tmp_path / "src"
    src.mkdir()
    (src / "client.py").write_text(CLIENT_CODE, encoding="utf-8")
    code, out, err = run_cli(["check", "--no-cache", "--select", "PCI502", "--rules", str(pack),
                              str(src)])
    assert code == 1 and "client.py:2:" in out and "PCI502" in out, (out, err)
    code, out, err = run_cli(["check", "--no-cache", "--select", "PCI502", str(src)])
    assert code == 0 and "PCI502" not in out, (out, err)


# -- one copy: the analysis names no modelled library itself ---------------------------------------
def test_the_analysis_code_does_not_repeat_the_models():
    """Every body parser, client call and Stripe verifying method is written once, in
    rules/models/: no Python module under src/pcilint holds it as a string literal."""
    names = set(SHIPPED.body_parsers) | {g for c in SHIPPED.url_calls for g in c.call} \
        | set(SHIPPED.verify_methods) | set(SHIPPED.aliases)  # (service names are plain words)
    # code pcilint writes, not code it recognises: the autofix writes Stripe's documented call
    writes = {("src/pcilint/fixes/python.py", "construct_event")}
    offenders = []
    for path in sorted((REPO / "src" / "pcilint").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(REPO))
        for name in names:
            if re.search(r"[\"']" + re.escape(name) + r"[\"']", text) and (where, name) not in writes:
                offenders.append(f"{where}: {name}")
    assert offenders == []


def test_a_changed_pack_model_is_not_served_from_the_cache(tmp_path, restore_models):
    pack = tmp_path / "pack"
    (pack / "models").mkdir(parents=True)
    model = _write(pack / "models", PACK_MODEL, "acme.yaml")
    src = tmp_path / "src"
    src.mkdir()
    (src / "client.py").write_text(CLIENT_CODE, encoding="utf-8")
    args = ["check", "--cache-dir", str(tmp_path / "cache"), "--select", "PCI502", "--rules",
            str(pack), str(src)]
    assert run_cli(args)[0] == 1
    model.write_text(PACK_MODEL.replace("acme_http.fetch", "acme_http.send"), encoding="utf-8")
    code, out, err = run_cli(args)
    assert code == 0 and "PCI502" not in out, (out, err)
