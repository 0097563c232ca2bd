"""Property-based tests: random programs never crash the analysis, every output format renders and
JSON always parses, and masking never lets a card number or a live key through.

Example counts come from the hypothesis profile (robust_helpers.py): quick by default,
``PCILINT_HYPOTHESIS=thorough`` for a long run.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from pcilint.analysis.cardnumbers import is_pan
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.findings import Finding, ScanError, ScanResult, TraceStep, assign_fingerprints
from pcilint.masking import mask_text
from pcilint.reporters import FORMATS, ReportContext, get_renderer
from pcilint.ruleset import load_rules

import robust_helpers  # noqa: F401 - registers and loads the hypothesis profiles

RULES = load_rules()
SCANNER = Scanner(Settings(), Options(jobs=1), rules=RULES)


def _analyse(code: str, path: str = "example.py"):
    result = SCANNER.analyze_text(path, code, "python")
    assert result.error is None or ("\n" not in result.error)
    for f in result.findings:
        assert 1 <= f.line <= max(1, code.count("\n") + 1)
    return result


# -- random programs ----------------------------------------------------------------------------
try:
    import hypothesmith
except ImportError:  # optional: the template-built programs below always run
    hypothesmith = None


@pytest.mark.skipif(hypothesmith is None, reason="hypothesmith not installed")
@settings(suppress_health_check=list(HealthCheck))
@given(code=hypothesmith.from_grammar() if hypothesmith else st.nothing())
def test_grammar_generated_programs_never_crash_the_analysis(code):
    _analyse(code)


NAMES = st.sampled_from(["card_number", "pan", "cvv", "number", "card", "last4", "token", "x",
                         "self.card_number", "request.form['card_number']", "data['cvc']"])
PANS = st.sampled_from(["4242424242424242", "5555 5555 5555 4444", "3782-822463-10005",
                        "6011111111111117", "4000056655665556"])
EXPRS = st.one_of(
    NAMES, PANS.map(repr),
    st.builds(lambda n: f"f'{{{n}}}'", NAMES),
    st.builds(lambda a, b: f"{a} + {b}", NAMES, NAMES),
    st.builds(lambda n: f"{n}[-4:]", NAMES),
    st.builds(lambda n: f"hashlib.sha256({n}.encode()).hexdigest()", NAMES),
    st.builds(lambda n: f"{{'number': {n}, 'cvc': '123'}}", NAMES),
    st.just('"sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"'), st.just('"whsec_abc"'),
    st.just('"http://api.stripe.com/v1/charges"'), st.just("4242_4242_4242_4242"),
)
STATEMENTS = st.one_of(
    st.builds(lambda n, e: f"{n.split('[')[0].split('.')[-1]} = {e}", NAMES, EXPRS),
    st.builds(lambda e: f"logger.info({e})", EXPRS),
    st.builds(lambda e: f"print({e})", EXPRS),
    st.builds(lambda e: f"cache.set('k', {e})", EXPRS),
    st.builds(lambda e: f"requests.post('https://x.test', json={e}, verify=False)", EXPRS),
    st.builds(lambda e: f"stripe.Token.create(card={e})", EXPRS),
    st.builds(lambda e: f"raise ValueError({e})", EXPRS),
    st.builds(lambda e: f"session['card'] = {e}", EXPRS),
    st.builds(lambda e: f"Payment.objects.create(card_number={e})", EXPRS),
    st.just("pass"), st.just("import stripe, logging, requests, hashlib"),
)


@st.composite
def programs(draw):
    lines = ["import logging", "logger = logging.getLogger(__name__)"]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["plain", "def", "class", "if", "try", "with", "async"]))
        body = [draw(STATEMENTS) for _ in range(draw(st.integers(1, 4)))]
        if kind == "plain":
            lines += body
        elif kind in ("def", "async"):
            name = draw(st.sampled_from(["handler", "pay", "webhook", "save"]))
            deco = draw(st.sampled_from(["", "@app.route('/pay', methods=['POST'])\n",
                                         "@csrf_exempt\n", "@lru_cache\n"]))
            args = draw(st.sampled_from(["", "request", "card_number, cvv", "self, *a, **kw"]))
            prefix = "async def" if kind == "async" else "def"
            lines.append(f"{deco}{prefix} {name}({args}):")
            lines += ["    " + s for s in body]
        elif kind == "class":
            lines.append(draw(st.sampled_from(["class CreditCard:", "class Form(forms.Form):",
                                               "class Payment(models.Model):"])))
            lines += ["    card_number = models.CharField(max_length=19)", "    def save(self):"]
            lines += ["        " + s for s in body]
        elif kind == "if":
            lines.append("if event['type'] == 'payment_intent.succeeded':")
            lines += ["    " + s for s in body]
        elif kind == "try":
            lines += ["try:"] + ["    " + s for s in body]
            lines += ["except stripe.error.SignatureVerificationError:", "    pass"]
        else:
            lines += ["with open('out.txt', 'w') as fh:"] + ["    fh.write(str(x))"] + \
                     ["    " + s for s in body]
    return "\n".join(lines) + "\n"


@given(code=programs())
def test_template_built_card_data_programs_never_crash_the_analysis(code):
    result = _analyse(code)
    for f in result.findings:
        for text in [f.message, f.snippet] + [s.note for s in f.trace]:
            assert "4242424242424242" not in text and "51HxAbCdEfGhIjKlMnOpQrStUv" not in text


# -- every output format renders any result, and JSON always parses -------------------------------
TEXT = st.text(max_size=40)


@st.composite
def scan_results(draw):
    rules = [r for r in RULES] or [None]
    findings = []
    for _ in range(draw(st.integers(0, 5))):
        rule = draw(st.sampled_from(rules))
        line = draw(st.integers(1, 10**6))
        findings.append(Finding(
            rule_id=rule.id, category=rule.category, severity=draw(st.sampled_from(
                ["critical", "high", "medium", "low"])),
            path=draw(TEXT) or "a.py", line=line, column=draw(st.integers(1, 500)),
            end_line=line, end_column=draw(st.integers(1, 500)), message=draw(TEXT),
            pci_dss=rule.pci_dss, trace=tuple(TraceStep(draw(TEXT), draw(st.integers(1, 99)),
                                                        draw(TEXT)) for _ in range(2)),
            snippet=draw(TEXT)))
    assign_fingerprints(findings)
    errors = [ScanError(draw(TEXT), draw(TEXT)) for _ in range(draw(st.integers(0, 3)))]
    return ScanResult(findings=sorted(findings, key=lambda f: f.sort_key), errors=errors,
                      files_scanned=draw(st.integers(0, 10**6)), duration_s=draw(
                          st.floats(0, 1e6, allow_nan=False)))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@given(result=scan_results())
def test_every_format_renders_any_result_and_json_parses(fmt, result):
    ctx = ReportContext(rules=RULES, show_trace=True, statistics=True)
    text = get_renderer(fmt)(result, ctx)
    assert isinstance(text, str)
    text.encode("utf-8")  # printable: no lone surrogates
    if fmt == "json" or text.lstrip().startswith(("{", "[")):
        doc = json.loads(text)
        if fmt == "json":
            assert len(doc["findings"]) == len(result.findings)
            assert [f["message"] for f in doc["findings"]] == [f.message for f in result.findings]


# -- masking ------------------------------------------------------------------------------------
ISSUER_PREFIXES = ["4", "51", "55", "2221", "2720", "34", "37", "6011", "65", "3528", "36", "62"]


@st.composite
def pans(draw):
    prefix = draw(st.sampled_from(ISSUER_PREFIXES))
    length = draw(st.integers(13, 19))
    body = prefix + "".join(draw(st.lists(st.sampled_from("0123456789"),
                                          min_size=length - len(prefix) - 1,
                                          max_size=length - len(prefix) - 1)))
    for check in "0123456789":  # the Luhn check digit
        if is_pan(body + check):
            return body + check
    assume(False)


def _formatted(pan: str, style: str) -> str:
    if style == "plain":
        return pan
    sep = {"spaces": " ", "dashes": "-", "dots": ".", "underscores": "_", "slashes": "/",
           "tabs": "\t", "double": "  ", "nbsp": "\u00a0"}[style]
    return sep.join(pan[i:i + 4] for i in range(0, len(pan), 4))


STYLES = st.sampled_from(["plain", "spaces", "dashes", "dots", "underscores", "slashes", "tabs",
                          "double", "nbsp"])
NO_DIGITS = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs")), max_size=30)


def _digit_windows(pan: str) -> list[str]:
    return [pan[i:i + 13] for i in range(len(pan) - 12)]


@given(pan=pans(), style=STYLES, before=NO_DIGITS, after=NO_DIGITS)
def test_masking_never_lets_13_digits_of_a_card_number_through(pan, style, before, after):
    masked = mask_text(before + _formatted(pan, style) + after)
    squeezed = re.sub(r"[\s\-_./\u00a0]", "", masked)
    for window in _digit_windows(pan):
        assert window not in squeezed
    assert _formatted(pan, style) not in masked


@given(pan=pans(), style=STYLES, before=st.text(max_size=30), after=st.text(max_size=30))
def test_masking_never_shows_a_formatted_card_number_whatever_surrounds_it(pan, style, before,
                                                                          after):
    masked = mask_text(before + _formatted(pan, style) + after)
    assert _formatted(pan, style) not in masked
    assert mask_text(masked) == masked  # idempotent: masking twice changes nothing more


KEY_BODIES = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                     min_size=9, max_size=99)


@given(prefix=st.sampled_from(["sk_live_", "rk_live_", "sk_test_", "rk_test_", "whsec_"]),
       body=KEY_BODIES, before=st.text(max_size=30), after=st.text(max_size=30),
       split=st.sampled_from(["", '" "', "' + '", '"\n"']))
def test_masking_never_lets_a_full_key_through(prefix, body, before, after, split):
    key = prefix + body
    assume(body not in before + after)  # the surroundings must not hold the secret themselves
    written = prefix + split + body if split else key
    masked = mask_text(before + written + after)
    assert key not in masked
    assert body not in masked
