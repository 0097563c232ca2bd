"""``pcilint lsp`` driven over stdio by a real LSP client, as an editor drives it (issue 18 §2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lspclient import (apply_edits, diagnostics_after, edits_of, lsp_session,
                                open_document, publications, replace_text, uri_of, wait_until)

from lsprotocol import types  # noqa: E402  (after lspclient's importorskip)

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

LEAKY = textwrap.dedent("""\
    import logging

    logger = logging.getLogger(__name__)


    def checkout(request):
        card_number = request.POST["card_number"]
        logger.info("paying with %s", card_number)
        return "ok"
    """)
FIXED = textwrap.dedent("""\
    import logging

    logger = logging.getLogger(__name__)


    def checkout(request):
        token = request.POST["stripe_token"]
        logger.info("paying with token %s", token)
        return "ok"
    """)
# obviously fake values, split so that this file holds neither whole
FAKE_KEY = "sk_live_" + "51Hq" + "Zx9" * 8
FAKE_PAN = "4111" + "1111" * 3


def by_code(diagnostics: list[types.Diagnostic]) -> dict[str, types.Diagnostic]:
    return {str(d.code): d for d in diagnostics}


def rng(line: int, start: int, end_line: int, end: int) -> types.Range:
    return types.Range(types.Position(line, start), types.Position(end_line, end))


def workspace(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path


async def test_open_publishes_the_findings_with_rule_range_and_severity(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
    assert set(diags) == {"PCI101", "PCI401"}
    log = diags["PCI101"]
    # line 8, columns 5..47 (1-based, end exclusive) of `pcilint check`
    assert log.range == rng(7, 4, 7, 46)
    assert log.severity == types.DiagnosticSeverity.Error  # high
    assert log.source == "pcilint"
    assert "card_number" in log.message and "logger.info" in log.message
    assert diags["PCI401"].range == rng(6, 18, 6, 45)
    # the trace: where the card number was read
    assert log.related_information and log.related_information[0].location.uri == uri
    assert log.related_information[0].location.range.start.line == 6


async def test_severity_mapping_and_rule_link(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"client.py": 'URL = "http://api.stripe.com/v1/charges"\n',
                                "settings.py": "DEBUG = False\nSECRET = 1\n"})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "client.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
    assert diags["PCI501"].severity == types.DiagnosticSeverity.Error  # high
    from pcilint.ruleset import load_rules

    rule = next(r for r in load_rules() if r.id == "PCI501")
    if rule.references:
        assert diags["PCI501"].code_description.href == rule.references[0]


async def test_a_change_that_fixes_the_leak_clears_the_diagnostics(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        assert await diagnostics_after(client, uri, 0)
        # an incremental change: delete the logging line -> the read remains (PCI401)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            [types.TextDocumentContentChangePartial(range=rng(7, 0, 8, 0), text="")]))
        assert set(by_code(await diagnostics_after(client, uri, 1))) == {"PCI401"}
        replace_text(client, uri, FIXED, version=3)
        assert await diagnostics_after(client, uri, 2) == []


async def test_typing_is_debounced_to_one_check(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": FIXED})
    async with lsp_session(root, {"debounce": 1.0}) as client:
        uri = open_document(client, root / "app.py")
        assert await diagnostics_after(client, uri, 0) == []
        for version, text in enumerate((FIXED + "#", FIXED + "# a", LEAKY), start=2):
            replace_text(client, uri, text, version)
        diags = await diagnostics_after(client, uri, 1)
        assert {str(d.code) for d in diags} == {"PCI101", "PCI401"}
        # the intermediate versions were never checked: the one publication is for version 4
        assert client.published[-1].version == 4
        assert publications(client, uri) == 2


async def test_save_checks_the_document_again(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY})
    async with lsp_session(root, {"debounce": 30.0}) as client:
        uri = open_document(client, root / "app.py")
        assert await diagnostics_after(client, uri, 0)
        # typed (the check waits for a pause of 30 s), then saved: the save checks at once
        replace_text(client, uri, FIXED, version=2)
        (root / "app.py").write_text(FIXED, encoding="utf-8")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            types.TextDocumentIdentifier(uri)))
        assert await diagnostics_after(client, uri, 1) == []


async def test_hover_on_a_finding_shows_the_rule_page(tmp_path: Path) -> None:
    from pcilint.ruleset import load_rules

    rule = next(r for r in load_rules() if r.id == "PCI101")
    root = workspace(tmp_path, {"app.py": LEAKY})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        await diagnostics_after(client, uri, 0)
        hover = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(7, 10)))
        nothing = await client.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(uri), types.Position(0, 3)))
    assert hover is not None
    text = hover.contents.value
    assert f"{rule.id} {rule.name}" in text  # the page's title, as `pcilint rule PCI101` prints
    assert "Why is this bad?" in text and rule.summary.split()[0] in text
    assert "logger.info" in text  # the finding's own message first
    assert nothing is None


async def test_suppress_with_reason_code_action_clears_the_diagnostic(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), diags["PCI101"].range,
            types.CodeActionContext(diagnostics=[diags["PCI101"]])))
        suppress = [a for a in actions if a.title.startswith("Suppress PCI101")]
        assert len(suppress) == 1 and suppress[0].kind == types.CodeActionKind.QuickFix
        assert list(suppress[0].diagnostics) == [diags["PCI101"]]
        new_text = apply_edits(LEAKY, edits_of(suppress[0], uri))
        assert new_text.splitlines()[7] == ('    logger.info("paying with %s", card_number)  '
                                            "# pcilint: ignore[PCI101] -- TODO: reason")
        replace_text(client, uri, new_text, version=2)
        assert set(by_code(await diagnostics_after(client, uri, 1))) == {"PCI401"}
        # the other finding, then: every diagnostic gone
        left = by_code(client.diagnostics[uri])["PCI401"]
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), left.range, types.CodeActionContext([left])))
        action = next(a for a in actions if a.title.startswith("Suppress PCI401"))
        replace_text(client, uri, apply_edits(new_text, edits_of(action, uri)), version=3)
        assert await diagnostics_after(client, uri, 2) == []


async def test_suppressing_beside_an_existing_ignore_adds_the_code(tmp_path: Path) -> None:
    text = LEAKY.replace('card_number = request.POST["card_number"]',
                         'card_number = request.POST["card_number"]  '
                         "# pcilint: ignore[PCI401] -- legacy form")
    text = text.replace('logger.info("paying with %s", card_number)',
                        'logger.info("paying with %s", card_number)  # noqa: E501')
    root = workspace(tmp_path, {"app.py": text})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
        assert set(diags) == {"PCI101"}
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), diags["PCI101"].range,
            types.CodeActionContext([diags["PCI101"]])))
        action = next(a for a in actions if a.title.startswith("Suppress PCI101"))
        fixed = apply_edits(text, edits_of(action, uri))
        assert fixed.splitlines()[7].endswith(
            "# noqa: E501  # pcilint: ignore[PCI101] -- TODO: reason")
        replace_text(client, uri, fixed, version=2)
        assert await diagnostics_after(client, uri, 1) == []


async def test_suppressing_a_statement_whose_line_ends_inside_a_string(tmp_path: Path) -> None:
    text = ('import logging\nlogger = logging.getLogger(__name__)\n\n\ndef pay(request):\n'
            '    card_number = request.POST["card_number"]  # pcilint: ignore[PCI401] -- legacy\n'
            '    logger.info("""paying with\n    %s""", card_number)\n')
    root = workspace(tmp_path, {"app.py": text})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
        assert set(diags) == {"PCI101"} and diags["PCI101"].range.start.line == 6
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), diags["PCI101"].range,
            types.CodeActionContext([diags["PCI101"]])))
        action = next(a for a in actions if a.title.startswith("Suppress PCI101"))
        fixed = apply_edits(text, edits_of(action, uri))
        # not inside the string (that would change the logged text): after the statement
        assert fixed.splitlines()[6] == '    logger.info("""paying with'
        assert fixed.splitlines()[7] == ('    %s""", card_number)  '
                                         "# pcilint: ignore[PCI101] -- TODO: reason")
        replace_text(client, uri, fixed, version=2)
        assert await diagnostics_after(client, uri, 1) == []


async def test_suppressing_in_a_template_writes_a_comment_line_above(tmp_path: Path) -> None:
    html = '<form>\n  <div>\n    <input type="text" name="card_number">\n  </div>\n</form>\n'
    root = workspace(tmp_path, {"templates/pay.html": html})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "templates" / "pay.html")
        diags = await diagnostics_after(client, uri, 0)
        assert len(diags) == 1 and diags[0].range.start.line == 2
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), diags[0].range, types.CodeActionContext(diags)))
        action = next(a for a in actions if a.title.startswith("Suppress"))
        fixed = apply_edits(html, edits_of(action, uri))
        assert fixed.splitlines()[2] == (f"    <!-- pcilint: ignore[{diags[0].code}] -- "
                                         "TODO: reason -->")
        replace_text(client, uri, fixed, version=2)
        assert await diagnostics_after(client, uri, 1) == []


async def test_autofix_code_action_when_the_fixes_package_is_there(tmp_path: Path) -> None:
    pytest.importorskip("pcilint.fixes")
    source = 'import requests\n\nrequests.post("http://api.stripe.com/v1/charges")\n'
    root = workspace(tmp_path, {"client.py": source})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "client.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(uri), diags["PCI501"].range,
            types.CodeActionContext([diags["PCI501"]])))
        fixes = [a for a in actions if not a.title.startswith("Suppress")]
        assert fixes, [a.title for a in actions]
        fixed = apply_edits(source, edits_of(fixes[0], uri))
        assert "https://api.stripe.com/v1/charges" in fixed
        replace_text(client, uri, fixed, version=2)
        assert "PCI501" not in by_code(await diagnostics_after(client, uri, 1))


async def test_the_workspace_configuration_is_read_and_reloaded_on_save(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY,
                                "pyproject.toml": '[tool.pcilint]\nignore = ["PCI4"]\n'})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        assert set(by_code(await diagnostics_after(client, uri, 0))) == {"PCI101"}
        (root / "pyproject.toml").write_text('[tool.pcilint]\nselect = ["PCI4"]\n')
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            types.TextDocumentIdentifier(uri_of(root / "pyproject.toml"))))
        assert set(by_code(await diagnostics_after(client, uri, 1))) == {"PCI401"}


async def test_a_broken_configuration_is_shown_and_the_defaults_used(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"app.py": LEAKY,
                                "pyproject.toml": '[tool.pcilint]\nselect = ["PCI999"]\n'})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "app.py")
        assert set(by_code(await diagnostics_after(client, uri, 0))) == {"PCI101", "PCI401"}
        shown = await wait_until(lambda: client.messages, "a window/showMessage")
    assert "PCI999" in shown[0].message and "pyproject.toml" in shown[0].message
    assert shown[0].type == types.MessageType.Error


async def test_an_excluded_file_gets_no_diagnostics(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"legacy/app.py": LEAKY, "app.py": LEAKY,
                                ".pcilint.yaml": "exclude: [legacy/]\n"})
    async with lsp_session(root) as client:
        excluded = open_document(client, root / "legacy" / "app.py")
        scanned = open_document(client, root / "app.py")
        assert await diagnostics_after(client, scanned, 0)
        assert await diagnostics_after(client, excluded, 0) == []


async def test_a_document_that_does_not_parse_is_one_diagnostic_on_line_1(tmp_path: Path) -> None:
    root = workspace(tmp_path, {"broken.py": "import os\n\ndef pay(card:\n    return 1\n"})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "broken.py")
        diags = await diagnostics_after(client, uri, 0)
        assert len(diags) == 1
        assert diags[0].range.start == types.Position(0, 0)
        assert "syntax error" in diags[0].message and "line 3" in diags[0].message
        assert diags[0].severity == types.DiagnosticSeverity.Error  # fail_on_errors: the default
        # the server lives on: the file fixed, the diagnostic goes
        replace_text(client, uri, "import os\n\ndef pay(card):\n    return 1\n", version=2)
        assert await diagnostics_after(client, uri, 1) == []
        # and binary junk or deep nesting is an error too, not a crash
        replace_text(client, uri, "x = " + "(" * 5000 + ")" * 5000 + "\n", version=3)
        assert len(await diagnostics_after(client, uri, 2)) == 1


async def test_cross_module_findings_use_the_full_scan(tmp_path: Path) -> None:
    root = workspace(tmp_path, {
        "shop/__init__.py": "",
        "shop/audit.py": ('import logging\n\nlogger = logging.getLogger("audit")\n\n\n'
                          'def record(event, value):\n    logger.info("%s: %s", event, value)\n'),
        "shop/views.py": ('from shop.audit import record\n\n\ndef pay(request):\n'
                          '    card_number = request.POST["card_number"]\n'
                          '    record("payment", card_number)\n')})
    async with lsp_session(root) as client:
        audit = open_document(client, root / "shop" / "audit.py")
        diags = by_code(await diagnostics_after(client, audit, 0))
        # the card number comes from another file, known from the workspace scan
        assert set(diags) == {"PCI101"} and "shop/views.py" in diags["PCI101"].message
        views = open_document(client, root / "shop" / "views.py")
        await diagnostics_after(client, views, 0)
        # views.py no longer passes the card number (unsaved): audit.py's finding goes
        replace_text(client, views, 'from shop.audit import record\n\n\ndef pay(request):\n'
                     '    record("payment", "ok")\n', version=2)
        assert await diagnostics_after(client, views, 1) == []
        assert await diagnostics_after(client, audit, 1) == []


async def test_no_message_carries_a_full_card_number_or_secret_key(tmp_path: Path) -> None:
    source = (f'import stripe\n\nstripe.api_key = "{FAKE_KEY}"\nCARD = "{FAKE_PAN}"\n'
              "print(CARD)\n")
    root = workspace(tmp_path, {"keys.py": source, f"dir_{FAKE_PAN}/x.py": "X = 1\n"})
    async with lsp_session(root) as client:
        uri = open_document(client, root / "keys.py")
        diags = by_code(await diagnostics_after(client, uri, 0))
        assert {"PCI701", "PCI102"} <= set(diags)
        for d in diags.values():
            await client.text_document_hover_async(types.HoverParams(
                types.TextDocumentIdentifier(uri), d.range.start))
            await client.text_document_code_action_async(types.CodeActionParams(
                types.TextDocumentIdentifier(uri), d.range, types.CodeActionContext([d])))
        await wait_until(lambda: client.log_messages, "the scan's log message")
        broken = open_document(client, root / "broken.py", f'KEY = "{FAKE_KEY}"\ndef f(:\n')
        assert await diagnostics_after(client, broken, 0)
    received = "\n".join(client.received)
    assert "sk_live_\\u2026" in received  # the key is shown, masked (JSON escapes the ellipsis)
    for secret in (FAKE_KEY, FAKE_PAN, FAKE_KEY[8:]):
        assert secret not in received
    # nor any other: the rule pages shown on hover hold example keys and card numbers
    from pcilint.cache import leaks

    assert not leaks(received.encode("utf-8"))
    assert len(client.received) > 5
