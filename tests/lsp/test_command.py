"""`pcilint lsp` without its optional dependency."""

from __future__ import annotations

import subprocess
import sys


def test_without_pygls_the_command_says_what_to_install() -> None:
    code = ("import sys; sys.modules['pygls'] = None; from pcilint.cli import main; "
            "sys.argv = ['pcilint', 'lsp']; main()")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "pcilint: error: the language server needs pygls: pip install 'pcilint[lsp]' "
        "(or pip install pygls)"]
