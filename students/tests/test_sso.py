"""Examiners sign in through their institution's OpenID Connect provider: a real one
(conftest's `oidc`), driven over HTTP as a browser would."""

import socket
from urllib.parse import parse_qs, urlparse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.urls import reverse

from conftest import OIDC_ACCOUNTS, OIDC_CALLBACK, configure_oidc
from students.tests.factories import UserFactory
from students.tests.oidc import OIDCProvider, sign_in_at_provider

pytestmark = pytest.mark.django_db
User = get_user_model()
START = "/accounts/oidc/uni/login/"


def sign_in_through_provider(client, login):
    """The examiner presses "Sign in with University login", signs in at the provider as
    `login`, and comes back; returns the app's answer to the callback."""
    response = client.post(START)
    assert response.status_code == 302, response.content[:500]
    callback = sign_in_at_provider(response["Location"], login, OIDC_CALLBACK)
    return client.get(callback.removeprefix("http://testserver"))


def test_the_login_page_offers_the_configured_provider(client, oidc):
    page = client.get(reverse("login")).content.decode()

    assert "Sign in with University login" in page
    assert f'action="{START}"' in page


def test_the_login_page_offers_no_provider_when_none_is_configured(client):
    page = client.get(reverse("login")).content.decode()

    assert "Sign in with" not in page.replace("Sign in with a passkey", "")


def test_an_allowed_person_becomes_an_examiner(client, oidc):
    response = sign_in_through_provider(client, "ada")

    assert response.status_code == 302
    assert response["Location"] == reverse("students:exam_list")
    user = User.objects.get(username="ada@uni.example")
    assert user.email == "ada@uni.example"
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == "ada"
    assert client.get(reverse("students:exam_list")).status_code == 200
    assert client.session["_auth_user_backend"] == "students.backends.ExaminerBackend"


def test_a_member_of_an_allowed_group_becomes_an_examiner(client, oidc):
    response = sign_in_through_provider(client, "gus")

    assert response.status_code == 302
    assert User.objects.filter(username="gus@partner.example").exists()


def test_anyone_else_is_refused_and_nothing_is_stored(client, oidc):
    response = sign_in_through_provider(client, "eve")

    assert response.status_code == 403
    assert "No examiner access" in response.content.decode()
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session


def test_an_unverified_address_in_an_allowed_domain_is_refused(client, oidc):
    response = sign_in_through_provider(client, "una")

    assert response.status_code == 403
    assert not User.objects.exists()


def test_an_examiner_is_linked_by_a_verified_address(client, oidc):
    examiner = UserFactory(username="lin", email="lin@old.example")

    response = sign_in_through_provider(client, "lin")

    assert response.status_code == 302
    assert SocialAccount.objects.get(uid="lin").user == examiner
    assert User.objects.count() == 1
    assert int(client.session["_auth_user_id"]) == examiner.pk
    examiner.refresh_from_db()
    assert examiner.check_password("correct horse battery staple")  # still theirs


def test_an_examiner_is_not_linked_by_an_unverified_address(client, oidc):
    UserFactory(username="lin", email="lin@old.example")

    response = sign_in_through_provider(client, "lin-unverified")

    assert response.status_code == 403
    assert "did not confirm that the address is yours" in response.content.decode()
    assert not SocialAccount.objects.exists()
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_a_linked_examiner_signs_in_again(client, oidc):
    sign_in_through_provider(client, "ada")
    client.logout()

    response = sign_in_through_provider(client, "ada")

    assert response.status_code == 302
    assert User.objects.count() == 1


@pytest.fixture
def unused_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_provider_that_is_down_gets_a_clear_page(client, settings, unused_port):
    configure_oidc(settings, f"http://127.0.0.1:{unused_port}")

    response = client.post(START)

    assert response.status_code == 503
    assert "cannot be reached at the moment" in response.content.decode()


def test_a_provider_that_goes_down_during_the_sign_in_gets_a_clear_page(client, settings):
    provider = OIDCProvider(OIDC_ACCOUNTS, [OIDC_CALLBACK])
    try:
        configure_oidc(settings, provider.issuer)
        authorize = client.post(START)["Location"]
        callback = sign_in_at_provider(authorize, "ada", OIDC_CALLBACK)
    finally:
        provider.stop()

    response = client.get(callback.removeprefix("http://testserver"))

    assert response.status_code == 503
    assert "cannot be reached at the moment" in response.content.decode()
    assert not User.objects.exists()


def test_a_sign_in_the_provider_refused_gets_a_clear_page(client, oidc):
    authorize = client.post(START)["Location"]
    state = parse_qs(urlparse(authorize).query)["state"][0]

    response = client.get(f"{START}callback/", {"error": "access_denied", "state": state})

    assert response.status_code == 400
    assert "did not complete the sign-in" in response.content.decode()
    assert not User.objects.exists()
