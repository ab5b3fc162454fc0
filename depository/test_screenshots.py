"""A test run leaves the working tree as it found it: the browser journeys write their
screenshots to e2e-artifacts/ (git-ignored), and the pictures in docs/screenshots/ only
under `make screenshots`."""

import re
from pathlib import Path

from e2e import helpers

ROOT = Path(__file__).resolve().parent.parent


class FakePage:
    """Records where a screenshot would go (no browser needed for this rule)."""

    def __init__(self):
        self.paths = []

    def screenshot(self, path, **options):
        self.paths.append(Path(path))


def test_a_test_run_never_writes_into_docs(monkeypatch):
    monkeypatch.delenv(helpers.REFRESH_DOCS, raising=False)
    page = FakePage()

    helpers.shot(page, "roster-desktop", docs="roster-desktop.png")

    assert page.paths == [helpers.ARTIFACTS / "roster-desktop.png"]


def test_make_screenshots_refreshes_the_docs_picture(monkeypatch):
    monkeypatch.setenv(helpers.REFRESH_DOCS, "1")
    page = FakePage()

    helpers.shot(page, "roster-desktop", docs="roster-desktop.png")

    assert page.paths[-1] == ROOT / "docs" / "screenshots" / "roster-desktop.png"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^screenshots:.*\n\t{helpers.REFRESH_DOCS}=1 ", makefile, re.M)


def test_no_journey_saves_a_screenshot_but_through_shot():
    """page.screenshot(path=…) anywhere else could write into a tracked folder again."""
    offenders = [
        path.name
        for path in (ROOT / "e2e").glob("*.py")
        if path.name != "helpers.py" and ".screenshot(" in path.read_text()
    ]

    assert offenders == []
