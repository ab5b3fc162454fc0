"""
The student's phone (375 px, touch) in English and German: every name a phone gives a photo
is accepted, photos of paper pages become one PDF in the page ("Scan pages") or, without
JavaScript, on the server, and a dropped connection loses nothing and counts nothing twice.
The stored PDFs are read back with pypdf. docs/screenshots/scan-*.png come from here
(e2e-artifacts/).
"""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from e2e.helpers import LANGUAGES, PHONE, shot
from submissions.tests.photos import TURNED_RIGHT, heic, jpeg

WORDS = {
    "en": {
        "file": "Your answer file",
        "upload": "Upload",
        "scan": "Scan pages",
        "make": "Make PDF",
        "ready": "Your PDF is ready: 5 pages",
        "turn": "Turn page 2",
        "up": "Move page 3 up",
        "again": "Send it again now",
        "dropped": "The connection dropped before the server confirmed your upload.",
        "offline": "You are offline.",
        "too_big": "These 5 pages do not fit in",
        "heic": "Settings → Camera → Formats → Most Compatible",
        "received": "We have your file",
    },
    "de": {
        "file": "Ihre Antwortdatei",
        "upload": "Hochladen",
        "scan": "Seiten scannen",
        "make": "PDF erstellen",
        "ready": "Ihr PDF ist fertig: 5 Seiten",
        "turn": "Seite 2 drehen",
        "up": "Seite 3 nach oben",
        "again": "Jetzt erneut senden",
        "dropped": "Die Verbindung brach ab, bevor der Server Ihren Upload bestätigt hat.",
        "offline": "Sie sind offline.",
        "too_big": "Diese 5 Seiten passen nicht in",
        "heic": "Einstellungen → Kamera → Formate → Maximale Kompatibilität",
        "received": "Ihre Datei ist bei uns angekommen",
    },
}


def phone(pages, language, **options):
    return pages.new(**PHONE, **LANGUAGES[language], **options)


def exam_taking(student, types, limit=None):
    student.exam.allowed_extensions = types
    if limit:
        student.exam.max_upload_bytes = limit
    student.exam.save()
    return student


def write(folder, name, content):
    path = folder / name
    path.write_bytes(content)
    return path


def posts_of(page):
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    return posts


def stored_pdf(student):
    submission = student.submissions.get()
    with submission.file.open("rb") as file:
        return PdfReader(io.BytesIO(file.read()))


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("name", ["IMG_20261208_174600.jpeg", "IMG_0001.JPG"])
def test_a_photo_by_any_name_is_taken_on_a_jpg_exam(pages, student, tmp_path, language, name):
    exam_taking(student, "pdf, jpg")
    words = WORDS[language]
    page = phone(pages, language)
    page.goto(student.get_upload_url())

    page.get_by_label(words["file"]).set_input_files(write(tmp_path, name, jpeg()))
    expect(page.locator("#file-chosen")).to_contain_text(name)
    expect(page.locator("#upload-errors")).to_be_empty()
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url("**/receipt/**")

    submission = student.submissions.get()
    assert submission.original_name == name
    assert submission.content_type == "image/jpeg"


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_heic_photo_on_a_jpg_exam_is_told_what_to_do(pages, student, tmp_path, language):
    exam_taking(student, "jpg")
    page = phone(pages, language)
    posts = posts_of(page)
    page.goto(student.get_upload_url())

    field = page.get_by_label(WORDS[language]["file"])
    field.set_input_files(write(tmp_path, "IMG_0002.HEIC", heic()))
    expect(page.locator("#upload-errors")).to_contain_text(WORDS[language]["heic"])
    expect(page.locator("#upload-errors")).to_contain_text("IMG_0002.HEIC")
    expect(field).to_have_attribute("aria-invalid", "true")
    shot(page, f"upload-heic-{language}")
    assert posts == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_heic_photo_this_browser_cannot_open_is_not_scanned(pages, student, tmp_path, language):
    exam_taking(student, "pdf")
    page = phone(pages, language)
    page.goto(student.get_upload_url())

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=WORDS[language]["scan"]).click()
    chooser.value.set_files([write(tmp_path, "IMG_0003.heic", heic())])
    status = page.locator("#scan-status")
    expect(status).to_contain_text("IMG_0003.heic")
    expect(status).to_contain_text(WORDS[language]["heic"])
    expect(page.get_by_test_id("scan-page")).to_have_count(0)


def five_photos(folder):
    """Five pages told apart by their width; the fourth was taken with the phone turned."""
    paths = []
    for n in range(5):
        if n == 3:  # upright: 300 × 440
            content = jpeg(440, 300, colour=(250, 250, 240), orientation=TURNED_RIGHT, page=4)
        else:
            content = jpeg(300 + n * 10, 420, colour=(250, 250, 240), page=n + 1)
        paths.append(write(folder, f"IMG_{n + 1}.jpeg", content))
    return paths


@pytest.mark.parametrize("language", ["en", "de"])
def test_five_photos_become_one_pdf_reordered_and_turned(pages, student, tmp_path, language):
    exam_taking(student, "pdf")
    words = WORDS[language]
    page = phone(pages, language)
    page.goto(student.get_upload_url())
    expect(page.locator("#file-help .fine-pointer")).to_be_hidden()  # touch: no "drop it"
    expect(page.locator(".site-header")).not_to_contain_text("Examiner login")
    expect(page.locator(".site-header")).not_to_contain_text("Prüferanmeldung")

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=words["scan"]).click()
    chooser.value.set_files(five_photos(tmp_path))
    expect(page.get_by_test_id("scan-page")).to_have_count(5)
    page.get_by_role("button", name=words["up"]).click()  # pages: 1, 3, 2, 4, 5
    page.get_by_role("button", name=words["turn"]).click()  # the new page 2 (photo 3)
    page.locator("#scan-pages").scroll_into_view_if_needed()
    shot(page, f"scan-pages-{language}")

    page.get_by_role("button", name=words["make"]).click()
    expect(page.locator("#scan-status")).to_contain_text(words["ready"], timeout=60_000)
    expect(page.locator("#file-chosen")).to_contain_text("scan-5-pages.pdf")
    page.locator("#scan-status").scroll_into_view_if_needed()
    shot(page, f"scan-ready-{language}")
    page.get_by_role("button", name=words["upload"], exact=True).click()
    page.wait_for_url("**/receipt/**")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["received"])

    student.refresh_from_db()
    assert student.uploads_used == 1
    reader = stored_pdf(student)
    sizes = [page.images[0].image.size for page in reader.pages]
    # Photo 3 turned a quarter: 320 × 420 became 420 × 320; photo 4 upright by its EXIF.
    assert sizes == [(300, 420), (420, 320), (310, 420), (300, 440), (340, 420)]
    shapes = [page.mediabox.width > page.mediabox.height for page in reader.pages]
    assert shapes == [False, True, False, False, False]  # the turned page is landscape


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_scan_too_large_for_the_limit_is_refused_before_sending(
    pages, student, tmp_path, language
):
    exam_taking(student, "pdf", limit=60_000)
    page = phone(pages, language)
    posts = posts_of(page)
    page.goto(student.get_upload_url())
    photos = [
        write(tmp_path, f"IMG_{n}.jpg", jpeg(900, 1200, noise=True, quality=90)) for n in range(5)
    ]

    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name=WORDS[language]["scan"]).click()
    chooser.value.set_files(photos)
    page.get_by_role("button", name=WORDS[language]["make"]).click()
    # Five photos made smaller five times over: a slow phone's work, so a longer wait.
    expect(page.locator("#scan-status")).to_contain_text(WORDS[language]["too_big"], timeout=60_000)
    page.locator("#scan-status").scroll_into_view_if_needed()
    shot(page, f"scan-too-large-{language}")
    assert posts == []
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_photos_chosen_in_the_ordinary_picker_go_to_scan_pages(pages, student, tmp_path):
    exam_taking(student, "pdf")
    page = phone(pages, "en")
    page.goto(student.get_upload_url())

    page.get_by_label("Your answer file").set_input_files(five_photos(tmp_path)[:2])
    expect(page.get_by_test_id("scan-page")).to_have_count(2)
    page.get_by_role("button", name="Upload", exact=True).click()  # makes the PDF, sends it
    page.wait_for_url("**/receipt/**")

    assert len(stored_pdf(student).pages) == 2


def test_without_javascript_the_server_combines_the_photos(pages, student, tmp_path):
    exam_taking(student, "pdf")
    page = phone(pages, "de", java_script_enabled=False)
    page.goto(student.get_upload_url())
    expect(page.get_by_test_id("paper-hint")).to_be_visible()
    expect(page.locator("#scan")).to_be_hidden()

    page.get_by_label("Ihre Antwortdatei").set_input_files(five_photos(tmp_path))
    page.get_by_role("button", name="Hochladen", exact=True).click()
    page.wait_for_url("**/receipt/**")

    student.refresh_from_db()
    assert student.uploads_used == 1
    reader = stored_pdf(student)
    sizes = [page.images[0].image.size for page in reader.pages]
    assert sizes == [(300, 420), (310, 420), (320, 420), (440, 300), (340, 420)]
    assert [page.rotation for page in reader.pages] == [0, 0, 0, 90, 0]  # by the EXIF


def lose_answers_to_posts(page):
    """Lets every POST reach the server, then cuts the connection before its answer reaches
    the page (Chromium's Fetch domain, paused at the response): a phone that loses its
    network just after the last byte went up."""
    cdp = page.context.new_cdp_session(page)

    def paused(event):
        if event["request"]["method"] == "POST":
            cdp.send(
                "Fetch.failRequest",
                {"requestId": event["requestId"], "errorReason": "ConnectionReset"},
            )
        else:
            cdp.send("Fetch.continueRequest", {"requestId": event["requestId"]})

    cdp.on("Fetch.requestPaused", paused)
    cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Response"}]})
    return cdp


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_answer_lost_on_the_way_back_is_sent_again_and_counted_once(
    pages, student, tmp_path, language
):
    """The server stores the upload, then the connection drops before its answer reaches
    the phone: the page keeps the file, sends the same upload again, and the server knows it.
    The form's own post: an exam without a delivery window (e2e/test_two_step.py has the
    two-step upload's lost answers)."""
    student.exam.delivery_minutes = 0
    student.exam.save()
    words = WORDS[language]
    page = phone(pages, language)
    receipts = []
    page.on(
        "framenavigated",
        lambda frame: "/receipt/" in frame.url and frame == page.main_frame and receipts.append(1),
    )
    page.goto(student.get_upload_url())
    cut = lose_answers_to_posts(page)
    page.get_by_label(words["file"]).set_input_files(write(tmp_path, "answer.pdf", b"%PDF-1.7 x"))
    page.get_by_role("button", name=words["upload"], exact=True).click()
    retry = page.locator("#upload-retry")
    expect(retry).to_contain_text(words["dropped"])
    retry.scroll_into_view_if_needed()
    shot(page, f"upload-retry-{language}")
    student.refresh_from_db()
    assert student.uploads_used == 1  # stored once, not yet confirmed to the student

    cut.send("Fetch.disable")
    page.get_by_role("button", name=words["again"]).click()
    page.wait_for_url("**/receipt/**")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["received"])

    student.refresh_from_db()
    assert student.uploads_used == 1
    assert student.submissions.count() == 1
    assert receipts == [1]


def test_offline_then_back_online_sends_it_once(pages, student, tmp_path):
    page = phone(pages, "en")
    page.goto(student.get_upload_url())
    page.get_by_label("Your answer file").set_input_files(
        write(tmp_path, "answer.pdf", b"%PDF-1.7 offline")
    )

    page.context.set_offline(True)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-retry")).to_contain_text("You are offline.")
    page.context.set_offline(False)  # the page goes again as the browser is back online
    page.wait_for_url("**/receipt/**")

    student.refresh_from_db()
    assert student.uploads_used == 1
    assert student.submissions.count() == 1


def test_a_photo_over_the_limit_goes_to_scan_pages_and_fits(pages, student, tmp_path):
    exam_taking(student, "pdf, jpg", limit=200_000)
    page = phone(pages, "en")
    page.goto(student.get_upload_url())
    photo = write(tmp_path, "IMG_9.jpeg", jpeg(2400, 3200, noise=True, quality=70))
    assert photo.stat().st_size > 200_000

    page.get_by_label("Your answer file").set_input_files(photo)
    expect(page.locator("#file-chosen")).to_contain_text("more than the limit of")
    expect(page.get_by_test_id("scan-page")).to_have_count(1)
    page.get_by_role("button", name="Make PDF").click()
    expect(page.locator("#scan-status")).to_contain_text("Your PDF is ready", timeout=60_000)
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url("**/receipt/**")

    submission = student.submissions.get()
    assert submission.original_name == "scan-1-page.pdf"
    assert submission.size <= 200_000
