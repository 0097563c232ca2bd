#!/usr/bin/env python3
"""Render pcilint's HTML security review and photograph it with headless Chromium, to check how it
looks.

    python scripts/screenshot_report.py examples/demo_shop -o /tmp/report.png
    python scripts/screenshot_report.py --sample -o /tmp/report.png   # every category, traces

Without PATHS and without --sample it scans ``examples/demo_shop`` when that exists.  The HTML file is
kept next to the PNG (``report.html``).  Needs Debian's ``chromium`` (or ``chromium-browser`` /
``google-chrome`` on PATH).  Chromium is run with networking and updates off and a throw-away profile.
Exit code 0 when the screenshot was written, 2 when it could not be taken.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def render_sample(html_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from report_fixtures import sample_context, sample_result  # noqa: E402

    from pcilint.reporters.html import render
    from pcilint.reporters.output import write_atomic

    write_atomic(html_path, render(sample_result(), sample_context()))


def render_scan(paths: list[str], html_path: Path) -> None:
    # scan from inside a single directory, so the report shows project-relative paths
    cwd = Path(paths[0]) if len(paths) == 1 and Path(paths[0]).is_dir() else Path.cwd()
    if cwd != Path.cwd():
        paths = ["."]
    cmd = [sys.executable, "-m", "pcilint", "check", *paths, "--format", "html", "--output",
           str(html_path.resolve()), "--exit-zero"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if proc.returncode != 0 or not html_path.exists():
        raise SystemExit(f"pcilint failed ({proc.returncode}): {proc.stderr.strip()}")


def screenshot(browser: str, html_path: Path, png_path: Path, width: int, height: int) -> None:
    with tempfile.TemporaryDirectory(prefix="pcilint-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--window-size={width},{height}", f"--screenshot={png_path}",
               html_path.resolve().as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if not png_path.exists() or png_path.stat().st_size == 0:
        raise SystemExit(f"chromium wrote no screenshot (exit {proc.returncode}): "
                         f"{proc.stderr.strip()[-800:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="what to scan (default: examples/demo_shop)")
    parser.add_argument("--sample", action="store_true",
                        help="render built-in sample findings instead of scanning")
    parser.add_argument("-o", "--output", default="pcilint-report.png", help="PNG to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)

    browser = find_browser()
    if browser is None:
        print("screenshot_report: no chromium on PATH (apt-get install chromium)", file=sys.stderr)
        return 2
    png = Path(args.output)
    png.parent.mkdir(parents=True, exist_ok=True)
    html_path = png.with_suffix(".html")
    if png.exists():
        png.unlink()
    if args.sample:
        render_sample(html_path)
    else:
        paths = args.paths or [str(REPO / "examples" / "demo_shop")]
        if not all(Path(p).exists() for p in paths):
            print(f"screenshot_report: {', '.join(paths)} not found; pass PATHS or --sample",
                  file=sys.stderr)
            return 2
        render_scan(paths, html_path)
    screenshot(browser, html_path, png, args.width, args.height)
    print(f"{png} ({png.stat().st_size} bytes) from {html_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
