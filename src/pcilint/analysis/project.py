"""Cross-module flow: function summaries over the whole scanned project, computed once per scan.

Input: the picklable :class:`~pcilint.analysis.flow.FileFacts` of every file.  Output, per function:

* which parameters flow to its return value, and which concrete sources it returns
  (a fixed point over the call graph, so helpers of helpers work and recursion terminates);
* which concrete card data reaches each parameter from any caller in the project
  (context-insensitive: the union over all call sites), with the trace of how it got there.

A sink inside a helper is then reported at the sink, with the callers in its trace.
"""

from __future__ import annotations

from typing import Any, Iterable

from pcilint.analysis.flow import CallSite, FileFacts, FunctionFacts

Trace = tuple  # of (path, line, note)
SrcRef = tuple  # (path, source index)
FnRef = tuple  # (path, function key)

MAX_ROUNDS = 25
MAX_TRACE = 8


def module_parts(path: str) -> list[str]:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts:
        return []
    last = parts[-1]
    if last.endswith(".py"):
        last = last[:-3]
    elif last.endswith(".pyi"):
        last = last[:-4]
    parts[-1] = last
    if last == "__init__":
        parts = parts[:-1]
    return [p for p in parts if p != ".."]


class Project:
    def __init__(self, files: dict[str, FileFacts]) -> None:
        self.files = files
        self.index: dict[str, list[str]] = {}
        for path in files:
            parts = module_parts(path)
            for i in range(len(parts)):
                self.index.setdefault(".".join(parts[i:]), []).append(path)
        self.ret_params: dict[FnRef, set[str]] = {}
        self.ret_sources: dict[FnRef, dict[SrcRef, Trace]] = {}
        self.param_in: dict[FnRef, dict[str, dict[SrcRef, Trace]]] = {}
        self._resolved: dict[tuple[str, str, str], list[FnRef]] = {}
        # simple class name -> classes (path, key) that name it as a base
        self.subclasses: dict[str, list[FnRef]] = {}
        self.classes: dict[str, list[FnRef]] = {}
        for path, f in files.items():
            for key, bases in f.classes.items():
                self.classes.setdefault(key.rsplit(".", 1)[-1], []).append((path, key))
                for b in bases:
                    self.subclasses.setdefault(b, []).append((path, key))
        self._summaries()
        self._incoming()

    # -- resolution -------------------------------------------------------------------------------
    def function(self, ref: FnRef) -> FunctionFacts | None:
        f = self.files.get(ref[0])
        return f.functions.get(ref[1]) if f else None

    def resolve(self, path: str, fn: FunctionFacts, callee: str) -> list[FnRef]:
        """The project functions a call may reach (several for ``self.m`` with overrides)."""
        key = (path, fn.key, callee)
        if key not in self._resolved:
            if callee.startswith(("self.", "cls.")):
                self._resolved[key] = self._resolve_method(path, fn, callee.partition(".")[2])
            else:
                one = self._resolve(path, fn, callee)
                self._resolved[key] = [one] if one else []
        return self._resolved[key]

    def _resolve_method(self, path: str, fn: FunctionFacts, method: str) -> list[FnRef]:
        """``self.method``: the class's own method or the nearest base's, plus subclass overrides."""
        if not fn.cls:
            return []
        out: list[FnRef] = []
        # the method itself, or inherited from a base class found in the project
        todo, seen = [(path, fn.cls)], set()
        while todo:
            cpath, ckey = todo.pop(0)
            if (cpath, ckey) in seen or len(seen) > 50:
                continue
            seen.add((cpath, ckey))
            if f"{ckey}.{method}" in self.files[cpath].functions:
                out.append((cpath, f"{ckey}.{method}"))
                break
            for base in self.files[cpath].classes.get(ckey, ()):
                cands = self.classes.get(base, [])
                same = [c for c in cands if c[0] == cpath]
                todo += same or cands[:3]
        # overrides in subclasses (class-hierarchy analysis, transitively)
        todo, seen2 = [fn.cls.rsplit(".", 1)[-1]], set()
        while todo:
            name = todo.pop()
            if name in seen2 or len(seen2) > 50:
                continue
            seen2.add(name)
            for spath, skey in self.subclasses.get(name, []):
                if f"{skey}.{method}" in self.files[spath].functions:
                    ref = (spath, f"{skey}.{method}")
                    if ref not in out:
                        out.append(ref)
                todo.append(skey.rsplit(".", 1)[-1])
        return out

    def _resolve(self, path: str, fn: FunctionFacts, callee: str) -> FnRef | None:
        facts = self.files[path]
        if not callee.startswith("."):
            # nested, then module-level names of this file
            prefix = fn.key
            while prefix:
                if f"{prefix}.{callee}" in facts.functions:
                    return (path, f"{prefix}.{callee}")
                prefix = prefix.rpartition(".")[0]
            if callee in facts.functions and "." not in callee:
                return (path, callee)
            if callee.count(".") == 1 and callee in facts.functions:
                return (path, callee)
            absolute = callee
        else:
            dots = len(callee) - len(callee.lstrip("."))
            parts = module_parts(path)
            package = parts if path.endswith("__init__.py") else parts[:-1]
            if dots > 1:
                package = package[: len(package) - (dots - 1)] if dots - 1 <= len(package) else []
            tail = callee[dots:]
            absolute = ".".join(package + ([tail] if tail else []))
        names = absolute.split(".")
        for i in range(len(names) - 1, 0, -1):
            mod = ".".join(names[:i])
            fkey = ".".join(names[i:])
            for candidate in self._module_files(mod, path):
                if fkey in self.files[candidate].functions:
                    return (candidate, fkey)
        return None

    def _module_files(self, mod: str, near: str) -> list[str]:
        paths = self.index.get(mod, [])
        if len(paths) <= 1:
            return paths
        near_parts = near.split("/")

        def shared(p: str) -> int:
            n = 0
            for a, b in zip(p.split("/"), near_parts):
                if a != b:
                    break
                n += 1
            return -n

        return sorted(paths, key=shared)

    @staticmethod
    def params_for(target: FunctionFacts, slot: str) -> list[str]:
        params = target.params
        if slot.startswith("kw:"):
            name = slot[3:]
            for p, kind in params:
                if p == name and kind in ("pos", "kwonly"):
                    return [p]
            return [p for p, kind in params if kind == "varkw"]
        # unpacked arguments of unknown shape: their own catch-all parameter when there is one
        if slot == "*":
            var = [p for p, kind in params if kind == "var"]
            return var or [p for p, kind in params if kind == "pos"]
        if slot == "**":
            varkw = [p for p, kind in params if kind == "varkw"]
            return varkw or [p for p, kind in params if kind in ("pos", "kwonly")]
        if slot.isdigit():
            i = int(slot)
            pos = [p for p, kind in params if kind == "pos"]
            if i < len(pos):
                return [pos[i]]
            return [p for p, kind in params if kind == "var"]
        return []

    # -- label expansion ----------------------------------------------------------------------------
    def expand(self, path: str, fn: FunctionFacts, labels: Iterable[Any],
               _seen: set | None = None) -> tuple[set[str], dict[SrcRef, Trace]]:
        """Parameters and concrete sources that ``labels`` (in ``fn``) stand for."""
        params: set[str] = set()
        sources: dict[SrcRef, Trace] = {}
        seen = _seen if _seen is not None else set()
        for lab in labels:
            tag = lab[0]
            if tag == "s":
                ref = (path, lab[1])
                if ref not in sources:
                    src = self.files[path].sources[lab[1]]
                    sources[ref] = ((path, src.line, src.note),)
            elif tag == "p":
                params.add(lab[1])
            elif tag == "r":
                mark = (path, fn.key, lab[1])
                if mark in seen:
                    continue
                seen.add(mark)
                site = fn.calls.get(lab[1])
                if site is None:
                    continue
                self._expand_call(path, fn, site, params, sources, seen)
        return params, sources

    def _expand_call(self, path: str, fn: FunctionFacts, site: CallSite, params: set[str],
                     sources: dict[SrcRef, Trace], seen: set) -> None:
        targets = self.resolve(path, fn, site.callee)
        if not targets:
            if site.propagate:
                for _slot, labs in site.args:
                    p, s = self.expand(path, fn, labs, seen)
                    params |= p
                    for k, v in s.items():
                        sources.setdefault(k, v)
            return
        for target in targets:
            tfn = self.function(target)
            if tfn is not None:
                self._expand_target(path, fn, site, target, tfn, params, sources, seen)

    def _expand_target(self, path: str, fn: FunctionFacts, site: CallSite, target: FnRef,
                       tfn: FunctionFacts, params: set[str], sources: dict[SrcRef, Trace],
                       seen: set) -> None:
        through = self.ret_params.get(target, set())
        for slot, labs in site.args:
            if not labs or not through.intersection(self.params_for(tfn, slot)):
                continue
            p, s = self.expand(path, fn, labs, seen)
            params |= p
            for k, v in s.items():
                if k not in sources:
                    sources[k] = _cap(v + ((target[0], tfn.line,
                                            f"returned (formatted) by {tfn.key}()"),))
        for k, v in self.ret_sources.get(target, {}).items():
            if k not in sources:
                sources[k] = _cap(v + ((path, site.line or fn.line, f"returned by {site.display}"),))

    # -- fixed points -------------------------------------------------------------------------------
    def _all_functions(self) -> list[tuple[str, FunctionFacts]]:
        return [(path, fn) for path, f in self.files.items() for fn in f.functions.values()]

    def _summaries(self) -> None:
        fns = [(p, f) for p, f in self._all_functions() if f.returns]
        for _ in range(MAX_ROUNDS):
            changed = False
            for path, fn in fns:
                ref = (path, fn.key)
                params, sources = self.expand(path, fn, fn.returns)
                old_p = self.ret_params.setdefault(ref, set())
                old_s = self.ret_sources.setdefault(ref, {})
                if not params <= old_p:
                    old_p |= params
                    changed = True
                for k, v in sources.items():
                    if k not in old_s:
                        old_s[k] = v
                        changed = True
            if not changed:
                break

    def _incoming(self) -> None:
        sites = [(path, fn, site) for path, fn in self._all_functions()
                 for site in fn.calls.values() if any(labs for _, labs in site.args)]
        for _ in range(MAX_ROUNDS):
            changed = False
            for path, fn, site in sites:
                for target in self.resolve(path, fn, site.callee):
                    tfn = self.function(target)
                    if tfn is None:
                        continue
                    for slot, labs in site.args:
                        if not labs:
                            continue
                        qs = self.params_for(tfn, slot)
                        if not qs:
                            continue
                        incoming = self.concrete(path, fn, labs)
                        if not incoming:
                            continue
                        for q in qs:
                            slot_in = self.param_in.setdefault(target, {}).setdefault(q, {})
                            for k, v in incoming.items():
                                if k not in slot_in:
                                    line = site.line or fn.line
                                    slot_in[k] = _cap(v + ((path, line,
                                                            f"passed to {tfn.key}() as `{q}`"),))
                                    changed = True
            if not changed:
                break

    def concrete(self, path: str, fn: FunctionFacts, labels: Iterable[Any]) -> dict[SrcRef, Trace]:
        """The concrete card data ``labels`` in ``fn`` may carry, each with its trace."""
        params, sources = self.expand(path, fn, labels)
        out = dict(sources)
        incoming = self.param_in.get((path, fn.key), {})
        for p in params:
            for k, v in incoming.get(p, {}).items():
                out.setdefault(k, v)
        return out


def _cap(trace: Trace) -> Trace:
    if len(trace) <= MAX_TRACE:
        return trace
    return trace[:1] + trace[-(MAX_TRACE - 1):]


_cache: list[Any] = []


def project_for(files: dict[str, FileFacts]) -> Project:
    """The :class:`Project` for these facts, computed once and shared by every flow rule of a scan."""
    key = tuple(sorted((p, id(f)) for p, f in files.items()))
    if _cache and _cache[0] == key:
        return _cache[2]
    project = Project(files)
    _cache[:] = [key, list(files.values()), project]
    return project
