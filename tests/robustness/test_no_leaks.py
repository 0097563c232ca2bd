"""The tool never leaks what it finds: a tree full of real-looking card numbers and live keys, scanned
with every registered output format (new formats are covered automatically), with traces,
statistics and --debug; no full value appears in stdout, stderr or any written file."""

from __future__ import annotations

import re

import pytest

import pcilint.engine as engine
from conftest import run_cli
from pcilint.reporters import FORMATS

PANS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117",
        "3566002020360505", "4000056655665556"]
KEYS = ["sk_live_51HxAbCdEfGhIjKlMnOpQrStUvWxYz0123", "rk_live_51HxZyXwVuTsRqPoNmLkJiHg9876",
        "whsec_Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHh", "sk_test_51HxTestTestTestTestTestTest42",
        "whsec_Ab12+Cd34/Ef56Gh78+Ij90/KlMn34", "sk_live_51OBFUSCATEDbyConcatenation0099"]
# Written so that only Python's decoding or joining shows the whole value (issue 14).
OBFUSCATED_PANS = ["4539571747189258", "5425233430109903", "4716108999716531"]
PANS_ALL = PANS + OBFUSCATED_PANS
BODY = KEYS[5][len("sk_live_"):]
HEX_PAN = "".join("\\x%02x" % ord(c) for c in OBFUSCATED_PANS[1])
UNICODE_PAN = "".join("\\u%04x" % ord(c) for c in OBFUSCATED_PANS[2])


def _spaced(pan: str) -> str:
    return " ".join(pan[i:i + 4] for i in range(0, len(pan), 4))


LEAKY_FILES = {
    "app/payments.py": f'''
import logging
import stripe
logger = logging.getLogger(__name__)
stripe.api_key = "{KEYS[0]}"
RESTRICTED = "rk_live_" "{KEYS[1][len("rk_live_"):]}"
WEBHOOK_SECRET = '{KEYS[2]}'
TEST_KEY = "{KEYS[3]}"
CARD = "{PANS[0]}"
CARD_SPACED = "{_spaced(PANS[1])}"
CARD_DASHED = "{'-'.join(_spaced(PANS[2]).split())}"
CARD_INT = {'_'.join(_spaced(PANS[3]).split())}
CARD_F = f"card {PANS[4]} for {{user}}"
# a comment with {PANS[5]} and {KEYS[0]}


def pay(request):
    card_number = request.form["card_number"]
    logger.info("card %s", card_number)
    logger.info("card {PANS[0]}")
    print(f"{{card_number}} {PANS[1]}")
    return stripe.Token.create(card={{"number": "{PANS[0]}", "cvc": "123"}})
''',
    "app/broken.py": f'x = "{PANS[0]}" +\nk = "{KEYS[0]}"\n  bad indent {PANS[1]}\n',
    "app/unterminated.py": f'k = "{KEYS[0]}\n',
    "app/latin.py": f"n = 'caf\xe9'  # {PANS[2]}\n".encode("latin-1"),
    "app/obfuscated.py": f'''
import stripe
WEBHOOK = "{KEYS[4]}"
stripe.api_key = "sk_" "live_" "{BODY}"
ESCAPED = "sk\\x5flive_{BODY}"
CARD_JOINED = "4539" "5717" "4718" "9258"
CARD_ESCAPED = "{HEX_PAN}"
CARD_UNICODE = "{UNICODE_PAN}"
client = stripe.StripeClient(
    "{KEYS[5]}"
)
''',
    f"app/{OBFUSCATED_PANS[0]}/{KEYS[5]}.py": "import stripe\nstripe.verify_ssl_certs = False\n",
    "config/.env": f"STRIPE_SECRET_KEY={KEYS[0]}\nCARD={PANS[0]}\nWEBHOOK={KEYS[2]}\n",
    "config/settings.json": f'{{"stripe": {{"secret": "{KEYS[1]}", "card": "{_spaced(PANS[3])}"}}}}',
    "config/app.yaml": f"stripe_key: {KEYS[0]}\ncard: {PANS[4]}\n",
    "templates/pay.html": f'<form><input name="card_number" value="{PANS[0]}"></form>\n'
                          f'<script>const key = "{KEYS[0]}";</script>\n',
}


# A test-only rule that reports card-number literals (strings and integers), so findings whose
# snippets and messages hold card numbers go through every format even before the shipped PAN rules.
TEST_RULES = """
rules:
  - id: PCI798
    name: test-card-number-literal
    category: secrets
    severity: high
    message: "test: card number literal {literal}"
    pci_dss: ["3.5.1"]
    summary: Test only.
    why: Test only.
    fix: Test only.
    check:
      kind: literal-pattern
      pattern: '[0-9](?:[ _-]?[0-9]){12,18}'
      validator: pan
      integers: true
    examples:
      bad: ['CARD = "4242424242424242"']
      good: ['CARD = "4242"']
"""


def _forbidden() -> list[str]:
    """Every full value, in every way it was written."""
    values = list(KEYS) + [k[k.index("_", 3) + 1:] for k in KEYS]  # the key bodies alone too
    for pan in PANS_ALL:
        spaced = _spaced(pan)
        values += [pan, spaced, spaced.replace(" ", "-"), spaced.replace(" ", "_")]
    return values


def _assert_no_leak(where: str, text: str) -> None:
    for value in _forbidden():
        assert value not in text, f"{value!r} leaked in {where}"
    # and no 13+ consecutive digits of any card number, whatever the separators
    digits_only = re.sub(r"[ \t\-_./]", "", text)
    for pan in PANS_ALL:
        for i in range(len(pan) - 12):
            assert pan[i:i + 13] not in digits_only, f"13 digits of {pan} leaked in {where}"


@pytest.fixture(scope="module")
def leaky_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky")
    for name, content in LEAKY_FILES.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    (root / "test-rules.yaml").write_text(TEST_RULES)
    (root / ".pcilint.yaml").write_text("extend_rules: [test-rules.yaml]\n")
    # a few copies, so the worker pool shares the work
    for i in range(3):
        (root / "copies" / f"copy_{i}.py").parent.mkdir(exist_ok=True)
        (root / "copies" / f"copy_{i}.py").write_text(LEAKY_FILES["app/payments.py"])
    return root


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_no_output_format_leaks(leaky_tree, tmp_path, fmt, to_file, monkeypatch):
    monkeypatch.setattr(engine, "MIN_FILES_FOR_POOL", 0)
    out_file = tmp_path / f"report.{fmt}"
    args = ["check", "--format", fmt, "--show-trace", "--statistics", "--warn-unused-ignores",
            "--debug", "--jobs", "2", "."]
    if to_file:
        args[1:1] = ["--output", str(out_file)]
    before = {p: p.stat().st_mtime_ns for p in leaky_tree.rglob("*") if p.is_file()}
    code, out, err = run_cli(args, leaky_tree)
    if not to_file and code == 2 and "--output" in err:
        pytest.skip(f"{fmt} writes only to a file")  # covered by the output-file case
    assert code == 1, err  # findings, no crash
    _assert_no_leak(f"{fmt} stdout", out)
    _assert_no_leak(f"{fmt} stderr", err)
    if to_file:
        _assert_no_leak(f"{fmt} file", out_file.read_text(encoding="utf-8", errors="replace"))
        assert out_file.stat().st_size > 0
    written = [p for p in leaky_tree.rglob("*")
               if p.is_file() and before.get(p) != p.stat().st_mtime_ns]
    for p in written:  # caches, baselines, logs the tool leaves in the tree
        _assert_no_leak(str(p), p.read_text(encoding="utf-8", errors="replace"))


def test_a_reporter_that_prints_every_field_still_leaks_nothing(leaky_tree, monkeypatch):
    """Masking happens when findings are created, so even snippets and traces are safe."""
    monkeypatch.setitem(FORMATS, "test-dump", "robust_helpers:dump_everything")
    code, out, err = run_cli(["check", "--format", "test-dump", "--jobs", "1", "."], leaky_tree)
    assert code == 1 and "snippet=" in out, err
    assert "PCI798" in out and "PCI701" in out  # card-number and key findings both went through
    _assert_no_leak("every field", out)


def test_an_internal_error_with_debug_does_not_leak(leaky_tree, monkeypatch):
    """Even a crash outside any file's analysis: the traceback and message are masked."""
    def explode(self, paths, cwd=None, **kwargs):
        raise RuntimeError(f"boom near {PANS[0]} and {KEYS[0]}")

    monkeypatch.setattr(engine.Scanner, "scan", explode)
    code, out, err = run_cli(["check", "--debug", "."], leaky_tree)
    assert code == 2
    assert "Traceback" in err and "RuntimeError" in err
    _assert_no_leak("internal error", out + err)
