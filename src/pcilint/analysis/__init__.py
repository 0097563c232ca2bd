"""Card-data analysis: classification of names and literals, flow tracking and sanitizers.

This package decides *what is card data and where it goes*; the check kinds in :mod:`pcilint.checks`
decide *what to report*.
"""

from __future__ import annotations

from typing import Any


def analyze_module(ctx: Any) -> Any:
    """The per-file flow analysis (see :mod:`pcilint.analysis.flow`)."""
    from pcilint.analysis.flow import analyze

    return analyze(ctx)
