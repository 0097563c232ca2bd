"""Every check kind documents itself: its own docstring, shown by `pcilint kinds` with its parameters."""

from __future__ import annotations

import inspect
import sys

import pytest

from pcilint.checks import KINDS, _load_all, kind_doc
from pcilint.checks.base import CheckKind

from conftest import run_cli

_load_all()
BASE_DOC = inspect.cleandoc(CheckKind.__doc__ or "")
# the shipped kinds (a test may register a kind of its own)
SHIPPED = {name: cls for name, cls in KINDS.items() if cls.__module__.startswith("pcilint.checks.")}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_kind_has_its_own_docstring(name):
    cls = KINDS[name]
    own = cls.__dict__.get("__doc__")
    module_doc = sys.modules[cls.__module__].__doc__ or ""
    # the class's own docstring, or a module docstring written for this kind alone
    assert own or module_doc.startswith(f"Check kind ``{name}``"), f"{name}: no docstring of its own"
    doc = kind_doc(cls)
    assert doc and doc != BASE_DOC and len(doc.split()) >= 12, f"{name}: {doc!r}"
    for pname, spec in cls.PARAMS.items():
        assert spec.doc.strip(), f"{name}.{pname} has no doc"


def test_kind_doc_never_falls_back_to_the_base_class():
    class Undocumented(CheckKind):
        kind = "undocumented-test-kind"

    assert BASE_DOC not in kind_doc(Undocumented)


def test_pcilint_kinds_prints_each_kinds_own_doc_and_parameters():
    code, out, _err = run_cli(["kinds"])
    assert code == 0
    assert "Base class of every check kind" not in out
    blocks = {b.split("  ", 1)[0]: b for b in out.strip().split("\n\n")}
    assert set(SHIPPED) <= set(blocks)
    for name, cls in SHIPPED.items():
        first_words = " ".join(kind_doc(cls).split()[:8])
        assert first_words in " ".join(blocks[name].split()), name
        for pname in cls.PARAMS:
            assert f"\n      {pname}: " in blocks[name], (name, pname)
