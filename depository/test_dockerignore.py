import os
from pathlib import Path

import pathspec
import pytest

ROOT = Path(__file__).resolve().parent.parent


def dockerignore():
    """.dockerignore as a matcher. Docker reads every pattern from the build context's root
    (`docs` is /docs, not any folder named docs), so each becomes an anchored gitignore line;
    `**/` and `*` mean the same in both."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = []
    for line in (line.strip() for line in lines):
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.removeprefix("!").lstrip("/")
        patterns.append(("!" if negated else "") + "/" + pattern)
    return pathspec.PathSpec.from_lines("gitignore", patterns)


def context_files(spec):
    """The files `docker build .` sends: a folder that matches is not walked at all."""
    for folder, folders, files in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT)
        folders[:] = [name for name in folders if not spec.match_file(f"{here / name}/")]
        for name in files:
            path = (here / name).as_posix()
            if not spec.match_file(path):
                yield path


@pytest.fixture(scope="module")
def image_files():
    return sorted(context_files(dockerignore()))


def test_the_matcher_reads_patterns_from_the_root():
    spec = dockerignore()

    assert spec.match_file("docs/index.md")
    assert spec.match_file("students/tests/test_views.py")
    assert spec.match_file("students/test_models.py")
    assert not spec.match_file("students/templates/docs/page.html")
    assert not spec.match_file("students/views.py")


def test_the_image_gets_no_tests_docs_screenshots_or_benchmarks(image_files):
    unwanted = [
        path
        for path in image_files
        if "/tests/" in f"/{path}"
        or Path(path).name.startswith("test_")
        or Path(path).name == "conftest.py"
        or path.startswith(("e2e/", "docs/", "bench/", ".ci/", ".git/", ".venv/", "var/"))
        or (path.endswith(".md") and not is_vendored_licence(path))
        or (path.endswith(".png") and not path.startswith("static/"))
    ]

    assert unwanted == []


def is_vendored_licence(path):
    return path.startswith("static/vendor/") and Path(path).name.startswith("LICENSE")


def test_each_vendored_librarys_licence_ships_with_it(image_files):
    """pdf-lib's LICENSE.md is a .md file, which the image otherwise leaves out."""
    libraries = [path.name for path in (ROOT / "static" / "vendor").iterdir() if path.is_dir()]
    licensed = {Path(path).parent.name for path in image_files if is_vendored_licence(path)}

    assert libraries
    assert set(libraries) == licensed


def test_the_image_gets_everything_the_app_runs_on(image_files):
    needed = {
        "Dockerfile",
        "requirements.lock",
        "gunicorn.conf.py",
        "manage.py",
        "depository/settings.py",
        "depository/wsgi.py",
        "students/models.py",
        "submissions/migrations/0001_initial.py",
        "templates/base.html",
        "static/css/app.css",
    }

    assert needed <= set(image_files)
