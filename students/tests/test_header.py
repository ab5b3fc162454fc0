"""The header offers an examiner their own pages first, then the rest."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def header_links(client):
    page = client.get(reverse("submissions:verify")).content.decode()
    nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>|<button class="link">([^<]+)</button>', nav)


def test_an_examiner_sees_their_own_pages_first(examiner_client):
    texts = [text or button for _, text, button in header_links(examiner_client)]

    assert texts == [
        "My exams",
        "New exam",
        "API tokens",
        "Time zone",
        "Sign-in security",
        "Verify a code",
        "Log out",
    ]


def test_a_superuser_also_finds_the_invitation(examiner_client, examiner):
    examiner.is_superuser = True
    examiner.save()

    texts = [text for _, text, _ in header_links(examiner_client)]

    assert texts.index("Invite an examiner") < texts.index("Verify a code")


def test_a_visitor_sees_the_public_pages(client):
    texts = [text for _, text, _ in header_links(client)]

    assert texts == ["Verify a code", "Examiner login"]
