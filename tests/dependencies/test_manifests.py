"""Every manifest reader: what it finds, on which line and column, and what it leaves alone
(look-alike packages, comments, options, direct references, damaged files)."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcilint.manifests import has_constraints, manifest_format, parse_requirement, read_manifest


def stripe(fmt: str, text: str) -> list[tuple[int, int, str, str]]:
    """(line, column, spec, text) of each ``stripe`` requirement ``read_manifest`` finds."""
    return [(r.line, r.column, r.spec, r.text) for r in read_manifest(fmt, textwrap.dedent(text))
            if r.name == "stripe" and not r.direct]


@pytest.mark.parametrize("path,fmt", [
    ("requirements.txt", "requirements"), ("requirements-dev.txt", "requirements"),
    ("dev-requirements.txt", "requirements"), ("requirements_prod.txt", "requirements"),
    ("REQUIREMENTS.TXT", "requirements"), ("requirements/base.txt", "requirements"),
    ("app/requirements/production.txt", "requirements"), ("constraints.txt", "requirements"),
    ("Pipfile", "pipfile"), ("Pipfile.lock", "pipfile-lock"), ("poetry.lock", "poetry-lock"),
    ("a/uv.lock", "uv-lock"), ("pdm.lock", "pdm-lock"), ("pyproject.toml", "pyproject"),
    ("setup.cfg", "setup-cfg"), ("pkg/setup.py", "setup-py"),
    ("requirements.in", None), ("notes.txt", None), ("myrequirementsfile.txt", None),
    ("pipfile", None), ("yarn.lock", None), ("Cargo.lock", None), ("setup_helpers.py", None),
    ("requirements.txt.bak", None),
])
def test_manifest_format_by_name(path, fmt):
    assert manifest_format(path) == fmt


@pytest.mark.parametrize("text,expected", [
    ("stripe==2.55.0", ("stripe", "==2.55.0", False)),
    ("Stripe[async]>=5,<6", ("stripe", ">=5,<6", False)),
    ("stripe (>=2.0)", ("stripe", "(>=2.0)", False)),
    ('stripe>=5; python_version >= "3.8"', ("stripe", ">=5", False)),
    ("stripe", ("stripe", "", False)),
    ("stripe @ https://example.com/stripe.whl", ("stripe", "", True)),
    ("stripe-mock==1", ("stripe-mock", "==1", False)),
    ("stripe_custom", ("stripe-custom", "", False)),
    ("./vendor/stripe", None), ("stripe 2.0", None), ("https://x/stripe.whl", None),
])
def test_parse_requirement(text, expected):
    assert parse_requirement(text) == expected


def test_requirements_file_lines_columns_comments_options_and_continuations():
    text = """\
        # stripe==1.0 commented out
        -r base.txt
        --index-url https://pypi.example.org/simple
        flask==3.0.3  # not stripe
        stripe-mock>=1
        dj-stripe==2.4
        stripe_custom==1.0
        stripe==2.55.0 \\
            --hash=sha256:aaaa \\
            --hash=sha256:bbbb
          stripe[async] >= 5 ; python_version > "3.8"  # indented
        -e git+https://github.com/stripe/stripe-python@v2.55.0#egg=stripe
        stripe @ git+https://github.com/stripe/stripe-python@v2.55.0
        """
    assert stripe("requirements", text) == [
        (8, 1, "==2.55.0", "stripe==2.55.0"),
        (11, 3, ">= 5", 'stripe[async] >= 5 ; python_version > "3.8"'),
    ]
    direct = [r for r in read_manifest("requirements", textwrap.dedent(text)) if r.direct]
    assert [(r.name, r.line) for r in direct] == [("stripe", 13)]


def test_requirements_constraints_option_is_seen():
    assert has_constraints("-c constraints.txt\nstripe\n")
    assert has_constraints("  --constraint=constraints.txt\n")
    assert not has_constraints("stripe\n# -c constraints.txt\n-r base.txt\n")


def test_pyproject_pep621_optional_groups_uv_pdm_and_poetry():
    text = """\
        [project]
        name = "shop"
        dependencies = [
          "requests>=2",
          "stripe>=2,<3",
          "stripe-mock==1.0",
        ]

        [project.optional-dependencies]
        pay = ["stripe==2.1"]

        [dependency-groups]
        dev = ["stripe~=5.0", {include-group = "pay"}]

        [tool.uv]
        dev-dependencies = ["stripe==6.0.0"]

        [tool.pdm.dev-dependencies]
        test = ["stripe==7.0.0"]

        [tool.poetry.dependencies]
        python = "^3.11"
        stripe = "^2.55"
        dj-stripe = "^2.4"

        [tool.poetry.group.dev.dependencies]
        stripe = {version = "^5", extras = ["async"]}

        [tool.poetry.dev-dependencies]
        "stripe" = [{version = "^3", python = "<3.8"}, {version = "^4", python = ">=3.8"}]
        """
    assert stripe("pyproject", text) == [
        (5, 3, ">=2,<3", "stripe>=2,<3"),
        (10, 8, "==2.1", "stripe==2.1"),
        (13, 8, "~=5.0", "stripe~=5.0"),
        (16, 21, "==6.0.0", "stripe==6.0.0"),
        (19, 9, "==7.0.0", "stripe==7.0.0"),
        (23, 1, "^2.55", "stripe ^2.55"),
        (30, 1, "^3 || ^4", "stripe ^3 || ^4"),
        (27, 1, "^5", "stripe ^5"),
    ]


def test_pyproject_poetry_sub_table_is_reported_at_its_header():
    text = """\
        [tool.poetry.dependencies.stripe]
        version = "^2.0"
        """
    assert stripe("pyproject", text) == [(1, 1, "^2.0", "stripe ^2.0")]


def test_pyproject_without_dependencies_or_broken_gives_nothing():
    assert stripe("pyproject", '[tool.black]\nline-length = 100\nstripe = "2.0"\n') == []
    assert stripe("pyproject", '[project]\ndependencies = ["stripe==2.0"\n') == []  # not TOML


def test_pipfile_sections_and_forms():
    text = """\
        [[source]]
        url = "https://pypi.org/simple"
        name = "stripe"

        [packages]
        Stripe = "==2.1.0"
        dj-stripe = "*"

        [dev-packages]
        stripe = {version = ">=5", extras = ["async"]}

        [extra]
        "stripe" = "*"

        [requires]
        python_version = "3.11"
        """
    assert stripe("pipfile", text) == [(6, 1, "==2.1.0", "Stripe==2.1.0"),
                                       (10, 1, ">=5", "stripe>=5"),
                                       (13, 1, "", "stripe")]


def test_pipfile_direct_reference():
    reqs = read_manifest("pipfile", '[packages]\nstripe = {git = "https://x/stripe.git"}\n')
    assert [(r.name, r.direct, r.line) for r in reqs] == [("stripe", True, 2)]


def test_lock_files_report_the_name_line_of_the_entry():
    poetry = """\
        [[package]]
        name = "dj-stripe"
        version = "2.4.0"

        [package.dependencies]
        stripe = ">=2.48"

        [[package]]
        name = "stripe"
        version = "2.55.0"
        description = "Python bindings for the Stripe API"

        [package.dependencies]
        requests = {version = ">=2.20", markers = "python_version >= \\"3.0\\""}

        [metadata]
        lock-version = "2.0"
        """
    assert stripe("poetry-lock", poetry) == [(9, 1, "==2.55.0", "stripe")]
    uv = """\
        version = 1
        requires-python = ">=3.11"

        [[package]]
        name = "shop"
        version = "0.1.0"
        source = { editable = "." }
        dependencies = [
            { name = "stripe" },
        ]

        [[package]]
        name = "stripe"
        version = "11.6.0"
        source = { registry = "https://pypi.org/simple" }
        """
    assert stripe("uv-lock", uv) == [(13, 1, "==11.6.0", "stripe")]
    # a damaged lock is still read line by line
    assert stripe("pdm-lock", '[[package]]\nname = "stripe"\nversion = "3.0.0"\n[[pac') == [
        (2, 1, "==3.0.0", "stripe")]


def test_pipfile_lock():
    text = """\
        {
            "_meta": {"hash": {"sha256": "x"}, "requires": {}},
            "default": {
                "dj-stripe": {"version": "==2.4.0"},
                "stripe": {
                    "hashes": ["sha256:aaaa"],
                    "version": "==2.55.0"
                }
            },
            "develop": {
                "stripe-mock": {"version": "==1.0"}
            }
        }
        """
    assert stripe("pipfile-lock", text) == [(5, 9, "==2.55.0", "stripe")]
    assert stripe("pipfile-lock", '{"default": {"stripe": {"version": ') == []  # not JSON


def test_setup_cfg_install_requires_and_extras():
    text = """\
        [metadata]
        name = shop
        description = uses stripe==1.0 somewhere

        [options]
        python_requires = >=3.8
        install_requires =
            requests>=2
            # stripe==1.0
            stripe>=2.0,<3  # payments
        tests_require =
            stripe==1.0

        [options.extras_require]
        pay = stripe==2.1
        async =
            stripe[async]==5.0
        """
    assert stripe("setup-cfg", text) == [(10, 5, ">=2.0,<3", "stripe>=2.0,<3"),
                                         (15, 7, "==2.1", "stripe==2.1"),
                                         (17, 5, "==5.0", "stripe[async]==5.0")]


@pytest.mark.parametrize("fmt,text", [
    ("requirements", "stripe==2.0\n"), ("requirements", "  Stripe [async] >= 2\n"),
    ("requirements", "stripe \\\n  ==2.0\n"), ("requirements", "stripe (>=2.0)\n"),
    ("requirements", "stripe\n"), ("requirements", "stripe # latest\n"),
    ("requirements", 'stripe;python_version>"3"\n'),
    ("pyproject", '[project]\ndependencies = ["stripe>=2,<3"]\n'),
    ("pyproject", "[project]\ndependencies = ['stripe (<3)']\n"),
    ("pyproject", '[project]\ndependencies = ["stripe[async] ~= 5.0"]\n'),
    ("pyproject", '[tool.poetry.dependencies]\n"stripe" = "^2"\n'),
    ("pyproject", '[tool.poetry.dependencies.stripe]\nversion = "^2"\n'),
    ("pipfile", '[packages]\nstripe={version="==2.0"}\n'),
    ("setup-cfg", "[options]\ninstall_requires = stripe==2.0\n"),
    ("setup-cfg", "[options.extras_require]\npay = stripe[async]==2.0\n"),
    ("poetry-lock", '[[package]]\nname = "stripe"\nversion = "2.0"\n'),
    ("pipfile-lock", '{"default":{"stripe":{"version":"==2.0"}}}'),
])
def test_the_prefilter_lets_every_readable_requirement_through(fmt, text):
    # a file the prefilter stops is never read: every form a reader accepts must pass it
    from pcilint.prefilter import compile_terms
    from pcilint.checks import bind
    from pcilint.ruleset import load_rules

    assert [r for r in read_manifest(fmt, text) if r.name == "stripe"], text
    for rule in bind(load_rules()):
        if rule.kind == "dependency-version":
            terms = compile_terms(rule.check.prefilter_terms())
            assert terms is not None and terms.search(text, None), (rule.id, text)


FORMATS_READ = ["requirements", "pipfile", "pipfile-lock", "poetry-lock", "uv-lock", "pdm-lock",
                "pyproject", "setup-cfg"]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(fmt=st.sampled_from(FORMATS_READ),
       text=st.text(alphabet=st.sampled_from(list('stripe=<>~!^*[]{}()"\',;:#@\\-_. \t\n05')),
                    max_size=200))
def test_no_manifest_text_makes_a_reader_raise(fmt, text):
    for requirement in read_manifest(fmt, text):
        assert requirement.line >= 1 and requirement.column >= 1


@pytest.mark.parametrize("fmt", FORMATS_READ)
def test_hostile_lines_are_read_without_backtracking_blowups(fmt):
    # long runs of spaces and dashes once made the comment, option and header searches
    # quadratic (a 8,000-space lock line took minutes); each of these is read at once now
    spaces = " " * 100_000
    for text in ("stripe" + spaces + "x\n", "[" + spaces + "\n", "stripe==1" + " -" * 50_000 + "\n",
                 "[[package]]\nname = 'stripe'" + spaces + "\n", "a" * 100_000 + "!\n",
                 '{"default": {"stripe": {"version": "==1.0"' + "]" * 10_000 + "\n",
                 "[" * 100_000 + "\n"):
        read_manifest(fmt, text)
