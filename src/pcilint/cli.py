"""The ``pcilint`` command line (click)."""

from __future__ import annotations

import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from pcilint import __version__
from pcilint.config import Settings, find_config, load_config
from pcilint.errors import PcilintError
from pcilint.findings import SEVERITIES, severity_at_least

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2



def _echo(message: str = "", **kwargs: object) -> None:
    """Everything pcilint prints goes through the output masker (file names can hold a PAN)."""
    from pcilint.masking import mask_output

    click.echo(mask_output(str(message)), **kwargs)  # type: ignore[arg-type]

def _split_codes(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out += [c.strip().upper() for c in v.split(",") if c.strip()]
    return out


def _load_settings(config: str | None, paths: list[Path]) -> Settings:
    if config:
        path = Path(config)
        if not path.is_file():
            raise PcilintError("configuration file not found", path=config)
        return load_config(path)
    start = paths[0] if paths else Path.cwd()
    return load_config(find_config(start))


def use_color(choice: str, stream: Any) -> bool:
    """``--color``: always / never, or (auto) only on a terminal, without NO_COLOR, not TERM=dumb."""
    choice = choice.lower()
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _fail(exc: BaseException, debug: bool) -> None:
    from pcilint.masking import mask_text  # tracebacks and messages can quote scanned values

    if debug:
        _echo(mask_text(traceback.format_exc()), err=True, nl=False)
    if isinstance(exc, PcilintError):
        _echo(f"pcilint: error: {exc}", err=True)
    else:
        first = (str(exc).splitlines() or [""])[0]
        _echo(mask_text(f"pcilint: internal error: {type(exc).__name__}: {first} "
                             "(rerun with --debug for the traceback, and please report it)"),
                   err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pcilint")
def main() -> None:
    """Find PCI card-data leakage in Python projects that integrate Stripe."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "formats", multiple=True, default=("text",), show_default=True,
              help="Output format: text, json, sarif, junit, gitlab, github, markdown, html; "
                   "repeat with --output for several reports.")
@click.option("--output", "-o", "outputs", multiple=True, type=click.Path(path_type=Path),
              help="Write the matching --format to this file (atomically) instead of stdout; "
                   "'-' is stdout (for one of several formats).")
@click.option("--select", multiple=True, help="Only these rule codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rule codes or prefixes (comma-separated).")
@click.option("--fail-on", type=click.Choice(SEVERITIES, case_sensitive=False), default=None,
              help="Lowest severity that fails the run (default: low, or config fail_on).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--fail-on-errors/--no-fail-on-errors", "fail_on_errors", default=None,
              help="Fail the run (exit 1) when a file could not be analysed (default: on, or "
                   "config fail_on_errors): CI must not pass over code nobody read.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (0 = all cores).")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="Extra YAML rule file or directory (repeatable).")
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest one found).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--show-trace", is_flag=True, help="Show how card data reached each sink.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule.")
@click.option("--warn-unused-ignores", is_flag=True,
              help="Report `# pcilint: ignore` comments that suppressed nothing (configuration "
                   "`warn_unused_ignores = \"fail\"` also fails the run on them).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=5 * 1024 * 1024,
              show_default=True, help="Skip files larger than this many bytes.")
@click.option("--file-timeout", type=float, default=60.0, show_default=True,
              help="Seconds one file may take before its analysis is stopped (0 = no limit).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              envvar="PCILINT_CACHE_DIR", show_envvar=True,
              help="Result cache directory (default: .pcilint_cache in the current directory).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--baseline", type=click.Path(path_type=Path),
              help="Report only findings not recorded in this baseline file.")
@click.option("--update-baseline", is_flag=True,
              help="Rewrite the --baseline file with the current findings.")
@click.option("--diff", "--changed-since", "diff_rev", metavar="REV",
              help="Report only findings on lines changed since git revision REV.")
@click.option("--color", "--colour", "color", type=click.Choice(["auto", "always", "never"],
              case_sensitive=False), default="auto", show_default=True,
              help="Colour the text report: auto = only on a terminal and when NO_COLOR is unset.")
@click.option("--fix", is_flag=True,
              help="Apply the safe autofixes in place, then report what remains.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Also apply the fixes that change behaviour (secrets to environment "
                   "variables, masking, webhook verification); implies --fix unless --show-fixes.")
@click.option("--show-fixes", is_flag=True,
              help="Print the autofixes as a unified diff and write nothing (exit 1 when there "
                   "is something to fix).")
@click.option("--add-ignore", "add_ignore", metavar="REASON",
              help="Add `# pcilint: ignore[CODE] -- REASON` to every reported finding (adopting "
                   "pcilint on a legacy code base), then report what remains.")
def check(paths: tuple[Path, ...], formats: tuple[str, ...], outputs: tuple[Path, ...],
          select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None, exit_zero: bool,
          jobs: int, rule_paths: tuple[Path, ...], config: str | None, quiet: bool,
          show_trace: bool, statistics: bool, warn_unused_ignores: bool, max_file_size: int,
          file_timeout: float, no_cache: bool, cache_dir: Path | None, debug: bool,
          fail_on_errors: bool | None = None, **narrowing: Any) -> None:
    """Scan PATHS (default: the current directory) for card-data leaks."""
    try:
        missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
        if missing:
            raise PcilintError(f"no such file or directory: {', '.join(missing)}", field="PATHS")
        code = _check(list(paths) or [Path(".")], formats, outputs, select, ignore, fail_on,
                      exit_zero, jobs, rule_paths, config, quiet, show_trace, statistics,
                      warn_unused_ignores, max_file_size, file_timeout,
                      cache_dir=None if no_cache else (cache_dir or Path(".pcilint_cache")),
                      fail_on_errors=fail_on_errors, **narrowing)
    except KeyboardInterrupt:
        _echo("pcilint: interrupted", err=True)
        sys.exit(130)
    except (PcilintError, Exception) as exc:  # noqa: BLE001 - never crash with a raw traceback
        _fail(exc, debug)
    else:
        sys.exit(code)


def _check(paths: list[Path], formats: tuple[str, ...], outputs: tuple[Path, ...],
           select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None, exit_zero: bool,
           jobs: int, rule_paths: tuple[Path, ...], config: str | None, quiet: bool,
           show_trace: bool, statistics: bool, warn_unused_ignores: bool, max_file_size: int,
           file_timeout: float, baseline: Path | None = None, update_baseline: bool = False,
           diff_rev: str | None = None, cache_dir: Path | None = None,
           fail_on_errors: bool | None = None, fix: bool = False, unsafe_fixes: bool = False,
           show_fixes: bool = False, add_ignore: str | None = None, color: str = "auto") -> int:
    from pcilint.engine import Options, Scanner
    from pcilint.progress import progress_for
    from pcilint.reporters import FORMATS, ReportContext, get_renderer
    from pcilint.reporters.output import write_atomic
    from pcilint.reporters.statistics import statistics_lines
    from pcilint.scope import Scope

    formats = tuple(f.lower() for f in formats)
    for fmt in formats:
        if fmt not in FORMATS:
            raise PcilintError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})",
                               field="--format")
    if outputs and len(outputs) != len(formats):
        raise PcilintError("give one --output per --format (or none to print one format)",
                           field="--output")
    if not outputs and len(formats) > 1:
        raise PcilintError("several --format values need an --output each", field="--format")
    to_stdout = [not outputs or str(outputs[i]) == "-" for i in range(len(formats))]
    if sum(to_stdout) > 1:
        raise PcilintError("only one --format can go to stdout (--output -)", field="--output")
    rewriting = fix or unsafe_fixes or show_fixes or add_ignore is not None
    if rewriting and update_baseline:
        raise PcilintError("--update-baseline cannot be combined with --fix, --show-fixes or "
                           "--add-ignore", field="--update-baseline")
    if show_fixes and add_ignore is not None:
        raise PcilintError("--show-fixes previews the autofixes only; run --add-ignore on its own "
                           "(then `git diff` shows what it wrote)", field="--add-ignore")
    if add_ignore is not None and not add_ignore.strip():
        raise PcilintError("--add-ignore needs a reason, e.g. --add-ignore \"legacy, ticket "
                           "PAY-123\"", field="--add-ignore")
    settings = _load_settings(config, paths)
    options = Options(jobs=jobs, max_file_size=max_file_size, file_timeout=file_timeout,
                      select=_split_codes(select) or None, extend_ignore=_split_codes(ignore),
                      extra_rules=list(rule_paths), cache_dir=cache_dir, scan_roots=list(paths),
                      inventory=any(f in ("json", "html", "markdown") for f in formats))
    scanner = Scanner(settings, options)
    if cache_dir is not None and scanner.cache is None and not quiet:
        from pcilint.cache import Cache

        if Cache.refused:
            _echo(f"pcilint: cache off: {Cache.refused}", err=True)
    scope = Scope(baseline=baseline, update_baseline=update_baseline, diff_rev=diff_rev)
    progress = progress_for(enabled=not quiet)
    try:
        result = scanner.scan(paths, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    unused_mode = settings.warn_unused_ignores
    if warn_unused_ignores and unused_mode == "off":
        unused_mode = "warn"
    if unused_mode == "off":
        result.unused_suppressions = []
    narrowed = scope.apply(result, paths)
    for note in narrowed.notes:
        _echo(f"pcilint: {note}", err=True)
    if rewriting:
        from pcilint.fixes.run import fix_files, ignore_files

        if show_fixes:
            changes = fix_files(result.findings, unsafe=unsafe_fixes, write=False,
                                rules=scanner.rules)
            _echo(changes.diff, nl=False)
            more = f" ({changes.unsafe_left} more with --unsafe-fixes)" if changes.unsafe_left else ""
            _echo(f"pcilint: {changes.fixed} fix{'es' if changes.fixed != 1 else ''} in "
                  f"{len(changes.files)} file{'s' if len(changes.files) != 1 else ''} would be "
                  f"applied{more}; nothing was written", err=True)
            return EXIT_FINDINGS if changes.diff and not exit_zero else EXIT_OK
        changed = False
        if fix or unsafe_fixes:
            changes = fix_files(result.findings, unsafe=unsafe_fixes, write=True,
                                rules=scanner.rules)
            for finding, why in changes.not_done:
                _echo(f"pcilint: {finding.path}:{finding.line}: {finding.rule_id} not fixed: {why}",
                      err=True)
            more = (f"; {changes.unsafe_left} more with --unsafe-fixes" if changes.unsafe_left
                    else "")
            _echo(f"pcilint: fixed {changes.fixed} finding{'s' if changes.fixed != 1 else ''} in "
                  f"{len(changes.files)} file{'s' if len(changes.files) != 1 else ''}{more}",
                  err=True)
            changed = bool(changes.files)
        if add_ignore is not None:
            if changed:
                result = scanner.scan(paths)
                scope.apply(result, paths)
            changes = ignore_files(result.findings, add_ignore)
            for finding, why in changes.not_done:
                _echo(f"pcilint: {finding.path}:{finding.line}: {finding.rule_id} not suppressed: "
                      f"{why}", err=True)
            _echo(f"pcilint: added suppressions for {changes.fixed} finding"
                  f"{'s' if changes.fixed != 1 else ''} in {len(changes.files)} file"
                  f"{'s' if len(changes.files) != 1 else ''}", err=True)
            changed = changed or bool(changes.files)
        if changed:  # report what remains
            result = scanner.scan(paths)
            narrowed = scope.apply(result, paths)
    threshold = fail_on or settings.fail_on
    from pcilint import evidence

    evidence.add_exceptions(result, narrowed, Path.cwd())
    config_used = evidence.configuration(settings, options.select, options.extend_ignore, threshold)
    config_used["warn_unused_ignores"] = unused_mode
    ctx = ReportContext(rules=scanner.rules, show_trace=show_trace, statistics=statistics,
                        config_source=settings.source, scanned_paths=[str(p) for p in paths],
                        fail_on=threshold, baseline_path=narrowed.baseline_path,
                        baselined=narrowed.baselined, diff_rev=narrowed.diff_rev,
                        outside_diff=narrowed.outside_diff, cwd=os.getcwd(),
                        metadata=evidence.scan_metadata(paths, Path.cwd(), scanner.rules,
                                                        config_used))
    for i, fmt in enumerate(formats):
        ctx.color = fmt == "text" and to_stdout[i] and use_color(color, sys.stdout)
        text = get_renderer(fmt)(result, ctx)
        if fmt == "text" and quiet:
            # the summary is always the report's one last line: drop that line, not every line
            # that starts like it (a file named "Found it.py" hid its own findings)
            text = "".join(line + "\n" for line in text.splitlines()[:-1])
        if not to_stdout[i]:
            write_atomic(outputs[i], text)
        else:
            _echo(text, nl=False, color=ctx.color or None)
    # the text report carries statistics, errors and unused suppressions itself
    text_on_stdout = any(f == "text" and out for f, out in zip(formats, to_stdout))
    if statistics and not text_on_stdout:
        for line in statistics_lines(result, ctx):
            _echo(line, err=True)
    if not text_on_stdout:
        for e in result.errors:
            _echo(f"pcilint: {e.path}: {e.message}", err=True)
        for path, line, codes in result.unused_suppressions:
            _echo(f"pcilint: {path}:{line}: unused suppression ({codes})", err=True)
    failing = any(severity_at_least(f.severity, threshold) for f in result.findings)
    failing = failing or (unused_mode == "fail" and bool(result.unused_suppressions))
    if fail_on_errors is None:
        fail_on_errors = settings.fail_on_errors
    failing = failing or (fail_on_errors and bool(result.errors))
    return EXIT_FINDINGS if failing and not exit_zero else EXIT_OK


def _rule_filter(rules: list[Any], selectors: tuple[str, ...]) -> list[Any]:
    """Rules whose code starts with a selector (``PCI1``, ``PCI70``) or whose category or name it
    is (``webhook``, ``stripe-live-secret-key``); every rule when there is no selector."""
    if not selectors:
        return rules
    wanted = [s.strip() for v in selectors for s in v.split(",") if s.strip()]
    return [r for r in rules if any(
        r.id.startswith(w.upper()) or w.lower() in (r.category, r.name) for w in wanted)]


def _rule_json(rule: Any) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "category": rule.category,
            "severity": rule.severity, "pci_dss": list(rule.pci_dss), "summary": rule.summary,
            "message": rule.message, "fix": rule.fix, "autofix": rule.autofix,
            "references": list(rule.references), "tags": list(rule.tags), "kind": rule.kind}


def _rule_line(rule: Any) -> str:
    return f"{rule.id}  {rule.severity:<8} {rule.category:<12} {rule.name}: {rule.summary}"


@main.command("rules")
@click.argument("selectors", nargs=-1, metavar="[CODE-PREFIX|CATEGORY]...")
@click.option("--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False),
              default="text", show_default=True,
              help="text: one line per rule; json: a list of the rules' metadata.")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="Extra YAML rule file or directory (repeatable).")
@click.option("--config", type=click.Path(),
              help="Configuration file whose extend_rules are listed too (default: nearest one).")
def list_rules(selectors: tuple[str, ...], fmt: str, rule_paths: tuple[Path, ...],
               config: str | None) -> None:
    """List the rules (all, or those of a family such as PCI1 or a category such as webhook)."""
    import json

    from pcilint.checks import bind
    from pcilint.ruleset import load_rules

    try:
        settings = _load_settings(config, [])
        rules = _rule_filter(bind(load_rules(settings.extend_rules + list(rule_paths))),
                             selectors)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, False)
    if selectors and not rules:
        _echo(f"pcilint: error: no rule matches {' '.join(selectors)!r} (see `pcilint rules`)",
              err=True)
        sys.exit(EXIT_ERROR)
    if fmt.lower() == "json":
        _echo(json.dumps([_rule_json(r) for r in rules], indent=2, ensure_ascii=False))
        return
    for r in rules:
        _echo(_rule_line(r))


@main.command("rule")
@click.argument("code")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="Extra YAML rule file or directory (repeatable).")
def show_rule(code: str, rule_paths: tuple[Path, ...]) -> None:
    """Print the page of rule CODE (a code or a name); a family (PCI1) or category lists its rules."""
    from pcilint.checks import bind
    from pcilint.ruledoc import render_rule_page
    from pcilint.ruleset import load_rules

    try:
        rules = bind(load_rules(list(rule_paths)))
    except Exception as exc:  # noqa: BLE001
        _fail(exc, False)
    match = [r for r in rules if r.id == code.upper() or r.name == code]
    if match:
        _echo(render_rule_page(match[0]))
        return
    family = _rule_filter(rules, (code,)) if re.fullmatch(r"(?i)PCI[0-9]{0,2}|[a-z]+",
                                                           code) else []
    if not family:
        _echo(f"pcilint: error: no rule {code!r} (see `pcilint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    for r in family:
        _echo(_rule_line(r))


@main.command("test")
@click.argument("rule_paths", nargs=-1, type=click.Path(path_type=Path))
def test_rules(rule_paths: tuple[Path, ...]) -> None:
    """Run the examples of the rules in RULE_PATHS (default: the shipped packs) as tests.

    A bad example must be reported by its rule on exactly the lines its `# ruleid:` markers
    mark; a good one not at all (see docs/writing-rules.md).  Exit 1 when an example does not
    behave (each named by rule file and line), 2 when a rule file is invalid."""
    from pcilint.checks import bind
    from pcilint.ruleset import load_rules
    from pcilint.ruletest import check_rules

    try:
        rules = bind(load_rules(list(rule_paths)))
        own = {str(f) for p in rule_paths for f in _rule_files_of(p)}
        count, problems = check_rules(
            rules, (lambda r: r.source.rsplit(":", 1)[0] in own) if rule_paths else None)
    except Exception as exc:  # noqa: BLE001
        _fail(exc, False)
    for problem in problems:
        _echo(str(problem))
    _echo(f"{count} examples, {len(problems)} problems", err=bool(problems))
    sys.exit(EXIT_FINDINGS if problems else EXIT_OK)


def _rule_files_of(path: Path) -> list[Path]:
    from pcilint.ruleset import rule_files

    return rule_files(path) if path.exists() else []




@main.command("lsp")
def lsp() -> None:
    """Run the language server on stdin/stdout (for editors; needs `pip install 'pcilint[lsp]'`,
    see docs/editors.md)."""
    from pcilint.lsp import run

    try:
        run()
    except PcilintError as exc:
        _fail(exc, False)


@main.command("kinds")
def list_kinds() -> None:
    """Document the check kinds YAML rules can use, with their parameters."""
    import textwrap

    from pcilint.checks import KINDS, _load_all, kind_doc

    _load_all()
    for name in sorted(KINDS):
        cls = KINDS[name]
        _echo(f"{name}  (files: {', '.join(cls.FILE_KINDS)}; {cls.__module__.replace('.', '/')}.py)")
        for paragraph in re.split(r"\n\s*\n|\n(?=\s*[*-] )", kind_doc(cls)):
            _echo(textwrap.fill(" ".join(paragraph.split()), width=100, initial_indent="    ",
                                subsequent_indent="    ", break_on_hyphens=False))
        if cls.PARAMS:
            _echo("    parameters:")
        for pname, spec in cls.PARAMS.items():
            req = "required" if spec.required else f"default {spec.default!r}"
            _echo(f"      {pname}: {spec.type}, {req} - {spec.doc}")
        _echo("")


@main.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--ci", type=click.Choice(["auto", "github", "gitlab", "none"], case_sensitive=False),
              default="auto", show_default=True,
              help="CI workflow to write: GitHub Actions (SARIF upload) or GitLab CI (Code "
                   "Quality); auto = GitLab when .gitlab-ci.yml exists, else GitHub.")
@click.option("--repo", metavar="URL",
              help="Git URL of the pcilint repository the hook and CI install from (with --rev; "
                   "default: where this pcilint was pip-installed from, if from git).")
@click.option("--rev", metavar="COMMIT", help="Commit (or tag) of --repo to pin.")
def init(directory: Path | None, ci: str, repo: str | None, rev: str | None) -> None:
    """Set up pcilint in DIRECTORY (default: .): configuration, pre-commit hook, CI workflow.

    Never overwrites a file: what exists is skipped and said so."""
    from pcilint.projectinit import init_project

    if bool(repo) != bool(rev):
        _echo("pcilint: error: --repo and --rev go together", err=True)
        sys.exit(EXIT_ERROR)
    root = directory or Path(".")
    if not root.is_dir():
        _echo(f"pcilint: error: {root}: not a directory", err=True)
        sys.exit(EXIT_ERROR)
    try:
        steps, notes = init_project(root, ci.lower(), repo, rev)
    except OSError as exc:
        _echo(f"pcilint: error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    for step in steps:
        why = f" ({step.why})" if step.why else ""
        _echo(f"pcilint: {step.action} {step.path}{why}", err=True)
    for note in notes:
        _echo(f"pcilint: note: {note}", err=True)


@main.group("baseline")
def baseline_group() -> None:
    """Record today's findings so that `check --baseline` reports only new ones."""


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=Path(".pcilint-baseline.json"),
              show_default=True, help="Where to write the baseline.")
@click.option("--select", multiple=True, help="Only these rule codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, help="Skip these rule codes or prefixes (comma-separated).")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="Extra YAML rule file or directory (repeatable).")
@click.option("--config", type=click.Path(), help="Configuration file (default: nearest one found).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0,
              help="Worker processes (0 = all cores).")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def baseline_create(paths: tuple[Path, ...], output: Path, select: tuple[str, ...],
                    ignore: tuple[str, ...], rule_paths: tuple[Path, ...], config: str | None,
                    jobs: int, debug: bool) -> None:
    """Scan PATHS (default: .) and write every finding's fingerprint to the baseline file."""
    from pcilint.baseline import write_baseline
    from pcilint.engine import Options, Scanner

    try:
        scan_paths = list(paths) or [Path(".")]
        settings = _load_settings(config, scan_paths)
        options = Options(jobs=jobs, select=_split_codes(select) or None,
                          extend_ignore=_split_codes(ignore), extra_rules=list(rule_paths))
        result = Scanner(settings, options).scan(scan_paths)
        n = write_baseline(output, result.findings)
    except (PcilintError, Exception) as exc:  # noqa: BLE001
        _fail(exc, debug)
    for e in result.errors:
        _echo(f"pcilint: {e.path}: {e.message}", err=True)
    _echo(f"pcilint: wrote {n} finding{'s' if n != 1 else ''} from {result.files_scanned} "
               f"file{'s' if result.files_scanned != 1 else ''} to {output}", err=True)
