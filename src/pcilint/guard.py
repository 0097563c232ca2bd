"""Guards against source files that would crash or stall the parser.

libcst's native parser recurses on nesting and overflows the C stack (a segmentation fault that kills
the whole process, not an exception) somewhere between 1,500 and 5,000 levels of nested brackets,
attribute/call chains, ``not``/unary chains or conditional expressions; its parse time also grows
much faster than linearly with such chains (2,000 ``+`` operands: ~8 s).  Native code cannot be
interrupted by the per-file time budget, so such files must be recognised *before* libcst sees them.

CPython's own parser is the oracle: it is ~10x faster than libcst, refuses more than 200 nested
brackets itself, and its AST construction raises ``RecursionError`` instead of crashing.  Running
it with a lowered recursion limit tells us whether the file nests deeper than libcst can safely
take.  It only runs on files a cheap C-speed pre-check finds suspicious (deep brackets or very long
lines), so ordinary files pay one regex substitution and a few ``str.count`` calls.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from itertools import accumulate

#: Files shorter than this cannot nest deep enough to hurt (measured: 1,000 levels parse fine).
MIN_SUSPICIOUS_SIZE = 2000
#: Bracket depth estimate and line length above which the CPython oracle is consulted.
SUSPICIOUS_DEPTH = 100
SUSPICIOUS_LINE = 1000
#: Counts of chain-building tokens above which the oracle is consulted: ``elif`` branches, backslash
#: continuations and binary operators each become one more level of libcst's (recursive) tree, and
#: 10,000 of any of them crash libcst natively even without a single bracket.
SUSPICIOUS_CHAIN = 300
#: Files this large always go through the oracle (it costs ~1/10 of libcst's own parse).
ALWAYS_CHECK_SIZE = 100_000
#: Python frames of head-room given to the oracle: AST construction allows ~3x this many levels
#: (~600), where libcst still parses in well under a second and far from its stack limit.
ORACLE_FRAMES = 200

_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def bracket_depth_estimate(text: str) -> int:
    """The deepest bracket nesting, counting brackets inside strings and comments too (C speed)."""
    if text.count("(") + text.count("[") + text.count("{") <= SUSPICIOUS_DEPTH:
        return 0
    brackets = _NOT_BRACKETS.sub("", text)
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _longest_line(text: str) -> int:
    return max(map(len, text.splitlines()), default=0)


def _frame_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def structure_problem(text: str) -> str | None:
    """Why ``text`` must not be handed to libcst (one line), or None when it is safe."""
    if len(text) < MIN_SUSPICIOUS_SIZE:
        return None
    if (len(text) < ALWAYS_CHECK_SIZE and bracket_depth_estimate(text) <= SUSPICIOUS_DEPTH
            and _longest_line(text) <= SUSPICIOUS_LINE and not _long_chains(text)):
        return None
    return _oracle(text)


def _long_chains(text: str) -> bool:
    """Whether ``text`` holds enough chain-building tokens to nest libcst's tree deeply (C speed)."""
    return (text.count("elif") > SUSPICIOUS_CHAIN or text.count("\\\n") > SUSPICIOUS_CHAIN
            or sum(map(text.count, ("+", "-", "*", "|", "&", " and ", " or ", "."))) > 20 * SUSPICIOUS_CHAIN)


def _oracle(text: str) -> str | None:
    old = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(_frame_depth() + ORACLE_FRAMES)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes etc.
            ast.parse(text)
    except SyntaxError as exc:
        if "too many nested parentheses" in (exc.msg or ""):
            line = f" at line {exc.lineno}" if exc.lineno else ""
            return (f"skipped: brackets nested more than 200 levels deep{line} "
                    "(Python itself refuses this)")
        return None  # an ordinary syntax error or newer syntax: let libcst decide and report it
    except (RecursionError, MemoryError):
        return ("skipped: an expression is nested or chained too deeply to parse safely "
                "(hundreds of levels; generated code?)")
    except (ValueError, OverflowError):
        return None
    finally:
        sys.setrecursionlimit(old)
    return None


def syntax_error_location(text: str) -> tuple[int | None, str | None]:
    """(line, message) of CPython's own syntax error for ``text``, used when libcst's is vague.

    libcst's tokenizer errors carry no usable position; CPython's do.  Returns (None, None) when
    CPython accepts the file (newer syntax libcst rejects, or a libcst limitation).
    """
    old = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(_frame_depth() + ORACLE_FRAMES)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as exc:
        return exc.lineno, exc.msg
    except (RecursionError, MemoryError, ValueError, OverflowError):
        return None, None
    finally:
        sys.setrecursionlimit(old)
    return None, None
