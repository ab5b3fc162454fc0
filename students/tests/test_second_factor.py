"""A second factor for examiners who sign in with a password: an authenticator app's code
(TOTP) or a recovery code after the password, and, with SECOND_FACTOR_REQUIRED, no examiner
page before one is set up. (Passkeys: e2e/test_sign_in_security.py, in Chromium.)"""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from students.models import ExaminerProfile
from students.tests.signin import PASSWORD, give_totp, sign_in, totp_code

pytestmark = pytest.mark.django_db
EXAMS = "/exams/"


def wrong_code(secret):
    return f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"


def test_the_password_alone_does_not_start_the_session(client, examiner):
    give_totp(examiner)

    response = sign_in(client, examiner)

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(EXAMS).status_code == 302


def test_the_code_from_the_authenticator_app_starts_it(client, examiner):
    secret = give_totp(examiner)

    response = sign_in(client, examiner, totp_code(secret))

    assert response["Location"] == EXAMS
    assert int(client.session["_auth_user_id"]) == examiner.pk
    assert client.session["_auth_user_backend"] == "students.backends.ExaminerBackend"
    assert client.get(EXAMS).status_code == 200


def test_a_wrong_code_is_refused(client, examiner):
    secret = give_totp(examiner)

    response = sign_in(client, examiner, wrong_code(secret))

    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_code_after_four_wrong_ones_still_signs_in(client, examiner):
    secret = give_totp(examiner)
    sign_in(client, examiner)
    for _ in range(4):
        client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert response["Location"] == EXAMS


def test_after_five_wrong_codes_even_the_right_one_waits(client, examiner):
    """Guessing six digits is cut short: five tries in five minutes (allauth's limit)."""
    secret = give_totp(examiner)
    sign_in(client, examiner)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": wrong_code(secret)})

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(client, examiner):
    give_totp(examiner)
    codes = RecoveryCodes(Authenticator.objects.get(user=examiner, type="recovery_codes"))
    code = codes.get_unused_codes()[0]

    assert sign_in(client, examiner, code)["Location"] == EXAMS
    client.logout()
    assert sign_in(client, examiner, code).status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_page_asked_for_is_kept_through_the_second_factor(client, examiner):
    secret = give_totp(examiner)
    client.post(
        reverse("login") + "?next=/exams/new/",
        {"username": examiner.username, "password": PASSWORD, "next": "/exams/new/"},
    )

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert response["Location"] == "/exams/new/"


def test_the_first_login_still_takes_the_browsers_time_zone(client, examiner):
    secret = give_totp(examiner)
    client.post(
        reverse("login"),
        {"username": examiner.username, "password": PASSWORD, "time_zone": "Europe/Berlin"},
    )
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert ExaminerProfile.objects.get(user=examiner).time_zone == "Europe/Berlin"


def test_wrong_passwords_are_still_locked_out(client, examiner):
    give_totp(examiner)
    statuses = [sign_in(client, examiner, password="wrong").status_code for _ in range(6)]

    assert statuses == [200] * 4 + [429] * 2


def test_setting_one_up_asks_for_the_password_again(client, examiner):
    sign_in(client, examiner)

    response = client.get(reverse("mfa_activate_totp"))

    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_an_examiner_sets_up_an_authenticator_app(client, examiner):
    sign_in(client, examiner)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=examiner, type="totp").exists()
    assert Authenticator.objects.filter(user=examiner, type="recovery_codes").exists()


class TestSecondFactorRequired:
    @pytest.fixture(autouse=True)
    def required(self, settings):
        settings.SECOND_FACTOR_REQUIRED = True

    def test_an_examiner_without_one_is_sent_to_set_it_up(self, client, examiner):
        sign_in(client, examiner)

        for url in [EXAMS, "/exams/new/", reverse("api_tokens:list")]:
            response = client.get(url)
            assert response["Location"] == reverse("mfa_index"), url
        assert client.get(reverse("mfa_index")).status_code == 200
        assert client.get(reverse("account_reauthenticate")).status_code == 200

    def test_an_examiner_with_one_gets_in(self, client, examiner):
        secret = give_totp(examiner)
        sign_in(client, examiner, totp_code(secret))

        assert client.get(EXAMS).status_code == 200

    def test_the_public_pages_are_not_held_back(self, client, examiner):
        sign_in(client, examiner)

        assert client.get(reverse("submissions:verify")).status_code == 200

    def test_a_single_sign_on_session_is_left_to_the_provider(self, client, oidc):
        from students.tests.test_sso import sign_in_through_provider

        sign_in_through_provider(client, "ada")

        assert client.get(EXAMS).status_code == 200


def test_without_the_setting_no_second_factor_is_needed(client, examiner):
    sign_in(client, examiner)

    assert client.get(EXAMS).status_code == 200


def test_the_login_page_offers_a_passkey(client):
    page = client.get(reverse("login")).content.decode()

    assert 'id="passkey_login"' in page
