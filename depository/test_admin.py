"""The admin shows every examiner's data, so only superusers get in."""

import pytest
from django.contrib.auth.models import Permission

from students.tests.factories import SubmissionFactory, UserFactory
from students.tests.signin import give_totp, sign_in, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PAGES = [
    "/admin/",
    "/admin/students/exam/",
    "/admin/students/student/",
    "/admin/submissions/submission/",
    "/admin/auth/user/",
]


@pytest.fixture
def staff_with_every_permission():
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


def test_staff_with_every_model_permission_is_refused(client, staff_with_every_permission):
    submission = SubmissionFactory()
    client.force_login(staff_with_every_permission)

    for url in [*PAGES, f"/admin/submissions/submission/{submission.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_staff_cannot_log_in_to_the_admin(client, staff_with_every_permission):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": staff_with_every_permission.username, "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [("/accounts/login/?next=/admin/", 302)]
    assert "_auth_user_id" not in client.session


def test_the_admin_has_no_password_form_of_its_own(client):
    """Its form would start a session without the second factor."""
    superuser = UserFactory(is_superuser=True)
    give_totp(superuser)

    response = client.post(
        "/admin/login/?next=/admin/", {"username": superuser.username, "password": PASSWORD}
    )

    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert "_auth_user_id" not in client.session


def test_a_superuser_gets_in_with_a_second_factor(client):
    SubmissionFactory()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    secret = give_totp(superuser)

    response = sign_in(client, superuser, totp_code(secret))

    assert response.status_code == 302
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_a_superuser_without_a_second_factor_is_told_to_set_one_up(client):
    superuser = UserFactory(is_superuser=True)
    sign_in(client, superuser)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "Set up a passkey or an authenticator app" in response.content.decode()
    for url in PAGES:
        assert client.get(url).status_code == 302, url


def test_a_superuser_signed_in_before_the_second_factor_must_sign_in_again(client):
    """A session from before the deploy (or before the factor was set up) used none."""
    superuser = UserFactory(is_superuser=True)
    give_totp(superuser)
    client.force_login(superuser)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "log in again with your passkey" in response.content.decode()
