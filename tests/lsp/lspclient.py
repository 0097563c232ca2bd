"""A real LSP client (pytest-lsp) driving ``python -m pcilint lsp`` over stdio, as an editor does.

``lsp_session(root)`` starts the server with VS Code's client capabilities, initializes it on the
workspace ``root`` and records every message the server sends (``client.received``, raw JSON) and
every diagnostics notification (``client.published``), so tests can assert on what an editor
would see and on what must never appear in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

pytest.importorskip("pygls.lsp.server")  # pygls 2 (1.x had pygls.server.LanguageServer)
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import LanguageClient, client_capabilities  # noqa: E402
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features  # noqa: E402

#: Generous: the machine running the suite may be busy; nothing here is a timing assertion.
TIMEOUT = 60.0


def make_client() -> LanguageClient:
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]
    client.received = []  # type: ignore[attr-defined]

    def publish(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        ls.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    register_lsp_features(client, {**DEFAULT_CLIENT_FEATURES,
                                   types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish})
    structure = client.protocol.structure_message

    def recording(data: dict[str, Any]) -> Any:
        if "jsonrpc" in data:  # a whole message (nested objects arrive first, unstructured)
            client.received.append(json.dumps(data))  # type: ignore[attr-defined]
        return structure(data)

    client.protocol.structure_message = recording  # type: ignore[method-assign]
    return client


@contextlib.asynccontextmanager
async def lsp_session(root: Path, options: dict[str, Any] | None = None
                      ) -> AsyncIterator[LanguageClient]:
    client = make_client()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # started elsewhere than the workspace: the server must find its root from `initialize`
    await client.start_io(sys.executable, "-m", "pcilint", "lsp", env=env,
                          cwd=str(Path(__file__).parent))
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[types.WorkspaceFolder(from_fs_path(str(root)), root.name)],
            initialization_options={"debounce": 0.05, **(options or {})}))
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def uri_of(path: Path) -> str:
    return from_fs_path(str(path))


def open_document(client: LanguageClient, path: Path, text: str | None = None,
                  version: int = 1) -> str:
    uri = uri_of(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=uri, language_id="python", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """A full-text didChange (the server also takes incremental ones)."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(version=version, uri=uri),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


async def wait_until(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it is truthy (notifications arrive on their own schedule)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def diagnostics_after(client: LanguageClient, uri: str, count: int) -> list:
    """The diagnostics of the first publication for ``uri`` after the ``count`` seen so far."""
    def ready() -> Any:
        mine = [p for p in client.published if p.uri == uri]
        return mine[count] if len(mine) > count else None

    published = await wait_until(ready, f"diagnostics #{count + 1} for {uri}")
    return list(published.diagnostics)


def publications(client: LanguageClient, uri: str) -> int:
    return sum(1 for p in client.published if p.uri == uri)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions, as VS Code's capabilities negotiate)."""
    lines = text.splitlines(keepends=True)

    def offset(pos: types.Position) -> int:
        if pos.line >= len(lines):
            return len(text)
        before = sum(len(line) for line in lines[: pos.line])
        content = lines[pos.line].rstrip("\r\n")
        units = 0
        for i, ch in enumerate(content):
            if units >= pos.character:
                return before + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return before + len(content)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
        lines = text.splitlines(keepends=True)
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    edit = action.edit
    assert edit is not None
    if edit.document_changes:
        return [e for change in edit.document_changes
                if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
                for e in change.edits]
    return list((edit.changes or {}).get(uri, []))
