"""The language server (``pcilint lsp``): diagnostics, hovers and code actions in the editor.

Needs the ``lsp`` extra (pygls); see ``docs/editors.md``.  :func:`run` is what the command calls.
"""

from __future__ import annotations

from pcilint.errors import PcilintError

#: What to install when pygls (or lsprotocol) is missing.
INSTALL_HINT = "the language server needs pygls: pip install 'pcilint[lsp]' (or pip install pygls)"


def run() -> None:
    """Serve on stdin/stdout; a one-line :class:`PcilintError` naming the install when pygls is
    missing."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        raise PcilintError(INSTALL_HINT) from None
    from pcilint.lsp.server import serve

    serve()
