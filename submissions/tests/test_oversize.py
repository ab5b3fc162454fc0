"""Oversized bodies are cut off early: the upload page reads at most the exam's limit plus
64 KiB of a body, and any other form stops one chunk past FILE_UPLOAD_HARD_LIMIT."""

import io
import secrets

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload, upload_url
from submissions.uploadhandlers import CHUNK_SIZE, SLACK

pytestmark = pytest.mark.django_db

KIB = 1024


class CountingInput(io.RawIOBase):
    """A request body of `size` file bytes that counts what the server reads of it."""

    def __init__(self, head, size, tail):
        self.parts = [head, size, tail]
        self.stream = io.BytesIO(head)
        self.remaining_file = size
        self.tail = tail
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.stream.read(len(buffer))
        if not chunk and self.remaining_file:
            chunk = b"x" * min(len(buffer), self.remaining_file)
            self.remaining_file -= len(chunk)
        if not chunk and self.tail:
            chunk, self.tail = self.tail[: len(buffer)], self.tail[len(buffer) :]
        buffer[: len(chunk)] = chunk
        self.bytes_read += len(chunk)
        return len(chunk)


def new_boundary():
    return "----depository" + secrets.token_hex(8)


def envelope(secret, boundary):
    """The multipart body's bytes before and after the file's: a form token, then the file."""
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{_mask_cipher_secret(secret)}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="form_token"\r\n\r\n'
        "oversize-form-token\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="huge.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail


def post_body(student, file_size, declare_length=True, declared=None, path=None, cookies=""):
    """Sends a multipart upload straight to the WSGI app (to the student's page unless `path`
    names another); returns (status, bytes read, page)."""
    secret = _get_new_csrf_string()
    boundary = new_boundary()
    head, tail = envelope(secret, boundary)
    body = CountingInput(head, file_size, tail)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path or upload_url(student),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": f"csrftoken={secret}; {cookies}",
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "wsgi.input": body,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    if declared == "":  # the header sent, with nothing in it
        environ["CONTENT_LENGTH"] = ""
    elif declare_length:
        environ["CONTENT_LENGTH"] = str(declared or len(head) + file_size + len(tail))
    else:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    statuses = []
    # As Django's test client does: keep the test's connection open across the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
        content = b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return int(statuses[0].split()[0]), body.bytes_read, content.decode()


def test_a_declared_20_mb_body_is_refused_without_reading_it(student):
    status, read, page = post_body(student, 20 * 1024 * KIB)

    assert status == 413
    assert read <= student.exam.max_upload_bytes + settings.UPLOAD_BODY_OVERHEAD
    assert read == 0
    assert "the limit is 3.0\xa0MB" in page


def test_a_declared_length_one_byte_past_the_limit_and_overhead_is_refused_unread(student):
    limit = student.exam.max_upload_bytes

    status, read, page = post_body(
        student, limit, declared=limit + settings.UPLOAD_BODY_OVERHEAD + 1
    )

    assert (status, read) == (413, 0)
    assert "Nothing was stored and no upload was used" in page


def test_a_declared_length_of_exactly_the_limit_and_overhead_is_read(student):
    student.exam.max_upload_bytes = 100 * KIB
    student.exam.save()
    head, tail = envelope(_get_new_csrf_string(), new_boundary())

    status, read, page = post_body(
        student, 100 * KIB + settings.UPLOAD_BODY_OVERHEAD - len(head) - len(tail)
    )

    # Read past the limit: the upload handler, not the declared length, stops this file.
    assert 100 * KIB < read <= 100 * KIB + settings.UPLOAD_BODY_OVERHEAD
    assert status == 413
    assert "Nothing was stored and no upload was used" in page


def test_a_large_body_to_another_form_stops_one_chunk_past_the_hard_limit(
    client, examiner, exam, settings
):
    """Only the upload page refuses a large declared length before reading; for any other
    form the upload handler stops the body at FILE_UPLOAD_HARD_LIMIT."""
    settings.FILE_UPLOAD_HARD_LIMIT = 1024 * KIB
    client.force_login(examiner)
    session = f"sessionid={client.cookies['sessionid'].value}"

    status, read, _ = post_body(
        None, 8 * 1024 * KIB, path=f"/exams/{exam.pk}/import/", cookies=session
    )

    assert status == 422  # the import form, shown again with the file refused
    # The chunk that crosses the limit is the last one read.
    assert 1024 * KIB < read <= 1024 * KIB + SLACK + CHUNK_SIZE


def test_a_body_that_understates_its_size_is_cut_off_after_the_limit(student):
    # The client claims a size within the limit but keeps sending: the handler stops it.
    student.exam.max_upload_bytes = 100 * KIB
    student.exam.save()

    status, read, page = post_body(student, 20 * 1024 * KIB, declared=160 * KIB)

    assert status == 413
    # Django reads no further than the declared length; the page is the handler's refusal.
    assert read <= 160 * KIB
    assert "Nothing was stored and no upload was used" in page
    assert not Submission.objects.exists()


def test_a_file_past_the_limit_within_the_declared_length_is_cut_off(student):
    student.exam.max_upload_bytes = 100 * KIB
    student.exam.save()

    status, _, page = post_body(student, 150 * KIB)

    assert status == 413
    assert "Nothing was stored and no upload was used" in page  # the handler's refusal
    assert not Submission.objects.exists()
    student.refresh_from_db()
    assert student.uploads_used == 0


def test_an_empty_content_length_is_no_length_411(student):
    status, read, page = post_body(student, 10 * KIB, declared="")

    assert (status, read) == (411, 0)
    assert "Your upload could not be read" in page
    assert not Submission.objects.exists()


def test_a_body_without_content_length_gets_411_reads_nothing_and_uses_nothing(client, student):
    post_upload(client, student, b"%PDF-1.7 earlier answer")
    earlier = Submission.objects.get()

    status, read, page = post_body(student, 20 * 1024 * KIB, declare_length=False)

    assert (status, read) == (411, 0)
    assert "Your upload could not be read" in page
    assert "Nothing was stored and no upload was used" in page
    student.refresh_from_db()
    assert student.uploads_used == 1
    assert list(Submission.objects.all()) == [earlier]
    assert Submission.objects.current().get() == earlier
    refusal = Event.objects.filter(kind=Event.Kind.UPLOAD_REFUSED).get()
    assert "could not be read" in refusal.detail


def test_an_empty_body_that_declares_its_length_is_an_ordinary_post(student):
    status, _, page = post_body(student, 0, declared="0")

    assert status == 400
    assert "Please choose a file to upload." in page


def test_refusals_are_logged_with_the_reason(student):
    post_body(student, 20 * 1024 * KIB)

    event = Event.objects.get(student=student)
    assert event.kind == Event.Kind.UPLOAD_REFUSED
    assert "the limit is 3.0\xa0MB" in event.detail
