import pytest
from django.urls import reverse

from students.tests.factories import StudentFactory
from submissions.tests.helpers import post_upload, upload_url

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>.pdf"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;.pdf"
NAME = "<script>alert(1)</script>"
ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def hostile_upload(client, exam):
    student = StudentFactory(exam=exam, first_name=NAME, last_name="O'Hara")
    post_upload(client, student, name=HOSTILE)
    return student.submissions.get()


def assert_escaped(html, url):
    assert "<script>alert(1)" not in html and "<img src=x" not in html, url
    assert ESCAPED_NAME in html, url


def test_names_and_file_names_are_escaped_on_the_public_pages(client, hostile_upload):
    student = hostile_upload.student
    code = hostile_upload.verification_code
    for url in [
        upload_url(student),
        reverse("submissions:receipt", args=[student.upload_code, code]),
        reverse("submissions:verify") + f"?code={code}",
    ]:
        html = client.get(url).content.decode()
        assert_escaped(html, url)
        assert ESCAPED in html, url


def test_names_and_file_names_are_escaped_on_the_examiner_pages(examiner_client, hostile_upload):
    student = hostile_upload.student
    for url in [student.exam.get_absolute_url(), student.get_absolute_url()]:
        assert_escaped(examiner_client.get(url).content.decode(), url)
    assert ESCAPED in examiner_client.get(student.get_absolute_url()).content.decode()


def test_control_and_direction_characters_are_taken_out_of_file_names(client, student):
    # U+202E would show "answer\u202efdp.exe" as "answerexe.pdf".
    post_upload(client, student, name="answer\u202efdp\x1b[31m\x07.exe")

    assert student.submissions.get().original_name == "answerfdp[31m.exe"


@pytest.mark.parametrize(
    "name, header",
    [
        (
            'Résumé "final"; x=y.pdf',
            "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20x%3Dy.pdf",
        ),
        ('plain "final"; x=y.pdf', 'attachment; filename="plain \\"final\\"; x=y.pdf"'),
    ],
)
def test_the_local_download_is_an_attachment_with_an_rfc_6266_name(client, student, name, header):
    post_upload(client, student, name=name)
    submission = student.submissions.get()
    redirect = client.get(reverse("submissions:download", args=[submission.verification_code]))

    response = client.get(redirect["Location"])

    assert response.status_code == 200
    assert response["Content-Disposition"] == header
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_html_answer_is_downloaded_never_rendered(client, student):
    post_upload(client, student, content=b"<script>alert(1)</script>", name="page.html")
    submission = student.submissions.get()
    redirect = client.get(reverse("submissions:download", args=[submission.verification_code]))

    response = client.get(redirect["Location"])

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_examiners_download_is_an_attachment_too(examiner_client, client, student):
    post_upload(client, student, name="page.html", content=b"<p>hi</p>")
    submission = student.submissions.get()
    url = reverse("students:submission_download", args=[student.exam_id, student.pk, submission.pk])

    response = examiner_client.get(examiner_client.get(url)["Location"])

    assert response["Content-Disposition"] == 'attachment; filename="page.html"'
    assert response["Content-Type"] == "application/octet-stream"
