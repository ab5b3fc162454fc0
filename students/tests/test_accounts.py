"""Examiner accounts by mail: password resets and invitations, through the real worker."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from students.models import Mail
from students.tests.factories import UserFactory
from students.tests.smtp import body, run_worker

PASSWORD = "a new and long passphrase 42"


def link_in(message):
    return re.search(r"https://depository\.test(/\S+)", body(message)).group(1)


def choose_password(client, path):
    response = client.get(path)  # Django moves the token into the session, then redirects
    assert response.status_code == 302
    return client.post(response["Location"], {"new_password1": PASSWORD, "new_password2": PASSWORD})


@pytest.mark.django_db(transaction=True)
def test_a_reset_mail_arrives_and_its_link_works_once(client, smtp):
    user = UserFactory(email="ada@example.edu")

    response = client.post(reverse("password_reset"), {"email": "ada@example.edu"})
    assert response.status_code == 302
    run_worker()

    [message] = smtp.to("ada@example.edu")
    assert message["Auto-Submitted"] == "auto-generated"
    path = link_in(message)
    assert choose_password(client, path)["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    again = client.get(path, follow=True)
    assert "This link no longer works" in again.content.decode()


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_and_no_mail(client):
    UserFactory(email="ada@example.edu")

    known = client.post(reverse("password_reset"), {"email": "ada@example.edu"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.edu"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert list(Mail.objects.values_list("to", flat=True)) == ["ada@example.edu"]


@pytest.mark.django_db
def test_reset_requests_past_the_limit_are_refused_for_that_network(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("password_reset")

    answers = [client.post(url, {"email": "x@example.edu"}).status_code for _ in range(4)]
    elsewhere = client.post(url, {"email": "x@example.edu"}, REMOTE_ADDR="192.0.2.7")

    assert answers == [302, 302, 302, 429]
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_the_reset_limit_reads_the_client_ip_as_the_login_lockout_does(client, settings):
    """Behind Fly the client is Fly-Client-IP; a header sent anywhere else changes nothing."""
    settings.AXES_FAILURE_LIMIT = 1
    settings.BEHIND_FLY_PROXY = False
    url = reverse("password_reset")
    client.post(url, {"email": "x@example.edu"})

    spoofed = client.post(url, {"email": "x@example.edu"}, HTTP_FLY_CLIENT_IP="192.0.2.9")

    assert spoofed.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_an_invited_examiner_chooses_a_password_through_the_mail(client, smtp):
    call_command("invite_examiner", "grace@example.edu", stdout=io.StringIO())
    run_worker()

    user = get_user_model().objects.get(username="grace@example.edu")
    assert not user.has_usable_password()
    [message] = smtp.to("grace@example.edu")
    path = link_in(message)
    assert path.startswith("/accounts/invitation/")
    assert "Choose your password" in client.get(path, follow=True).content.decode()
    choose_password(client, path)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert "This link no longer works" in client.get(path, follow=True).content.decode()


@pytest.mark.django_db
def test_an_invitation_expires(client):
    call_command("invite_examiner", "grace@example.edu", stdout=io.StringIO())
    path = re.search(r"https?://[^/]+(/\S+)", Mail.objects.get().text).group(1)
    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    with time_machine.travel(later):
        page = client.get(path, follow=True).content.decode()

    assert "This link no longer works" in page


@pytest.mark.django_db
def test_an_examiner_with_a_password_is_not_invited_again(examiner):
    examiner.email = examiner.username = "ada@example.edu"
    examiner.save()

    with pytest.raises(CommandError, match="already has an account"):
        call_command("invite_examiner", "ada@example.edu")


@pytest.mark.django_db
def test_an_invalid_address_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="“not an address” is not an email address"):
        call_command("invite_examiner", "not an address")


@pytest.mark.django_db
def test_only_superusers_see_the_invitation_page(examiner_client):
    assert examiner_client.get(reverse("students:examiner_invite")).status_code == 403
    assert (
        examiner_client.post(reverse("students:examiner_invite"), {"email": "a@b.org"}).status_code
        == 403
    )
    assert not Mail.objects.exists()


@pytest.mark.django_db
def test_a_superuser_invites_from_the_page(client):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("students:examiner_invite")

    bad = client.post(url, {"email": "not an address"})
    good = client.post(url, {"email": "grace@example.edu"})

    assert bad.status_code == 422
    assert good.status_code == 302
    assert Mail.objects.get().kind == "invitation"


@pytest.mark.django_db
def test_the_invitation_names_who_invited(client):
    admin = UserFactory(is_superuser=True, is_staff=True, first_name="Ada", last_name="King")
    client.force_login(admin)

    client.post(reverse("students:examiner_invite"), {"email": "grace@example.edu"})

    invitation = Mail.objects.get()
    assert invitation.subject == "Ada King invites you to Exam Depository"
    assert invitation.text.startswith("Ada King invited you. You are invited")
    assert "<p>Ada King invited you.</p>" in invitation.html
