"""The ``pcilint`` command line (click)."""

from __future__ import annotations

import os
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
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
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
           fail_on_errors: bool | None = None) -> int:
    from pcilint.engine import Options, Scanner
    from pcilint.progress import progress_for
    from pcilint.reporters import FORMATS, ReportContext, get_renderer
    from pcilint.reporters.output import write_atomic
    from pcilint.reporters.statistics import statistics_lines
    from pcilint.scope import Scope

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
    settings = _load_settings(config, paths)
    options = Options(jobs=jobs, max_file_size=max_file_size, file_timeout=file_timeout,
                      select=_split_codes(select) or None, extend_ignore=_split_codes(ignore),
                      extra_rules=list(rule_paths), cache_dir=cache_dir,
                      inventory=any(f in ("json", "html", "markdown") for f in formats))
    scanner = Scanner(settings, options)
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
        text = get_renderer(fmt)(result, ctx)
        if fmt == "text" and quiet:
            # the summary is always the report's one last line: drop that line, not every line
            # that starts like it (a file named "Found it.py" hid its own findings)
            text = "".join(line + "\n" for line in text.splitlines()[:-1])
        if not to_stdout[i]:
            write_atomic(outputs[i], text)
        else:
            _echo(text, nl=False)
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


@main.command("rules")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path))
@click.option("--config", type=click.Path())
def list_rules(rule_paths: tuple[Path, ...], config: str | None) -> None:
    """List every rule: code, severity, category and summary."""
    from pcilint.ruleset import load_rules

    try:
        settings = _load_settings(config, [])
        rules = load_rules(settings.extend_rules + list(rule_paths))
    except Exception as exc:  # noqa: BLE001
        _fail(exc, False)
    for r in rules:
        _echo(f"{r.id}  {r.severity:<8} {r.category:<12} {r.name}: {r.summary}")


@main.command("rule")
@click.argument("code")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path))
def show_rule(code: str, rule_paths: tuple[Path, ...]) -> None:
    """Print the documentation page of rule CODE."""
    from pcilint.ruledoc import render_rule_page
    from pcilint.ruleset import load_rules

    try:
        rules = load_rules(list(rule_paths))
    except Exception as exc:  # noqa: BLE001
        _fail(exc, False)
    match = [r for r in rules if r.id == code.upper() or r.name == code]
    if not match:
        _echo(f"pcilint: error: no rule {code!r} (see `pcilint rules`)", err=True)
        sys.exit(EXIT_ERROR)
    _echo(render_rule_page(match[0]))




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
    import inspect

    from pcilint.checks import KINDS, _load_all

    _load_all()
    for name in sorted(KINDS):
        cls = KINDS[name]
        doc = inspect.getdoc(cls) or inspect.getdoc(sys.modules[cls.__module__]) or ""
        first_paragraph = " ".join(doc.split("\n\n")[0].split())
        _echo(f"{name}  (files: {', '.join(cls.FILE_KINDS)})")
        if first_paragraph:
            _echo("    " + first_paragraph)
        for pname, spec in cls.PARAMS.items():
            req = "required" if spec.required else f"default {spec.default!r}"
            _echo(f"    {pname}: {spec.type}, {req} - {spec.doc}")
        _echo("")


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
