"""The public pages whose URL carries a code: one answer for every wrong code, and the
code never leaves in a Referer."""

import re
import secrets

import pytest
from django.test import Client
from django.urls import reverse

from submissions.tests.helpers import answer, post_upload, upload_url

pytestmark = pytest.mark.django_db

MALFORMED = ["abc", "<script>", "x" * 300, "%00", "..", "a%20b", "7KQ2-M9XD-3HFP"]


def body(response):
    return response.content.decode()


@pytest.fixture
def revoked_code(examiner_client, student):
    old = student.upload_code
    examiner_client.post(reverse("students:student_new_link", args=[student.exam_id, student.pk]))
    return old


def test_unknown_malformed_and_revoked_upload_codes_get_the_same_answer(revoked_code):
    client = Client()  # not the examiner's: their pages carry a fresh CSRF token each time
    codes = [secrets.token_urlsafe(24), revoked_code, *MALFORMED]
    responses = [client.get(f"/u/{code}/") for code in codes]
    posts = [client.post(f"/u/{code}/", {"form_token": "t"}) for code in codes]

    assert {r.status_code for r in responses + posts} == {404}
    assert len({body(r) for r in responses + posts}) == 1


def test_unknown_malformed_and_revoked_receipts_get_the_same_answer(client, student):
    post_upload(client, student)
    code = student.submissions.get().verification_code
    urls = [
        f"/u/{student.upload_code}/receipt/7KQ2M9XD3HFP/",
        f"/u/{student.upload_code}/receipt/%00/",
        f"/u/{student.upload_code}/receipt/{'x' * 300}/",
        f"/u/{secrets.token_urlsafe(24)}/receipt/{code}/",
    ]
    responses = [client.get(url) for url in urls]

    assert {r.status_code for r in responses} == {404}
    assert len({body(r) for r in responses}) == 1


def without_echo(html):
    """The page without the typed code echoed back in the form."""
    return re.sub(r'value="[^"]*"', "", html)


@pytest.mark.parametrize("typed", ["7KQ2-M9XD-3HFP", "7KQ2M9XD3HFP", "7kq2 m9xd 3hfp"])
def test_every_unknown_verification_code_gets_the_same_answer(client, typed):
    unknown = client.get(reverse("submissions:verify"), {"code": "ZZZZ-ZZZZ-ZZZZ"})

    response = client.get(reverse("submissions:verify"), {"code": typed})

    assert response.status_code == unknown.status_code == 404
    assert without_echo(body(response)) == without_echo(body(unknown))
    assert "No submission has this code" in body(response)


@pytest.mark.parametrize("typed", ["x" * 300, "abc\x00def", "<b>", "-- --"])
def test_what_cannot_be_a_code_is_said_so_and_is_no_miss(client, settings, typed):
    """No code looks like these, so saying so tells nothing about which codes exist."""
    settings.CODE_MISS_LIMIT = 1

    responses = [client.get(reverse("submissions:verify"), {"code": typed}) for _ in range(3)]

    assert [r.status_code for r in responses] == [400] * 3
    assert "A verification code has" in body(responses[0])
    assert "<b>" not in without_echo(body(responses[0]))


def test_unknown_and_malformed_download_codes_get_the_same_answer(client):
    responses = [
        client.get(f"/verify/{code}/download/") for code in ["7KQ2M9XD3HFP", "%00", "x" * 300]
    ]

    assert {r.status_code for r in responses} == {404}
    assert len({body(r) for r in responses}) == 1


def test_pages_with_a_code_in_their_url_send_no_referrer(client, student):
    post_upload(client, student)
    code = student.submissions.get().verification_code
    download = client.get(reverse("submissions:download", args=[code]))
    pages = {
        "download": download,
        "file": client.get(download["Location"]),
        "upload": client.get(upload_url(student)),
        "receipt": client.get(reverse("submissions:receipt", args=[student.upload_code, code])),
        "verify": client.get(reverse("submissions:verify"), {"code": code}),
        "upload post": post_upload(client, student),
    }

    for name, response in pages.items():
        assert response["Referrer-Policy"] == "no-referrer", name


def test_other_pages_keep_the_referrer_to_our_own_origin(client):
    for url in [reverse("home"), reverse("login")]:
        assert client.get(url)["Referrer-Policy"] == "same-origin", url


def test_the_upload_form_works_from_a_page_that_sends_no_referrer(student):
    """With no-referrer, browsers post the page's form with `Origin: null` and no Referer;
    the secret code in the URL, not a CSRF cookie, is what guards the upload."""
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        upload_url(student), {"form_token": "t", "file": answer()}, HTTP_ORIGIN="null", secure=True
    )

    assert response.status_code == 302


def test_examiner_forms_still_check_csrf(student):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403


def test_the_upload_page_sets_no_cookie(client, student):
    """A student has no account and the upload needs no CSRF token, so their pages leave
    nothing in the browser, even on a shared computer."""
    response = client.get(upload_url(student))

    assert response.status_code == 200
    assert response.cookies == {}
    assert "csrfmiddlewaretoken" not in response.content.decode()
