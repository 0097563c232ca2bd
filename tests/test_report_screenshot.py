"""The HTML report renders in a real browser (headless Chromium), when one is installed."""

from __future__ import annotations

import struct
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
import screenshot_report  # noqa: E402


@pytest.mark.slow
@pytest.mark.skipif(screenshot_report.find_browser() is None,
                    reason="no chromium on PATH (apt-get install chromium) to render the report")
def test_html_report_renders_in_headless_chromium(tmp_path):
    png = tmp_path / "report.png"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "screenshot_report.py"), "--sample",
                           "-o", str(png), "--height", "1200"], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1200)
    assert len(data) > 20_000  # a blank page compresses to a few kB
