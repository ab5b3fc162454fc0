from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def image_files():
    """The files `docker build .` sends, by the same rules the Docker client applies."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return sorted(exclude_paths(str(ROOT), patterns))


def test_the_image_gets_no_tests_docs_screenshots_or_benchmarks(image_files):
    unwanted = [
        path
        for path in image_files
        if "/tests/" in f"/{path}"
        or Path(path).name.startswith("test_")
        or Path(path).name == "conftest.py"
        or path.startswith(("e2e/", "docs/", "bench/", ".ci/", ".git/", ".venv/", "var/"))
        or path.endswith(".md")
        or (path.endswith(".png") and not path.startswith("static/"))
    ]

    assert unwanted == []


def test_the_image_gets_everything_the_app_runs_on(image_files):
    needed = {
        "Dockerfile",
        "requirements.txt",
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
