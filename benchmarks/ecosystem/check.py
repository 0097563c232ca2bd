#!/usr/bin/env python3
"""The ecosystem check: pcilint over pinned real payment projects, scored against hand labels.

    python benchmarks/ecosystem/check.py validate                  # the three lists are well formed
    python benchmarks/ecosystem/check.py prepare --mirror DIR      # check the pinned commits out
    python benchmarks/ecosystem/check.py run --pcilint pcilint -o main.json
    python benchmarks/ecosystem/check.py run --rev HEAD~3 -o old.json     # a revision of this repo
    python benchmarks/ecosystem/check.py score main.json [--details]
    python benchmarks/ecosystem/check.py compare old.json main.json       # or two revisions
    python benchmarks/ecosystem/check.py all --mirror DIR           # prepare, run, score

Like Ruff's and mypy's ecosystem checks: the projects' code stays outside this repository (by
default in ``~/.cache/pcilint-ecosystem``); only the list (``projects.txt``), the labels
(``labels.tsv``), the triage of findings (``triage.tsv``) and this script are committed.  Sources
come from GitHub (``https://github.com/owner/repo``, the pinned commit) or, on an offline machine,
from a mirror folder (``--mirror DIR`` or ``$PCILINT_ECOSYSTEM_MIRROR``) holding bare or normal git
repositories named ``owner+repo`` or ``owner/repo`` (``.git`` suffix optional).  Repositories
reserved for independent evaluation (``--reserved``, default ``$PCILINT_EVAL_RESERVED`` or
``/work/shared/eval-reserved.txt``) are refused everywhere.  Standard library only; see
docs/ecosystem.md for the label format and the scoring rules.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
PROJECTS = HERE / "projects.txt"
LABELS = HERE / "labels.tsv"
TRIAGE = HERE / "triage.tsv"
DEFAULT_SRC = Path(os.environ.get("PCILINT_ECOSYSTEM_SRC", "~/.cache/pcilint-ecosystem")).expanduser()
DEFAULT_RESERVED = Path(os.environ.get("PCILINT_EVAL_RESERVED", "/work/shared/eval-reserved.txt"))
GITHUB = "https://github.com/{repo}"
STATE = ".pcilint-ecosystem"  # under --src: git dirs, stamps and cached revision venvs

# The contract's categories (PCI<digit>xx), in code order.
CATEGORIES = ["logging", "storage", "caching", "transmission", "transport", "webhook", "secrets",
              "validation", "dependencies"]
LABEL_KINDS = ("violation", "lookalike")
VERDICTS = ("true", "false", "duplicate")
LABEL_HEADER = ["repo", "path", "line", "label", "category", "note"]
TRIAGE_HEADER = ["repo", "path", "line", "rule_id", "verdict", "class", "reason"]
KINDS = ("library", "shop", "saas", "sample", "student")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
_RULE = re.compile(r"^PCI\d{3}$")
NEAR = 3  # lines: a finding this close to a missed label is shown as "reported elsewhere" (not counted)


class EcoError(Exception):
    """A bad input file or a failed step; the message names the file (and line)."""


# -- the three lists ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Project:
    repo: str
    commit: str
    kind: str
    note: str

    @property
    def slug(self) -> str:
        return self.repo.replace("/", "+")


@dataclass(frozen=True)
class Label:
    repo: str
    path: str
    line: int
    label: str
    category: str
    note: str
    where: str  # file:line of the row, for messages


@dataclass(frozen=True)
class Triage:
    repo: str
    path: str
    line: int
    rule_id: str
    verdict: str
    cls: str
    reason: str
    where: str


def load_reserved(path: Path | None) -> set[str]:
    """Lower-cased ``owner/name`` of every reserved repository (empty when there is no list)."""
    if path is None or not path.is_file():
        return set()
    return {line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")}


def refuse_reserved(repos: Iterable[tuple[str, str]], reserved: set[str]) -> None:
    """Raise for the first (repo, where) pair naming a reserved repository."""
    for repo, where in repos:
        if repo.lower() in reserved:
            raise EcoError(f"{where}: {repo} is reserved for independent evaluation and must not be used")


def _rows(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank, non-comment lines with their 1-based numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EcoError(f"{path}: cannot read ({exc.strerror})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def parse_projects(path: Path, reserved: set[str] = frozenset()) -> list[Project]:
    """``owner/repo@<40-hex commit>  <kind>  # note`` per line."""
    projects: list[Project] = []
    seen: set[str] = set()
    for number, line in _rows(path):
        where = f"{path}:{number}"
        body, _, note = line.partition("#")
        parts = body.split()
        if len(parts) != 2 or "@" not in parts[0]:
            raise EcoError(f"{where}: expected `owner/repo@commit kind  # note`, got {line.strip()!r}")
        repo, _, commit = parts[0].partition("@")
        if not _REPO.match(repo):
            raise EcoError(f"{where}: {repo!r} is not owner/repo")
        if not _SHA.match(commit):
            raise EcoError(f"{where}: the commit of {repo} must be 40 lower-case hex digits")
        if parts[1] not in KINDS:
            raise EcoError(f"{where}: kind {parts[1]!r} is not one of {', '.join(KINDS)}")
        if repo.lower() in seen:
            raise EcoError(f"{where}: {repo} is listed twice")
        seen.add(repo.lower())
        refuse_reserved([(repo, where)], reserved)
        projects.append(Project(repo, commit, parts[1], note.strip()))
    return projects


def _tsv(path: Path, header: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Rows of a TSV whose first row is ``header``; blank and ``#`` lines skipped."""
    rows = _rows(path)
    first = next(rows, None)
    if first is None or first[1].split("\t") != header:
        raise EcoError(f"{path}:{first[0] if first else 1}: the header must be {chr(9).join(header)!r}")
    for number, line in rows:
        cells = line.split("\t")
        if len(cells) < len(header) - 1 or len(cells) > len(header):
            raise EcoError(f"{path}:{number}: expected {len(header)} tab-separated columns "
                           f"({', '.join(header)}), got {len(cells)}")
        yield f"{path}:{number}", [c.strip() for c in cells] + [""] * (len(header) - len(cells))


def _check_location(where: str, repo: str, rel: str, line: str, repos: set[str],
                    reserved: set[str]) -> int:
    refuse_reserved([(repo, where)], reserved)
    if repo not in repos:
        raise EcoError(f"{where}: {repo!r} is not in the project list")
    if not rel or rel.startswith("/") or ".." in rel.split("/") or "\\" in rel:
        raise EcoError(f"{where}: path {rel!r} must be relative to the project root, with / separators")
    if not line.isdigit() or int(line) < 1:
        raise EcoError(f"{where}: line {line!r} must be a positive integer")
    return int(line)


def parse_labels(path: Path, repos: set[str], reserved: set[str] = frozenset()) -> list[Label]:
    labels: list[Label] = []
    seen: dict[tuple[str, str, int, str], str] = {}
    for where, (repo, rel, line, kind, category, note) in _tsv(path, LABEL_HEADER):
        number = _check_location(where, repo, rel, line, repos, reserved)
        if kind not in LABEL_KINDS:
            raise EcoError(f"{where}: label {kind!r} must be one of {', '.join(LABEL_KINDS)}")
        if category not in CATEGORIES:
            raise EcoError(f"{where}: category {category!r} must be one of {', '.join(CATEGORIES)}")
        if not note:
            raise EcoError(f"{where}: every label needs a note saying why")
        key = (repo, rel, number, category)
        if key in seen:
            raise EcoError(f"{where}: {repo} {rel}:{number} {category} is already labelled at {seen[key]}")
        seen[key] = where
        labels.append(Label(repo, rel, number, kind, category, note, where))
    return labels


def parse_triage(path: Path, repos: set[str], reserved: set[str] = frozenset()) -> list[Triage]:
    rows: list[Triage] = []
    seen: dict[tuple[str, str, int, str], str] = {}
    for where, (repo, rel, line, rule_id, verdict, cls, reason) in _tsv(path, TRIAGE_HEADER):
        number = _check_location(where, repo, rel, line, repos, reserved)
        if not _RULE.match(rule_id):
            raise EcoError(f"{where}: rule {rule_id!r} is not a PCI code like PCI101")
        if verdict not in VERDICTS:
            raise EcoError(f"{where}: verdict {verdict!r} must be one of {', '.join(VERDICTS)}")
        if verdict == "false" and not (cls and reason):
            raise EcoError(f"{where}: a false finding needs a class and a reason")
        key = (repo, rel, number, rule_id)
        if key in seen:
            raise EcoError(f"{where}: {repo} {rel}:{number} {rule_id} is already triaged at {seen[key]}")
        seen[key] = where
        rows.append(Triage(repo, rel, number, rule_id, verdict, cls, reason, where))
    return rows


@dataclass
class Inputs:
    projects: list[Project]
    labels: list[Label]
    triage: list[Triage]


def load_inputs(args: argparse.Namespace) -> Inputs:
    reserved = load_reserved(args.reserved)
    projects = parse_projects(args.projects, reserved)
    repos = {p.repo for p in projects}
    labels = parse_labels(args.labels, repos, reserved) if args.labels.exists() else []
    triage = parse_triage(args.triage, repos, reserved) if args.triage.exists() else []
    return Inputs(projects, labels, triage)


def select(projects: list[Project], only: list[str] | None, reserved: set[str]) -> list[Project]:
    if not only:
        return projects
    refuse_reserved([(name, "--only") for name in only], reserved)
    wanted = {name.lower() for name in only}
    unknown = wanted - {p.repo.lower() for p in projects}
    if unknown:
        raise EcoError(f"--only: not in the project list: {', '.join(sorted(unknown))}")
    return [p for p in projects if p.repo.lower() in wanted]


# -- sources ------------------------------------------------------------------------------------
def git(*args: str, cwd: Path | None = None, data: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True)
    if proc.returncode:
        raise EcoError(f"git {' '.join(args[:3])}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def _git_dir(candidate: Path) -> Path | None:
    """The git directory of a normal or bare repository at ``candidate`` (None when it is neither)."""
    if (candidate / ".git").is_dir():
        return candidate / ".git"
    if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
        return candidate
    return None


def find_in_mirror(mirror: Path, repo: str) -> Path:
    owner, name = repo.split("/")
    for base in (mirror / f"{owner}+{name}", mirror / owner / name):
        for candidate in (base, base.with_name(base.name + ".git"), base / "repo"):
            found = _git_dir(candidate)
            if found is not None:
                return found
    raise EcoError(f"{mirror}: no git repository for {repo} (looked for {owner}+{name}[.git] and "
                   f"{owner}/{name}[.git])")


def fetch_from_github(repo: str, commit: str, state: Path) -> Path:
    """A bare repository under ``state`` holding ``commit`` of https://github.com/owner/repo."""
    git_dir = state / "git" / (repo.replace("/", "+") + ".git")
    if not git_dir.exists():
        git("init", "-q", "--bare", str(git_dir))
    url = GITHUB.format(repo=repo)
    try:  # GitHub serves any reachable commit by its id: a shallow fetch of just that commit
        git("--git-dir", str(git_dir), "fetch", "-q", "--depth", "1", url, commit)
    except EcoError:
        git("--git-dir", str(git_dir), "fetch", "-q", url, "+refs/heads/*:refs/heads/*")
    return git_dir


def materialize(git_dir: Path, commit: str, dest: Path) -> list[str]:
    """Write the tree of ``commit`` to ``dest``; returns the paths whose content is absent.

    A snapshot may lack large blobs (mirrors that drop files over a size limit, partial clones), so
    files are read with ``cat-file --batch`` and a missing blob skips that file instead of failing
    the checkout as ``git checkout`` would.  Symlinks and submodules are not written.
    """
    listing = git("--git-dir", str(git_dir), "ls-tree", "-r", "-z", "--full-tree", commit)
    blobs: list[tuple[str, str]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        mode, kind, sha = meta.split()
        if kind == b"blob" and mode != b"120000":
            blobs.append((sha.decode(), path.decode("utf-8", "surrogateescape")))
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    proc = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin and proc.stdout

    def feed() -> None:
        for sha, _ in blobs:
            proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    missing: list[str] = []
    for sha, rel in blobs:
        head = proc.stdout.readline().split()
        if len(head) != 3:  # "<sha> missing"
            missing.append(rel)
            continue
        content = proc.stdout.read(int(head[2]))
        proc.stdout.read(1)  # the newline after each object
        target = tmp / rel
        if ".." in Path(rel).parts or target.is_symlink():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    writer.join()
    proc.wait()
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return sorted(missing)


def prepare(projects: list[Project], src: Path, mirror: Path | None, log=print) -> None:
    state = src / STATE
    (state / "stamps").mkdir(parents=True, exist_ok=True)
    for project in projects:
        stamp = state / "stamps" / f"{project.slug}.json"
        dest = src / project.slug
        if stamp.exists() and dest.is_dir() and json.loads(stamp.read_text())["commit"] == project.commit:
            continue
        git_dir = find_in_mirror(mirror, project.repo) if mirror else \
            fetch_from_github(project.repo, project.commit, state)
        try:
            git("--git-dir", str(git_dir), "cat-file", "-e", f"{project.commit}^{{commit}}")
        except EcoError:
            raise EcoError(f"{git_dir}: commit {project.commit} of {project.repo} is not there") from None
        missing = materialize(git_dir, project.commit, dest)
        stamp.write_text(json.dumps({"commit": project.commit, "missing": missing}, indent=1) + "\n")
        log(f"{project.repo}@{project.commit[:12]}: checked out"
            + (f" ({len(missing)} file(s) absent from the snapshot)" if missing else ""), file=sys.stderr)


# -- running pcilint ----------------------------------------------------------------------------
def install_revision(rev: str, src: Path) -> tuple[list[str], str]:
    """A pcilint command for revision ``rev`` of this repository, installed in a cached venv, and
    the name to show for it."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=REPO_ROOT).decode().strip()
    venv = src / STATE / "venvs" / sha
    exe = venv / "bin" / "pcilint"
    if not exe.exists():
        with tempfile.TemporaryDirectory() as tmp:
            archive = git("archive", "--format=tar", sha, cwd=REPO_ROOT)
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            shutil.rmtree(venv, ignore_errors=True)
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", tmp])
            if proc.returncode:
                shutil.rmtree(venv, ignore_errors=True)
                raise EcoError(f"pip could not install pcilint at {rev} ({sha[:12]})")
    return [str(exe)], f"pcilint {rev} ({sha[:12]})"


def run_pcilint(command: list[str], projects: list[Project], src: Path, timeout: float,
                extra: list[str], log=print, name: str | None = None) -> dict:
    """Scan each checked-out project; the findings, errors and failures as one results document."""
    results: dict[str, dict] = {}
    version = None
    for project in projects:
        where = src / project.slug
        entry: dict = {"commit": project.commit, "findings": [], "errors": 0, "failure": None}
        results[project.repo] = entry
        if not where.is_dir():
            entry["failure"] = f"not checked out in {src} (run `prepare` first)"
            continue
        argv = [*command, "check", ".", "--format", "json", "--no-cache", *extra]
        try:
            proc = subprocess.run(argv, cwd=where, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            entry["failure"] = f"timed out after {timeout:g} s"
            continue
        except OSError as exc:
            raise EcoError(f"cannot run {shlex.join(command)}: {exc.strerror}") from None
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            entry["failure"] = f"exit {proc.returncode}: {tail}"
            continue
        version = version or doc.get("tool", {}).get("version")
        entry["errors"] = len(doc.get("errors", []))
        entry["findings"] = sorted(
            ({k: f.get(k) for k in ("path", "line", "rule_id", "category", "severity", "message")}
             for f in doc.get("findings", [])),
            key=lambda f: (f["path"], f["line"], f["rule_id"]))
        log(f"{project.repo}: {len(entry['findings'])} finding(s), {entry['errors']} error(s)",
            file=sys.stderr)
    return {"ecosystem_results": 1,
            "pcilint": {"command": name or shlex.join(command), "version": version},
            "projects": results}


def load_results(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EcoError(f"{path}: not a results file ({exc})") from None
    if doc.get("ecosystem_results") != 1 or not isinstance(doc.get("projects"), dict):
        raise EcoError(f"{path}: not a results file written by `check.py run`")
    return doc


# -- scoring ------------------------------------------------------------------------------------
Key = tuple[str, str, int]  # repo, path, line


def _findings(results: dict) -> list[tuple[str, dict]]:
    return [(repo, f) for repo, entry in sorted(results["projects"].items()) for f in entry["findings"]]


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.0f}%" if den else "–"


@dataclass
class Score:
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    misses: list[tuple[Label, list[dict]]] = field(default_factory=list)
    flagged: list[tuple[Label, list[dict]]] = field(default_factory=list)
    unlabelled: list[tuple[str, dict]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    triage: dict[str, Counter] = field(default_factory=dict)
    false_classes: Counter = field(default_factory=Counter)
    untriaged: list[tuple[str, dict]] = field(default_factory=list)
    stale_triage: list[Triage] = field(default_factory=list)
    triaged_projects: list[str] = field(default_factory=list)


def score(results: dict, labels: list[Label], triage: list[Triage] = ()) -> Score:
    """Recall per category, look-alikes flagged, and the findings no label or triage row explains.

    A labelled violation is found when pcilint reports a finding of the label's category on that
    path and line (exact: the contract fixes the reporting line).  A look-alike is flagged when a
    finding of its category lands on its line.  Labels of projects that were not scanned count as
    not found.  Labels and triage rows of projects the results do not cover (a run with
    ``--only``) are left out.
    """
    labels = [l for l in labels if l.repo in results["projects"]]
    triage = [t for t in triage if t.repo in results["projects"]]
    out = Score()
    scanned = {repo for repo, entry in results["projects"].items() if entry["failure"] is None}
    out.failures = {repo: e["failure"] for repo, e in sorted(results["projects"].items()) if e["failure"]}
    by_line: dict[tuple[str, str, int, str], list[dict]] = defaultdict(list)
    by_file: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for repo, f in _findings(results):
        by_line[(repo, f["path"], f["line"], f["category"])].append(f)
        by_file[(repo, f["path"], f["category"])].append(f)
    rows = {c: Counter() for c in CATEGORIES}
    explained = {(l.repo, l.path, l.line, l.category) for l in labels}
    for label in labels:
        key = (label.repo, label.path, label.line, label.category)
        hits = by_line.get(key, []) if label.repo in scanned else []
        row = rows[label.category]
        if label.label == "violation":
            row["violations"] += 1
            if hits:
                row["found"] += 1
            else:
                # a finding a few lines away that no other label explains: likely the same
                # defect reported on another line (shown, never counted)
                near = [f for f in by_file.get((label.repo, label.path, label.category), [])
                        if abs(f["line"] - label.line) <= NEAR
                        and (label.repo, f["path"], f["line"], label.category) not in explained]
                out.misses.append((label, near))
        else:
            row["lookalikes"] += 1
            if hits:
                row["flagged"] += 1
                out.flagged.append((label, hits))
    for repo, f in _findings(results):
        rows.setdefault(f["category"], Counter())["findings"] += 1
        if (repo, f["path"], f["line"], f["category"]) not in explained:
            rows[f["category"]]["unlabelled"] += 1
            out.unlabelled.append((repo, f))
    out.rows = rows
    # triage: every finding of a triaged project carries a verdict
    verdicts = {(t.repo, t.path, t.line, t.rule_id): t for t in triage}
    out.triaged_projects = sorted({t.repo for t in triage})
    present: set[tuple[str, str, int, str]] = set()
    for repo, f in _findings(results):
        if repo not in out.triaged_projects:
            continue
        key = (repo, f["path"], f["line"], f["rule_id"])
        present.add(key)
        t = verdicts.get(key)
        if t is None:
            out.untriaged.append((repo, f))
            continue
        out.triage.setdefault(f["category"], Counter())[t.verdict] += 1
        if t.verdict == "false":
            out.false_classes[t.cls] += 1
    out.stale_triage = [t for key, t in sorted(verdicts.items()) if key not in present
                        and t.repo in scanned]
    return out


def render_score(s: Score, results: dict, details: bool) -> str:
    lines = [f"## pcilint ecosystem check ({results['pcilint'].get('version') or '?'}: "
             f"`{results['pcilint']['command']}`)", "",
             f"{len(results['projects'])} projects, {len(s.failures)} not scanned.", "",
             "| category | violations | found | recall | look-alikes | flagged | findings | unlabelled |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = Counter()
    for category in CATEGORIES + sorted(set(s.rows) - set(CATEGORIES)):
        r = s.rows.get(category, Counter())
        total.update(r)
        lines.append(f"| {category} | {r['violations']} | {r['found']} | {_pct(r['found'], r['violations'])} "
                     f"| {r['lookalikes']} | {r['flagged']} | {r['findings']} | {r['unlabelled']} |")
    lines.append(f"| **all** | {total['violations']} | {total['found']} | "
                 f"{_pct(total['found'], total['violations'])} | {total['lookalikes']} | {total['flagged']} "
                 f"| {total['findings']} | {total['unlabelled']} |")
    if s.triaged_projects:
        t_all = Counter()
        lines += ["", f"Triage of every finding in {len(s.triaged_projects)} projects "
                  "(precision = true / (true + false); duplicates left out):", "",
                  "| category | true | false | duplicate | precision |", "|---|---:|---:|---:|---:|"]
        for category in sorted(s.triage, key=lambda c: CATEGORIES.index(c) if c in CATEGORIES else 99):
            c = s.triage[category]
            t_all.update(c)
            lines.append(f"| {category} | {c['true']} | {c['false']} | {c['duplicate']} | "
                         f"{_pct(c['true'], c['true'] + c['false'])} |")
        lines.append(f"| **all** | {t_all['true']} | {t_all['false']} | {t_all['duplicate']} | "
                     f"{_pct(t_all['true'], t_all['true'] + t_all['false'])} |")
        if s.false_classes:
            lines += ["", "False findings by cause: " + ", ".join(
                f"{cls} {n}" for cls, n in sorted(s.false_classes.items(), key=lambda kv: (-kv[1], kv[0])))]
        if s.untriaged or s.stale_triage:
            lines += ["", f"Triage is out of date: {len(s.untriaged)} finding(s) without a verdict, "
                      f"{len(s.stale_triage)} verdict(s) for findings no longer reported."]
    if s.failures:
        lines += ["", "Not scanned (their labels count as not found):", ""]
        lines += [f"- {repo}: {why}" for repo, why in s.failures.items()]
    if details:
        lines += ["", f"### Missed violations ({len(s.misses)})", ""]
        for label, near in sorted(s.misses, key=lambda m: (CATEGORIES.index(m[0].category), m[0].repo,
                                                            m[0].path, m[0].line)):
            also = f" (reported at line {', '.join(str(f['line']) for f in near)})" if near else ""
            lines.append(f"- {label.category}: {label.repo} {label.path}:{label.line}{also} — {label.note}")
        lines += ["", f"### Look-alikes flagged ({len(s.flagged)})", ""]
        for label, hits in s.flagged:
            lines.append(f"- {label.repo} {label.path}:{label.line} {','.join(f['rule_id'] for f in hits)}"
                         f" — {label.note}")
        lines += ["", f"### Unlabelled findings ({len(s.unlabelled)})", ""]
        for repo, f in s.unlabelled:
            lines.append(f"- {repo} {f['path']}:{f['line']} {f['rule_id']} {f['message']}")
        if s.untriaged:
            lines += ["", f"### Findings of triaged projects without a verdict ({len(s.untriaged)})", ""]
            lines += [f"- {repo}\t{f['path']}\t{f['line']}\t{f['rule_id']}\t{f['message']}"
                      for repo, f in s.untriaged]
    return "\n".join(lines) + "\n"


def compare(a: dict, b: dict, labels: list[Label] = ()) -> str:
    """What changed between two results documents: counts per category, then each finding."""
    def keyed(doc: dict) -> dict[tuple[str, str, int, str], dict]:
        return {(repo, f["path"], f["line"], f["rule_id"]): f for repo, f in _findings(doc)}

    ka, kb = keyed(a), keyed(b)
    added = sorted(kb.keys() - ka.keys())
    removed = sorted(ka.keys() - kb.keys())
    kinds = {(l.repo, l.path, l.line, l.category): l.label for l in labels}

    def tag(key: tuple[str, str, int, str], f: dict) -> str:
        return kinds.get((key[0], key[1], key[2], f["category"]), "unlabelled")

    count_a = Counter(f["category"] for f in ka.values())
    count_b = Counter(f["category"] for f in kb.values())
    plus = Counter(kb[k]["category"] for k in added)
    minus = Counter(ka[k]["category"] for k in removed)
    lines = [f"## Findings: `{a['pcilint']['command']}` → `{b['pcilint']['command']}`", "",
             "| category | before | after | added | removed |", "|---|---:|---:|---:|---:|"]
    for category in [c for c in CATEGORIES if count_a[c] or count_b[c]]:
        lines.append(f"| {category} | {count_a[category]} | {count_b[category]} | {plus[category]} "
                     f"| {minus[category]} |")
    lines.append(f"| **all** | {len(ka)} | {len(kb)} | {len(added)} | {len(removed)} |")
    for title, keys, doc in (("Added", added, kb), ("Removed", removed, ka)):
        lines += ["", f"### {title} ({len(keys)})", ""]
        lines += [f"- [{tag(k, doc[k])}] {k[0]} {k[1]}:{k[2]} {k[3]} {doc[k]['message']}" for k in keys] \
            or ["(none)"]
    changed = sorted(r for r in set(a["projects"]) | set(b["projects"])
                     if (a["projects"].get(r) or {}).get("failure") != (b["projects"].get(r) or {}).get("failure"))
    if changed:
        lines += ["", "### Scan failures that changed", ""]
        for repo in changed:
            lines.append(f"- {repo}: {(a['projects'].get(repo) or {}).get('failure')} → "
                         f"{(b['projects'].get(repo) or {}).get('failure')}")
    return "\n".join(lines) + "\n"


# -- command line -------------------------------------------------------------------------------
def _command(args: argparse.Namespace) -> tuple[list[str], str]:
    if args.rev:
        return install_revision(args.rev, args.src)
    command = shlex.split(args.pcilint or "pcilint")
    return command, shlex.join(command)


def _run(args: argparse.Namespace, inputs: Inputs, command: tuple[list[str], str]) -> dict:
    projects = select(inputs.projects, args.only, load_reserved(args.reserved))
    extra = ["--jobs", str(args.jobs)] if args.jobs is not None else []
    return run_pcilint(command[0], projects, args.src, args.timeout, extra, name=command[1])


def _write(doc: dict, out: Path | None) -> None:
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _results_or_revision(value: str, args: argparse.Namespace, inputs: Inputs) -> dict:
    if Path(value).is_file():
        return load_results(Path(value))
    args.rev = value
    return _run(args, inputs, _command(args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--projects", type=Path, default=PROJECTS)
    common.add_argument("--labels", type=Path, default=LABELS)
    common.add_argument("--triage", type=Path, default=TRIAGE)
    common.add_argument("--reserved", type=Path, default=DEFAULT_RESERVED,
                        help="repositories that must never be used (default: %(default)s)")
    common.add_argument("--src", type=Path, default=DEFAULT_SRC,
                        help="where checkouts go (default: %(default)s; env PCILINT_ECOSYSTEM_SRC)")
    common.add_argument("--only", nargs="+", metavar="OWNER/REPO", help="just these projects")
    source = argparse.ArgumentParser(add_help=False)
    source.add_argument("--mirror", type=Path, default=os.environ.get("PCILINT_ECOSYSTEM_MIRROR"),
                        help="folder of git repositories named owner+repo or owner/repo "
                             "(env PCILINT_ECOSYSTEM_MIRROR); default: clone from GitHub")
    runner = argparse.ArgumentParser(add_help=False)
    which = runner.add_mutually_exclusive_group()
    which.add_argument("--pcilint", metavar="CMD", help="the pcilint command to run (default: pcilint)")
    which.add_argument("--rev", metavar="REV", help="a git revision of this repository, installed in a venv")
    runner.add_argument("--timeout", type=float, default=900.0, help="seconds per project")
    runner.add_argument("--jobs", type=int, help="passed to pcilint --jobs")
    runner.add_argument("-o", "--output", type=Path, help="write the results document here")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("validate", parents=[common], help="check projects.txt, labels.tsv and triage.tsv")
    sub.add_parser("prepare", parents=[common, source], help="check the pinned commits out under --src")
    sub.add_parser("run", parents=[common, runner], help="run pcilint over every checked-out project")
    p = sub.add_parser("score", parents=[common], help="recall, look-alikes, findings of a results file")
    p.add_argument("results", type=Path)
    p.add_argument("--details", action="store_true", help="list misses, flagged look-alikes, unlabelled")
    p = sub.add_parser("compare", parents=[common, runner], help="findings added and removed from A to B")
    p.add_argument("a", metavar="A", help="a results file or a git revision of this repository")
    p.add_argument("b", metavar="B")
    p = sub.add_parser("all", parents=[common, source, runner], help="prepare, run and score")
    p.add_argument("--details", action="store_true")
    args = parser.parse_args(argv)
    try:
        inputs = load_inputs(args)
        if args.cmd == "validate":
            counts = Counter((l.label, l.category) for l in inputs.labels)
            print(f"{len(inputs.projects)} projects, {len(inputs.labels)} labels "
                  f"({sum(v for (k, _), v in counts.items() if k == 'violation')} violations, "
                  f"{sum(v for (k, _), v in counts.items() if k == 'lookalike')} look-alikes), "
                  f"{len(inputs.triage)} triaged findings")
            for category in CATEGORIES:
                print(f"  {category:13} {counts[('violation', category)]:4} violations "
                      f"{counts[('lookalike', category)]:4} look-alikes")
            return 0
        reserved = load_reserved(args.reserved)
        if args.cmd in ("prepare", "all"):
            prepare(select(inputs.projects, args.only, reserved), args.src, args.mirror)
        if args.cmd in ("run", "all"):
            doc = _run(args, inputs, _command(args))
            _write(doc, args.output)
            if args.cmd == "all":
                print(render_score(score(doc, inputs.labels, inputs.triage), doc, args.details), end="")
        elif args.cmd == "score":
            doc = load_results(args.results)
            print(render_score(score(doc, inputs.labels, inputs.triage), doc, args.details), end="")
        elif args.cmd == "compare":
            a = _results_or_revision(args.a, args, inputs)
            b = _results_or_revision(args.b, args, inputs)
            print(compare(a, b, inputs.labels), end="")
    except EcoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
