"""Version constraints -> the newest allowed major and whether there is an upper bound: PEP 440
(checked against ``packaging``, which pytest brings) and Poetry's syntax."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pcilint.specifiers import allowed

packaging_version = pytest.importorskip("packaging.version")
packaging_specifiers = pytest.importorskip("packaging.specifiers")


@pytest.mark.parametrize("spec,newest,pinned", [
    ("==2.55.0", 2, "2.55.0"),
    ("===2.55.0", 2, "2.55.0"),
    ("~=2.5", 2, None),
    ("~=2.5.1", 2, None),
    (">=2,<3", 2, None),
    (">= 2.0 , < 3.0", 2, None),
    ("<3", 2, None),
    ("<3.0.0", 2, None),
    ("<3.1", 3, None),
    ("<3.0rc1", 2, None),
    ("<=3", 3, None),
    ("==2.*", 2, None),
    ("==2.5.*", 2, None),
    ("(>=2.0,<3.0)", 2, None),
    ("==16.1.0", 16, "16.1.0"),
    (">=16,<17", 16, None),
    ("==2.0.0b1", 2, "2.0.0b1"),
])
def test_pep440_bounded(spec, newest, pinned):
    result = allowed(spec)
    assert result is not None and result.bounded
    assert (result.newest_major, result.pinned) == (newest, pinned)


@pytest.mark.parametrize("spec", ["", "*", ">=2.0", ">2", "!=2.1", ">=2,!=2.5.*", "(>=2)",
                                  ">=1.0rc1"])
def test_pep440_unbounded(spec):
    result = allowed(spec)
    assert result is not None and not result.bounded and result.newest_major is None


@pytest.mark.parametrize("spec", [
    "~=2",  # PEP 440 needs two numbers
    ">=2.*",  # a wildcard only goes with == / !=
    "^2.5", "~2.5", "2.5.0",  # Poetry's syntax is not PEP 440
    ">=${STRIPE_VERSION}", "==latest", ">=2,<",
    ">3,<2", "==2.0,==3.0", "<0",  # allow nothing
])
def test_pep440_unreadable_or_empty_is_none(spec):
    assert allowed(spec) is None


@pytest.mark.parametrize("spec,newest,pinned", [
    ("^2.55", 2, None),
    ("^2.55.0", 2, None),
    ("^0.2.3", 0, None),
    ("^0", 0, None),
    ("~2.5", 2, None),
    ("~2", 2, None),
    ("~=2.5", 2, None),
    ("2.55.0", 2, "2.55.0"),
    ("=2.55.0", 2, "2.55.0"),
    ("2.*", 2, None),
    (">=2 <3", 2, None),
    (">=2, <3", 2, None),
    (">= 2, < 3", 2, None),
    ("^2 || ^3", 3, None),
    ("^2 | ^3", 3, None),
    ("^16.0", 16, None),
])
def test_poetry_bounded(spec, newest, pinned):
    result = allowed(spec, poetry=True)
    assert result is not None and result.bounded
    assert (result.newest_major, result.pinned) == (newest, pinned)


@pytest.mark.parametrize("spec", ["*", "", ">=2", "^2 || >=3", ">=2,!=2.5"])
def test_poetry_unbounded(spec):
    result = allowed(spec, poetry=True)
    assert result is not None and not result.bounded


@pytest.mark.parametrize("spec", ["latest", "^x", ">=3 <2", "^2 || latest"])
def test_poetry_unreadable_or_empty_is_none(spec):
    assert allowed(spec, poetry=True) is None


# -- the same answers as packaging, on generated specifier sets -----------------------------------
PROBES = [packaging_version.Version(f"{a}.{b}.{c}")
          for a in range(12) for b in range(5) for c in range(3)]
release = st.tuples(st.integers(0, 9), st.lists(st.integers(0, 3), max_size=1),
                    st.lists(st.integers(0, 1), max_size=1)).map(
    lambda p: [p[0], *p[1], *(p[2] if p[1] else [])])


@st.composite
def clause(draw) -> str:
    op = draw(st.sampled_from(["==", "!=", ">=", ">", "<=", "<", "~=", "==*", "!=*"]))
    parts = draw(release)
    text = ".".join(map(str, parts))
    if op == "~=":
        assume(len(parts) >= 2)
    if op.endswith("*"):
        return f"{op[:-1]}{text}.*"
    return f"{op}{text}"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(clause(), min_size=1, max_size=3))
def test_pep440_agrees_with_packaging(clauses):
    spec = ",".join(clauses)
    try:
        reference = packaging_specifiers.SpecifierSet(spec)
    except packaging_specifiers.InvalidSpecifier:
        assume(False)
    inside = [v for v in PROBES if reference.contains(v)]
    open_above = reference.contains("999.0.0")
    ours = allowed(spec)
    if ours is None:
        assert not inside and not open_above, spec
        return
    assert ours.bounded == (not open_above), spec
    if ours.bounded and inside:
        newest = max(v.major for v in inside)
        if any(c.startswith("!=") for c in clauses):
            # exclusions are ignored: our newest major can only be as new as packaging's or newer
            # (fewer findings, never an invented one)
            assert ours.newest_major >= newest, spec
        else:
            assert ours.newest_major == newest, spec
