"""Under DEBUG (as `make run` serves) the public side still shows the product's own 404
and 500 pages, never Django's debug pages with the URL list and the settings."""

import pytest
from django.contrib.staticfiles import finders
from django.db import connection

from students import codes

OUR_404 = "We could not find that page"
OUR_500 = "Something went wrong on our side"
DJANGOS_DEBUG_PAGE = "DEBUG = True"


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/u/{codes.new_upload_code()}/",  # a wrong code: the view raises Http404
        "/u/not a code/",
        f"/u/{codes.new_upload_code()}/receipt/7KQ2-M9XD-3HFP/",
        "/u/a/b/c/d/",  # no route matches at all
        "/verify/7KQ2-M9XD-3HFP/download/",
        "/verify/nothing/here/",
        "/files/forged-token/",
    ],
    # Named, not by their random codes: every test process must collect the same tests.
    ids=[
        "wrong-code",
        "no-code",
        "receipt-of-wrong-code",
        "no-route",
        "verify-download",
        "verify-nothing",
        "forged-file-token",
    ],
)
def test_public_urls_get_our_404_page_under_debug(client, debug, path):
    response = client.get(path)

    assert response.status_code == 404
    content = response.content.decode()
    assert OUR_404 in content
    assert DJANGOS_DEBUG_PAGE not in content and "Using the URLconf" not in content


@pytest.mark.django_db
def test_a_public_url_that_breaks_gets_our_500_page_under_debug(client, debug, student, caplog):
    """A real fault: the audit table the receipt writes to is gone."""
    submission = student.submissions.create(
        file="submissions/x", original_name="a.pdf", size=1, sha256="0" * 64
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE submissions_event")

    response = client.get(f"/u/{student.upload_code}/receipt/{submission.verification_code}/")

    assert response.status_code == 500
    assert OUR_500 in response.content.decode()
    assert DJANGOS_DEBUG_PAGE not in response.content.decode()
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


@pytest.mark.django_db
def test_the_examiners_side_keeps_djangos_debug_page(examiner_client, debug):
    response = examiner_client.get("/exams/987654/")

    assert response.status_code == 404
    assert OUR_404 not in response.content.decode()


@pytest.mark.django_db
def test_without_debug_the_same_pages_come_from_django_itself(client):
    response = client.get("/u/a/b/c/d/")

    assert response.status_code == 404
    assert OUR_404 in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/verify/", "/accounts/login/", "/no-such-page/"])
def test_every_page_names_a_favicon_that_exists(client, path):
    content = client.get(path).content.decode()

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in content
    assert finders.find("favicon.svg")


@pytest.mark.django_db
def test_the_500_page_names_the_favicon_too(client, debug, student):
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE submissions_event")
    submission = student.submissions.create(
        file="submissions/x", original_name="a.pdf", size=1, sha256="0" * 64
    )

    response = client.get(f"/u/{student.upload_code}/receipt/{submission.verification_code}/")

    assert 'rel="icon" href="/static/favicon.svg"' in response.content.decode()


def test_favicon_ico_leads_to_the_favicon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.svg"
