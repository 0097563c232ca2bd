"""File discovery: gitignore, default excludes, explicit files, kinds."""

from __future__ import annotations

from pathlib import Path

from pcilint.discovery import discover

from conftest import write_tree


def _names(tmp_path, paths=None, exclude=()):
    files, problems = discover(paths or [tmp_path], {"python", "template", "settings"},
                               list(exclude), tmp_path, cwd=tmp_path)
    return [f.display for f in files], problems


def test_default_excludes_and_gitignore(tmp_path):
    write_tree(tmp_path, {
        ".git/HEAD": "ref\n",
        ".gitignore": "generated/\n*.local.py\n",
        "app.py": "", "settings.local.py": "", "generated/x.py": "",
        ".venv/lib/site.py": "", "node_modules/a/b.py": "", "build/lib/c.py": "",
        "pkg/mod.py": "", "pkg/.gitignore": "secret_*.py\n", "pkg/secret_a.py": "",
        "templates/pay.html": "", "config/.env": "", "README.md": "",
    })
    names, problems = _names(tmp_path)
    assert names == ["app.py", "config/.env", "pkg/mod.py", "templates/pay.html"]
    assert problems == []


def test_explicit_file_is_scanned_even_if_gitignored(tmp_path):
    write_tree(tmp_path, {".gitignore": "*.py\n", "a.py": ""})
    names, _ = _names(tmp_path, [tmp_path / "a.py"])
    assert names == ["a.py"]


def test_config_exclude_applies_to_explicit_files(tmp_path):
    write_tree(tmp_path, {"migrations/0001.py": "", "a.py": ""})
    names, _ = _names(tmp_path, [tmp_path / "migrations/0001.py", tmp_path / "a.py"],
                      exclude=["migrations/"])
    assert names == ["a.py"]


def test_missing_path_is_a_problem_not_a_crash(tmp_path):
    names, problems = _names(tmp_path, [tmp_path / "nope.py"])
    assert names == [] and problems == [("nope.py", "no such file or directory")]


def test_symlink_loop_is_not_followed(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("")
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path / "pkg")
    names, _ = _names(tmp_path)
    assert names == ["pkg/a.py"]


def test_display_paths_are_relative_with_slashes(tmp_path):
    write_tree(tmp_path, {"a/b/c.py": ""})
    names, _ = _names(tmp_path, [Path(tmp_path / "a")])
    assert names == ["a/b/c.py"]


def test_naming_files_without_exclude_patterns_needs_no_gitignore_matcher(tmp_path):
    # the pre-commit path: pathspec (~0.07 s to import) is loaded only for a .gitignore met on a
    # walk or for configured exclude patterns
    import os
    import subprocess
    import sys

    from conftest import REPO

    write_tree(tmp_path, {"app.py": "x = 1\n", "pkg/.gitignore": "gen.py\n", "pkg/gen.py": ""})
    code = ("import sys\nfrom pathlib import Path\nfrom pcilint.discovery import discover\n"
            "kinds = {'python'}\n"
            "discover([Path('app.py')], kinds, [], Path('.'), Path('.').resolve())\n"
            "print('NAMED', 'pathspec' in sys.modules)\n"
            "files, _ = discover([Path('.')], kinds, [], Path('.'), Path('.').resolve())\n"
            "print('WALKED', 'pathspec' in sys.modules, sorted(f.display for f in files))\n")
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=60)
    assert "NAMED False" in out.stdout, out.stderr
    assert "WALKED True ['app.py']" in out.stdout, out.stdout + out.stderr
