"""Hostile-tree benchmark (issue 14): every attack input in one tree, scanned with -j 1 and -j 2.

    python benchmarks/hostile.py                 # build in a temp dir, scan, print the table
    python benchmarks/hostile.py --keep /tmp/h   # keep the tree for a look
    python benchmarks/hostile.py --bandit PATH   # also time Bandit on the same tree (a peer)

The tree holds parser bombs (elif / + / backslash / attribute chains), a 200,000-function file, a
5 MB list literal, deep brackets, binary and undecodable files, FIFOs, a symlink out of the tree, a
backtracking .gitignore line, control characters in names, names holding a card number or key,
obfuscated keys and PANs, keys in comments and in files that do not parse, plus "real" leaks in
ordinary files.  For each run it prints whether it finished, the exit code, the files under errors,
the real leaks still found (of those planted), the full secrets printed anywhere (must be 0), wall
time and peak RSS (the sum over the CLI and its workers, sampled from /proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import _rss_kb, _tree_pids  # noqa: E402

KEY = "sk_live_" + "51HxHostileBenchKeyAbCdEfGh"
WHSEC = "whsec_" + "Ab12+Cd34/Ef56Gh78+Ij90/KlMn"
PAN = "4539" + "5717" + "4718" + "9258"
SECRETS = [KEY, KEY[8:], WHSEC, WHSEC[6:], PAN]
LEAK = f'STRIPE_KEY = "{KEY}"\n'


def build(root: Path) -> int:
    """Write the tree; returns how many planted leaks a correct scan must report."""
    def put(name: str, data: str | bytes) -> None:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)

    (root / ".git").mkdir(parents=True, exist_ok=True)
    put(".gitignore", "*.pyc\n*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n")
    leaks = 0
    # parser bombs and memory bombs, each also holding a key that must still be found
    bombs = {
        "bombs/elif.py": "x = 0\nif x == 0:\n    pass\n"
                         + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 10_000)),
        "bombs/plus.py": "x = (\n" + "    + 1\n" * 10_000 + ")\n",
        "bombs/backslash.py": "x = 1 \\\n" + "    + 1 \\\n" * 50_000 + "    + 1\n",
        "bombs/attr.py": "x = a" + ".b" * 8_000 + "\n",
        "bombs/brackets.py": "x = " + "[" * 5_000 + "]" * 5_000 + "\n",
        "bombs/functions.py": "".join(f"def f{i}(): pass\n" for i in range(200_000)),
        "bombs/list.py": "X = [" + "1, " * 1_700_000 + "]\n",
    }
    for name, text in bombs.items():
        put(name, LEAK + text)
        leaks += 1
    # bad encodings and binaries
    put("bad/binary.py", b"\x00\x01\x02" * 1000)
    put("bad/latin.py", b"x = '\xe9'\n")
    put("bad/syntax.py", LEAK + "def f(:\n")
    put("bad/py2.py", 'print "hello"\n' + LEAK)
    leaks += 2
    put("bad/comment.py", f'# stripe.api_key = "{KEY}"\n')
    leaks += 1
    # obfuscated values
    put("obf/concat.py", f'K = "sk_" "live_" "{KEY[8:]}"\nW = "{WHSEC}"\nC = "4539" "5717" "4718" "9258"\n')
    leaks += 3
    put("obf/escaped.py", f'K = "sk\\x5flive_{KEY[8:]}"\n')
    leaks += 1
    # hostile names
    put(f"names/{PAN}/{KEY}.py", "import stripe\nstripe.verify_ssl_certs = False\n")
    put("names/a\nFound 0 findings.py", LEAK)
    put("names/b\x1b[31mred.py", LEAK)
    put("names/Found it.py", LEAK)
    put("names/" + "a" * 200 + ".py", LEAK)
    leaks += 5
    # special files and links out of the tree
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "special_fifo.py")
    outside = root.parent / (root.name + "-outside")
    outside.mkdir(exist_ok=True)
    (outside / "secret.py").write_text(LEAK)
    (root / "link_out.py").symlink_to(outside / "secret.py")
    (root / "passwd.py").symlink_to("/etc/passwd")
    # ordinary files with ordinary leaks
    for i in range(50):
        put(f"app/module_{i}.py", f'"""Module {i}."""\nimport logging\n\n\ndef f(x):\n    return x + {i}\n')
    put("app/settings.py", LEAK)
    put("app/views.py", "import logging\nlog = logging.getLogger()\n\n\ndef pay(request):\n"
                        "    card_number = request.POST['card_number']\n"
                        "    log.info('card %s', card_number)\n")
    leaks += 2
    return leaks


def run(cmd: list[str], cwd: Path, timeout: float) -> dict:
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sum(_rss_kb(p) for p in _tree_pids(proc.pid)))
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    try:
        out, err = proc.communicate(timeout=timeout)
        finished = True
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        finished = False
    done.set()
    return {"finished": finished, "rc": proc.returncode, "out": out.decode("utf-8", "replace"),
            "err": err.decode("utf-8", "replace"), "wall": time.perf_counter() - started,
            "rss_mb": peak / 1024}


def leaked(text: str) -> int:
    digits = re.sub(r"[ \t\-_./\"']", "", text)
    return sum(text.count(s) for s in SECRETS) + (PAN in digits and PAN not in text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="build the tree here and keep it")
    ap.add_argument("--bandit", help="path of a bandit executable to time on the same tree")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pcilint-hostile-"))
    root = args.keep or base / "tree"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    planted = build(root)
    rows = []
    for jobs in (1, 2):
        for fmt in ("json", "text", "sarif", "html"):
            cmd = [sys.executable, "-m", "pcilint", "check", "--no-cache", "--jobs", str(jobs),
                   "--format", fmt, "."]
            r = run(cmd, root, args.timeout)
            found = errors = "-"
            if fmt == "json" and r["finished"]:
                doc = json.loads(r["out"])
                errors = len(doc["errors"])
                found = len({(f["path"], f["line"]) for f in doc["findings"]
                             if f["rule_id"] in ("PCI701", "PCI702", "PCI704", "PCI101", "PCI505")})
            rows.append((f"pcilint -j {jobs} --format {fmt}", r["finished"], r["rc"], errors, found,
                         leaked(r["out"] + r["err"]), r["wall"], r["rss_mb"]))
    if args.bandit:
        r = run([args.bandit, "-r", ".", "-q", "-f", "json"], root, args.timeout)
        rows.append(("bandit -r (peer)", r["finished"], r["rc"], "-", "-", leaked(r["out"] + r["err"]),
                     r["wall"], r["rss_mb"]))
    print(f"hostile tree: {sum(1 for _ in root.rglob('*'))} entries, {planted} planted leaks "
          "(found counts distinct PCI701/702/704/101/505 locations)\n")
    print("| run | finished | exit | errors | leaks found | secrets printed | wall s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, fin, rc, errors, found, printed, wall, rss in rows:
        print(f"| {name} | {'yes' if fin else 'NO'} | {rc} | {errors} | {found} | {printed} | "
              f"{wall:.1f} | {rss:.0f} |")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(root.parent / (root.name + "-outside"), ignore_errors=True)
    bad = [r for r in rows if not r[1] or r[5]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
