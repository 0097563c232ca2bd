"""Shared helpers for the robustness tests: hostile trees, hostile check kinds, hypothesis profiles."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from hypothesis import settings

# A quick default keeps the suite fast; PCILINT_HYPOTHESIS=thorough explores far more.
settings.register_profile("quick", max_examples=25, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=600, deadline=None)
settings.load_profile(os.environ.get("PCILINT_HYPOTHESIS", "quick"))

LIVE_KEY = "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv"
KEY_BODY = LIVE_KEY[len("sk_live_"):]


def key_line(var: str = "k") -> str:
    return f'{var} = "{LIVE_KEY}"\n'


def hostile_tree(root: Path, big: bool = True) -> dict[str, str | None]:
    """Write every kind of hostile file under ``root``.

    Returns {display path: expected error fragment, or None when the file must scan cleanly and
    yield the secret it holds}.
    """
    rng = random.Random(7)
    expect: dict[str, str | None] = {}

    def put(name: str, data: bytes | str, fragment: str | None) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expect[name] = fragment

    put("syntax.py", "def f(:\n    pass\n", "syntax error at line 1")
    put("py2.py", 'import os\nprint "hello %s" % os.name\n', "syntax error at line 2")
    put("nul_early.py", b"x = 1\x00\n", "NUL")
    put("nul_late.py", b"x = 1\n" * 3000 + b"y = '\x00'\n", "NUL byte at line 3001")
    put("latin1_cookie.py", b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n" + key_line().encode(),
        None)
    put("latin1_no_cookie.py", b"name = 'caf\xe9'\n", "cannot decode as utf-8 at line 1")
    put("mixed_encodings.py", b"# coding: utf-8\na = 'caf\xc3\xa9'\nb = 'caf\xe9'\n",
        "at line 3")
    put("bad_cookie.py", b"# coding: klingon\nx = 1\n", "unknown encoding")
    put("cookie_vs_bom.py", b"\xef\xbb\xbf# coding: latin-1\nx = 1\n", "byte-order mark")
    put("bom.py", b"\xef\xbb\xbf" + key_line().encode(), None)
    put("crlf.py", ("x = 1\r\n" + key_line()).replace("\n", "\r\n").replace("\r\r", "\r")
        .encode(), None)
    put("cr_only.py", ("x = 1\r" + key_line().rstrip("\n") + "\r").encode(), None)
    put("utf16.py", ("x = 1\n" + key_line()).encode("utf-16"), "UTF-16")
    put("nested_parens.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "nested")
    put("nested_lists.py", "x = " + "[" * 5000 + "]" * 5000 + "\n", "nested")
    put("nested_dicts.py", "x = " + "{'a': " * 5000 + "1" + "}" * 5000 + "\n", "nested")
    put("attr_chain.py", "x = a" + ".b" * 5000 + "\n", "chained")
    put("call_chain.py", "x = f" + "()" * 5000 + "\n", "chained")
    put("not_chain.py", "x = " + "not " * 5000 + "y\n", "chained")
    put("lambda_chain.py", "x = " + "lambda: " * 5000 + "1\n", "chained")
    put("binop_chain.py", "x = " + " + ".join(["1"] * 20000) + "\n", "chained")
    put("long_line.py", "x = '" + "a" * 300_000 + "'; " + key_line(), None)
    put("binary.py", bytes(rng.randrange(256) for _ in range(4096)) + b"\x00", "binary")
    put("binary_no_nul.py", bytes(rng.randrange(1, 256) for _ in range(4096)), "")
    put("dir with space/ünïcødé file.py", key_line(), None)
    put("settings/.env", ("STRIPE_KEY=" + LIVE_KEY + "\n").encode("utf-16"), None)
    put("settings/conf.json", b'{"name": "caf\xe9", "key": "' + LIVE_KEY.encode() + b'"}', None)
    put("templates/odd.html", b"\xff\xfe<\x00p\x00>\x00", "")
    put("templates/latin.html", b"<p>caf\xe9</p>\n", "")
    put("good.py", key_line(), None)
    if big:
        line = b"VALUE_%07d = 'x' * 80  # generated\n"
        put("generated_20mb.py", b"".join(line % i for i in range(20 * 2**20 // len(line % 0))),
            "over the 5.0 MiB limit")
    try:  # a name that is not UTF-8
        bad_name = os.fsdecode(b"caf\xe9.py")
        (root / bad_name).write_bytes(key_line().encode())
        expect["caf\\xe9.py"] = None
    except (OSError, UnicodeError):
        pass
    os.symlink("loop_b.py", root / "loop_a.py")
    os.symlink("loop_a.py", root / "loop_b.py")
    expect["loop_a.py"] = "symbolic link"
    expect["loop_b.py"] = "symbolic link"
    os.symlink("good.py", root / "alias_of_good.py")  # the same file: scanned once, as good.py
    os.symlink("..", root / "settings" / "up")  # a directory loop: not followed
    return expect


def run_scan_json(runner_args: list[str], cwd: Path):
    from conftest import run_cli

    code, out, err = run_cli(["check", "--format", "json", *runner_args], cwd)
    return code, json.loads(out), err


def dump_everything(result, ctx) -> str:
    """A test-only report format that prints every field of every finding and error, snippets
    included: what a careless future reporter could show."""
    out = []
    for f in result.findings:
        out.append(repr(f))
        out += [repr(step) for step in f.trace]
    out += [repr(e) for e in result.errors]
    out += [repr(u) for u in result.unused_suppressions]
    return "\n".join(out) + "\n"
