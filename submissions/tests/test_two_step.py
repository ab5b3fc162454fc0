"""The two-step upload through the student's link: the fingerprint committed first, the bytes
PUT straight to storage (moto's server over HTTP, through real presigned URLs), then the
upload completed and checked."""

import hashlib
import secrets
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import s3_keys
from students.tests.factories import ExamFactory, StudentFactory
from submissions import storage
from submissions.models import Commitment, CommitmentClosed, Event, Submission
from submissions.tests.helpers import put_bytes

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7 my answers " + b"x" * 2000


def commit(client, student, content=PDF, name="answer.pdf", token=None, **fields):
    data = {
        "token": token or secrets.token_urlsafe(24),
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "name": name,
        **fields,
    }
    return client.post(reverse("submissions:commit", args=[student.upload_code]), data)


def put(answer, content=PDF, headers=None):
    """PUT the bytes where the commit's answer says, with its headers, over HTTP."""
    url, sent = answer["put_url"], {**answer["put_headers"], **(headers or {})}
    if url.startswith("/"):  # the app's own delivery URL (local storage)
        return (
            Client()
            .generic(
                "PUT",
                url,
                content,
                content_type=sent["Content-Type"],
            )
            .status_code
        )
    return put_bytes(url, sent, content)


def complete(client, answer):
    return client.post(answer["complete_url"])


def hand_in(client, student, content=PDF, **fields):
    committed = commit(client, student, content, **fields)
    assert committed.status_code == 201, committed.content
    answer = committed.json()
    assert put(answer, content) in (200, 204)
    return answer, complete(client, answer)


def test_commit_then_deliver_then_complete_records_the_upload(client, student, s3):
    answer, completed = hand_in(client, student)

    assert completed.status_code == 200
    submission = Submission.objects.get()
    assert completed.json()["receipt_url"] == reverse(
        "submissions:receipt", args=[student.upload_code, submission.verification_code]
    )
    assert submission.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (submission.size, submission.content_type) == (len(PDF), "application/pdf")
    assert s3_keys(s3) == [submission.file.name]
    stored = s3.get_object(Bucket=s3.bucket, Key=submission.file.name)
    assert stored["Body"].read() == PDF
    assert stored["ContentDisposition"].startswith("attachment")
    student.refresh_from_db()
    assert student.uploads_used == 1
    assert Commitment.objects.get().state == Commitment.State.DELIVERED


def test_the_put_goes_to_the_storage_with_length_and_checksum_signed(client, student, s3):
    answer = commit(client, student).json()

    assert answer["put_url"].startswith(s3.meta.endpoint_url)
    signed = answer["put_url"].split("X-Amz-SignedHeaders=")[1].split("&")[0]
    assert signed.split("%3B") == [
        "content-disposition",
        "content-length",
        "content-type",
        "host",
        "x-amz-checksum-sha256",
    ]
    assert set(answer["put_headers"]) == {
        "Content-Type",
        "Content-Disposition",
        "x-amz-checksum-sha256",
    }


def test_completing_twice_counts_once(client, student, s3):
    """The answer to the completion was lost: the page completes again."""
    answer, first = hand_in(client, student)

    again = complete(client, answer)

    assert again.json() == first.json()
    assert Submission.objects.count() == 1
    student.refresh_from_db()
    assert student.uploads_used == 1


def test_a_commitment_before_the_deadline_delivered_after_it_is_on_time(client, s3):
    due = timezone.now() + timedelta(minutes=5)
    student = StudentFactory(exam=ExamFactory(closes_at=due, delivery_minutes=30))
    with time_machine.travel(due - timedelta(seconds=20), tick=False):
        answer = commit(client, student).json()  # the network fails after this
    with time_machine.travel(due + timedelta(minutes=25)):
        assert put(answer) == 200
        completed = complete(client, answer)

    assert completed.status_code == 200
    submission = Submission.objects.get()
    assert submission.late_by is None
    assert submission.accepted_at > due


def test_bytes_after_the_window_are_refused_and_deleted(client, s3):
    due = timezone.now() + timedelta(minutes=5)
    student = StudentFactory(exam=ExamFactory(closes_at=due, delivery_minutes=30))
    with time_machine.travel(due - timedelta(seconds=20), tick=False):
        answer = commit(client, student).json()
    with time_machine.travel(due + timedelta(minutes=31)):
        put(answer)  # a presigned URL outlives nothing: storage may still take the PUT
        completed = complete(client, answer)

    assert completed.status_code == 410
    assert "The time to send this file ended at" in completed.json()["error"]
    assert completed.json()["code"] == "commitment_expired"
    assert Submission.objects.count() == 0
    assert s3_keys(s3) == []
    assert Commitment.objects.get().state == Commitment.State.EXPIRED


def test_another_files_bytes_are_refused_deleted_and_not_counted(client, student, s3):
    answer = commit(client, student).json()
    other = b"%PDF-1.7 someone else's " + b"y" * (len(PDF) - 24)
    assert len(other) == len(PDF)
    put(answer, other)

    completed = complete(client, answer)

    assert completed.status_code == 422
    assert completed.json()["code"] == "delivery_mismatch"
    assert "What arrived is not the file you chose" in completed.json()["error"]
    assert s3_keys(s3) == []
    assert Submission.objects.count() == 0
    # The commitment stays open for the right file, within its window.
    assert put(answer) == 200
    assert complete(client, answer).status_code == 200


def test_a_put_longer_than_declared_is_refused(client, student, s3):
    """Real S3 and R2 refuse it at the PUT (the length is signed); moto takes it, so the
    completion's own check is what this shows."""
    answer = commit(client, student).json()
    put(answer, PDF + b"more")

    completed = complete(client, answer)

    assert completed.status_code == 422
    assert f"{len(PDF) + 4} bytes instead of {len(PDF)}" in completed.json()["error"]
    assert s3_keys(s3) == []
    assert Submission.objects.count() == 0


def test_a_completion_before_the_bytes_arrived_counts_nothing(client, student, s3):
    answer = commit(client, student).json()

    completed = complete(client, answer)

    assert completed.status_code == 409
    assert completed.json()["code"] == "not_delivered"
    assert Submission.objects.count() == 0


def test_content_that_is_not_what_its_name_says_is_refused(client, s3):
    student = StudentFactory(exam=ExamFactory(allowed_extensions="pdf"))
    fake = b"MZ not a pdf at all " * 10
    answer = commit(client, student, fake, name="answer.pdf").json()
    put(answer, fake)

    completed = complete(client, answer)

    assert completed.status_code == 422
    assert completed.json()["code"] == "file_content_mismatch"
    assert s3_keys(s3) == []


def test_a_second_tab_replaces_the_first_tabs_commitment(client, student, s3):
    first = commit(client, student, PDF, name="first.pdf").json()
    second_content = b"%PDF-1.7 second " + b"z" * 100
    second = commit(client, student, second_content, name="second.pdf").json()
    put(first)
    put(second, second_content)

    refused = complete(client, first)
    done = complete(client, second)

    assert refused.status_code == 409
    assert refused.json()["code"] == "commitment_replaced"
    assert done.status_code == 200
    assert Submission.objects.get().original_name == "second.pdf"
    assert s3_keys(s3) == [Submission.objects.get().file.name]


def test_the_same_file_committed_again_is_the_same_commitment(client, student, s3):
    first = commit(client, student).json()
    again = commit(client, student).json()  # another tab, or the student came back

    assert again["token"] == first["token"]
    assert Commitment.objects.count() == 1


def test_a_commitment_refused_by_the_rules_stores_nothing(client, s3):
    student = StudentFactory(exam=ExamFactory(max_upload_bytes=2048, allowed_extensions="pdf"))
    limit = 2048

    exactly = commit(client, student, b"%PDF" + b"a" * (limit - 4))
    over = commit(client, student, b"%PDF" + b"a" * (limit - 3))
    wrong_type = commit(client, student, b"PK\x03\x04 doc", name="answer.docx")
    empty = client.post(
        reverse("submissions:commit", args=[student.upload_code]),
        {"token": "t", "sha256": "0" * 64, "size": 0, "name": "a.pdf"},
    )

    assert exactly.status_code == 201
    assert (over.status_code, over.json()["code"]) == (413, "file_too_large")
    assert (wrong_type.status_code, wrong_type.json()["code"]) == (400, "file_type_not_allowed")
    assert "Save it as PDF" in wrong_type.json()["error"]
    assert empty.status_code == 400
    assert "empty" in empty.json()["error"]
    assert Commitment.objects.count() == 1
    refusals = Event.objects.filter(kind=Event.Kind.UPLOAD_REFUSED).count()
    assert refusals == 3


def test_a_closed_exam_takes_no_commitment(client, s3):
    student = StudentFactory(exam=ExamFactory(closes_at=timezone.now() - timedelta(minutes=1)))

    response = commit(client, student)

    assert (response.status_code, response.json()["code"]) == (403, "exam_closed")
    assert Commitment.objects.count() == 0


def test_the_statement_must_be_ticked(client, s3):
    student = StudentFactory(exam=ExamFactory(statement="My own work."))

    unticked = commit(client, student)
    ticked = commit(client, student, statement="on")

    assert (unticked.status_code, unticked.json()["code"]) == (400, "statement_required")
    assert ticked.status_code == 201
    assert Commitment.objects.get().statement == "My own work."


def test_a_delivery_window_of_zero_turns_commitments_off(client, s3):
    student = StudentFactory(exam=ExamFactory(delivery_minutes=0))

    response = commit(client, student)

    assert (response.status_code, response.json()["code"]) == (409, "two_step_off")


def test_storage_down_at_completion_is_a_clear_503_and_counts_nothing(
    client, student, s3, settings
):
    answer = commit(client, student).json()
    put(answer)
    working = settings.STORAGES["default"]
    options = {**working["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}  # nothing listens
    settings.STORAGES = {**settings.STORAGES, "default": {**working, "OPTIONS": options}}

    down = complete(client, answer)

    assert down.status_code == 503
    assert "storage is unavailable" in down.json()["error"]
    assert Submission.objects.count() == 0
    settings.STORAGES = {**settings.STORAGES, "default": working}
    assert complete(client, answer).status_code == 200


def test_storage_down_at_commit_still_fixes_the_moment(client, student, s3, settings):
    """A presigned URL is made without asking storage: the commitment stands, and the bytes
    follow once storage is back."""
    working = settings.STORAGES["default"]
    options = {**working["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}
    settings.STORAGES = {**settings.STORAGES, "default": {**working, "OPTIONS": options}}
    committed = commit(client, student)
    assert committed.status_code == 201
    with pytest.raises(urllib.error.URLError):
        put(committed.json())
    settings.STORAGES = {**settings.STORAGES, "default": working}

    answer = commit(client, student).json()  # a fresh URL for the same commitment
    put(answer)

    assert answer["token"] == committed.json()["token"]
    assert complete(client, answer).status_code == 200


def test_on_local_storage_the_bytes_go_to_the_app(client, student, local_storage):
    answer, completed = hand_in(client, student)

    assert answer["put_url"] == reverse(
        "submissions:deliver", args=[student.upload_code, answer["token"]]
    )
    assert completed.status_code == 200
    submission = Submission.objects.get()
    assert submission.file.read() == PDF


def test_on_local_storage_a_body_of_another_length_is_refused(client, student, local_storage):
    answer = commit(client, student).json()

    status = put(answer, PDF + b"x")

    assert status == 422
    assert complete(client, answer).status_code == 409  # nothing there: not delivered
    assert Submission.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_tabs_at_once_on_one_link_record_at_most_the_uploads_left(s3):
    student = StudentFactory(exam=ExamFactory(max_uploads=2))
    barrier = threading.Barrier(20)
    results = [None] * 20

    def hand_in_one(i):
        client = Client()
        content = PDF + str(i).encode()
        try:
            barrier.wait(timeout=30)
            committed = commit(client, student, content, name=f"tab{i}.pdf")
            if committed.status_code != 201:
                results[i] = committed.status_code
                connection.close()
                barrier_complete.wait(timeout=60)
                return
            answer = committed.json()
            put(answer, content)
            connection.close()  # back to the pool while the others catch up
            barrier_complete.wait(timeout=60)
            results[i] = complete(client, answer).status_code
        except Exception as error:  # reported below, with the thread it came from
            results[i] = error
        finally:
            connection.close()

    barrier_complete = threading.Barrier(20)
    threads = [threading.Thread(target=hand_in_one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(r, int) for r in results), results
    student.refresh_from_db()
    recorded = Submission.objects.filter(student=student).count()
    assert recorded == student.uploads_used <= 2
    assert results.count(200) == recorded
    assert Commitment.objects.filter(state=Commitment.State.OPEN).count() <= 1
    assert len(s3_keys(s3)) == 1  # the current file; every other object deleted


def test_a_commitment_closed_meanwhile_records_nothing(client, student, s3):
    """The clock expired it (or another tab replaced it) after the completion looked: the
    conditional close in record() undoes the whole upload."""
    answer = commit(client, student).json()
    put(answer)
    commitment = Commitment.objects.get()
    Commitment.objects.get().expire()  # another process closes it

    with pytest.raises(CommitmentClosed):
        Submission.objects.record(
            student,
            key=commitment.key,
            original_name=commitment.original_name,
            size=commitment.size,
            sha256=commitment.sha256,
            content_type="application/pdf",
            form_token=commitment.token,
            at=commitment.committed_at,
            commitment=commitment,
        )

    assert Submission.objects.count() == 0
    student.refresh_from_db()
    assert student.uploads_used == 0
    assert Event.objects.filter(kind=Event.Kind.UPLOAD_ACCEPTED).count() == 0


def test_the_checksum_storage_kept_is_used_without_reading_the_file_back(client, student, s3):
    """R2 and S3 keep the checksum they checked the PUT against; moto keeps it when told
    the algorithm. Then completion reads only the first bytes."""
    answer = commit(client, student).json()
    put(answer, PDF, {"x-amz-sdk-checksum-algorithm": "SHA256"})
    key = Commitment.objects.get().key

    found = storage.inspect(key)

    assert found.sha256_from == "storage"
    assert found.sha256 == hashlib.sha256(PDF).hexdigest()
    assert found.head == PDF[: len(found.head)] and 0 < len(found.head) <= 8192
    assert complete(client, answer).status_code == 200


def test_a_storage_without_checksums_has_the_file_read_back(client, student, s3):
    answer = commit(client, student).json()
    put(answer)  # moto keeps no checksum for a PUT that does not name its algorithm

    found = storage.inspect(Commitment.objects.get().key)

    assert found.sha256_from == "read back"
    assert found.sha256 == hashlib.sha256(PDF).hexdigest()


def test_a_stored_checksum_that_differs_is_refused(client, student, s3):
    """What storage says it holds is compared with the commitment, whichever way it came."""
    answer = commit(client, student).json()
    other = b"%PDF-1.7 other " + b"q" * (len(PDF) - 15)
    wrong = {"x-amz-sdk-checksum-algorithm": "SHA256"}
    wrong["x-amz-checksum-sha256"] = storage.sha256_base64(hashlib.sha256(other).hexdigest())
    put(answer, PDF, wrong)

    completed = complete(client, answer)

    assert (completed.status_code, completed.json()["code"]) == (422, "delivery_mismatch")
    assert s3_keys(s3) == []


def test_bytes_put_before_the_deadline_and_completed_after_it_are_on_time(client, s3):
    """The network failed after the PUT, before the completion got through."""
    due = timezone.now() + timedelta(minutes=5)
    student = StudentFactory(exam=ExamFactory(closes_at=due, delivery_minutes=30))
    with time_machine.travel(due - timedelta(seconds=30), tick=False):
        answer = commit(client, student).json()
        assert put(answer) == 200
    with time_machine.travel(due + timedelta(minutes=10)):
        completed = complete(client, answer)

    assert completed.status_code == 200
    assert Submission.objects.get().late_by is None


def test_a_commitment_the_rules_no_longer_count_is_refused_as_such(
    client, student, s3, examiner_client
):
    """The examiner closed the exam by hand before the file came: not counted, and said so
    to the student and on the examiner's student page, not as "replaced"."""
    answer = commit(client, student).json()
    put(answer)
    student.exam.set_manual_state("closed")

    completed = complete(client, answer)

    assert (completed.status_code, completed.json()["code"]) == (403, "exam_closed")
    assert Commitment.objects.get().state == Commitment.State.REFUSED
    assert s3_keys(s3) == []
    assert Submission.objects.count() == 0
    page = examiner_client.get(student.get_absolute_url()).content.decode()
    assert "not counted at" in page
    assert "replaced by a later file" not in page
    again = complete(client, answer)  # and completing again says the same
    assert (again.status_code, again.json()["code"]) == (403, "exam_closed")
