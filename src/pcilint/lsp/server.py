"""``pcilint lsp``: a Language Server (pygls) over stdin/stdout.

- On ``initialize`` one full scan of the workspace root runs on the engine thread (the cross-module
  facts every later check reuses, with the same result cache as ``pcilint check``).
- ``didOpen`` and ``didSave`` check the document at once, ``didChange`` after a pause in typing
  (``initializationOptions.debounce``, seconds): its in-memory text against the last full scan
  (:meth:`pcilint.engine.Scanner.recheck`), diagnostics published for that document.
- Hover on a finding shows its message and the rule's page (``pcilint rule``); code actions offer
  "suppress with a reason" and, when :mod:`pcilint.fixes` is installed, the rule's autofix.
- Saving ``pyproject.toml`` or ``.pcilint.yaml`` in the root reloads the configuration and scans
  again.

All engine work runs on one thread, in order; the protocol's event loop never waits for it.  No
message or log line the server emits carries a full card number or secret key: findings are
masked by the engine, everything else here passes :func:`pcilint.masking.mask_output`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import logging
import os
import queue
import sys
import threading
import tokenize
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from pcilint import __version__
from pcilint.findings import Finding
from pcilint.lsp import convert
from pcilint.lsp.session import CONFIG_NAMES, DocumentReport, Session
from pcilint.masking import mask_output

DEFAULT_DEBOUNCE = 0.3  # seconds of no typing before a changed document is checked
ENGINE_STACK = 64 * 2**20  # the engine raises the recursion limit while it analyses a file
log = logging.getLogger("pcilint.lsp")


class EngineThread:
    """One daemon thread that runs the engine's jobs in order (a scan holds the scanner)."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[tuple[concurrent.futures.Future, Callable, tuple] | None] = \
            queue.SimpleQueue()
        previous = threading.stack_size()
        threading.stack_size(ENGINE_STACK)
        try:
            self.thread = threading.Thread(target=self._run, name="pcilint-engine", daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(previous)

    def submit(self, fn: Callable, *args: Any) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.jobs.put((future, fn, args))
        return future

    def stop(self) -> None:
        self.jobs.put(None)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever awaits the job
                future.set_exception(exc)


class PcilintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("pcilint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.engine = EngineThread()
        self.session: Session | None = None  # created and used on the engine thread only
        self.debounce = DEFAULT_DEBOUNCE
        # One process: forking scan workers from a threaded server can deadlock them (seen: a
        # pool started on the engine thread hung for good), so jobs > 1 is opt-in.
        self.jobs = 1
        self.root = Path.cwd()
        self.reports: dict[str, tuple[int | None, str, DocumentReport]] = {}  # uri -> last check
        self.pending: dict[str, asyncio.Task] = {}
        self.open_documents: set[str] = set()
        self.generation: dict[str, int] = {}  # uri -> number of the latest check asked for
        self.loop: asyncio.AbstractEventLoop | None = None  # set on initialize

    def report_server_error(self, error: Exception, source: Any) -> None:
        message = mask_output(f"pcilint: internal error: {type(error).__name__}: "
                              f"{(str(error).splitlines() or [''])[0][:200]}")
        log.error("%s", message)
        self.window_log_message(types.LogMessageParams(types.MessageType.Error, message))

    def notify_log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """A window/logMessage (masked); safe to call from any thread."""
        params = types.LogMessageParams(kind, mask_output(message))
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.window_log_message, params)

    def notify_show(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        params = types.ShowMessageParams(kind, mask_output(message))
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self.window_show_message, params)

    # -- engine jobs (engine thread) ---------------------------------------------------------
    def _start_session(self) -> None:
        try:
            os.chdir(self.root)  # relative paths mean what `pcilint check` run there reads
            self.session = Session(self.root, jobs=self.jobs)
            self._full_scan()
        except Exception as exc:  # noqa: BLE001 - said once, in the editor; checks then fail alike
            self.notify_show(f"pcilint: cannot start on {self.root}: {type(exc).__name__}: "
                             f"{(str(exc).splitlines() or [''])[0][:200]}")
            raise

    def _full_scan(self) -> None:
        assert self.session is not None
        if self.session.config_error:
            self.notify_show(self.session.config_error)
        result = self.session.full_scan()
        self.notify_log(f"pcilint: scanned {result.files_scanned} files of {self.root} in "
                        f"{self.session.scan_seconds:.2f} s: {len(result.findings)} findings, "
                        f"{len(result.errors)} files not analysed")

    def _reload(self) -> None:
        assert self.session is not None
        self.session.reload()
        self._full_scan()

    def _check(self, uri: str, generation: int, path: Path, text: str, others: dict[str, Path]
               ) -> tuple[DocumentReport, dict[str, DocumentReport]] | None:
        """This document's report, and the other open documents' as this text leaves them; None
        when a newer check of the document was asked for meanwhile (typing outran the engine)."""
        if self.generation.get(uri) != generation:
            return None
        if self.session is None:
            raise RuntimeError("the workspace scan did not start (see the message shown)")
        reports = self.session.check(path, text, list(others.values()))
        by_display = {self.session.display(p): uri for uri, p in others.items()}
        return reports[0], {by_display[r.path]: r for r in reports[1:] if r.path in by_display}

    def _forget(self, path: Path) -> None:
        if self.session is not None:
            self.session.forget(path)

    # -- scheduling (event loop) -------------------------------------------------------------
    def schedule(self, uri: str, delay: float = 0.0) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.generation[uri] = generation = self.generation.get(uri, 0) + 1
        self.pending[uri] = asyncio.ensure_future(self._check_later(uri, delay, generation))

    async def _check_later(self, uri: str, delay: float, generation: int) -> None:
        if delay:
            await asyncio.sleep(delay)
        path = document_path(uri)
        if path is None:
            return
        doc = self.workspace.get_text_document(uri)
        version, text = doc.version, doc.source
        others = {u: p for u in self.open_documents if u != uri and u in self.reports
                  and (p := document_path(u)) is not None}
        try:
            checked = await asyncio.wrap_future(
                self.engine.submit(self._check, uri, generation, path, text, others))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the session goes on
            self.notify_log(f"pcilint: could not check {path.name}: {type(exc).__name__}: "
                            f"{(str(exc).splitlines() or [''])[0][:200]}", types.MessageType.Error)
            return
        if checked is None or uri not in self.open_documents:
            return  # superseded, or closed meanwhile
        report, affected = checked
        if self.workspace.get_text_document(uri).version != version:
            return  # changed meanwhile: a newer check is on its way
        self.reports[uri] = (version, text, report)
        self.publish(uri, version, text, report)
        for other, other_report in affected.items():
            # (a cross-module finding there came or went; skipped if that document changed since)
            last = self.reports.get(other)
            if last is None or other in self.pending and not self.pending[other].done() \
                    or self.workspace.get_text_document(other).version != last[0]:
                continue
            if _shown(last[2].findings) != _shown(other_report.findings):
                other_report.errors = last[2].errors
                self.reports[other] = (last[0], last[1], other_report)
                self.publish(other, last[0], last[1], other_report)

    def publish(self, uri: str, version: int | None, text: str, report: DocumentReport) -> None:
        lines = convert.document_lines(text)
        codec = self.workspace.position_codec
        fails_run = self.session.settings.fail_on_errors if self.session else True
        diagnostics = []
        for error in report.errors:
            diagnostics.append(convert.error_diagnostic(error, lines, fails_run))
        rules = self.session.rules if self.session else {}
        for f in report.findings:
            rng = codec.range_to_client_units(lines, convert.finding_range(f, lines))
            diagnostics.append(convert.diagnostic(f, rng, rules.get(f.rule_id),
                                                  self._related(f, uri, lines)))
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))

    def _related(self, f: Finding, uri: str, lines: list[str]
                 ) -> list[types.DiagnosticRelatedInformation]:
        """The finding's trace (where the card data came from, how it got here)."""
        out = []
        for step in f.trace:
            step_path = Path(step.path)
            step_uri = from_fs_path(str(step_path if step_path.is_absolute()
                                        else self.root / step_path)) or uri
            row = max(step.line - 1, 0)
            width = len(lines[row].rstrip("\r\n")) if step_uri == uri and row < len(lines) else 0
            rng = types.Range(types.Position(row, 0), types.Position(row, width))
            if step_uri == uri:
                rng = self.workspace.position_codec.range_to_client_units(lines, rng)
            out.append(types.DiagnosticRelatedInformation(
                types.Location(step_uri, rng), mask_output(step.note)))
        return out

    def findings_at(self, uri: str, rng: types.Range) -> tuple[list[Finding], str] | None:
        """The last check's findings overlapping ``rng`` (client units), and the text checked."""
        entry = self.reports.get(uri)
        if entry is None:
            return None
        _version, text, report = entry
        lines = convert.document_lines(text)
        codec = self.workspace.position_codec
        start = codec.position_from_client_units(lines, rng.start)
        end = codec.position_from_client_units(lines, rng.end)
        wanted = types.Range(types.Position(start.line, start.character),
                             types.Position(end.line, end.character))
        return [f for f in report.findings
                if convert.overlaps(convert.finding_range(f, lines), wanted)], text


def _shown(findings: list[Finding]) -> list[tuple]:
    return [(f.rule_id, f.line, f.column, f.end_line, f.end_column, f.message) for f in findings]


def document_path(uri: str) -> Path | None:
    """The file a document is (None for an unsaved ``untitled:`` buffer)."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None


server = PcilintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: PcilintServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_running_loop()
    options = params.initialization_options if isinstance(params.initialization_options,
                                                          dict) else {}
    try:
        ls.debounce = max(0.0, float(options.get("debounce", DEFAULT_DEBOUNCE)))
        ls.jobs = max(0, int(options.get("jobs", 1)))
    except (TypeError, ValueError):
        pass
    root = ls.workspace.root_path
    if not root and ls.workspace.folders:
        root = to_fs_path(next(iter(ls.workspace.folders.values())).uri)
    ls.root = Path(root or os.getcwd()).resolve()
    ls.engine.submit(ls._start_session)


@server.feature(types.SHUTDOWN)
def shutdown(ls: PcilintServer, params: Any) -> None:
    for task in ls.pending.values():
        task.cancel()
    ls.engine.stop()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PcilintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.open_documents.add(params.text_document.uri)
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PcilintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri, ls.debounce)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
def did_save(ls: PcilintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    path = document_path(uri)
    if path is not None and path.name in CONFIG_NAMES and path.parent.resolve() == ls.root:
        ls.engine.submit(ls._reload)
        for open_uri in sorted(ls.open_documents):
            ls.schedule(open_uri)
        return
    ls.schedule(uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PcilintServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.open_documents.discard(uri)
    task = ls.pending.pop(uri, None)
    if task is not None:
        task.cancel()
    ls.reports.pop(uri, None)
    path = document_path(uri)
    if path is not None:
        ls.engine.submit(ls._forget, path)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: PcilintServer, params: types.HoverParams) -> types.Hover | None:
    at = types.Range(params.position, params.position)
    found = ls.findings_at(params.text_document.uri, at)
    if not found or not found[0]:
        return None
    findings, _text = found
    markdown = _client_takes_markdown(ls)
    rules = ls.session.rules if ls.session else {}
    return types.Hover(types.MarkupContent(
        types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText,
        convert.hover_text(findings, rules, markdown)))


def _client_takes_markdown(ls: PcilintServer) -> bool:
    caps = ls.client_capabilities.text_document
    formats = caps.hover.content_format if caps and caps.hover else None
    return bool(formats) and types.MarkupKind.Markdown in formats


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix]))
async def code_action(ls: PcilintServer, params: types.CodeActionParams
                      ) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    only = params.context.only
    if only and not any(types.CodeActionKind.QuickFix.value.startswith(str(getattr(k, "value", k)))
                        for k in only):
        return None  # (asked for source actions only, e.g. organize imports on save)
    found = ls.findings_at(uri, params.range)
    if not found or not found[0]:
        return None
    findings, text = found
    path = document_path(uri)
    kind = _kind_of(path)
    version = ls.reports[uri][0]
    actions: list[types.CodeAction] = []
    lines = convert.document_lines(text)
    codec = ls.workspace.position_codec
    for f in findings:
        edit = convert.suppression_edit(f, text, kind)
        if edit is None:
            continue
        edit.range = codec.range_to_client_units(lines, edit.range)
        actions.append(types.CodeAction(
            title=f"Suppress {f.rule_id} with a reason (pcilint: ignore)",
            kind=types.CodeActionKind.QuickFix, diagnostics=_diagnostics_of(params, f),
            edit=_workspace_edit(ls, uri, version, [edit])))
    for fix in await _fixes(ls, path, text, findings):
        new_text = _decode_like(fix.new_source, text)
        if new_text is None or new_text == text:
            continue
        edits = convert.minimal_edits(text, new_text)
        for edit in edits:
            edit.range = codec.range_to_client_units(lines, edit.range)
        actions.append(types.CodeAction(
            title=mask_output(fix.title if fix.safe else f"{fix.title} (unsafe fix)"),
            kind=types.CodeActionKind.QuickFix, is_preferred=bool(fix.safe),
            diagnostics=[d for f in findings if f.rule_id == fix.rule_id and f.line == fix.line
                         for d in _diagnostics_of(params, f)] or None,
            edit=_workspace_edit(ls, uri, version, edits)))
    return actions or None


def _kind_of(path: Path | None) -> str:
    from pcilint.discovery import file_kind

    return (file_kind(path) if path is not None else None) or "python"


def _diagnostics_of(params: types.CodeActionParams, f: Finding) -> list[types.Diagnostic] | None:
    """The client's diagnostics for ``f`` (echoed back in the action, as clients expect)."""
    out = [d for d in params.context.diagnostics
           if d.source == convert.SOURCE and d.code == f.rule_id
           and isinstance(d.data, dict) and d.data.get("fingerprint") == f.fingerprint]
    return out or None


def _workspace_edit(ls: PcilintServer, uri: str, version: int | None,
                    edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """A versioned edit when the client takes one (it is refused if the document changed)."""
    caps = ls.client_capabilities.workspace
    versioned = bool(caps and caps.workspace_edit and caps.workspace_edit.document_changes)
    if versioned and version is not None:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits)])
    return types.WorkspaceEdit(changes={uri: edits})


async def _fixes(ls: PcilintServer, path: Path | None, text: str,
                 findings: list[Finding]) -> list[Any]:
    """The autofixes of :mod:`pcilint.fixes` for these findings (none when it is not installed)."""
    try:
        from pcilint.fixes import fixes_for
    except ImportError:
        return []
    if path is None or ls.session is None:
        return []
    source = _encode_like(text)
    if source is None:
        return []
    shown = findings[0].path if findings else ls.session.display(path)
    try:
        return await asyncio.to_thread(fixes_for, shown, source, findings)
    except Exception as exc:  # noqa: BLE001 - a fix that fails is not offered
        ls.notify_log(f"pcilint: no fixes for {path.name}: {type(exc).__name__}",
                      types.MessageType.Warning)
        return []


def _declared_encoding(text: str) -> str:
    try:
        head = "".join(text.splitlines(keepends=True)[:2]).encode("utf-8", "surrogatepass")
        return tokenize.detect_encoding(io.BytesIO(head).readline)[0]
    except (SyntaxError, LookupError):
        return "utf-8"


def _encode_like(text: str) -> bytes | None:
    """The buffer as its file's bytes would be (its PEP 263 encoding), for the fixes."""
    try:
        return text.encode(_declared_encoding(text))
    except (UnicodeEncodeError, LookupError):
        return None


def _decode_like(data: bytes, text: str) -> str | None:
    try:
        decoded = data.decode(_declared_encoding(text))
    except (UnicodeDecodeError, LookupError):
        return None
    return decoded[1:] if decoded.startswith("\ufeff") and not text.startswith("\ufeff") \
        else decoded


class _MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_output(super().format(record))


def serve() -> None:
    """Run the server on stdin/stdout until the client says ``exit``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_MaskingFormatter("%(name)s: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    server.start_io()


