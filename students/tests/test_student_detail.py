"""The examiner's page for one student."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from students.times import format_time
from submissions.models import Commitment
from submissions.tests.helpers import commit_file, deliver_and_complete, post_upload

pytestmark = pytest.mark.django_db


def test_the_student_page_shows_the_full_upload_link_and_history(examiner_client, client, student):
    post_upload(client, student, b"one", name="one.pdf")
    post_upload(client, student, b"two", name="two.pdf")

    response = examiner_client.get(student.get_absolute_url())

    page = response.content.decode()
    assert f'value="http://testserver/u/{student.upload_code}/"' in page
    assert "Copy link" in page
    assert "one.pdf" in page and "two.pdf" in page and "replaced" in page


def test_each_list_on_the_page_is_a_titled_section_that_says_when_it_is_empty(
    examiner_client, client, student
):
    empty = examiner_client.get(student.get_absolute_url()).content.decode()
    post_upload(client, student, b"one", name="one.pdf")
    filled = examiner_client.get(student.get_absolute_url()).content.decode()

    for name, title, nothing in [
        ("submissions", "Submissions", "Nothing uploaded yet."),
        ("mails", "Mail", "No mail yet."),
        ("events", "Activity", "No activity yet."),
    ]:
        assert f'<h2 id="{name}-title">{title}</h2>' in empty
        assert f'aria-labelledby="{name}-title"' in empty
        assert nothing in empty
    assert '<table class="table submissions">' in filled and "one.pdf" in filled
    assert '<table class="table events">' in filled


def test_the_page_says_a_committed_file_is_awaited_and_until_when(examiner_client, student):
    commitment = commit_file(student, name="late-night.pdf")

    page = examiner_client.get(student.get_absolute_url()).content.decode()

    until = format_time(commitment.deliver_by, "", student.exam.zone)
    assert f"Committed, awaiting the file until {until}" in page
    assert "late-night.pdf" in page


def test_the_page_tells_each_commitments_story_with_its_times(examiner_client, student):
    """Replaced by a later one, delivered, and one whose file never came."""
    start = timezone.now().replace(microsecond=0)
    zone = student.exam.zone

    def at(moment):
        return format_time(moment, "seconds", zone)

    with time_machine.travel(start, tick=False):
        replaced = commit_file(student, b"%PDF-1.7 first", name="first.pdf")
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        delivered = commit_file(student, b"%PDF-1.7 second", name="second.pdf")
        submission = deliver_and_complete(student, delivered, b"%PDF-1.7 second")
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        never = commit_file(student, b"%PDF-1.7 third", name="third.pdf")
    with time_machine.travel(never.deliver_by + timedelta(minutes=1), tick=False):
        Commitment.objects.expire_overdue()
        page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert (
        f"Committed at {at(replaced.committed_at)}, replaced by a later file at "
        f"{at(delivered.committed_at)}"
    ) in page
    delivered.refresh_from_db()
    assert (
        f"Committed at {at(delivered.committed_at)}, delivered at {at(delivered.closed_at)} "
        f"(verification code {submission.display_code})"
    ) in page
    assert (
        f"Committed at {at(never.committed_at)}, the file never came: expired at "
        f"{at(never.deliver_by)}"
    ) in page
    assert "awaiting the file" not in page


def test_a_student_without_commitments_has_no_such_section(examiner_client, student):
    page = examiner_client.get(student.get_absolute_url()).content.decode()

    assert 'data-testid="commitment"' not in page
    assert "committed" not in page.lower()
