"""Installs are reproducible: the lock files pin every distribution with its hashes, they
hold what requirements.txt and requirements-dev.txt ask for (`make lock` was run after the
last edit), and `make venv` and the image install them, not the .txt files."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text):
    """{name: version} of each `name==version` line (extras and markers aside)."""
    found = {}
    for line in text.splitlines():
        if match := PIN.match(line.strip()):
            found.setdefault(normalized(match[1]), set()).add(match[2])
    return found


def entries(text):
    """Each locked distribution as one string: its pin line and its hash lines."""
    return re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2].strip())


@pytest.mark.parametrize(
    ("wanted", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_the_lock_holds_every_pinned_requirement_at_its_version(wanted, lock):
    locked = pins((ROOT / lock).read_text())
    asked = pins((ROOT / wanted).read_text())
    if wanted == "requirements-dev.txt":
        asked |= pins((ROOT / "requirements.txt").read_text())

    stale = {name: version for name, version in asked.items() if locked.get(name) != version}

    assert stale == {}, "run `make lock` after changing a requirements file"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_distribution_has_a_version_and_hashes(lock):
    unhashed = [
        entry.split()[0]
        for entry in entries((ROOT / lock).read_text())
        if not PIN.match(entry) or "--hash=sha256:" not in entry
    ]

    assert unhashed == []


def test_the_lock_files_agree_on_the_runtime():
    runtime = pins((ROOT / "requirements.lock").read_text())
    dev = pins((ROOT / "requirements-dev.lock").read_text())

    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_image_and_make_venv_install_the_locks_with_hashes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()

    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --quiet --require-hashes --no-deps -r requirements-dev.lock" in makefile
    assert "-r requirements.txt" not in dockerfile
    assert "-r requirements-dev.txt" not in makefile


def test_the_benchmarks_profiler_is_not_in_the_suites_install():
    assert "py-spy" not in pins((ROOT / "requirements-dev.lock").read_text())
    assert "py-spy" in pins((ROOT / "bench" / "requirements.txt").read_text())
