import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from submissions.models import Submission
from submissions.tests.helpers import post_upload, upload_url

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
DOCX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00"

pytestmark = pytest.mark.django_db


@pytest.fixture
def pdf_only(student):
    student.exam.allowed_extensions = "pdf"
    student.exam.save()
    return student


def error_text(response):
    return response.content.decode()


def test_it_accepts_any_type_by_default(client, student):
    response = post_upload(client, student, content=EXE, name="program.exe")

    assert response.status_code == 302
    assert student.submissions.get().original_name == "program.exe"


def test_it_refuses_another_extension_with_a_clear_message(client, pdf_only, local_storage):
    response = post_upload(client, pdf_only, content=DOCX, name="answer.docx")

    assert response.status_code == 400
    assert (
        "This exam accepts only .pdf files, and “answer.docx” is a .docx file (Word). "
        "Save it as PDF (in most programs: File → Save as → PDF, or File → Export → PDF), "
        "then upload the PDF."
    ) in error_text(response)
    assert not Submission.objects.exists()
    pdf_only.refresh_from_db()
    assert pdf_only.uploads_used == 0
    assert not [path for path in local_storage.rglob("*") if path.is_file()]


def test_it_refuses_a_file_without_an_extension(client, pdf_only):
    response = post_upload(client, pdf_only, content=PDF, name="answer")

    assert response.status_code == 400
    assert "is a file without an extension" in error_text(response)


def test_it_refuses_a_renamed_file_by_its_first_bytes(client, pdf_only):
    response = post_upload(client, pdf_only, content=PNG, name="answer.pdf")

    assert response.status_code == 400
    assert "“answer.pdf” is named like a PDF file, but its content is not PDF." in (
        error_text(response)
    )
    assert not Submission.objects.exists()


def test_it_accepts_a_real_pdf_whatever_the_case_of_its_name(client, pdf_only):
    response = post_upload(client, pdf_only, content=PDF, name="ANSWER.PDF")

    assert response.status_code == 302


def test_it_takes_jpeg_for_jpg(client, student):
    student.exam.allowed_extensions = ".JPG"
    student.exam.save()

    response = post_upload(client, student, content=JPEG, name="photo.jpeg")

    assert response.status_code == 302


def test_it_checks_text_types_are_text(client, student):
    student.exam.allowed_extensions = "py, txt"
    student.exam.save()

    refused = post_upload(client, student, content=EXE, name="solution.py")
    accepted = post_upload(client, student, content="print('ü')\n".encode(), name="solution.py")

    assert refused.status_code == 400
    assert "is named like a Python file" in error_text(refused)
    assert accepted.status_code == 302


# Valid UTF-8 byte for byte, but with NUL bytes: UTF-16 text, or a binary with an ASCII start.
UTF16_TEXT = "my answer\n".encode("utf-16-le")


def test_a_file_with_nul_bytes_is_not_text(client, student):
    student.exam.allowed_extensions = "txt"
    student.exam.save()

    response = post_upload(client, student, content=UTF16_TEXT, name="answer.txt")

    assert response.status_code == 400
    assert "is named like a text file, but its content is not text" in error_text(response)
    assert not Submission.objects.exists()


def test_a_text_file_with_nul_bytes_is_stored_as_octet_stream(client, student):
    post_upload(client, student, content=UTF16_TEXT, name="answer.txt")

    assert student.submissions.get().content_type == "application/octet-stream"


def test_it_names_every_allowed_type(client, student):
    student.exam.allowed_extensions = "pdf, docx; odt"
    student.exam.save()

    response = post_upload(client, student, content=b"notes", name="notes.txt")

    assert "accepts only .pdf, .docx or .odt files" in error_text(response)


def test_the_file_picker_offers_only_the_allowed_types(client, pdf_only):
    response = client.get(upload_url(pdf_only))

    assert 'accept=".pdf,application/pdf"' in error_text(response)
    assert "Accepted: .pdf files." in error_text(response)


def test_it_stores_the_detected_type(client, student):
    post_upload(client, student, content=PDF, name="answer.pdf")

    assert student.submissions.get().content_type == "application/pdf"


def test_it_ignores_the_browsers_word_for_the_type(client, student):
    upload = SimpleUploadedFile("answer.pdf", PDF, content_type="text/html")
    client.post(upload_url(student), {"form_token": "t1", "file": upload})

    assert student.submissions.get().content_type == "application/pdf"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", HTML),  # a type we never serve as itself
        ("image.svg", b"<svg onload='alert(1)'/>"),
        ("answer.pdf", HTML),  # the name claims PDF, the bytes disagree
        ("program.exe", EXE),
    ],
)
def test_it_stores_anything_else_as_octet_stream(client, student, name, content):
    post_upload(client, student, content=content, name=name)

    assert student.submissions.get().content_type == "application/octet-stream"


# --- The one list: every name a phone gives, in any case, on every path ---------------

from students import filetypes  # noqa: E402
from submissions.tests.photos import heic, jpeg  # noqa: E402

JPEG_NAMES = ["IMG_1.jpg", "IMG_1.jpeg", "IMG_1.jpe", "IMG_1.JPG", "IMG_1.JPEG", "IMG_1.Jpe"]


@pytest.mark.parametrize("name", JPEG_NAMES)
def test_every_name_of_jpeg_is_jpg(name):
    assert filetypes.extension(name) == "jpg"
    assert filetypes.kind_of(name).content_type == "image/jpeg"


@pytest.mark.parametrize("name", ["IMG_1.heic", "IMG_1.HEIC", "IMG_1.heif", "IMG_1.HEIF"])
def test_every_name_of_heic_is_heic(name):
    assert filetypes.extension(name) == "heic"


@pytest.mark.parametrize("typed", ["jpg", "JPEG", ".jpe", "Jpg"])
def test_an_exam_may_name_jpeg_any_way(typed):
    assert filetypes.parse_extensions(typed) == ("jpg",)


def test_the_accept_list_names_every_alias_and_the_mime_types():
    accept = filetypes.accept_attribute(("pdf", "jpg", "heic", "txt")).split(",")

    assert accept == [
        ".pdf",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".heic",
        ".heif",
        ".txt",
        ".text",
        "application/pdf",
        "image/jpeg",
        "image/heic",
        "image/heif",
    ]  # text/plain would let a picker offer any text file: text types go by name


def test_every_alias_is_in_the_accept_list_of_its_type():
    for alias, canonical in filetypes.ALIASES.items():
        assert f".{alias}" in filetypes.accept_attribute((canonical,)).split(",")


def test_real_heic_bytes_are_heic():
    assert filetypes.KINDS["heic"].matches(heic()[: filetypes.HEAD_BYTES])
    assert not filetypes.KINDS["heic"].matches(jpeg())


@pytest.mark.parametrize("name", JPEG_NAMES)
def test_a_photo_is_accepted_by_every_name_on_a_jpg_exam(client, student, name):
    student.exam.allowed_extensions = "jpg"
    student.exam.save()

    response = post_upload(client, student, content=jpeg(), name=name)

    assert response.status_code == 302
    assert student.submissions.get().content_type == "image/jpeg"


def test_a_heic_photo_on_a_jpg_exam_is_told_how_to_send_jpeg(client, student):
    student.exam.allowed_extensions = "jpg"
    student.exam.save()

    response = post_upload(client, student, content=heic(), name="IMG_2.HEIC")

    assert response.status_code == 400
    text = error_text(response)
    assert "and “IMG_2.HEIC” is a .heic file (HEIC photo)." in text
    assert "Settings → Camera → Formats → Most Compatible" in text


def test_the_page_gives_its_script_the_servers_refusals(client, pdf_only):
    import json
    import re

    page = error_text(client.get(upload_url(pdf_only)))
    found = re.search(r'<script id="type-refusals" type="application/json">(.*?)</script>', page)
    messages = json.loads(found.group(1))

    assert messages == filetypes.wrong_type_messages(("pdf",))
    assert "Save it as PDF" in messages["docx"]
    assert "Use “Scan pages”" in messages["jpeg"]
    assert "%(name)s" in messages["*"] and "%(ext)s" in messages["*"]
