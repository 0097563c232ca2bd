"""The real-application corpus of ``bench.py --app`` (issue 19): Stripe shops users actually scan.

    python benchmarks/bench.py --app                        # clone the pinned commits from GitHub
    python benchmarks/bench.py --app --mirror DIR           # offline: git repositories in DIR
    python benchmarks/bench.py --app --project saleor/saleor --rounds 3

The site-packages corpus is not what users scan: in payment code most files pass the prefilter.
Each project here is checked out at a pinned commit (from GitHub, or from a mirror folder:
``--mirror DIR`` or ``$PCILINT_BENCH_MIRROR`` / ``$PCILINT_ECOSYSTEM_MIRROR``, laid out as the
ecosystem check's, ``owner+repo`` bare or normal) into ``benchmarks/.corpus/app/`` (git-ignored),
made its own git repository with one commit, and scanned:

* pcilint cold (empty cache), warm (same cache), one changed file (the whole tree again, one file
  edited), ``--diff HEAD`` after a 20-file change (warm cache) - all ``-j 2``;
* the floor of the cold scan: libcst's parse of exactly the files pcilint parses, in a pool of the
  same size (``parse_floor.py``);
* Bandit (``-r``), Semgrep with the 6 local rules of ``semgrep-rules.yaml``, ``ruff --select S``,
  in the same rounds, from the tools venv ``bench.py`` builds.

The table gives medians over the rounds, pcilint's cold time against each peer and against the
floor, and the issue's targets ticked or not.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "ecosystem"))
from check import Project, prepare  # noqa: E402  (the ecosystem check's checkout code)

APP_DIR = HERE / ".corpus" / "app"
PROJECTS = [
    Project("saleor/saleor", "723cd4eba87dfc72822ade45dc08a3caa548428d", "shop",
            "GraphQL commerce platform, Stripe plugin (4,300 Python files)"),
    Project("django-oscar/django-oscar", "cdbfc4412c87dd9037d62b04755780b76490373c", "shop",
            "Django e-commerce framework (830 Python files)"),
    Project("lnbits/lnbits", "7d98c6b0808efab3edafc21310ec34d1c38c23df", "shop",
            "FastAPI payments server with a Stripe funding source (170 Python files)"),
]
MARK = "# pcilint-bench app edit"


def ensure(projects: list[Project], mirror: Path | None, log) -> dict[str, Path]:
    """Check each project out (once) and make it a git repository with one commit."""
    APP_DIR.mkdir(parents=True, exist_ok=True)
    prepare(projects, APP_DIR, mirror, log=lambda *a, **k: log(" ".join(map(str, a))))
    trees = {}
    for p in projects:
        tree = APP_DIR / p.slug
        if not (tree / ".git").exists():
            env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
                       GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
            for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "pinned tree",
                                                        "--no-verify"]):
                subprocess.run(["git", *cmd], cwd=tree, env=env, check=True)
        (tree / ".semgrepignore").write_text("# scan everything (no default ignores)\n")
        trees[p.repo] = tree
    return trees


def _py_files(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if ".git" not in p.parts)


def spread(tree: Path, n: int) -> list[Path]:
    files = _py_files(tree)
    step = max(1, len(files) // n)
    return files[::step][:n]


def edit(files: list[Path], round_no: int) -> None:
    for p in files:
        restore([p])
        with open(p, "a", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(f"\n{MARK} {round_no}\n")


def restore(files: list[Path]) -> None:
    for p in files:
        data = p.read_bytes()
        i = data.find(f"\n{MARK}".encode())
        if i >= 0:
            p.write_bytes(data[:i])


def floor(tree: Path, jobs: int) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "parse_floor.py"), str(tree), "--jobs",
                           str(jobs)], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip()[-500:]}
    return json.loads(proc.stdout)


def bench(args, run, pcilint: list[str], bin_dir: Path, semgrep_rules: Path, log) -> str:
    mirror = args.mirror or os.environ.get("PCILINT_BENCH_MIRROR") \
        or os.environ.get("PCILINT_ECOSYSTEM_MIRROR")
    projects = [p for p in PROJECTS if not args.project or p.repo in args.project]
    trees = ensure(projects, Path(mirror) if mirror else None, log)
    jobs = str(args.jobs)
    scratch = Path(tempfile.mkdtemp(prefix="pcilint-app-"))
    env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0",
               XDG_CACHE_HOME=str(scratch / "xdg"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out: list[str] = []
    raw: dict[str, dict] = {}
    for project in projects:
        tree = trees[project.repo]
        one = spread(tree, 1)
        twenty = spread(tree, 20)
        restore(twenty + one)
        n_files = len(_py_files(tree))
        n_lines = sum(p.read_bytes().count(b"\n") for p in _py_files(tree))
        log(f"{project.repo}: {n_files} Python files, {n_lines:,} lines")
        results: dict[str, list[dict]] = {}
        floors = []
        for r in range(args.rounds):
            cache = scratch / f"{project.slug}-{r}"
            base = [*pcilint, "check", ".", "-j", jobs, "--exit-zero", "-q", "--format", "json",
                    "--cache-dir", str(cache)]
            rows = [
                ("pcilint cold", base, None, None),
                ("pcilint warm", base, None, None),
                ("pcilint one changed file", base, lambda: edit(one, r), lambda: restore(one)),
                ("pcilint --diff, 20 files changed", [*base, "--diff", "HEAD"],
                 lambda: edit(twenty, r), lambda: restore(twenty)),
            ]
            if (bin_dir / "bandit").exists():
                rows.append(("bandit -r", [str(bin_dir / "bandit"), "-r", ".", "-q", "-f", "json",
                                           "-o", str(scratch / "bandit.json")], None, None))
            if (bin_dir / "semgrep").exists():
                rows.append(("semgrep (6 rules)", [
                    str(bin_dir / "semgrep"), "scan", "--config", str(semgrep_rules),
                    "--metrics=off", "--disable-version-check", "--no-git-ignore", "-j", jobs,
                    "--quiet", "--json", "--output", str(scratch / "semgrep.json"), "."],
                    None, None))
            if (bin_dir / "ruff").exists():
                rows.append(("ruff check --select S", [str(bin_dir / "ruff"), "check", "--select",
                                                       "S", "--no-cache", "--exit-zero", "-q",
                                                       "."], None, None))
            for label, cmd, before, after in rows:
                if before:
                    before()
                try:
                    m = run(cmd, tree, env)
                finally:
                    if after:
                        after()
                log(f"  {label:<34} {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s  "
                    f"{m['rss_mb']:6.0f} MB  rc={m['rc']}")
                if m["rc"] not in (0, 1):
                    log("    " + m["stderr"].strip().replace("\n", "\n    ")[-800:])
                results.setdefault(label, []).append(m)
            floors.append(floor(tree, args.jobs))
            log(f"  parse floor: {floors[-1]}")
        med = {k: statistics.median(m["wall"] for m in v) for k, v in results.items()}
        cpu = {k: statistics.median(m["cpu"] for m in v) for k, v in results.items()}
        rss = {k: max(m["rss_mb"] for m in v) for k, v in results.items()}
        good_floors = [f for f in floors if "parse_wall_s" in f]
        fl = statistics.median(f["parse_wall_s"] for f in good_floors) if good_floors else None
        cold = med["pcilint cold"]
        out += [f"### {project.repo}@{project.commit[:12]}: {n_files:,} Python files, "
                f"{n_lines:,} lines", ""]
        if good_floors:
            f0 = good_floors[0]
            out += [f"pcilint parses {f0['files_parsed']:,} of {f0['files_discovered']:,} files "
                    f"({f0['lines_parsed']:,} lines); libcst's parse of those alone: "
                    f"{fl:.2f} s wall on {args.jobs} processes ({f0['parse_cpu_s']:.2f} s CPU).", ""]
        out += ["| command | wall (median) | CPU | pcilint cold / this | peak RSS |",
                "|---|---|---|---|---|"]
        for k, t in med.items():
            ratio = f"{cold / t:.2f}x" if not k.startswith("pcilint") else ""
            out.append(f"| {k} | {t:.2f} s | {cpu[k]:.2f} s | {ratio} | {rss[k]:.0f} MB |")
        if fl:
            out.append(f"| libcst parse floor | {fl:.2f} s | | {cold / fl:.2f}x | |")
        checks = [("warm <= 1.0 s", med["pcilint warm"] <= 1.0),
                  ("one changed file <= 0.5 s", med["pcilint one changed file"] <= 0.5),
                  ("peak RSS <= 500 MB",
                   max(v for k, v in rss.items() if k.startswith("pcilint")) <= 500)]
        if "semgrep (6 rules)" in med:
            checks.append(("cold <= 1.5x Semgrep (6 rules)", cold <= 1.5 * med["semgrep (6 rules)"]))
        if "bandit -r" in med:
            checks.append((">= 4x faster than Bandit", med["bandit -r"] >= 4 * cold))
        if fl:
            checks.append(("cold <= 2x the parse floor", cold <= 2 * fl))
        out += ["", "targets: " + "; ".join(f"[{'x' if ok else ' '}] {name}" for name, ok in checks),
                ""]
        raw[project.repo] = {"files": n_files, "lines": n_lines, "results": results,
                             "floor": floors}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    out.append(f"{args.rounds} interleaved round(s), medians; -j {args.jobs}; {os.cpu_count()} "
               f"CPUs; load average at the end {load:.1f}")
    shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    return "\n".join(out)
