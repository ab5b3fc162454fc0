"""The admin shows every examiner's data, so only superusers get in."""

import pytest
from django.contrib.auth.models import Permission

from students.tests.factories import SubmissionFactory, UserFactory

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

    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert "not authorized to access this page" in response.content.decode()


def test_a_superuser_gets_in(client):
    SubmissionFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    for url in PAGES:
        assert client.get(url).status_code == 200, url
