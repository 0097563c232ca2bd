"""The progress line: on a terminal's stderr for big scans only, erased before the report."""

from __future__ import annotations

import io

from conftest import run_cli, write_tree
from pcilint.config import Settings
from pcilint.engine import Options, Scanner
from pcilint.progress import MIN_FILES, Progress, progress_for


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_for_a_terminal():
    assert progress_for(io.StringIO()) is None
    assert isinstance(progress_for(FakeTTY()), Progress)
    assert progress_for(FakeTTY(), enabled=False) is None


def test_progress_is_silent_for_small_scans_and_erased_at_the_end():
    stream = FakeTTY()
    p = Progress(stream, interval=0)
    for i in range(1, 11):
        p(i, 10)
    p.close()
    assert stream.getvalue() == ""
    p = Progress(stream, interval=0)
    for i in range(1, MIN_FILES + 1):
        p(i, MIN_FILES)
    assert f"{MIN_FILES}/{MIN_FILES} files" in stream.getvalue()
    p.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_scanner_reports_progress_per_file(tmp_path):
    write_tree(tmp_path, {f"m{i}.py": "x = 1\n" for i in range(5)})
    calls = []
    Scanner(Settings(), Options(jobs=1)).scan([tmp_path], cwd=tmp_path,
                                              progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 5) for i in range(1, 6)]


def test_no_progress_escape_codes_in_piped_output(tmp_path):
    # settings files: cheap to check, so the test stays fast
    write_tree(tmp_path, {f"c{i}.ini": "x = 1\n" for i in range(MIN_FILES + 5)})
    code, out, err = run_cli(["check", "--format", "json", "-j", "1", "."], cwd=tmp_path)
    assert code == 0 and "\x1b" not in out and "\x1b" not in err and "files" not in err


def test_scanner_reports_progress_from_worker_processes(tmp_path):
    write_tree(tmp_path, {f"m{i}.py": "x = 1\n" for i in range(30)})
    calls = []
    result = Scanner(Settings(), Options(jobs=2)).scan([tmp_path], cwd=tmp_path,
                                                       progress=lambda d, t: calls.append((d, t)))
    assert result.files_scanned == 30
    assert calls == [(i, 30) for i in range(1, 31)]
