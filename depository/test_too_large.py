"""The page nginx shows for a body past FILE_UPLOAD_HARD_LIMIT (its request for it, as
depository/serve.py makes it, without nginx: depository/test_serve.py has it through nginx).
X-Original-URI is whatever the client asked for, or anything at all when someone opens the
page themselves: it may name the way back, never a place off this site."""

import pytest
from django.urls import reverse

from students import codes

pytestmark = pytest.mark.django_db

PAGE = reverse("too_large")


@pytest.fixture(autouse=True)
def hard_limit(settings):
    settings.FILE_UPLOAD_HARD_LIMIT = 20 * 1024 * 1024


def too_large(client, original_uri=None, **headers):
    if original_uri is not None:
        headers["HTTP_X_ORIGINAL_URI"] = original_uri
    return client.get(PAGE, **headers)


def test_it_links_back_to_the_upload_page_the_post_went_to(client, student):
    upload_page = f"/u/{student.upload_code}/"

    response = too_large(client, upload_page)

    assert response.status_code == 413
    assert f'<a href="{upload_page}">Back to your upload page</a>' in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "original_uri",
    [
        "https://evil.example/x",
        "//evil.example",
        "//evil.example/u/{code}/",
        "https://evil.example/u/{code}/",
        "/\\evil.example/u/{code}/",
        "javascript:alert(1)//u/{code}/",
        "/u/{code}/receipt/7KQ2-M9XD-3HFP/",
        "/u/not-a-code/",
        "http://[bad",
    ],
)
def test_it_links_to_nothing_the_header_names_off_this_site(client, original_uri):
    code = codes.new_upload_code()
    response = too_large(client, original_uri.format(code=code))

    page = response.content.decode()
    assert response.status_code == 413
    assert "Back to your upload page" not in page
    assert "evil.example" not in page
    assert "javascript:" not in page


def test_a_query_string_is_not_carried_into_the_link(client, student):
    query = "?next=https://evil.example/&a=%22%3E%3Cscript%3E"
    response = too_large(client, f"/u/{student.upload_code}/{query}")

    page = response.content.decode()
    assert f'<a href="/u/{student.upload_code}/">' in page
    assert "evil.example" not in page
    assert "script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_opened_without_the_header_it_is_the_same_page_with_no_way_back(client):
    response = too_large(client)

    assert response.status_code == 413
    page = response.content.decode()
    assert "This file is larger than 20.0\xa0MB." in page
    assert "Back to your upload page" not in page


def test_it_names_the_hard_limit_as_the_app_writes_sizes(client, settings):
    settings.FILE_UPLOAD_HARD_LIMIT = 10_000

    response = too_large(client, "/u/x/")

    assert "This file is larger than 9.8\xa0KB." in response.content.decode()


def test_it_speaks_german_to_a_german_browser(client, student):
    response = too_large(client, f"/u/{student.upload_code}/", HTTP_ACCEPT_LANGUAGE="de")

    page = response.content.decode()
    assert response["Content-Language"] == "de"
    assert "Diese Datei ist größer als 20,0\xa0MB." in page
    assert "Es wurde nichts empfangen und kein Upload verbraucht" in page
    assert "Zurück zu Ihrer Upload-Seite" in page


def test_the_language_switch_leads_to_the_upload_page_not_back_here(client, student):
    response = too_large(client, f"/u/{student.upload_code}/")

    assert f'name="next" value="/u/{student.upload_code}/"' in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_answers_only_gets(client, method):
    assert getattr(client, method)(PAGE).status_code == 405


@pytest.mark.parametrize(
    ("path", "code", "detail"),
    [
        ("/api/v1/uploads/{code}", "file_too_large", "This file is larger than 20.0\xa0MB."),
        ("/api/v0/submissions/{code}", "file_too_large", "Upload size limit exceeded"),
        ("/api/v1/exams", "body_too_large", "The request body is larger than 20.0\xa0MB."),
    ],
)
def test_an_api_path_gets_a_problem_document(client, path, code, detail):
    response = too_large(client, path.format(code=codes.new_upload_code()))

    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413
    assert problem["code"] == code
    assert problem["detail"].startswith(detail)


def test_v0_keeps_its_original_detail_and_says_ours_as_message(client):
    response = too_large(client, f"/api/v0/submissions/{codes.new_upload_code()}")

    problem = response.json()
    assert problem["detail"] == "Upload size limit exceeded"
    assert problem["message"].startswith("This file is larger than 20.0\xa0MB. No exam here")


def test_the_api_answer_speaks_german_too(client):
    response = too_large(
        client, f"/api/v1/uploads/{codes.new_upload_code()}", HTTP_ACCEPT_LANGUAGE="de"
    )

    assert response.json()["detail"].startswith("Diese Datei ist größer als 20,0\xa0MB.")
