"""API tokens: issued once, kept as a hash, revoked at once; the page and the command."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, digest
from api.tests.conftest import bearer
from students.tests.factories import ExamFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMS = "/api/v1/exams"


def test_it_stores_only_a_hash_and_a_short_prefix(examiner):
    row, token = ApiToken.objects.issue(examiner, name="sync", scope="read")

    row.refresh_from_db()
    assert token.startswith("dep_") and len(token) == 44
    assert row.prefix == token[:12]
    assert row.digest == digest(token) != token
    assert token not in {str(value) for value in row.__dict__.values()}


def test_a_token_works_with_bearer(client, token):
    response = client.get(EXAMS, **bearer(token))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer dep_wrong", "Basic dXNlcjpwYXNz", "Token {token}", "bearer{token}"],
)
def test_it_401s_without_a_valid_token(client, token, header):
    response = client.get(EXAMS, HTTP_AUTHORIZATION=header.format(token=token.token))

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_token_with_the_right_prefix_and_a_wrong_remainder_401s(client, token):
    """A token is found by its whole digest; the visible prefix proves nothing."""
    forged = token.token[:12] + ("A" if token.token[12] != "A" else "B") + token.token[13:]

    response = client.get(EXAMS, HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert response.status_code == 401


def test_revoking_twice_keeps_the_first_time(token):
    first = timezone.now().replace(microsecond=0) - timedelta(days=1)
    with time_machine.travel(first, tick=False):
        token.revoke()
    token.revoke()

    token.refresh_from_db()
    assert token.revoked_at == first


def test_a_revoked_token_stops_at_once(client, token):
    token.revoke()

    assert client.get(EXAMS, **bearer(token)).status_code == 401


def test_an_expired_token_401s_from_its_expiry_on(client, make_token):
    expires = timezone.now() + timedelta(hours=1)
    token = make_token(expires_at=expires)

    with time_machine.travel(expires - timedelta(seconds=1)):
        assert client.get(EXAMS, **bearer(token)).status_code == 200
    with time_machine.travel(expires):
        assert client.get(EXAMS, **bearer(token)).status_code == 401


def test_a_deactivated_examiners_token_401s(client, token, examiner):
    examiner.is_active = False
    examiner.save()

    assert client.get(EXAMS, **bearer(token)).status_code == 401


def test_it_records_the_last_use_at_most_once_a_minute(client, token):
    with time_machine.travel("2026-05-04 10:00:00Z", tick=False):
        client.get(EXAMS, **bearer(token))
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-05-04T10:00:00+00:00"

    with time_machine.travel("2026-05-04 10:00:59Z", tick=False):
        client.get(EXAMS, **bearer(token))
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-05-04T10:00:00+00:00"

    with time_machine.travel("2026-05-04 10:01:00Z", tick=False):
        client.get(EXAMS, **bearer(token))
    token.refresh_from_db()
    assert token.last_used_at.isoformat() == "2026-05-04T10:01:00+00:00"


def test_a_token_cannot_be_bound_to_another_examiners_exam(examiner):
    with pytest.raises(ValueError):
        ApiToken.objects.issue(examiner, name="x", scope="read", exam=ExamFactory())


def test_a_co_examiner_binds_a_token_to_a_shared_exam(client, examiner):
    shared = ExamFactory()
    shared.co_examiners.add(examiner)
    _, token = ApiToken.objects.issue(examiner, name="x", scope="read", exam=shared)

    response = client.get(EXAMS, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert [exam["id"] for exam in response.json()] == [shared.pk]


def test_the_token_never_reaches_a_log(client, token, caplog, settings):
    """Every request through the API, good or bad token, any scheme, at DEBUG level, with
    DEBUG on (ninja's own bearer class logs an unexpected header then)."""
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    for header in [f"Bearer {token.token}", f"Token {token.token}", f"{token.token}"]:
        client.get(EXAMS, HTTP_AUTHORIZATION=header)
        client.get("/api/v1/exams/999999", HTTP_AUTHORIZATION=header)
        client.post(
            EXAMS, {"title": ""}, content_type="application/json", HTTP_AUTHORIZATION=header
        )

    assert token.token not in caplog.text
    assert token.token[12:] not in caplog.text


# --- The page -------------------------------------------------------------------------

PAGE = reverse("api_tokens:list")


def test_the_page_needs_a_login(client):
    assert client.get(PAGE).status_code == 302


def test_the_page_creates_a_token_and_shows_it_once(examiner_client, examiner, exam):
    response = examiner_client.post(
        PAGE, {"name": "LMS sync", "scope": "read-write", "exam": exam.pk}
    )

    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    row = ApiToken.objects.get(user=examiner)
    shown = response.context["new_token"]
    assert digest(shown) == row.digest
    assert (row.name, row.scope, row.exam) == ("LMS sync", "read-write", exam)
    again = examiner_client.get(PAGE)
    assert shown not in again.content.decode()
    assert row.prefix in again.content.decode()


def test_the_page_lists_last_use_and_never(examiner_client, token, client):
    assert "never" in examiner_client.get(PAGE).content.decode()


def test_an_invalid_form_422s(examiner_client, examiner):
    past = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = examiner_client.post(PAGE, {"name": "", "scope": "read", "expires_at": past})

    assert response.status_code == 422
    assert "An expiry must be in the future." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_form_offers_only_the_examiners_own_exams(examiner_client, exam):
    theirs = ExamFactory()

    response = examiner_client.post(PAGE, {"name": "x", "scope": "read", "exam": theirs.pk})

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_revoke_stops_the_token(examiner_client, token, client):
    response = examiner_client.post(reverse("api_tokens:revoke", args=[token.pk]))

    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get(EXAMS, **bearer(token)).status_code == 401


def test_revoking_another_examiners_token_404s(examiner_client):
    theirs, _ = ApiToken.objects.issue(UserFactory(), name="x", scope="read")

    response = examiner_client.post(reverse("api_tokens:revoke", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


# --- The command ----------------------------------------------------------------------


def run(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_command_prints_the_token_alone_on_its_last_line(examiner, exam):
    lines = run(examiner.username, "--exam", str(exam.pk), "--scope", "read-write", "--name", "LMS")

    token = lines[-1]
    row = ApiToken.objects.get(digest=digest(token))
    assert (row.user, row.exam, row.scope, row.name) == (examiner, exam, "read-write", "LMS")
    assert token.startswith("dep_") and " " not in token


def test_the_command_defaults_to_a_read_token_for_all_exams(examiner):
    token = run(examiner.username)[-1]

    row = ApiToken.objects.get(digest=digest(token))
    assert (row.scope, row.exam) == ("read", None)


def test_the_command_at_verbosity_0_prints_only_the_token(examiner):
    out = StringIO()
    call_command("create_api_token", examiner.username, verbosity=0, stdout=out)

    assert out.getvalue().count("\n") == 1 and out.getvalue().startswith("dep_")


def test_the_command_refuses_an_unknown_user_or_someone_elses_exam(examiner):
    with pytest.raises(CommandError, match="No user"):
        run("nobody")
    with pytest.raises(CommandError, match="has no exam"):
        run(examiner.username, "--exam", str(ExamFactory().pk))
    assert not ApiToken.objects.exists()


def test_the_docs_page_loads_only_our_own_files(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "/static/js/api-docs.js" in page
    assert "http://" not in page and "https://" not in page
    assert page.count("<script") == page.count("<script src=")
