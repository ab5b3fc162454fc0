"""What the upload page and the receipt give their scripts; the browser journeys in e2e/ test
the scripts themselves."""

import secrets
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from students import times
from submissions.tests.helpers import post_upload, sha256, upload_url


def test_the_upload_page_tells_its_script_the_limit(client, student):
    student.exam.max_upload_bytes = 2_000_000
    student.exam.save()

    response = client.get(upload_url(student))

    assert b'data-max-bytes="2000000"' in response.content
    assert b'data-max-label="1.9\xc2\xa0MB"' in response.content
    assert b'id="upload-errors"' in response.content
    assert b"js/upload.js" in response.content


def test_the_file_input_keeps_its_label_and_help(client, student):
    response = client.get(upload_url(student))

    assert b'<label for="id_file">Your answer file</label>' in response.content
    assert b'aria-describedby="file-help file-chosen"' in response.content


def test_a_refused_file_is_marked_invalid(client, student):
    response = post_upload(client, student, content=b"")

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert b'class="field-error" role="alert"' in response.content


def test_the_receipt_carries_the_stored_checksum(client, student):
    response = post_upload(client, student, content=b"%PDF-1.7 final")
    receipt = client.get(response.url)

    submission = student.submissions.get()
    assert f'data-sha256="{submission.sha256}"'.encode() in receipt.content
    assert b"js/receipt.js" in receipt.content
    assert reverse("submissions:verify").encode() in receipt.content


# --- The two-step upload: what the page tells its script, and a file fixed earlier ---------


def commit(client, student, content=b"%PDF-1.7 fixed answer", name="answer.pdf"):
    response = client.post(
        reverse("submissions:commit", args=[student.upload_code]),
        {
            "token": secrets.token_urlsafe(24),
            "sha256": sha256(content),
            "size": len(content),
            "name": name,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def berlin(student):
    student.exam.time_zone = "Europe/Berlin"
    student.exam.save()
    return student


def test_the_page_sends_in_two_steps_where_the_exam_takes_commitments(client, student):
    page = client.get(upload_url(student)).content.decode()

    commit_url = reverse("submissions:commit", args=[student.upload_code])
    assert f'data-two-step data-commit-url="{commit_url}"' in page
    assert 'data-testid="commitment"' not in page


def test_an_exam_without_a_delivery_window_posts_its_form_in_one_step(client, student):
    student.exam.delivery_minutes = 0
    student.exam.save()

    page = client.get(upload_url(student)).content.decode()

    assert "data-two-step" not in page
    assert 'method="post"' in page


def test_the_commit_answers_its_moment_and_deadline_with_their_zone(client, student):
    berlin(student)

    answer = commit(client, student)

    commitment = student.commitments.get()
    assert answer["committed_at_text"] == times.format_time(
        commitment.committed_at, "long", student.exam.zone
    )
    assert answer["committed_at_text"].endswith((" CET", " CEST"))
    assert answer["deliver_by_text"].endswith((" CET", " CEST"))


def test_a_student_who_comes_back_sees_the_file_they_fixed(client, student):
    berlin(student)
    commit(client, student, name="Lösung.pdf")
    commitment = student.commitments.get()

    page = client.get(upload_url(student)).content.decode()

    assert 'data-testid="commitment"' in page
    assert f'data-committed-sha256="{commitment.sha256}"' in page
    assert f'data-committed-size="{commitment.size}"' in page
    assert 'data-committed-name="Lösung.pdf"' in page
    assert f"{commitment.sha256[:16]}…" in page
    assert "Lösung.pdf (21\xa0bytes)" in page
    for moment in (commitment.committed_at, commitment.deliver_by):
        assert times.format_time(moment, "long", student.exam.zone) in page
    assert "data-delivery-only" not in page  # uploads are open: any file may come instead
    assert "Choosing another file starts a new upload instead" in page
    assert "You can still upload a file with the form below" in page  # without JavaScript


def test_after_uploads_close_the_page_takes_only_the_fixed_file(client, student):
    commit(client, student)
    commitment = student.commitments.get()
    student.exam.closes_at = commitment.committed_at + timedelta(milliseconds=1)
    student.exam.save()

    page = client.get(upload_url(student)).content.decode()

    assert "Send your fixed file, Ada" in page
    assert 'data-testid="delivery-only"' in page
    assert "data-delivery-only hidden" in page  # the form needs the script
    assert 'id="scan"' not in page  # a new scan is never the fixed file
    assert 'data-testid="one-file"' not in page
    assert "Uploads are closed, so no other file can be taken." in page
    assert "Turn JavaScript on, or open this link in another browser" in page


def test_a_fixed_file_whose_time_to_arrive_ended_is_not_offered(client, student):
    commit(client, student)
    commitment = student.commitments.get()

    with time_machine.travel(commitment.deliver_by + timedelta(seconds=1)):
        page = client.get(upload_url(student)).content.decode()

    assert 'data-testid="commitment"' not in page
    assert "data-committed-sha256" not in page


def test_a_fixed_file_that_could_not_be_recorded_is_not_offered(client, student):
    """Closed by hand, the exam takes no upload, whenever it was fixed: record() would refuse."""
    commit(client, student)
    student.exam.manual_state = "closed"
    student.exam.closed_at = timezone.now()
    student.exam.save()

    page = client.get(upload_url(student)).content.decode()

    assert 'data-testid="commitment"' not in page
    assert 'id="upload-form"' not in page
    assert "The examiner closed uploads for this exam." in page


def test_the_page_is_never_stored(client, student):
    """Its form token is for one upload; the script's two-step upload posts elsewhere, so a
    stored copy would come back with the back button, token and counts out of date."""
    response = client.get(upload_url(student))

    assert "no-store" in response["Cache-Control"]


def test_on_s3_the_pages_policy_lets_its_script_put_to_the_bucket(client, student, s3):
    response = client.get(upload_url(student))

    policy = response["Content-Security-Policy"]
    assert f"connect-src 'self' {s3.meta.endpoint_url};" in f"{policy};"


def test_without_two_steps_the_policy_stays_the_sites_own_on_s3_too(client, student, s3):
    student.exam.delivery_minutes = 0
    student.exam.save()

    assert "connect-src" not in client.get(upload_url(student))["Content-Security-Policy"]


def test_on_local_storage_the_policy_stays_the_sites_own(client, student):
    assert "connect-src" not in client.get(upload_url(student))["Content-Security-Policy"]
