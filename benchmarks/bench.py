#!/usr/bin/env python3
"""pcilint against Bandit, Semgrep and Ruff on a corpus of real installed packages.

    python benchmarks/bench.py            # full corpus (~1 M lines), 3 interleaved rounds
    python benchmarks/bench.py --quick    # a small tree (flask, requests, werkzeug, jinja2)
    python benchmarks/bench.py --app [--mirror DIR]   # real Stripe shops (saleor, ...): app.py

Run it with the project's Python (the one pcilint is installed in).  The first run builds
``benchmarks/.corpus/`` (git-ignored): a throwaway venv holding Bandit, Semgrep and Ruff, and the
corpus packages copied out of a ``pip install --target`` so every tool scans the same plain tree.
Later runs reuse it.  Each round runs every command once, in the same order, so machine noise hits
them alike; the table shows medians.  See docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / ".corpus"
# Pinned, so numbers are comparable between runs and machines.
PACKAGES = [
    "django==5.2.19", "sqlalchemy==2.1.9", "stripe==16.1.0", "pip==26.3", "flask==3.1.3",
    "requests==2.34.2", "botocore==1.44.8", "werkzeug==3.1.9", "jinja2==3.1.6", "urllib3==2.8.0",
    "boto3==1.44.8", "s3transfer==0.19.3",
]
QUICK = {"flask", "requests", "werkzeug", "jinja2"}
TOOLS = ["bandit", "semgrep", "ruff"]
SEMGREP_RULES = HERE / "semgrep-rules.yaml"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the corpus ---------------------------------------------------------------------------------
def ensure_tools(skip_tools: bool) -> str:
    """The tools venv (Bandit, Semgrep, Ruff); its Python."""
    venv = CORPUS / "venv"
    if not (venv / "bin" / "python").exists():
        log("creating the tools venv (bandit, semgrep, ruff) ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    if not skip_tools:
        missing = [t for t in TOOLS if not (venv / "bin" / t).exists()]
        if missing:
            log(f"installing {', '.join(missing)} into {venv} ...")
            # Each tool on its own: one that cannot install here must not stop the others.
            for tool in missing:
                r = subprocess.run([py, "-m", "pip", "install", "-q", tool])
                if r.returncode:
                    log(f"  {tool} could not be installed; its row is left out")
    return py


def ensure_corpus(skip_tools: bool) -> dict[str, Path]:
    py = ensure_tools(skip_tools)
    site = CORPUS / "site"
    if not (site / ".complete").exists():
        log("installing the corpus packages ...")
        shutil.rmtree(site, ignore_errors=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                        *PACKAGES], check=True)
        (site / ".complete").write_text("\n".join(PACKAGES))
    trees = {}
    for name, keep in (("full", None), ("quick", QUICK)):
        tree = CORPUS / "tree" / name
        if not (tree / ".complete").exists():
            shutil.rmtree(tree, ignore_errors=True)
            tree.mkdir(parents=True)
            for pkg in sorted(site.iterdir()):
                if pkg.is_dir() and not pkg.name.endswith((".dist-info", "__pycache__")) \
                        and pkg.name != "bin" and (keep is None or pkg.name in keep):
                    shutil.copytree(pkg, tree / pkg.name,
                                    ignore=shutil.ignore_patterns("__pycache__"))
            _isolate(tree)
            (tree / ".complete").write_text("")
        trees[name] = tree
    half = CORPUS / "tree" / "half"
    if not (half / ".complete").exists():
        # Every other Python file of the full tree (and nothing else): the same mix at half size.
        shutil.rmtree(half, ignore_errors=True)
        py_files = sorted(p for p in trees["full"].rglob("*.py"))
        for i, p in enumerate(py_files):
            if i % 2 == 0:
                dest = half / p.relative_to(trees["full"])
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(p, dest)
        _isolate(half)
        (half / ".complete").write_text("")
    trees["half"] = half
    return trees


def _isolate(tree: Path) -> None:
    """Make the tree its own git work tree, so the project's .gitignore (which ignores
    benchmarks/.corpus/) does not hide it from pcilint, Ruff or Semgrep."""
    if not (tree / ".git").exists():
        subprocess.run(["git", "init", "-q", str(tree)], check=True)
    (tree / ".semgrepignore").write_text("# scan everything (no default ignores)\n")


def count_lines(tree: Path) -> tuple[int, int]:
    files = lines = 0
    for p in tree.rglob("*.py"):
        if ".git" in p.parts:
            continue
        files += 1
        with open(p, "rb") as fh:
            lines += fh.read().count(b"\n")
    return files, lines


# -- running and measuring ----------------------------------------------------------------------
def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in KiB."""
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{p}/task/{p}/children") as fh:
                stack += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    """Wall time, CPU time (user+sys of the process and its children) and peak resident memory
    (whole process tree, sampled every 20 ms)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rss_mb": peak / 1024, "rc": proc.returncode,
            "stderr": err.decode("utf-8", "replace")[-2000:]}


def pcilint_cmd() -> list[str]:
    script = Path(sys.executable).with_name("pcilint")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pcilint"]


def changed_files(tree: Path, n: int = 10) -> list[Path]:
    """n Python files spread evenly over the tree (what one commit might touch)."""
    files = sorted(p for p in tree.rglob("*.py") if ".git" not in p.parts)
    step = max(1, len(files) // n)
    return files[::step][:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small tree (4 packages)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for pcilint/semgrep")
    ap.add_argument("--skip-tools", action="store_true", help="pcilint only")
    ap.add_argument("--json", type=Path, help="also write the raw measurements here")
    ap.add_argument("--app", action="store_true",
                    help="the real-application corpus (saleor, django-oscar, lnbits; see app.py)")
    ap.add_argument("--mirror", help="--app: a folder of git repositories to check out from "
                                     "instead of GitHub (owner+repo, bare or normal)")
    ap.add_argument("--project", action="append",
                    help="--app: only this owner/repo (repeatable)")
    args = ap.parse_args()
    if args.app:
        import app

        if args.rounds == 3 and "--rounds" not in sys.argv:
            args.rounds = 1  # (a saleor round takes minutes: Bandit alone is over a minute)
        ensure_tools(args.skip_tools)
        bin_dir = CORPUS / "venv" / "bin" if not args.skip_tools else Path("/nonexistent")
        print(app.bench(args, run, pcilint_cmd(), bin_dir, SEMGREP_RULES, log))
        return 0

    trees = ensure_corpus(args.skip_tools)
    tree = trees["quick" if args.quick else "full"]
    half = None if args.quick else trees["half"]
    bin_dir = CORPUS / "venv" / "bin"
    n_files, n_lines = count_lines(tree)
    log(f"corpus: {tree} - {n_files} Python files, {n_lines} lines")
    pcilint = pcilint_cmd()
    jobs = str(args.jobs)
    scratch = Path(tempfile.mkdtemp(prefix="pcilint-bench-"))
    env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0",
               XDG_CACHE_HOME=str(scratch / "xdg"))
    # Every tool runs as an installed tool does, with its compiled bytecode kept: some sandboxes
    # set PYTHONDONTWRITEBYTECODE, which makes each run of an editable install recompile its
    # modules (0.2-0.3 s of pcilint's ten-file row).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    changed = changed_files(tree)
    for p in changed:  # a run that was interrupted may have left its edits
        untouch(p)

    def commands(round_no: int) -> list[tuple[str, list[str], Path, callable | None]]:
        cache = scratch / f"cache-{round_no}"
        base = [*pcilint, "check", ".", "-j", jobs, "--exit-zero", "--format", "json"]
        rows = [
            ("pcilint cold (empty cache)", [*base, "--cache-dir", str(cache)], tree, None),
            ("pcilint warm (cache)", [*base, "--cache-dir", str(cache)], tree, None),
            ("pcilint 10 changed files", [*pcilint, "check", "--exit-zero", "--cache-dir",
                                          str(cache), *[str(p.relative_to(tree)) for p in changed]],
             tree, lambda: touch(changed, round_no)),
        ]
        if half is not None:
            rows.append(("pcilint cold, half tree", [*pcilint, "check", ".", "-j", jobs,
                                                     "--exit-zero", "--cache-dir",
                                                     str(scratch / f"half-{round_no}")], half, None))
        if (bin_dir / "bandit").exists() and not args.skip_tools:
            rows.append(("bandit -r", [str(bin_dir / "bandit"), "-r", ".", "-q", "-f", "json",
                                       "-o", str(scratch / "bandit.json")], tree, None))
            if half is not None:
                rows.append(("bandit -r, half tree", [str(bin_dir / "bandit"), "-r", ".", "-q",
                                                      "-f", "json", "-o",
                                                      str(scratch / "bandit-half.json")],
                             half, None))
        if (bin_dir / "semgrep").exists() and not args.skip_tools:
            rows.append(("semgrep (6 local rules)", [
                str(bin_dir / "semgrep"), "scan", "--config", str(SEMGREP_RULES), "--metrics=off",
                "--disable-version-check", "--no-git-ignore", "-j", jobs, "--quiet", "--json",
                "--output", str(scratch / "semgrep.json"), "."], tree, None))
        if (bin_dir / "ruff").exists() and not args.skip_tools:
            rows.append(("ruff check --select S", [str(bin_dir / "ruff"), "check", "--select",
                                                   "S", "--no-cache", "--exit-zero", "-q", "."],
                         tree, None))
        return rows

    results: dict[str, list[dict]] = {}
    for r in range(args.rounds):
        log(f"round {r + 1}/{args.rounds}")
        for label, cmd, cwd, before in commands(r):
            if before:
                before()
            m = run(cmd, cwd, env)
            log(f"  {label:<28} {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s  {m['rss_mb']:6.0f} MB"
                f"  rc={m['rc']}")
            if m["rc"] not in (0, 1):
                log("    " + m["stderr"].strip().replace("\n", "\n    "))
            results.setdefault(label, []).append(m)
    for p in changed:  # leave the corpus as it was
        untouch(p)
    shutil.rmtree(scratch, ignore_errors=True)
    print(report(results, n_files, n_lines, half and count_lines(half), args))
    if args.json:
        args.json.write_text(json.dumps({"files": n_files, "lines": n_lines,
                                         "results": results}, indent=1))
    return 0


MARK = "# pcilint-bench edit"


def touch(files: list[Path], round_no: int) -> None:
    for p in files:
        untouch(p)
        with open(p, "a", encoding="utf-8") as fh:
            fh.write(f"\n{MARK} {round_no}\n")


def untouch(p: Path) -> None:
    text = p.read_text(encoding="utf-8", errors="surrogateescape")
    i = text.find(f"\n{MARK}")
    if i >= 0:
        p.write_text(text[:i], encoding="utf-8", errors="surrogateescape")


def report(results: dict[str, list[dict]], n_files: int, n_lines: int,
           half: tuple[int, int] | None, args: argparse.Namespace) -> str:
    med = {k: statistics.median(m["wall"] for m in v) for k, v in results.items()}
    cpu = {k: statistics.median(m.get("cpu", 0.0) for m in v) for k, v in results.items()}
    rss = {k: max(m["rss_mb"] for m in v) for k, v in results.items()}
    bandit = med.get("bandit -r")
    lines = [f"corpus: {n_files} Python files, {n_lines:,} lines; {args.rounds} interleaved "
             f"rounds, medians; -j {args.jobs}; {os.cpu_count()} CPUs", "",
             "| command | wall (median) | CPU (median) | Bandit wall / this | files/s | lines/s "
             "| peak RSS |", "|---|---|---|---|---|---|---|"]
    for k, t in med.items():
        whole_tree = "half" not in k and "changed" not in k
        ratio = f"{bandit / t:.1f}x" if bandit and "half" not in k else ""
        fps = f"{n_files / t:,.0f}" if whole_tree else ""
        lps = f"{n_lines / t:,.0f}" if whole_tree else ""
        lines.append(f"| {k} | {t:.2f} s | {cpu[k]:.2f} s | {ratio} | {fps} | {lps} "
                     f"| {rss[k]:.0f} MB |")
    if half and "pcilint cold, half tree" in med:
        full_t = med["pcilint cold (empty cache)"]
        half_t = med["pcilint cold, half tree"]
        lines += ["", f"linearity: half tree {half[1]:,} lines in {half_t:.2f} s, full tree "
                      f"{n_lines:,} lines in {full_t:.2f} s: time ratio {full_t / half_t:.2f} for "
                      f"a line ratio of {n_lines / half[1]:.2f}"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    lines += ["", f"load average at the end: {load:.1f} on {os.cpu_count()} CPUs (wall times of "
                  "every command stretch alike on a busy machine; CPU times do not)"]
    if bandit:
        checks = [
            ("cold scan >= 3x faster than bandit -r", bandit / med["pcilint cold (empty cache)"] >= 3),
            ("warm re-scan < 1.5 s", med["pcilint warm (cache)"] < 1.5),
            ("warm re-scan >= 30x faster than bandit -r", bandit / med["pcilint warm (cache)"] >= 30),
            ("10 changed files < 0.5 s", med["pcilint 10 changed files"] < 0.5),
            ("peak RSS < 500 MB", max(v for k, v in rss.items() if k.startswith("pcilint")) < 500),
        ]
        lines += ["", "targets:"] + [f"- [{'x' if ok else ' '}] {name}" for name, ok in checks]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
