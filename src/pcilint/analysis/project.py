"""Cross-module flow: function summaries over the whole scanned project, computed once per scan.

Input: the picklable :class:`~pcilint.analysis.flow.FileFacts` of every file.  Output, per function:

* which parameters flow to its return value, and which concrete sources it returns
  (a fixed point over the call graph, so helpers of helpers work and recursion terminates);
* which concrete card data reaches each parameter from any caller in the project
  (context-insensitive: the union over all call sites), with the trace of how it got there;
* what is stored in object and module state: ``self.attr`` of a class (written by any method of the
  class, its bases or subclasses) and module globals, read back by other functions.

Callees are resolved through the module index, package re-exports (``from .audit import audit_event``
in ``shop/__init__.py``), constructors (``OrderRepository(...)`` reaches ``OrderRepository.__init__``)
and methods on objects of a known project class (``self.repo.save(pan)`` when ``self.repo`` was made
by ``OrderRepository()`` or annotated with it).

A sink inside a helper is then reported at the sink, with the callers in its trace.
"""

from __future__ import annotations

from typing import Any, Iterable

from pcilint.analysis.flow import CallSite, FileFacts, FunctionFacts

Trace = tuple  # of (path, line, note)
SrcRef = tuple  # (path, source index)
FnRef = tuple  # (path, function key)
StoreRef = tuple  # ("a", path, class key, attr) | ("g", path, name)

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
        self.ret_stores: dict[FnRef, set[StoreRef]] = {}
        # who writes object/module state: ("a", path, class, attr) / ("g", path, name) -> writers
        self.writers: dict[StoreRef, list[FnRef]] = {}
        self._store_memo: dict[StoreRef, dict[SrcRef, Trace]] = {}
        self._store_busy: set[StoreRef] = set()
        self._class_refs: dict[tuple[str, str], FnRef | None] = {}
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
            for fn in f.functions.values():
                for wkey in fn.writes:
                    kind, _, name = wkey.partition(":")
                    ref = ("a", path, fn.cls, name) if kind == "a" and fn.cls else ("g", path, name)
                    if kind == "a" and not fn.cls:
                        continue
                    self.writers.setdefault(ref, []).append((path, fn.key))
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
            if "#" in callee:
                type_name, _, method = callee.partition("#")
                cls = self._resolve_class(path, fn, type_name)
                self._resolved[key] = self._class_method(cls, method) if cls else []
            elif callee.startswith(("self.", "cls.")):
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

    def _class_method(self, cls: FnRef, method: str) -> list[FnRef]:
        """The method of a class or of its nearest base class found in the project."""
        todo, seen = [cls], set()
        while todo:
            cpath, ckey = todo.pop(0)
            if (cpath, ckey) in seen or len(seen) > 50:
                continue
            seen.add((cpath, ckey))
            if f"{ckey}.{method}" in self.files[cpath].functions:
                return [(cpath, f"{ckey}.{method}")]
            for base in self.files[cpath].classes.get(ckey, ()):
                cands = self.classes.get(base, [])
                todo += [c for c in cands if c[0] == cpath] or cands[:3]
        return []

    def _resolve_class(self, path: str, fn: FunctionFacts, name: str) -> FnRef | None:
        key = (path, name)
        if key not in self._class_refs:
            self._class_refs[key] = self._lookup(path, fn, name, want_class=True)
        return self._class_refs[key]

    def ancestors(self, path: str, fn: FunctionFacts, name: str) -> list[tuple[str, bool]] | None:
        """The base class names of project class ``name`` (transitively), each with whether it was
        found in the project; None when ``name`` is not a class of the project."""
        cls = self._resolve_class(path, fn, name)
        if cls is None:
            return None
        out: list[tuple[str, bool]] = []
        todo, seen = [cls], set()
        while todo and len(seen) < 50:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            for base in self.files[ref[0]].classes.get(ref[1], ()):
                if base in ("object", "ABC"):
                    continue
                cands = self.classes.get(base, [])
                found = [c for c in cands if c[0] == ref[0]] or cands[:1]
                out.append((base, bool(found)))
                todo += found
        return out

    def _resolve(self, path: str, fn: FunctionFacts, callee: str) -> FnRef | None:
        """A function, or for a class its ``__init__`` (a constructor call)."""
        found = self._lookup(path, fn, callee, want_class=False)
        if found is None:
            return None
        fpath, fkey = found
        if fkey in self.files[fpath].functions:
            return found
        init = f"{fkey}.__init__"
        return (fpath, init) if init in self.files[fpath].functions else None

    def _lookup(self, path: str, fn: FunctionFacts | None, callee: str, want_class: bool,
                depth: int = 0) -> FnRef | None:
        """The function (or class) ``callee`` names, seen from ``path``; follows re-exports."""
        facts = self.files[path]

        def here(key: str, in_file: FileFacts) -> bool:
            return key in in_file.classes if want_class else (
                key in in_file.functions or key in in_file.classes)

        if not callee.startswith("."):
            # nested, then module-level names of this file
            prefix = fn.key if fn is not None else ""
            while prefix:
                if here(f"{prefix}.{callee}", facts):
                    return (path, f"{prefix}.{callee}")
                prefix = prefix.rpartition(".")[0]
            if here(callee, facts) and "." not in callee:
                return (path, callee)
            if callee.count(".") == 1 and here(callee, facts):
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
                cfacts = self.files[candidate]
                if here(fkey, cfacts):
                    return (candidate, fkey)
                # a name the module imports (package re-exports: `from .audit import audit_event`)
                head, _, rest = fkey.partition(".")
                target = cfacts.imports.get(head)
                if target and depth < 6:
                    found = self._lookup(candidate, None, target + ("." + rest if rest else ""),
                                         want_class, depth + 1)
                    if found is not None:
                        return found
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
               _seen: set | None = None, stores: set | None = None
               ) -> tuple[set[str], dict[SrcRef, Trace]]:
        """Parameters and concrete sources that ``labels`` (in ``fn``) stand for; object and module
        state the labels read is added to ``stores`` (resolved by :meth:`concrete`)."""
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
            elif tag == "a":
                if stores is not None and fn.cls:
                    stores.add(("a", path, fn.cls, lab[1]))
            elif tag == "g":
                if stores is not None:
                    stores.add(("g", path, lab[1]))
            elif tag == "r":
                mark = (path, fn.key, lab[1])
                if mark in seen:
                    continue
                seen.add(mark)
                site = fn.calls.get(lab[1])
                if site is None:
                    continue
                self._expand_call(path, fn, site, params, sources, seen, stores)
        return params, sources

    def _expand_call(self, path: str, fn: FunctionFacts, site: CallSite, params: set[str],
                     sources: dict[SrcRef, Trace], seen: set, stores: set | None) -> None:
        targets = self.resolve(path, fn, site.callee)
        # a constructor's object holds what it was given (`Card(number=pan)`), as does an unknown call
        propagate = site.propagate and (not targets or (
            "#" not in site.callee and all(t[1].endswith(".__init__") for t in targets)
            and not site.callee.endswith("__init__")))
        if propagate:
            for _slot, labs in site.args:
                p, s = self.expand(path, fn, labs, seen, stores)
                params |= p
                for k, v in s.items():
                    sources.setdefault(k, v)
        for target in targets:
            tfn = self.function(target)
            if tfn is not None:
                self._expand_target(path, fn, site, target, tfn, params, sources, seen, stores)

    def _expand_target(self, path: str, fn: FunctionFacts, site: CallSite, target: FnRef,
                       tfn: FunctionFacts, params: set[str], sources: dict[SrcRef, Trace],
                       seen: set, stores: set | None) -> None:
        through = self.ret_params.get(target, set())
        for slot, labs in site.args:
            if not labs or not through.intersection(self.params_for(tfn, slot)):
                continue
            p, s = self.expand(path, fn, labs, seen, stores)
            params |= p
            for k, v in s.items():
                if k not in sources:
                    sources[k] = _cap(v + ((target[0], tfn.line,
                                            f"returned (formatted) by {tfn.key}()"),))
        for k, v in self.ret_sources.get(target, {}).items():
            if k not in sources:
                sources[k] = _cap(v + ((path, site.line or fn.line, f"returned by {site.display}"),))
        if stores is not None:
            stores |= self.ret_stores.get(target, set())

    # -- object and module state ------------------------------------------------------------------
    def _family(self, path: str, cls: str) -> list[FnRef]:
        """A class, its bases and its subclasses found in the project (for ``self.attr``)."""
        out: list[FnRef] = []
        todo, seen = [(path, cls)], set()
        while todo and len(seen) < 50:
            ref = todo.pop()
            if ref in seen:
                continue
            seen.add(ref)
            out.append(ref)
            for base in self.files[ref[0]].classes.get(ref[1], ()):
                cands = self.classes.get(base, [])
                todo += [c for c in cands if c[0] == ref[0]] or cands[:3]
        todo = [(path, cls)]
        while todo and len(seen) < 100:
            cpath, ckey = todo.pop()
            for sub in self.subclasses.get(ckey.rsplit(".", 1)[-1], []):
                if sub not in seen:
                    seen.add(sub)
                    out.append(sub)
                    todo.append(sub)
        return out

    def store_contents(self, store: StoreRef) -> dict[SrcRef, Trace]:
        """The concrete card data any function writes into ``store``."""
        memo = self._store_memo.get(store)
        if memo is not None:
            return memo
        if store in self._store_busy:
            return {}
        self._store_busy.add(store)
        out: dict[SrcRef, Trace] = {}
        try:
            if store[0] == "a":
                _, path, cls, attr = store
                refs = [("a", cpath, ckey, attr) for cpath, ckey in self._family(path, cls)]
                what = f"stored in self.{attr}"
            else:
                refs = [store]
                what = f"stored in global `{store[2]}`"
            for ref in refs:
                for wpath, wkey in self.writers.get(ref, ()):
                    wfn = self.function((wpath, wkey))
                    if wfn is None:
                        continue
                    wk = ("a:" if ref[0] == "a" else "g:") + ref[-1]
                    line = wfn.write_lines.get(wk) or wfn.line
                    for k, v in self.concrete(wpath, wfn, wfn.writes.get(wk, ())).items():
                        if k not in out:
                            out[k] = _cap(v + ((wpath, line, f"{what} by {wfn.key}()"),))
        finally:
            self._store_busy.discard(store)
        if not self._store_busy:
            self._store_memo[store] = out
        return out

    # -- fixed points -------------------------------------------------------------------------------
    def _all_functions(self) -> list[tuple[str, FunctionFacts]]:
        return [(path, fn) for path, f in self.files.items() for fn in f.functions.values()]

    def _summaries(self) -> None:
        fns = [(p, f) for p, f in self._all_functions() if f.returns]
        for _ in range(MAX_ROUNDS):
            changed = False
            for path, fn in fns:
                ref = (path, fn.key)
                stores: set = set()
                params, sources = self.expand(path, fn, fn.returns, stores=stores)
                old_p = self.ret_params.setdefault(ref, set())
                old_s = self.ret_sources.setdefault(ref, {})
                old_st = self.ret_stores.setdefault(ref, set())
                if not params <= old_p:
                    old_p |= params
                    changed = True
                if not stores <= old_st:
                    old_st |= stores
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
            self._store_memo.clear()  # state contents depend on what reaches parameters
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
        self._store_memo.clear()

    def concrete(self, path: str, fn: FunctionFacts, labels: Iterable[Any]) -> dict[SrcRef, Trace]:
        """The concrete card data ``labels`` in ``fn`` may carry, each with its trace."""
        stores: set = set()
        params, sources = self.expand(path, fn, labels, stores=stores)
        out = dict(sources)
        incoming = self.param_in.get((path, fn.key), {})
        for p in params:
            for k, v in incoming.get(p, {}).items():
                out.setdefault(k, v)
        for store in stores:
            for k, v in self.store_contents(store).items():
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
