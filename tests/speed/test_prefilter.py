"""The prefilter never changes what a scan finds: it only decides which files need a parse."""

from __future__ import annotations


import pytest

from conftest import REPO
from helpers import project, scan, summary, write_rule
from pcilint.prefilter import (DependencyGraph, FileDeps, ModuleIndex, Prefilter, compile_terms,
                               identifier_terms, import_targets)

CORPORA = [p for p in (REPO / "examples", REPO / "tests" / "fixtures") if p.is_dir()]


def _errors(result):
    return [(e.path, e.message) for e in result.errors]


@pytest.mark.parametrize("root", CORPORA, ids=[p.name for p in CORPORA])
def test_fixtures_and_demo_find_the_same_with_and_without_the_prefilter(root):
    # Every fixture and the demo, as they are and as others add to them: the prefilter may only
    # skip files in which no active rule can report.
    _, plain = scan([root], REPO, prefilter=False)
    _, filtered = scan([root], REPO, prefilter=True)
    assert plain.files_scanned == filtered.files_scanned > 0
    assert summary(filtered) == summary(plain)
    assert _errors(filtered) == _errors(plain)


def test_the_prefilter_skips_files_without_terms(tmp_path, monkeypatch):
    (tmp_path / "a.py").write_text("x = 'sk_live_' + 'x'\n")
    (tmp_path / "b.py").write_text("def f():\n    return 1\n")
    import libcst

    parsed = []
    real = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda text, *a, **k: parsed.append(text) or
                        real(text, *a, **k))
    scan([tmp_path], tmp_path, select=["PCI7"])  # (checks whose terms are None parse all)
    assert parsed == ["x = 'sk_live_' + 'x'\n"]


def test_a_broken_file_is_still_reported_when_no_term_matches(tmp_path):
    (tmp_path / "broken.py").write_text("def f(:\n")
    _, result = scan([tmp_path], tmp_path)
    assert [e.path for e in result.errors] == ["broken.py"]


@pytest.mark.parametrize("kind,declare", [("test-helper-print", False),
                                          ("test-helper-print-declared", True)])
def test_a_helper_in_another_module_is_analysed(tmp_path, kind, declare):
    root = project(tmp_path / "proj")
    rule = write_rule(tmp_path, kind, declare)
    _, plain = scan([root], tmp_path, prefilter=False, extra_rules=[rule],
                    include_builtin_rules=False)
    _, filtered = scan([root], tmp_path, prefilter=True, extra_rules=[rule],
                       include_builtin_rules=False)
    assert [(f.path, f.line) for f in filtered.findings] == [("proj/app/audit.py", 2)]
    assert summary(filtered) == summary(plain)


def test_a_declaring_kind_gets_only_the_modules_it_asks_for(tmp_path, monkeypatch):
    # The declared mode trusts ctx.need_module(): without the call the helper is not analysed,
    # which shows the closure (not luck) is what finds it above.
    root = project(tmp_path / "proj")
    rule = write_rule(tmp_path, "test-helper-print-declared", declare=False)
    _, result = scan([root], tmp_path, extra_rules=[rule], include_builtin_rules=False)
    assert result.findings == []


def test_identifier_terms_match_words_not_substrings():
    pattern = compile_terms(identifier_terms(["card_number", "cvv"]))
    for text in ["card_number", "cardNumber", "CardNumber", "CARD_NUMBER", "card-number",
                 "creditCardNumber", "x.cvv", "CVV2", "form['card number']"]:
        assert pattern.search(text), text
    for text in ["discard_number", "scorecard", "recvv"]:  # (the end is open: `cvvs` passes)
        assert not pattern.search(text), text


def test_bad_or_missing_terms_mean_every_file_is_parsed():
    assert compile_terms(None) is None
    assert compile_terms(["("]) is None
    assert compile_terms([]) is None
    pf = Prefilter.from_terms({"python": [["foo"], None], "settings": [["(?i)bar"]]})
    assert pf.passes("python", "nothing here")
    assert pf.passes("settings", "BAR") and not pf.passes("settings", "baz")
    assert pf.passes("template", "no checks of this kind: parse")


def test_import_targets_read_every_form():
    text = ("import os, app.models as m\nfrom . import audit\nfrom ..util import (a,\n  b as c)\n"
            "from pkg.mod import helper  # comment\nfrom x import \\\n  y\n"
            "def f():\n    from lazy import thing\n")
    assert set(import_targets(text)) == {"os", "app.models", ".audit", "..util.a", "..util.b",
                                         "pkg.mod.helper", "x.y", "lazy.thing"}


def test_importers_through_a_package_follow_only_the_names_it_re_exports():
    graph = DependencyGraph({
        "pkg/__init__.py": ("pkg._card.CardParams", "pkg._other.OtherParams"),
        "pkg/_card.py": (),
        "pkg/_other.py": (),
        "uses_card.py": ("pkg.CardParams",),
        "uses_other.py": ("pkg.OtherParams",),
        "whole.py": ("pkg",),
        "star.py": ("pkg.*",),
        "direct.py": ("pkg._card.CardParams",),
    })
    assert graph.importers("pkg/_card.py") == {"pkg/__init__.py", "uses_card.py", "whole.py",
                                               "star.py", "direct.py"}
    assert graph.importers("pkg/_other.py") == {"pkg/__init__.py", "uses_other.py", "whole.py",
                                                "star.py"}


def test_module_index_resolves_absolute_relative_and_ignores_the_stdlib():
    index = ModuleIndex(["src/app/__init__.py", "src/app/audit.py", "src/app/views.py",
                         "src/json.py"])
    assert index.resolve("app.audit.audit_event", "src/app/views.py") == ["src/app/audit.py"]
    assert index.resolve(".audit", "src/app/views.py") == ["src/app/audit.py"]
    assert index.resolve(".", "src/app/views.py") == ["src/app/__init__.py"]
    assert index.resolve("json", "src/app/views.py") == []


def test_default_closure_follows_imports_both_ways_transitively():
    deps = {"a.py": FileDeps(("b",), analysed=True), "b.py": FileDeps(("c",)),
            "c.py": FileDeps(()), "d.py": FileDeps(("a",)), "e.py": FileDeps(())}
    graph = DependencyGraph({p: d.imports for p, d in deps.items()})
    assert graph.needed(deps, declared=False) == {"b.py", "c.py", "d.py"}
    assert graph.needed(deps, declared=True) == set()
    deps["a.py"] = FileDeps(("b",), analysed=True, conditional=(("", "module", "b.func"),
                                                                ("", "importers", "")))
    assert graph.needed(deps, declared=True) == {"b.py", "d.py"}


@pytest.mark.parametrize("text", [
    "x = card_number", "ccard_number", "discard_number", "İstanbul card_number", "İstanbul",
    "CARDNUMBER", "a.cvv2", "recvv", "sk_live_abc", "SK_LIVE_abc", "verify = False",
    "VERIFY=false", "", "card", "http://api.stripe.com", "span pan", "expand",
    "def on_WEBHOOK(x)", "stripe.Event", "a verification", "callbacks", "pan_data", "cvv_dat"])
def test_the_fast_term_search_agrees_with_one_plain_alternation(text):
    import re

    terms = identifier_terms(["card number", "cvv", "pan", "cc number"]) + [
        r"\bsk_live_", r"(?i)verify\s*=\s*false", r"http://api\.", r"[0-9]{13}", r"\bcard\b",
        r"(?i:hook|event|verif)", r"\b(?:pan|cvv)_data\b", r"call(?:back|er)s?\b"]
    plain = re.compile("|".join(f"(?:{t})" if not t.startswith("(?i)") else f"(?i:{t[4:]})"
                                for t in terms))
    assert compile_terms(terms).search(text) == bool(plain.search(text))


def test_alternations_of_literals_are_searched_by_each_branchs_literal():
    from pcilint.prefilter import _literal_prefixes

    assert _literal_prefixes("(?i:hook|event|verif)") == ("hook", "event", "verif")
    assert _literal_prefixes(r"\b(?:pan|cvv)_data\b") == ("pan_data", "cvv_data")
    assert _literal_prefixes(r"\bcard_?number") == ("card",)
    # a branch that does not start with 2 literal chars: no fast path for the term
    assert _literal_prefixes(r"(?:x|[ab]c)d") is None
    assert _literal_prefixes(r"[\"']card") is None


def test_card_number_literals_split_or_grouped_pass_the_prefilter(tmp_path):
    # PCI704 has no terms of its own: literal-pattern derives one for `validator: pan` that
    # must see a PAN however the source writes it.
    (tmp_path / "cards.py").write_text(
        'A = "4539 1488" "0343 6467"\n'
        'B = ("5407 3607 "\n     "9124 5711")\n'
        'C = 4539_1488_0343_6467\n'
        'D = "4539-1488-0343-6467"\n')
    (tmp_path / "other.py").write_text("N = 1234567\n")
    _, plain = scan([tmp_path], tmp_path, prefilter=False, select=["PCI704"])
    _, filtered = scan([tmp_path], tmp_path, prefilter=True, select=["PCI704"])
    assert [f.line for f in filtered.findings] == [1, 2, 4, 5]
    assert summary(filtered) == summary(plain)


def test_a_needed_package_brings_the_modules_it_re_exports():
    deps = {"shop/__init__.py": FileDeps((".audit",)), "shop/audit.py": FileDeps(()),
            "shop/other.py": FileDeps(()),
            "app.py": FileDeps(("shop",), analysed=True,
                           conditional=(("", "module", "shop.audit_event"),))}
    graph = DependencyGraph({p: d.imports for p, d in deps.items()})
    assert graph.needed(deps, declared=True) == {"shop/__init__.py", "shop/audit.py"}


def _helper_and_caller(tmp_path):
    """app/util.py logs its parameter and posts with verify=False (it passes the prefilter for the
    TLS rule only); app/views.py hands it a card number from the request."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / "util.py").write_text(
        "import logging\nimport requests\n\nlog = logging.getLogger(__name__)\n\n\n"
        "def send(value):\n    log.info('sending %s', value)\n"
        "    return requests.post('https://api.example.com', data=value, verify=False)\n")
    (app / "views.py").write_text(
        "from app.util import send\n\n\ndef pay(request):\n"
        "    card_number = request.POST['card_number']\n    send(card_number)\n")


def test_a_helper_analysed_for_another_rule_is_analysed_again_when_a_caller_needs_its_flow(tmp_path):
    # util.py passes the prefilter only for the TLS rule (verify=False), so the card-data flow
    # rules are left out there at first; views.py then hands it a card number, and the closure
    # must analyse util.py again with every rule to find the log call.
    _helper_and_caller(tmp_path)
    _, plain = scan([tmp_path], tmp_path, prefilter=False)
    _, filtered = scan([tmp_path], tmp_path, prefilter=True)
    found = summary(filtered)
    assert found == summary(plain)
    assert any(f.path == "app/util.py" and f.line == 8 and f.rule_id.startswith("PCI1")
               for f in filtered.findings), found
    assert any(f.path == "app/util.py" and f.line == 9 and f.rule_id == "PCI503"
               for f in filtered.findings), found


@pytest.mark.parametrize("files, where", [
    # a constant imported from another module: found through the constant file's importers
    ({"app/__init__.py": "", "app/config.py": 'BILLING_API = "http://billing.acme.io/v1"\n',
      "app/client.py": "import requests\nfrom app.config import BILLING_API\n\n\n"
                       "def sync():\n    return requests.get(BILLING_API + '/x', timeout=5)\n"},
     ("app/config.py", 1)),
    # a Django setting: the client file matches the client-import-and-settings term
    ({"shop/__init__.py": "", "shop/settings.py": 'PAYMENT_API = "http://pay.acme.io"\n',
      "shop/views.py": "import requests\nfrom django.conf import settings\n\n\n"
                       "def pay():\n    return requests.post(settings.PAYMENT_API, json={})\n"},
     ("shop/settings.py", 1)),
])
def test_plain_http_constants_used_elsewhere_are_found_through_the_prefilter(tmp_path, files,
                                                                             where):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    _, plain = scan([tmp_path], tmp_path, prefilter=False, select=["PCI502"])
    _, filtered = scan([tmp_path], tmp_path, prefilter=True, select=["PCI502"])
    assert [(f.path, f.line) for f in filtered.findings] == [where]
    assert summary(filtered) == summary(plain)


def test_card_words_match_whole_words_only():
    from pcilint.prefilter import card_data_terms

    terms = compile_terms(card_data_terms())
    for text in ["card_number = x", "CARD_NUMBER", "cardNumber", "cvv2", "cvvs = []", "cid = 1",
                 "card = request.json['card']", "Card(exp_month=1, number=n)",
                 "def f(credit_card): pass", 'x = "4242 4242 4242 4242"',
                 'x = ("4539 1488" "0343 6467")', "CC_NUMBER", "getCCNumber(request)",
                 "STORED_CARDS = request.json", "HTTPCard(number=1)", "PAN = 1"]:
        assert terms.search(text), text
    for text in ["cardinality = 3", "cidr = '10.0.0.0/8'", "panel.show()", "cards = list()",
                 "ts = 1699999999999", "isbn = 9781449327453", "scorecard = 1",
                 "discard(card)", "company = 'Japan'", "span = 1",
                 # capitals run on: ACCOUNT, SUCCESS and EXPANSION hold no `cc` or `pan` word
                 "ACCOUNT_ID = data.number", "messages.SUCCESS, request", "EXPANSION = 1",
                 "EACCES in data", "CCX = request.json"]:
        assert not terms.search(text), text


def test_conjunctions_need_every_member_and_or_groups_need_one():
    terms = compile_terms([("alpha", ["beta", "gamma"])])
    assert terms.search("alpha gamma") and terms.search("beta alpha")
    assert not terms.search("alpha") and not terms.search("beta gamma")
    assert compile_terms([("alpha", "(")]) is None  # a bad member: every file passes


CHAINS = {
    # card data handed on through a module without card words, to a third that logs it
    "param": ({"app/__init__.py": "",
               "app/views.py": "from app import services\n\n\ndef pay(request):\n"
                               "    card_number = request.POST['card_number']\n"
                               "    services.process(card_number)\n",
               "app/services.py": "from app import audit\n\n\ndef process(value):\n"
                                  "    audit.record(value)\n",
               "app/audit.py": "import logging\n\nlog = logging.getLogger(__name__)\n\n\n"
                               "def record(entry):\n    log.info('entry %s', entry)\n"},
              ("app/audit.py", 7)),
    # card data returned through a module without card words to a caller that logs it
    "return": ({"app/__init__.py": "",
                "app/repo.py": "def get_pan(user):\n    return user.card_number\n",
                "app/service.py": "from app import repo\n\n\ndef fetch(u):\n"
                                  "    return repo.get_pan(u)\n",
                "app/view.py": "import logging\nfrom app import service\n\n\ndef show(u):\n"
                               "    value = service.fetch(u)\n    logging.info('got %s', value)\n"},
               ("app/view.py", 7)),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_cross_module_chains_through_files_without_card_words(tmp_path, name):
    files, where = CHAINS[name]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    # a bystander that imports the chain but receives nothing: not needed, never analysed
    (tmp_path / "app" / "bystander.py").write_text(
        "from app import services, service, audit, repo\n\n\ndef f(x):\n    return x\n")
    _, plain = scan([tmp_path], tmp_path, prefilter=False)
    _, filtered = scan([tmp_path], tmp_path, prefilter=True)
    assert where in [(f.path, f.line) for f in filtered.findings]
    assert summary(filtered) == summary(plain)


def test_conditional_declarations_are_followed_only_once_their_condition_holds():
    graph = DependencyGraph({"a.py": (), "b.py": ("a.get",), "c.py": ("b.fetch",), "d.py": (),
                             "e.py": ("x.other",), "x.py": ()})
    deps = {
        # a holds card data and returns it: its importers are needed
        "a.py": FileDeps((), analysed=True, conditional=(("", "importers", ""),)),
        # b returns the result of a.get(): its importers matter because a returns card data
        "b.py": FileDeps(("a.get",), analysed=True,
                         conditional=(("returns:a.get", "importers", ""),)),
        "c.py": FileDeps(("b.fetch",)),
        # d passes a parameter on, but nobody passes card data to d: its callee is not needed
        "d.py": FileDeps((), analysed=True, conditional=(("called", "module", "x.f"),)),
        # e returns the result of x.other(): x returns no card data
        "e.py": FileDeps(("x.other",), analysed=True,
                         conditional=(("returns:x.other", "importers", ""),)),
        "x.py": FileDeps(()),
    }
    assert graph.needed(deps, declared=True) == {"c.py"}
    deps["a.py"] = FileDeps((), analysed=True)
    assert graph.needed(deps, declared=True) == set()
    # once something passes card data into d, d's callee is needed
    deps["a.py"] = FileDeps((), analysed=True, conditional=(("", "module", "d.f"),))
    assert graph.needed(deps, declared=True) == {"x.py"}


def test_called_conditions_follow_the_function_card_data_is_passed_to():
    graph = DependencyGraph({"a.py": ("m.record",), "m.py": (), "x.py": (), "y.py": ()})
    deps = {
        "a.py": FileDeps(("m.record",), analysed=True, conditional=(("", "module", "m.record"),)),
        # record() passes its parameter on to x; other() passes its own to y
        "m.py": FileDeps((), analysed=True, conditional=(("called:record", "module", "x.f"),
                                                          ("called:other", "module", "y.f"))),
        "x.py": FileDeps(()), "y.py": FileDeps(()),
    }
    assert graph.needed(deps, declared=True) == {"x.py"}
    # the module named as a whole (no function known): every function of it counts as called
    deps["a.py"] = FileDeps(("m",), analysed=True, conditional=(("", "module", "m"),))
    assert graph.needed(deps, declared=True) == {"x.py", "y.py"}


def test_asked_conditions_follow_only_the_names_another_file_needs():
    graph = DependencyGraph({"a.py": ("f.Upper",), "f.py": ("b.Base", "c.X"), "b.py": (),
                             "c.py": ()})
    deps = {
        # a's card field is built by f.Upper: f is asked for `Upper` only
        "a.py": FileDeps(("f.Upper",), analysed=True, conditional=(("", "facts", "f.Upper"),)),
        "f.py": FileDeps(("b.Base", "c.X"), analysed=True,
                         conditional=(("asked:Upper", "facts", "b.Base"),
                                      ("asked:Other", "facts", "c.X"))),
        "b.py": FileDeps(()), "c.py": FileDeps(()),
    }
    assert graph.needed(deps, declared=True) == {"b.py"}
    # nobody asks f for anything: neither of its re-exports is followed
    deps["a.py"] = FileDeps(("f.Upper",), analysed=True)
    assert graph.needed(deps, declared=True) == set()
    # the whole module named: every name counts as asked
    deps["a.py"] = FileDeps(("f",), analysed=True, conditional=(("", "facts", "f"),))
    assert graph.needed(deps, declared=True) == {"b.py", "c.py"}


def test_webhook_rules_skip_stripe_modules_that_name_no_hook_event_or_signature(tmp_path,
                                                                                monkeypatch):
    files = {
        "app/__init__.py": "",
        # the handler and its verifying helper (in another module) each pass
        "app/views.py": "from flask import Flask, request\nfrom app.security import parse_payload\n"
                        "import stripe\n\napp = Flask(__name__)\n\n\n@app.post('/stripe/in')\n"
                        "def stripe_in():\n    ev = parse_payload(request.data, "
                        "request.headers['Stripe-Signature'])\n    return ev['type']\n",
        "app/security.py": "import os\n\nimport stripe\n\n\ndef parse_payload(payload, sig):\n"
                           "    return stripe.Webhook.construct_event(\n"
                           "        payload, sig, os.environ['STRIPE_WEBHOOK_SECRET'])\n",
        # creating a charge is no webhook business: not parsed for the webhook rules
        "app/billing.py": "import stripe\n\n\ndef charge(amount):\n"
                          "    return stripe.PaymentIntent.create(amount=amount)\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    import libcst

    parsed = []
    real = libcst.parse_module
    monkeypatch.setattr(libcst, "parse_module", lambda text, *a, **k: parsed.append(text) or
                        real(text, *a, **k))
    _, filtered = scan([tmp_path], tmp_path, select=["PCI6"])
    assert sorted(files[p] for p in ("app/views.py", "app/security.py")) == sorted(parsed)
    _, plain = scan([tmp_path], tmp_path, select=["PCI6"], prefilter=False)
    assert summary(filtered) == summary(plain)
    # verified through the helper: no "unverified" finding on the handler
    assert not [f for f in filtered.findings if f.path == "app/views.py"]


def test_an_analysed_file_is_needed_again_only_by_a_rule_that_skipped_it():
    graph = DependencyGraph({"a.py": ("b.f",), "b.py": ()})

    def deps(by: str, skipped: tuple[str, ...]) -> dict:
        return {"a.py": FileDeps(("b.f",), analysed=True,
                                 conditional=(("", "module", "b.f", by),)),
                "b.py": FileDeps((), analysed=True, skipped=skipped)}

    # b ran PCI101 (the rule whose facts a needs) but not PCI502: nothing to redo
    assert graph.needed(deps("PCI101", ("PCI502",)), declared=True) == set()
    # b skipped the very rule that needs it: analysed again
    assert graph.needed(deps("PCI101", ("PCI101", "PCI502")), declared=True) == {"b.py"}
    # a declaration that names no rule needs every rule's facts
    assert graph.needed(deps("", ("PCI502",)), declared=True) == {"b.py"}
    # a file that ran every rule is never needed again
    assert graph.needed(deps("PCI101", ()), declared=True) == set()


def test_a_file_only_the_bytecode_compiler_rejects_is_no_error(tmp_path):
    # `return` outside a function: the grammar (and libcst) accept it, compile() does not; the
    # quick syntax check then sends the file to libcst, which has nothing to report
    (tmp_path / "odd.py").write_text("x = 1\nreturn x\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    _, result = scan([tmp_path], tmp_path)
    assert [e.path for e in result.errors] == ["broken.py"]
    assert result.files_scanned == 1 and not result.findings


def test_a_needed_file_runs_only_the_rules_that_need_it(tmp_path, monkeypatch):
    # util.py passes the prefilter for the TLS rule only; views.py hands it a card number, so the
    # closure analyses it again for the card-flow rules that declared the need, not for every rule.
    from pcilint.engine import Scanner

    _helper_and_caller(tmp_path)
    calls = []
    real = Scanner.analyze_text

    def spy(self, path, text, kind, force=False):
        result = real(self, path, text, kind, force)
        calls.append((path, force, result.deps.skipped if result.deps else None))
        return result

    monkeypatch.setattr(Scanner, "analyze_text", spy)
    cache = tmp_path / "cache"
    scanner, first = scan([tmp_path], tmp_path, cache_dir=cache)
    sinks = {r.id for r in scanner.rules if r.kind == "card-data-sink"}
    util = [(force, skipped) for path, force, skipped in calls if path == "app/util.py"]
    assert len(util) == 2 and util[0][0] is False
    force, skipped = util[1]
    # the rules that need it are named, and they are the card-data sink rules that declared the
    # need; other project rules whose terms do not occur there are still left out (and noted)
    assert isinstance(force, tuple) and force and set(force) <= sinks
    assert skipped and set(force).isdisjoint(skipped)
    assert any(f.path == "app/util.py" and f.line == 8 and f.rule_id.startswith("PCI1")
               for f in first.findings)
    # a warm scan takes both of util.py's results from the cache and finds the same
    calls.clear()
    _, warm = scan([tmp_path], tmp_path, cache_dir=cache)
    assert calls == []
    assert summary(warm) == summary(first)


def test_the_closure_names_the_rules_each_needed_file_is_needed_for():
    graph = DependencyGraph({"a.py": ("b.f", "c.g"), "b.py": (), "c.py": ()})
    deps = {"a.py": FileDeps(("b.f", "c.g"), analysed=True,
                             conditional=(("", "module", "b.f", "PCI101"),
                                          ("", "module", "b.f", "PCI102"),
                                          ("", "module", "c.g", ""))),
            "b.py": FileDeps((), analysed=True, skipped=("PCI102", "PCI502")),
            "c.py": FileDeps(())}
    # b.py ran PCI101 already: it is needed for PCI102 only; c.py, needed by a declaration that
    # names no rule, for every rule
    assert graph.needed_rules(deps, declared=True) == {"b.py": frozenset({"PCI102"}),
                                                       "c.py": None}
    assert graph.needed(deps, declared=True) == {"b.py", "c.py"}


def test_every_card_flow_rule_declares_the_files_it_needs_under_its_own_id():
    # the card-data-sink rules share one flow analysis per file, and their declarations are
    # computed once: each rule must still declare all of them, under its own id
    from pcilint.config import Settings
    from pcilint.engine import Options, Scanner

    scanner = Scanner(Settings(), Options(jobs=1))
    sinks = {r.id for r in scanner.rules if r.kind == "card-data-sink"}
    result = scanner.analyze_text(
        "app/views.py", "from app.util import send, audit\n\n\ndef pay(request):\n"
        "    card_number = request.POST['card_number']\n    send(card_number)\n"
        "    return audit(card_number)\n", "python")
    by_rule: dict[str, set] = {}
    for when, kind, name, rule in result.deps.conditional:
        by_rule.setdefault(rule, set()).add((when, kind, name))
    assert sinks <= set(by_rule)
    first = by_rule[min(sinks)]
    assert {("", "module", "app.util.send"), ("", "module", "app.util.audit")} <= first
    assert all(by_rule[r] == first for r in sinks)
