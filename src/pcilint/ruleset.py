"""Loading and validating YAML rule packs.

A rule pack is a YAML file with a top-level ``rules:`` list.  Each rule is data: its code, category,
severity, message, PCI DSS requirements, documentation (``why``/``fix``), a ``check`` naming one of
the check kinds implemented in :mod:`pcilint.checks` with that kind's parameters, and ``examples``
(``bad`` code the rule must flag, ``good`` code it must not).  See ``docs/writing-rules.md``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcilint import safeio
from pcilint.errors import RuleError
from pcilint.findings import CATEGORIES, SEVERITIES
from pcilint.paths import builtin_rules_dir  # noqa: F401 - also imported from here by callers
from pcilint.yamlload import LineDict, load_yaml

RULE_ID = re.compile(r"^PCI[1-9][0-9]{2}$")
RULE_KEYS = {
    "id", "name", "category", "severity", "message", "pci_dss", "summary", "why", "fix",
    "references", "check", "examples", "tags", "autofix",
}
REQUIRED_KEYS = ("id", "name", "category", "severity", "message", "pci_dss", "summary", "why",
                 "fix", "check", "examples")


@dataclass(frozen=True)
class Example:
    code: str
    path: str  # the file name the example is analysed as (decides test-file and template handling)
    line: int  # where the example stands in the rule file
    # lines the finding must be reported on, for a format without comments (``expect_line:``);
    # elsewhere the example's own ``# ruleid:`` markers say it (see ``pcilint.ruletest``)
    expect_lines: tuple[int, ...] = ()


@dataclass
class Rule:
    id: str
    name: str
    category: str
    severity: str
    message: str
    pci_dss: tuple[str, ...]
    summary: str
    why: str
    fix: str
    kind: str
    params: dict[str, Any]
    bad: list[Example]
    good: list[Example]
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    autofix: dict[str, str] | None = None  # {"kind": one of pcilint.fixes.kinds, "safety": ...}
    source: str = ""  # "path:line" of the rule's definition
    param_lines: dict[str, int] = field(default_factory=dict)  # check parameter -> line in the file
    check: Any = field(default=None, repr=False)  # the instantiated CheckKind

    def render_message(self, **fields: Any) -> str:
        try:
            return self.message.format_map(_Missing(fields))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            # a format spec that does not fit the value ({n:d} given text): substitute plainly
            return re.sub(r"\{(\w+)[^{}]*\}",
                          lambda m: str(fields.get(m.group(1), m.group(0))), self.message)


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def rule_files(path: Path) -> list[Path]:
    """The files of a rule pack: its ``*.yaml`` / ``*.yml``, and its library models
    (``models/*.yaml``, see :mod:`pcilint.models`)."""
    if path.is_dir():
        from pcilint.models import model_files

        return sorted(p for p in path.glob("*.yaml") if p.is_file()) + sorted(
            p for p in path.glob("*.yml") if p.is_file()) + model_files(path)
    return [path]


def load_rules(extra: list[Path] | None = None, include_builtin: bool = True) -> list[Rule]:
    """Load the shipped packs plus ``extra`` files or directories and validate their records.

    The packs' library models (a ``models/`` folder, or a file of model sections) are merged with
    the shipped ones and made the models in force (:func:`pcilint.models.activate`) before any
    check is bound: the check kinds read them.  The rules are data: their check kinds (and so the
    kinds' parameter validation) are bound by :func:`pcilint.checks.bind`, which the engine calls;
    a caller that wants every error of a rule pack at once writes ``bind(load_rules(...))``.
    """
    from pcilint import models

    files: list[Path] = []
    in_models: set[Path] = set()  # the files of a pack's `models/` folder
    if include_builtin:  # (the shipped models are read by pcilint.models itself)
        shipped = set(models.model_files(builtin_rules_dir()))
        files += [f for f in rule_files(builtin_rules_dir()) if f not in shipped]
    for p in extra or []:
        if not p.exists():
            raise RuleError("rule file or directory not found", path=str(p))
        files += rule_files(p)
        if p.is_dir():
            in_models.update(models.model_files(p))
    parsed: list[list[Rule]] = []
    model_paths: list[Path] = []
    for f in files:
        rules_of = None if f in in_models else load_rule_file(f)
        if rules_of is None:
            model_paths.append(f)  # validated by the models loader
        else:
            parsed.append(rules_of)
    models.activate(model_paths)
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for group in parsed:
        for rule in group:
            if rule.id in seen:
                raise RuleError(f"duplicate rule id {rule.id} (first defined at {seen[rule.id]})",
                                path=rule.source.rsplit(":", 1)[0],
                                line=int(rule.source.rsplit(":", 1)[1]), field="id")
            seen[rule.id] = rule.source
            rules.append(rule)
    return sorted(rules, key=lambda r: r.id)


def load_rule_file(path: Path) -> list[Rule] | None:
    """The rules of one pack file; None when it is a library-model file (model sections only)."""
    display = str(path)
    try:
        text = safeio.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file: {exc}", path=display) from None
    data = load_yaml(text, display, RuleError)
    from pcilint.models import is_model_data

    if is_model_data(data):
        return None
    if not isinstance(data, dict) or "rules" not in data:
        raise RuleError("a rule file must be a mapping with a top-level `rules:` list (a library-"
                        "model file: a mapping of model sections, see docs/writing-rules.md)",
                        path=display,
                        line=getattr(data, "line", None) or 1)
    unknown = set(data) - {"rules"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleError(f"unknown top-level key {key!r}", path=display, line=data.line_of(key))
    items = data["rules"]
    if not isinstance(items, list):
        raise RuleError("`rules` must be a list", path=display, line=data.line_of("rules"),
                        field="rules")
    return [_parse_rule(item, display) for item in items]


def _fail(msg: str, path: str, node: Any, key: str | None = None) -> RuleError:
    line = None
    if isinstance(node, LineDict):
        line = node.line_of(key) if key else node.line
    return RuleError(msg, path=path, line=line, field=key)


def _string(item: LineDict, key: str, path: str) -> str:
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail("must be a non-empty string", path, item, key)
    return value.strip()


def _parse_rule(item: Any, path: str) -> Rule:
    if not isinstance(item, LineDict):
        raise RuleError("each rule must be a mapping", path=path, line=getattr(item, "line", None))
    for key in item:
        if key not in RULE_KEYS:
            raise _fail(f"unknown rule key (allowed: {', '.join(sorted(RULE_KEYS))})", path, item,
                        str(key))
    for key in REQUIRED_KEYS:
        if key not in item:
            raise _fail(f"missing required key `{key}`", path, item) from None
    rule_id = _string(item, "id", path)
    if not RULE_ID.match(rule_id):
        raise _fail(f"rule id {rule_id!r} must look like PCI<category digit 1-9><two digits>",
                    path, item, "id")
    category = _string(item, "category", path)
    expected = CATEGORIES[rule_id[3]]
    if category != expected:
        raise _fail(f"{rule_id} belongs to category {expected!r}, not {category!r}", path, item,
                    "category")
    severity = _string(item, "severity", path)
    if severity not in SEVERITIES:
        raise _fail(f"severity must be one of {', '.join(SEVERITIES)}", path, item, "severity")
    pci = item["pci_dss"]
    if not isinstance(pci, list) or not pci or not all(
            isinstance(x, str) and re.match(r"^\d+(\.\d+)*$", x) for x in pci):
        raise _fail("must be a non-empty list of requirement numbers such as \"3.5.1\"", path,
                    item, "pci_dss")
    message = _string(item, "message", path)
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError as exc:
        raise _fail(f"bad message template: {exc}", path, item, "message") from None
    for _text, name, _spec, _conversion in parts:
        # Only plain {field} names: attribute or index access ({x.__class__}) would let a rule file
        # reach into the values a check passes, and positional fields are never filled.
        if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise _fail(f"message field {{{name}}} must be a plain name like {{literal}}", path,
                        item, "message")
    check = item["check"]
    if not isinstance(check, LineDict) or not isinstance(check.get("kind"), str):
        raise _fail("must be a mapping with a `kind`", path, item, "check")
    params = {k: v for k, v in check.items() if k != "kind"}
    examples = item["examples"]
    if not isinstance(examples, LineDict):
        raise _fail("must be a mapping with `bad` and `good` lists", path, item, "examples")
    bad = _examples(examples, "bad", path)
    good = _examples(examples, "good", path)
    refs = item.get("references", [])
    tags = item.get("tags", [])
    for key, value in (("references", refs), ("tags", tags)):
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise _fail("must be a list of strings", path, item, key)
    rule = Rule(
        id=rule_id, name=_string(item, "name", path), category=category, severity=severity,
        message=message, pci_dss=tuple(pci), summary=_string(item, "summary", path),
        why=_string(item, "why", path), fix=_string(item, "fix", path),
        kind=check["kind"], params=params, bad=bad, good=good, references=tuple(refs),
        tags=tuple(tags), autofix=_autofix(item, path), source=f"{path}:{item.line}",
        param_lines={str(k): check.line_of(str(k)) for k in check},
    )
    return rule


def _autofix(item: LineDict, path: str) -> dict[str, str] | None:
    """``autofix: {kind: https-url, safety: safe}``: which rewrite ``check --fix`` applies (the
    prose ``fix:`` says how a person fixes it)."""
    from pcilint.fixes.kinds import FIX_KINDS, SAFETIES

    if "autofix" not in item:
        return None
    spec = item["autofix"]
    if not isinstance(spec, LineDict) or not isinstance(spec.get("kind"), str):
        raise _fail("must be a mapping with a `kind` and a `safety`", path, item, "autofix")
    unknown = set(spec) - {"kind", "safety"}
    if unknown:
        raise _fail(f"unknown autofix key {sorted(unknown)[0]!r} (allowed: kind, safety)", path,
                    spec, sorted(unknown)[0])
    if spec["kind"] not in FIX_KINDS:
        raise RuleError(f"unknown autofix kind {spec['kind']!r} (known: {', '.join(FIX_KINDS)})",
                        path=path, line=spec.line_of("kind"), field="autofix.kind")
    safety = spec.get("safety")
    if safety not in SAFETIES:
        raise RuleError(f"autofix safety must be one of {', '.join(SAFETIES)}", path=path,
                        line=spec.line_of("safety") if "safety" in spec else spec.line,
                        field="autofix.safety")
    return {"kind": spec["kind"], "safety": safety}


def _examples(examples: LineDict, key: str, path: str) -> list[Example]:
    raw = examples.get(key)
    if not isinstance(raw, list) or not raw:
        raise _fail(f"`{key}` must be a non-empty list of code examples", path, examples, key)
    out = []
    for i, entry in enumerate(raw):
        line = raw.item_lines[i] if hasattr(raw, "item_lines") else examples.line_of(key)
        if isinstance(entry, str):
            out.append(Example(code=entry, path="example.py", line=line))
        elif isinstance(entry, LineDict) and isinstance(entry.get("code"), str):
            unknown = sorted(set(entry) - {"code", "path", "expect_line"})
            if unknown:
                raise _fail(f"unknown example key {unknown[0]!r}", path, entry, unknown[0])
            name = entry.get("path", "example.py")
            if not isinstance(name, str):
                raise _fail("example `path` must be a string", path, entry, "path")
            expect = entry.get("expect_line", [])
            expect = [expect] if isinstance(expect, int) else expect
            if (not isinstance(expect, list) or isinstance(expect, bool)
                    or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0
                               for n in expect)):
                raise _fail("example `expect_line` must be a line number or a list of them",
                            path, entry, "expect_line")
            out.append(Example(code=entry["code"], path=name, line=line,
                               expect_lines=tuple(expect)))
        else:
            raise RuleError(f"each `{key}` example must be a code string or {{code, path}}",
                            path=path, line=line, field=f"examples.{key}")
    return out
