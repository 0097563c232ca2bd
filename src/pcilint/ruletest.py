"""Line markers in rule examples: where a ``bad`` example must be reported, and where it must not.

Semgrep's convention: a comment line ``# ruleid: PCI212`` directly above the line the finding must be
reported on, ``# ok: PCI212`` above a line that must not be reported. Several marker lines may stand
above one line. The comment opener is the example's own language's: ``#`` (Python, requirements, TOML,
YAML, ``.env``, ``setup.cfg``), ``<!-- ... -->`` or ``{# ... #}`` (templates), ``//``. A file format
without comments (a JSON lock file) gives the lines in the example's ``expect_line:`` field instead.

A marker is a comment: it moves the lines below it and changes nothing else a rule sees.
:func:`blank_markers` gives the example with each marker line emptied, so a test can check that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER = re.compile(
    r"^[ \t]*(?:#|//|<!--|\{#)[ \t]*(?P<what>ruleid|ok):[ \t]*"
    r"(?P<ids>PCI\d{3}(?:[ \t]*,[ \t]*PCI\d{3})*)[ \t]*(?:-->|#\})?[ \t]*$")


@dataclass
class Markers:
    expect: dict[str, set[int]] = field(default_factory=dict)  # rule id -> lines it must report
    ok: dict[str, set[int]] = field(default_factory=dict)      # rule id -> lines it must not report
    dangling: list[int] = field(default_factory=list)          # marker lines with no code line below


def parse_markers(code: str) -> Markers:
    """The marked lines of ``code`` (1-based, counted in ``code`` as written, markers included)."""
    out = Markers()
    pending: list[tuple[int, str, list[str]]] = []
    lines = code.splitlines()
    for number, line in enumerate(lines, 1):
        m = MARKER.match(line)
        if m:
            ids = [i.strip() for i in m.group("ids").split(",")]
            pending.append((number, m.group("what"), ids))
            continue
        for _, what, ids in pending:
            table = out.expect if what == "ruleid" else out.ok
            for rule_id in ids:
                table.setdefault(rule_id, set()).add(number)
        pending = []
    out.dangling = [number for number, _, _ in pending]
    return out


def blank_markers(code: str) -> str:
    """``code`` with every marker line emptied: the same line numbers, no marker comments."""
    keep_end = code.endswith("\n")
    lines = ["" if MARKER.match(line) else line for line in code.splitlines()]
    return "\n".join(lines) + ("\n" if keep_end else "")
