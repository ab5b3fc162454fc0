"""Signed receipts: every accepted upload signed, checkable with the published keys alone."""

import base64
import io
import json
from datetime import timedelta

import pytest
import segno
from django.urls import reverse
from django.utils import timezone
from joserfc import jws

from students.tests.factories import ExamFactory, StudentFactory
from submissions import receipts, signing
from submissions.models import Event, Submission
from submissions.tests.helpers import post_upload, sha256

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.7 the answers of a careful student"


def upload(client, student, content=CONTENT, name="answer.pdf"):
    assert post_upload(client, student, content, name).status_code == 302
    return student.submissions.get(superseded_at=None)


def receipt_of(submission):
    return json.loads(receipts.receipt_json(submission))


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_payload(token, claims):
    """The same header and signature over other claims: what a forger would try."""
    head, _payload, signature = token.split(".")
    payload = b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    return f"{head}.{payload}.{signature}"


@pytest.fixture
def submission(db, client, student):
    return upload(client, student)


# --- What is signed -------------------------------------------------------------------


def test_every_accepted_upload_is_signed_with_its_facts(client, settings, exam):
    settings.SITE_URL = "https://depository.test"
    exam.closes_at = timezone.now() + timedelta(hours=1)
    exam.save()
    student = StudentFactory(exam=exam, nickname="s1234")

    submission = upload(client, student)

    kid, facts = signing.verify(submission.receipt_jws)
    assert kid == signing.key_id(signing.signing_key())
    assert facts == {
        "type": "upload",
        "site": "https://depository.test",
        "exam": exam.title,
        "student": "s1234",
        "code": submission.display_code,
        "file": "answer.pdf",
        "size": len(CONTENT),
        "sha256": sha256(CONTENT),
        "counts_from": facts["counts_from"],
        "recorded_at": submission.accepted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "late": False,
    }
    assert facts["counts_from"] <= facts["recorded_at"]
    header = signing.header_of(submission.receipt_jws)
    assert header == {"alg": "Ed25519", "kid": kid, "typ": "exam-receipt+jws"}


def test_a_late_upload_says_so_and_by_how_much(client, exam):
    exam.closes_at = timezone.now() - timedelta(minutes=5)
    exam.cutoff_at = timezone.now() + timedelta(hours=1)
    exam.save()

    submission = upload(client, StudentFactory(exam=exam))

    _kid, facts = signing.verify(submission.receipt_jws)
    assert facts["late"] is True
    assert 299 <= facts["late_by_seconds"] <= 330


def test_blind_review_leaves_the_student_out_of_the_statement(client):
    exam = ExamFactory(blind_review=True)
    student = StudentFactory(exam=exam, nickname="s1234", first_name="Ada")

    submission = upload(client, student)

    assert "student" not in signing.claims_of(submission.receipt_jws)
    assert "s1234" not in receipts.receipt_json(submission)
    assert "Ada" not in receipts.receipt_json(submission)


def test_the_statement_stays_when_the_file_is_purged(client, submission):
    submission.mark_purged()

    response = client.get(signed_receipt_url(submission))

    assert response.status_code == 200
    assert receipts.check(response.content).valid


# --- Checking a receipt ---------------------------------------------------------------


def test_a_receipt_verifies(submission):
    result = receipts.check(receipts.receipt_json(submission))

    assert result.valid, result.problems
    assert result.kid == signing.key_id(signing.signing_key())
    assert result.code == submission.display_code


def test_the_qr_codes_text_alone_verifies(submission):
    assert receipts.check(submission.receipt_jws).valid


def segno_svg(code):
    drawn = io.BytesIO()
    code.save(drawn, kind="svg", xmldecl=False, nl=False, scale=2, omitsize=True, svgclass="qr")
    return drawn.getvalue().decode()


@pytest.mark.parametrize("length", [1, 40, 700, 1500])
def test_the_qr_code_looks_as_segno_draws_it(length):
    """The QR image draws the code itself, faster (receipts.svg): the same SVG, micro QR
    codes of short texts included."""
    code = segno.make(("eyJhbGciOiJFZERTQSJ9." * 80)[:length], error="l", mask=0)

    assert receipts.svg(code, scale=2) == segno_svg(code)


FACTS = ["type", "site", "exam", "student", "code", "file", "size", "sha256"]
FACTS += ["counts_from", "recorded_at", "late"]


@pytest.mark.parametrize("name", FACTS)
def test_a_fact_changed_in_the_readable_part_fails_and_is_named(submission, name):
    data = receipt_of(submission)
    data["facts"][name] = 1 if name != "size" else data["facts"]["size"] + 1

    result = receipts.check(json.dumps(data))

    assert not result.valid
    [problem] = result.problems
    assert problem.startswith(f"{receipts.FACT_LABELS[name]}: the readable part says")


@pytest.mark.parametrize("name", FACTS)
def test_a_fact_changed_in_the_signed_statement_breaks_the_signature(submission, name):
    claims = signing.claims_of(submission.receipt_jws)
    claims[name] = 1 if name != "size" else claims["size"] + 1
    data = receipt_of(submission)
    data["jws"] = with_payload(submission.receipt_jws, claims)
    data["facts"] = claims

    result = receipts.check(json.dumps(data))

    assert not result.valid
    assert not result.signature_ok
    assert result.problems == [
        f"The signature does not match key {result.kid}: the signed statement was changed "
        "after signing, or signed by another key."
    ]


def test_a_fact_added_to_the_readable_part_fails(submission):
    data = receipt_of(submission)
    data["facts"]["grade"] = "A"

    result = receipts.check(json.dumps(data))

    assert result.problems == ['grade: the readable part says "A", the signed statement nothing.']


def test_a_signature_by_another_key_under_our_key_id_fails(submission):
    ours = signing.key_id(signing.signing_key())
    forger = signing.load_private_key(signing.new_private_key())
    header = {"alg": "Ed25519", "kid": ours, "typ": "exam-receipt+jws"}
    payload = json.dumps(signing.claims_of(submission.receipt_jws)).encode()
    forged = jws.serialize_compact(header, payload, forger, algorithms=["Ed25519"])

    result = receipts.check(forged)

    assert not result.signature_ok
    assert result.problems == [
        f"The signature does not match key {ours}: the signed statement was changed after "
        "signing, or signed by another key."
    ]


def test_an_unknown_key_id_fails_with_a_clear_message(submission, settings):
    theirs = signing.key_id(signing.signing_key())
    settings.RECEIPT_SIGNING_KEY = signing.new_private_key()  # a site that never had it
    ours = signing.key_id(signing.signing_key())

    result = receipts.check(receipts.receipt_json(submission))

    assert not result.valid
    assert result.problems == [
        f"This receipt was signed with key {theirs}, which is not one of the published keys "
        f"({ours}). It may come from another site, or be forged."
    ]


def test_after_a_rotation_old_and_new_receipts_verify(client, settings, exam):
    old_key = settings.RECEIPT_SIGNING_KEY
    old = upload(client, StudentFactory(exam=exam))
    retired = signing.public_part(signing.load_private_key(old_key))

    settings.RECEIPT_SIGNING_KEY = signing.new_private_key()
    settings.RECEIPT_PUBLIC_KEYS = [retired]
    new = upload(client, StudentFactory(exam=exam))

    assert signing.header_of(old.receipt_jws)["kid"] != signing.header_of(new.receipt_jws)["kid"]
    assert receipts.check(receipts.receipt_json(old)).valid
    assert receipts.check(receipts.receipt_json(new)).valid
    assert [k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]] == [
        signing.header_of(new.receipt_jws)["kid"],
        signing.header_of(old.receipt_jws)["kid"],
    ]
    settings.RECEIPT_PUBLIC_KEYS = []  # the old key no longer published
    assert "not one of the published keys" in receipts.check(old.receipt_jws).problems[0]


def test_the_answer_files_sha256_matches(submission):
    result = receipts.check(submission.receipt_jws, ("answer.pdf", sha256(CONTENT)))

    assert result.valid
    assert result.file_matches is True


def test_another_answer_file_does_not_match(submission):
    other = sha256(CONTENT + b"!")

    result = receipts.check(submission.receipt_jws, ("copy.pdf", other))

    assert not result.valid
    assert result.file_matches is False
    assert result.problems == [
        f"The file does not match: copy.pdf has the SHA-256 {other}, the receipt {sha256(CONTENT)}."
    ]


def test_a_statement_naming_another_site_fails(submission):
    result = receipts.check(submission.receipt_jws, site="https://elsewhere.example")

    assert not result.valid
    assert result.signature_ok
    assert "names the site" in result.problems[0]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", b"{}", b'{"jws": 5}', b"\xff\xfe", b"a.b.c", b"e30.e30.e30", b"[1]"],
)
def test_what_is_not_a_receipt_is_told_so_without_an_error(data):
    result = receipts.check(data)

    assert not result.valid
    assert result.problems[0].startswith(("This is not a receipt of ours", "This receipt was"))


# --- The pages ------------------------------------------------------------------------


def signed_receipt_url(submission):
    return reverse(
        "submissions:signed_receipt",
        args=[submission.student.upload_code, submission.verification_code],
    )


def receipt_url(submission, name="submissions:receipt"):
    return reverse(name, args=[submission.student.upload_code, submission.verification_code])


def qr_url(submission):
    return receipt_url(submission, "submissions:receipt_qr")


def test_the_receipt_page_offers_the_signed_receipt_and_its_qr_code(client, submission):
    response = client.get(receipt_url(submission))

    page = response.content.decode()
    assert "Download signed receipt" in page
    assert signed_receipt_url(submission) in page
    assert reverse("submissions:checker") in page
    # The browser draws the code from the statement; without JavaScript, the server's image.
    assert f'data-qr="{submission.receipt_jws}"' in page
    assert "<svg" not in page
    assert f'<noscript><img class="qr" src="{qr_url(submission)}"' in page


def test_the_receipt_page_no_longer_draws_the_qr_code(client, submission, monkeypatch):
    def refuse(submission):
        raise AssertionError("the receipt page drew the QR code on the server")

    monkeypatch.setattr(receipts, "qr_svg", refuse)

    assert client.get(receipt_url(submission)).status_code == 200


def test_the_qr_image_is_the_signed_statement(client, submission):
    response = client.get(qr_url(submission))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, max-age=31536000"
    code = segno.make(submission.receipt_jws, error="l", mask=0)
    assert response.content.decode() == segno_svg(code)
    assert response.content.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" ')


def test_the_qr_image_is_not_a_receipt_view(client, submission):
    views = Event.objects.filter(submission=submission, kind=Event.Kind.RECEIPT_VIEWED)

    client.get(qr_url(submission))

    assert views.count() == 0
    client.get(receipt_url(submission))
    assert views.count() == 1


def test_the_qr_image_404s_wrong_codes(client, submission, exam):
    other = upload(client, StudentFactory(exam=exam))
    urls = [
        reverse("submissions:receipt_qr", args=[submission.student.upload_code, "7KQ2M9XD3HFP"]),
        reverse(
            "submissions:receipt_qr",
            args=[other.student.upload_code, submission.verification_code],
        ),
        reverse("submissions:receipt_qr", args=["not-a-code", submission.verification_code]),
    ]

    assert [client.get(url).status_code for url in urls] == [404] * 3


def test_the_qr_image_404s_an_upload_from_before_signing(client, submission):
    Submission.objects.filter(pk=submission.pk).update(receipt_jws="")

    assert client.get(qr_url(submission)).status_code == 404


def test_the_qr_image_counts_wrong_codes_and_sends_no_referrer(client, settings, submission):
    settings.CODE_MISS_LIMIT = 2
    wrong = reverse("submissions:receipt_qr", args=[submission.student.upload_code, "7KQ2M9XD3HFP"])

    assert [client.get(wrong).status_code for _ in range(3)] == [404, 404, 429]
    response = client.get(qr_url(submission))
    assert response.status_code == 429
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_signed_receipt_downloads_as_a_json_file(client, submission):
    response = client.get(signed_receipt_url(submission))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-{submission.display_code}.json"'
    )
    data = json.loads(response.content)
    assert data["format"] == "exam-depository-receipt/1"
    assert data["jws"] == submission.receipt_jws
    assert data["facts"] == signing.claims_of(submission.receipt_jws)
    assert data["keys"].endswith("/.well-known/jwks.json")
    assert len(response.content) < 2048


def test_an_upload_from_before_signing_has_no_signed_receipt(client, submission):
    Submission.objects.filter(pk=submission.pk).update(receipt_jws="")

    assert client.get(signed_receipt_url(submission)).status_code == 404


def test_the_jwks_publishes_the_public_keys_only(client, settings):
    retired = signing.public_part(signing.load_private_key(signing.new_private_key()))
    settings.RECEIPT_PUBLIC_KEYS = [retired]

    response = client.get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    keys = response.json()["keys"]
    assert [k["x"] for k in keys] == [
        signing.public_part(signing.signing_key()),
        retired,
    ]
    for key in keys:
        assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}
        assert "d" not in key


# --- The lookup page, given a receipt file ---------------------------------------------


def post_receipt(client, content, name="receipt.json"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(name, content, content_type="application/json")
    return client.post(reverse("submissions:check_receipt"), {"receipt": upload})


def test_the_lookup_page_checks_a_receipt_file(client, submission):
    response = post_receipt(client, receipts.receipt_json(submission).encode())

    assert response.status_code == 200
    page = response.content.decode()
    kid = signing.key_id(signing.signing_key())
    assert f"Valid: signed by 127.0.0.1:8000 with key {kid}." in page
    assert submission.display_code in page
    assert "Download the file" in page  # the submission it names, as a lookup shows it


def test_the_lookup_page_names_a_tampered_fact(client, submission):
    data = receipt_of(submission)
    data["facts"]["size"] += 1

    response = post_receipt(client, json.dumps(data).encode())

    assert response.status_code == 422
    page = response.content.decode()
    assert "Not valid" in page
    assert "Size in bytes: the readable part says" in page


def test_the_lookup_page_refuses_a_file_too_large_to_be_a_receipt(client):
    exactly = post_receipt(client, b" " * receipts.MAX_RECEIPT_BYTES)
    over = post_receipt(client, b" " * (receipts.MAX_RECEIPT_BYTES + 1))

    assert exactly.status_code == 422  # read and checked: not a receipt
    assert over.status_code == 400
    assert "a receipt is a few kilobytes" in over.content.decode()


def test_the_lookup_page_asks_for_a_file_when_none_came(client):
    response = client.post(reverse("submissions:check_receipt"), {})

    assert response.status_code == 400
    assert "Please choose the receipt file (.json) to check." in response.content.decode()


def test_blind_review_hides_the_name_on_the_lookup_page(client):
    exam = ExamFactory(blind_review=True)
    student = StudentFactory(exam=exam, first_name="Ada", last_name="Lovelace")
    submission = upload(client, student)

    page = client.get(reverse("submissions:verify"), {"code": submission.display_code})

    assert page.status_code == 200
    assert submission.display_code in page.content.decode()
    assert "Lovelace" not in page.content.decode()


def test_without_blind_review_the_lookup_page_names_the_student(client, exam):
    submission = upload(client, StudentFactory(exam=exam, last_name="Lovelace"))

    page = client.get(reverse("submissions:verify"), {"code": submission.display_code})

    assert "Lovelace" in page.content.decode()
