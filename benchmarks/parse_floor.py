#!/usr/bin/env python3
"""The floor of a cold pcilint scan: libcst's parse of exactly the files pcilint must parse.

    python benchmarks/parse_floor.py TREE [--jobs 2]

pcilint parses only the Python files its prefilter lets through (and those the cross-module closure
asks for).  This script asks pcilint which files those are (a scan of TREE with the parser
wrapped to record each text it is given), then times libcst's parse of those texts (``walk.parse_module``, the call pcilint makes) in a pool
of ``--jobs`` processes, as pcilint's workers would: no rule, no traversal, no project phase.
It prints one JSON object: files discovered, files parsed, lines parsed, parse CPU seconds (the
sum over the texts) and parse wall seconds (the pool).  ``bench.py --app`` reports pcilint's cold
time as a multiple of that wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def parsed_texts(tree: Path) -> tuple[int, list[str]]:
    """The texts a cold scan of ``tree`` parses (one process, no cache)."""
    from pcilint import walk
    from pcilint.config import find_config, load_config
    from pcilint.engine import Options, Scanner

    texts: list[str] = []
    real = walk.parse_module

    def recording(text: str, *args, **kwargs):
        texts.append(text)
        return real(text, *args, **kwargs)

    walk.parse_module = recording  # (the engine imports it from pcilint.walk at the call)
    try:
        settings = load_config(find_config(tree))
        result = Scanner(settings, Options(jobs=1, cache_dir=None)).scan([tree], cwd=tree)
    finally:
        walk.parse_module = real
    return result.files_discovered, texts


def _parse(chunk: list[str]) -> float:
    from pcilint.walk import parse_module  # libcst's parser, as pcilint calls it

    started = time.process_time()
    for text in chunk:
        try:
            parse_module(text)
        except Exception:  # noqa: BLE001 - a file pcilint reported as broken costs its try
            pass
    return time.process_time() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    discovered, texts = parsed_texts(args.tree.resolve())
    texts = list(dict.fromkeys(texts))  # (a file the closure parses again counts once)
    # Big files first, dealt round-robin: the pool's chunks come out about even.
    texts.sort(key=len, reverse=True)
    chunks = [texts[i::args.jobs * 8] for i in range(args.jobs * 8)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        cpu = sum(pool.map(_parse, chunks))
    wall = time.perf_counter() - started
    print(json.dumps({"files_discovered": discovered, "files_parsed": len(texts),
                      "lines_parsed": sum(t.count("\n") for t in texts),
                      "parse_cpu_s": round(cpu, 3), "parse_wall_s": round(wall, 3),
                      "jobs": args.jobs, "cpus": os.cpu_count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
