import json
import os
from pathlib import Path

import axe_playwright_python

ARTIFACTS = Path(__file__).resolve().parent.parent / "e2e-artifacts"
# A phone's browser, for a page's options: a 375 px touch screen.
PHONE = {
    "viewport": {"width": 375, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
# The languages a journey runs in, as a browser asks for them.
LANGUAGES = {
    "en": {"locale": "en-GB", "extra_http_headers": {"Accept-Language": "en-GB,en;q=0.9"}},
    "de": {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de-DE,de;q=0.9"}},
}
DOCS_SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# Set by `make screenshots`: only then do the journeys rewrite the pictures the docs show,
# so a test run leaves the working tree as it found it.
REFRESH_DOCS = "REFRESH_SCREENSHOTS"
AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}


def shot(page, name, docs=None, **options):
    """Saves a screenshot into e2e-artifacts/ (git-ignored); with `docs`, the docs' picture
    of that name in docs/screenshots/ too, but only under `make screenshots`."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", **options)
    if docs and os.environ.get(REFRESH_DOCS):
        page.screenshot(path=DOCS_SCREENSHOTS / docs, **options)


def pixels(locator):
    """What `locator` looks like on the screen, as a PNG in memory (never written to disk):
    for a test that reads it, as a QR reader would."""
    return locator.screenshot()


def doc_shot(page, name, **options):
    """A screenshot kept in docs/screenshots/ under its own name (see `shot`)."""
    shot(page, name, docs=f"{name}.png", **options)


def answer_file(folder, size, name="answer.pdf"):
    """A file of `size` bytes that starts like a PDF; random, so no two uploads are alike."""
    path = folder / name
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(max(size - 9, 0)))
    return path


def has_sideways_scroll(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def accessibility_violations(page, name):
    """
    Runs axe-core in the page (from the pinned axe-playwright-python wheel, never a CDN) and
    returns the serious and critical violations. Every finding, whatever its impact, is
    written to e2e-artifacts/axe-<name>.json.
    """
    page.add_script_tag(path=AXE_JS)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results["violations"], indent=2))
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in results["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def record_progress(page):
    """Keeps every text the progress bar shows in sessionStorage, which outlives the
    navigation to the receipt, so the test can read afterwards what the student saw."""
    page.evaluate(
        """() => {
          const text = document.getElementById("upload-progress-text");
          const box = document.getElementById("upload-progress");
          const seen = [];
          new MutationObserver(() => {
            if (box.hidden) return;
            seen.push(text.textContent);
            sessionStorage.setItem("e2e-progress", JSON.stringify(seen));
          }).observe(text, {childList: true, characterData: true, subtree: true});
        }"""
    )


def seen_progress(page):
    return json.loads(page.evaluate("() => sessionStorage.getItem('e2e-progress') || '[]'"))


def throttle_uploads(page, bytes_per_second):
    """Slows the page's uploads in Chromium's network stack, as a phone on a slow link."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )
    return cdp


def drop_file(page, path):
    """Drops a file on the page as a drag from the desktop would."""
    data = page.evaluate_handle(
        """([name, bytes]) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
          return data;
        }""",
        [path.name, list(path.read_bytes())],
    )
    page.dispatch_event("main", "dragenter", {"dataTransfer": data})
    page.dispatch_event("main", "dragover", {"dataTransfer": data})
    return data


PASSWORD = "correct horse battery staple"  # the test factories' password


def log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/exams/")
