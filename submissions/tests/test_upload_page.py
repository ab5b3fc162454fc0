"""What the upload page and the receipt give their scripts; the browser journeys in e2e/ test
the scripts themselves."""

from django.urls import reverse

from submissions.tests.helpers import post_upload, upload_url


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
