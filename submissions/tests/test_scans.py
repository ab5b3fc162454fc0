"""Photos posted without the page's script become one PDF on the server (submissions.scans):
in their order, turned as the camera was held, within the exam's limit, or refused with a
message and nothing used."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from submissions import scans
from submissions.models import Submission
from submissions.tests.helpers import upload_url
from submissions.tests.photos import TURNED_RIGHT, heic, jpeg, pdf_pages, png

pytestmark = pytest.mark.django_db

A4_PORTRAIT, A4_LANDSCAPE = (595, 842), (842, 595)


@pytest.fixture
def pdf_exam(student):
    student.exam.allowed_extensions = "pdf"
    student.exam.save()
    return student


def photo(name, content):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def post_photos(client, student, *photos, token="scan-form"):
    return client.post(upload_url(student), {"form_token": token, "file": list(photos)})


def stored_pages(student):
    submission = student.submissions.get()
    with submission.file.open("rb") as file:
        return submission, pdf_pages(file.read())


def image_sizes(student):
    import io

    from pypdf import PdfReader

    with student.submissions.get().file.open("rb") as file:
        reader = PdfReader(io.BytesIO(file.read()))
    return [page.images[0].image.size for page in reader.pages]


def test_several_photos_become_one_pdf_in_their_order(client, pdf_exam):
    photos = [photo(f"IMG_{n}.jpeg", jpeg(100 + n, 160)) for n in range(5)]

    response = post_photos(client, pdf_exam, *photos)

    assert response.status_code == 302
    submission, pages = stored_pages(pdf_exam)
    assert [size for *size, _ in pages] == [list(A4_PORTRAIT)] * 5
    assert image_sizes(pdf_exam) == [(100 + n, 160) for n in range(5)]
    assert submission.original_name == "scan-5-pages.pdf"
    assert submission.content_type == "application/pdf"
    pdf_exam.refresh_from_db()
    assert pdf_exam.uploads_used == 1  # one submission, counted once


def test_a_photo_turned_in_the_camera_turns_its_page(client, pdf_exam):
    post_photos(
        client,
        pdf_exam,
        photo("upright.jpg", jpeg(120, 160)),
        photo("turned.JPG", jpeg(160, 120, orientation=TURNED_RIGHT)),
    )

    _, pages = stored_pages(pdf_exam)
    assert pages[0] == (*A4_PORTRAIT, 0)
    assert pages[1] == (*A4_LANDSCAPE, 90)  # shown upright: portrait


def test_its_checksum_is_the_stored_pdfs(client, pdf_exam):
    import hashlib

    post_photos(client, pdf_exam, photo("a.jpg", jpeg()), photo("b.png", png()))

    submission = pdf_exam.submissions.get()
    with submission.file.open("rb") as file:
        assert submission.sha256 == hashlib.sha256(file.read()).hexdigest()


def test_one_photo_on_an_exam_that_takes_only_pdf_becomes_a_pdf(client, pdf_exam):
    response = post_photos(client, pdf_exam, photo("IMG_1.jpeg", jpeg()))

    assert response.status_code == 302
    assert pdf_exam.submissions.get().original_name == "scan-1-page.pdf"


def test_one_photo_on_an_exam_that_takes_photos_stays_a_photo(client, student):
    student.exam.allowed_extensions = "pdf, jpg"
    student.exam.save()

    post_photos(client, student, photo("IMG_1.jpeg", jpeg()))

    assert student.submissions.get().content_type == "image/jpeg"


def test_a_transparent_png_is_flattened(client, pdf_exam):
    response = post_photos(client, pdf_exam, photo("shot.png", png(transparent=True)))

    assert response.status_code == 302


def test_the_pdf_must_fit_the_limit_exactly(client, pdf_exam):
    photos = [jpeg(200, 200, noise=True, quality=95) for _ in range(2)]
    size = len(scans.combine([photo("a.jpg", p) for p in photos], limit=10**9))

    pdf_exam.exam.max_upload_bytes = size
    pdf_exam.exam.save()
    assert post_photos(client, pdf_exam, *[photo("a.jpg", p) for p in photos]).status_code == 302

    pdf_exam.exam.max_upload_bytes = size - 1
    pdf_exam.exam.save()
    response = post_photos(client, pdf_exam, *[photo("a.jpg", p) for p in photos], token="two")
    assert response.status_code == 413
    assert "Your 2 photos make a PDF of" in response.content.decode()
    assert "Nothing was stored and no upload was used." in response.content.decode()
    assert Submission.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.pdf", b"%PDF-1.7 not a photo"),
        ("fake.jpg", b"%PDF-1.7 named like a photo"),
        ("broken.jpg", b"\xff\xd8\xff\xe0 cut short"),
    ],
)
def test_a_non_photo_among_the_photos_is_refused_and_nothing_used(
    client, pdf_exam, local_storage, name, content
):
    response = post_photos(client, pdf_exam, photo("a.jpg", jpeg()), photo(name, content))

    assert response.status_code == 400
    text = response.content.decode()
    assert f"“{name}” is not a JPEG or PNG photo" in text
    assert "Nothing was stored and no upload was used." in text
    pdf_exam.refresh_from_db()
    assert pdf_exam.uploads_used == 0
    assert not [path for path in local_storage.rglob("*") if path.is_file()]


def test_a_heic_photo_among_them_says_what_to_do(client, pdf_exam):
    response = post_photos(client, pdf_exam, photo("a.jpg", jpeg()), photo("b.HEIC", heic()))

    assert response.status_code == 400
    assert "“b.HEIC” is not a JPEG or PNG photo" in response.content.decode()


def test_a_photo_of_too_many_pixels_is_refused_before_it_is_decoded(client, pdf_exam):
    huge = png(8000, 7600)  # 60.8 megapixels, one past MAX_PIXELS at this size

    response = post_photos(client, pdf_exam, photo("huge.png", huge))

    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_at_most_max_pages_photos(client, pdf_exam, settings):
    def photos(count):
        return [photo(f"p{n}.jpg", jpeg(8, 8)) for n in range(count)]

    at_limit = post_photos(client, pdf_exam, *photos(scans.MAX_PAGES))
    over = post_photos(client, pdf_exam, *photos(scans.MAX_PAGES + 1), token="over")

    assert at_limit.status_code == 302
    assert over.status_code == 400
    assert f"At most {scans.MAX_PAGES} photos can become one PDF" in over.content.decode()


def test_more_files_than_django_parses_get_the_same_message(client, pdf_exam, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3

    response = post_photos(client, pdf_exam, *[photo(f"p{n}.jpg", jpeg(8, 8)) for n in range(4)])

    assert response.status_code == 400
    assert f"At most {scans.MAX_PAGES} photos can become one PDF" in response.content.decode()


def test_several_files_on_an_exam_that_cannot_take_a_pdf_are_refused(client, student):
    student.exam.allowed_extensions = "docx"
    student.exam.save()

    response = post_photos(client, student, photo("a.jpg", jpeg()), photo("b.jpg", jpeg()))

    assert response.status_code == 400
    assert "Please choose one file: your answer is one file." in response.content.decode()
    assert not Submission.objects.exists()


def test_the_api_takes_photos_as_one_pdf_and_a_jpeg_by_any_name(client, pdf_exam):
    from submissions.tests.helpers import answer

    photos = [answer(jpeg(100 + n, 160), f"IMG_{n}.JPEG") for n in range(3)]
    response = client.post(f"/api/v1/uploads/{pdf_exam.upload_code}", {"file": photos})

    assert response.status_code == 201
    submission = pdf_exam.submissions.get()
    assert submission.original_name == "scan-3-pages.pdf"
    assert len(stored_pages(pdf_exam)[1]) == 3


@pytest.mark.parametrize("page", ["upload", "receipt"])
def test_the_students_pages_offer_no_examiner_login(client, student, page):
    from django.urls import reverse

    from submissions.tests.helpers import post_upload

    response = post_upload(client, student)
    url = response.url if page == "receipt" else upload_url(student)
    html = client.get(url).content.decode()

    assert reverse("login") not in html
    assert "Examiner login" not in html
