"""The scan's rules: loaded (or their stubs from the cache), bound to their check kinds only when a
file needs analysing, selected by the configuration, and planned (file kinds, prefilter terms,
project phase) without importing a check kind."""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pcilint import __version__, safeio
from pcilint.cache import digest, key_of
from pcilint.checks import bind
from pcilint.config import code_matches
from pcilint.errors import ConfigError
from pcilint.paths import builtin_rules_dir
from pcilint.prefilter import Prefilter, freeze_terms, identifier_terms
from pcilint.ruleset import Rule, load_rules, rule_files
from pcilint.scan_cache import _code_fingerprint


@dataclass(frozen=True)
class RulePlan:
    """What the engine needs to know about an active rule without importing its check kind."""

    file_kinds: tuple[str, ...]
    terms: tuple[str, ...] | None  # prefilter_terms(); None = every file
    project: bool  # has a project phase (check_project)
    declares: bool  # DECLARES_DEPENDENCIES

    @classmethod
    def of(cls, check: Any) -> "RulePlan":
        try:
            terms = freeze_terms(check.prefilter_terms())
        except Exception:  # noqa: BLE001 - a kind that cannot say: parse every file
            terms = None
        return cls(tuple(check.FILE_KINDS), terms, _overrides(check, "check_project"),
                   bool(getattr(check, "DECLARES_DEPENDENCIES", False)))


class RuleSetup:
    """The rule part of :class:`pcilint.engine.Scanner` (a mixin: it shares the scanner's state)."""

    # -- rules without their check kinds (so a cached scan never imports libcst) ------------------
    def _rule_paths(self) -> list[Path]:
        paths: list[Path] = []
        if self.options.include_builtin_rules:
            paths += sorted(p for p in builtin_rules_dir().rglob("*") if p.is_file())
        for p in self.settings.extend_rules + self.options.extra_rules:
            paths += rule_files(p) if p.exists() else [p]
        return paths

    def _load_rules(self) -> tuple[list[Rule], dict[str, RulePlan], str]:
        """The rules, their plans and a key of their files: from the cache when the rule files and
        pcilint are unchanged (the rules are then loaded for real only if a file needs analysing),
        else loaded."""
        key = None
        if self.cache is not None:
            parts = [__version__, _code_fingerprint(), str(self.options.include_builtin_rules)]
            try:
                for p in self._rule_paths():
                    parts += [str(p), digest(safeio.read_bytes(p))]
            except OSError:
                parts = []
            if parts:
                key = key_of("rules", *parts)
                hit = self.cache.get(key)
                if isinstance(hit, tuple) and len(hit) == 2:
                    return hit[0], hit[1], key
        rules = bind(load_rules(self.settings.extend_rules + self.options.extra_rules,
                                include_builtin=self.options.include_builtin_rules))
        plans = {r.id: RulePlan.of(r.check) for r in rules}
        if key is None:
            return rules, plans, key_of(*sorted(repr((r.id, r.source, r.kind, r.params, r.message,
                                                      r.severity)) for r in rules))
        # Stubs only: no check instances, parameters or examples (those hold fake keys and card
        # numbers, which no cache entry may); _ensure_checks() reloads the files when needed.
        self.cache.put(key, ([replace(r, check=None, params={}, bad=[], good=[])
                              for r in rules], plans))
        return rules, plans, key

    def _ensure_checks(self) -> None:
        """Give rule stubs from the cache their check kinds: load the rule files (imports libcst)."""
        if all(rule.check is not None for rule in self.all_rules):
            return
        loaded = {r.id: r for r in bind(load_rules(
            self.settings.extend_rules + self.options.extra_rules,
            include_builtin=self.options.include_builtin_rules))}
        for rule in self.all_rules:
            if rule.check is None:
                full = loaded[rule.id]
                rule.params, rule.bad, rule.good, rule.check = (full.params, full.bad, full.good,
                                                                full.check)

    def _prefilter(self) -> Prefilter:
        by_kind: dict[str, list[list[str] | None]] = {}
        for rule in self.rules:
            plan = self.plans[rule.id]
            for kind in plan.file_kinds:
                by_kind.setdefault(kind, []).append(
                    None if plan.terms is None else list(plan.terms))
        names = self.settings.sensitive_names
        return Prefilter.from_terms(by_kind, identifier_terms(
            names.get("pan", []) + names.get("sad", []), whole_words=True))

    # -- one file -------------------------------------------------------------------------------
    def rules_for(self, path: str, file_kind: str) -> list[Rule]:
        ignored: list[str] = []
        for glob, codes in self.settings.per_file_ignores.items():
            if _glob_match(path, glob, self.settings.root):
                ignored += codes
        return [r for r in self.rules if file_kind in self.plans[r.id].file_kinds
                and not code_matches(r.id, ignored)]


def _overrides(check: Any, name: str) -> bool:
    from pcilint.checks.base import CheckKind

    return getattr(type(check), name) is not getattr(CheckKind, name)


def _glob_match(path: str, glob: str, root: Path | None) -> bool:
    candidates = [path]
    if root is not None:
        try:
            candidates.append(Path(os.path.abspath(path)).relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
    return any(fnmatch.fnmatch(c, glob) or fnmatch.fnmatch(c, glob.rstrip("/") + "/*")
               for c in candidates)


def select_rules(rules: list[Rule], select: list[str] | None, ignore: list[str]) -> list[Rule]:
    for group, patterns in (("select", select or []), ("ignore", ignore)):
        for pattern in patterns:
            if not any(r.id.startswith(pattern) for r in rules):
                raise ConfigError(f"{pattern!r} matches no rule (see `pcilint rules`)", field=group)
    active = [r for r in rules if (select is None or code_matches(r.id, select))
              and not code_matches(r.id, ignore)]
    return active
