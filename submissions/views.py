import logging

from csp.constants import SELF
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from students import codes as upload_codes
from students import times
from students.models import Exam, Student
from submissions import checker, codes, receipts, scans, storage, uploads
from submissions.forms import CommitForm, ReceiptCheckForm, UploadForm, VerifyForm
from submissions.models import Commitment, Submission, with_waiting_commitment
from submissions.throttle import code_page

log = logging.getLogger(__name__)


def _student(upload_code, students=Student.objects):
    """The student whose personal link this is; their pages show times in the exam's zone."""
    if not upload_codes.is_upload_code(upload_code):
        raise Http404
    student = get_object_or_404(students.select_related("exam"), upload_code=upload_code)
    timezone.activate(student.exam.zone)
    return student


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@code_page
def upload(request, upload_code):
    """The student's personal page, and its form's post (the upload without JavaScript).
    No CSRF cookie: the secret upload code in the URL is what a forged request cannot know,
    and the page sends no Referer, so browsers post its form with `Origin: null`. Never
    stored: its form token is for one upload, and its counts change with each (the
    script's two-step upload posts elsewhere, so nothing else makes a browser drop a
    stored copy that the back button would show)."""
    student = _student(upload_code, with_waiting_commitment(Student.objects))
    if request.method != "POST":
        return _upload_page(request, student, _upload_form(student), 200)
    try:
        submission = uploads.receive(
            request, student, lambda: _upload_form(student, request.POST, request.FILES)
        )
    except uploads.UploadRefused as refusal:
        if refusal.form:  # the form's own errors, shown at their fields
            return _upload_page(request, student, refusal.form, refusal.status)
        form = _upload_form(student)
        return _upload_page(request, student, form, refusal.status, refusal.message)
    return redirect("submissions:receipt", student.upload_code, submission.verification_code)


# The two-step upload of the page's script (submissions.uploads): lean JSON answers, no
# template, no query the answer does not need. No CSRF cookie, as on the page's own post.


@csrf_exempt
@require_POST
@code_page
def commit(request, upload_code):
    """Fix the chosen file by its fingerprint; answers where to PUT its bytes."""
    student = _student(upload_code)
    form = CommitForm(request.POST)
    if not form.is_valid():
        return _refusal(uploads.form_refusal(student, form))
    try:
        commitment = uploads.commit(student, **form.cleaned_data)
        deliver_to = reverse("submissions:deliver", args=[upload_code, commitment.token])
        url, headers = uploads.delivery(commitment, deliver_to)
    except uploads.UploadRefused as refusal:
        return _refusal(refusal)
    return JsonResponse(
        {
            "token": commitment.token,
            "state": commitment.state,
            "put_url": url,
            "put_headers": headers,
            "complete_url": reverse("submissions:complete", args=[upload_code, commitment.token]),
            "committed_at": commitment.committed_at,
            "committed_at_text": times.format_time(
                commitment.committed_at, "long", student.exam.zone
            ),
            "deliver_by": commitment.deliver_by,
            "deliver_by_text": times.format_time(commitment.deliver_by, "long", student.exam.zone),
        },
        status=201,
    )


@csrf_exempt
@require_http_methods(["PUT"])
@code_page
def deliver(request, upload_code, token):
    """A committed file's bytes, where storage cannot take them itself (local files)."""
    commitment = _commitment(upload_code, token)
    student = commitment.student
    try:
        uploads.deliver(student, commitment, request, int(request.META.get("CONTENT_LENGTH") or 0))
    except uploads.UploadRefused as refusal:
        return _refusal(refusal)
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
@code_page
def complete(request, upload_code, token):
    """The bytes are in storage: checked and recorded; answers where the receipt is."""
    commitment = _commitment(upload_code, token)
    student = commitment.student
    try:
        submission = uploads.complete(student, commitment)
    except uploads.UploadRefused as refusal:
        return _refusal(refusal)
    receipt_url = reverse("submissions:receipt", args=[upload_code, submission.verification_code])
    return JsonResponse({"code": submission.display_code, "receipt_url": receipt_url})


def _commitment(upload_code, token):
    """The commitment `token` of the student whose link this is, with the student and the
    exam, in one query (its submission, once completed, is read when asked for)."""
    if not upload_codes.is_upload_code(upload_code):
        raise Http404
    commitment = get_object_or_404(
        Commitment.objects.select_related("student__exam"),
        token=token,
        student__upload_code=upload_code,
    )
    timezone.activate(commitment.student.exam.zone)
    return commitment


def _refusal(refusal):
    return JsonResponse({"error": refusal.message, "code": refusal.code}, status=refusal.status)


def _upload_form(student, *args):
    return UploadForm.for_exam(student.exam, *args, last_upload=student.uploads_left() == 1)


def _upload_page(request, student, form, status, error=None):
    exam = student.exam
    context = {
        "error": error,
        "student": student,
        "exam": exam,
        "form": form,
        "submission": student.current_submission,
        "commitment": _waiting_commitment(student),
        "now": timezone.now(),
        "max_scan_pages": scans.MAX_PAGES,
    }
    response = render(request, "submissions/upload.html", context, status=status)
    if exam.takes_commitments() and storage.is_s3() and (origin := storage.upload_origin()):
        # The page's script PUTs the file's bytes straight to the bucket.
        response._csp_update = {"connect-src": [SELF, origin]}
    return response


def _waiting_commitment(student):
    """The file this student fixed whose bytes may still follow and be recorded, if any: the
    page offers to send it. Looked up only where the student's query found one."""
    if not (student.exam.takes_commitments() and student.waiting_commitment_pk):
        return None
    commitment = student.commitments.filter(pk=student.waiting_commitment_pk).first()
    return commitment if commitment and commitment.can_count() else None


def render_sample_page():
    """The student's page of a sample student of an unsaved exam, rendered and thrown away:
    what each worker does as it starts (depository.warmup), so that the templates, their
    tags and the static files' manifest are ready before a real student's first request."""
    exam = Exam(title="Sample", time_zone=settings.TIME_ZONE)
    student = Student(exam=exam, nickname="s0000", first_name="Sam", last_name="Sample")
    context = {
        "student": student,
        "exam": exam,
        "form": _upload_form(student),
        "now": timezone.now(),
    }
    render_to_string("submissions/upload.html", context)


@login_required
@require_GET
def preview(request, exam_pk, pk=None):
    """A student's page as they see it, for an examiner of the exam: that student's, or a
    sample student's. Read only: nothing can be posted from it, and nothing is logged as
    the student (the page view of a student logs nothing either; no link leads to a page
    that would)."""
    exam = get_object_or_404(Exam.objects.visible_to(request.user), pk=exam_pk)
    if pk is None:
        student = Student(exam=exam, nickname="s0000", first_name=_("Sam"), last_name=_("Sample"))
    else:
        student = get_object_or_404(exam.students.select_related("exam"), pk=pk)
    timezone.activate(exam.zone)
    context = {
        "student": student,
        "exam": exam,
        "form": _upload_form(student),
        "submission": student.current_submission if student.pk else None,
        "now": timezone.now(),
        "preview": True,
    }
    return render(request, "submissions/upload.html", context)


@require_GET
@code_page
def receipt(request, upload_code, verification_code):
    student, submission = _receipt_of(upload_code, verification_code)
    submission.log_receipt_viewed()
    context = {"student": student, "exam": student.exam, "submission": submission}
    return render(request, "submissions/receipt.html", context)


@require_GET
@code_page
def receipt_qr(request, upload_code, verification_code):
    """The signed statement's QR code as an image, for a browser without JavaScript: the
    receipt page has the browser draw it otherwise. Not a receipt view of its own."""
    _student_of, submission = _receipt_of(upload_code, verification_code)
    if not submission.has_signed_receipt():
        raise Http404("This upload was made before receipts were signed.")
    response = HttpResponse(receipts.qr_svg(submission), content_type="image/svg+xml")
    # A statement never changes; the address holds the codes, so no shared cache keeps it.
    response["Cache-Control"] = "private, max-age=31536000"
    return response


@require_GET
@code_page
def signed_receipt(request, upload_code, verification_code):
    """The receipt file: the signed statement and its facts, to keep and to check offline."""
    _student_of, submission = _receipt_of(upload_code, verification_code)
    if not submission.has_signed_receipt():
        raise Http404("This upload was made before receipts were signed.")
    return _receipt_download(submission)


def _receipt_download(submission):
    response = HttpResponse(receipts.receipt_json(submission), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{receipts.filename(submission)}"'
    return response


@require_GET
@code_page
def own_file(request, upload_code, verification_code):
    """The student opens the file they submitted, to check it is the right one: the current
    one only, through a short-lived link as for reviewers."""
    student, submission = _receipt_of(upload_code, verification_code)
    if not (submission.is_current() and submission.has_file()):
        context = {"student": student, "exam": student.exam, "submission": submission}
        return render(request, "submissions/receipt.html", context, status=410)
    return redirect(submission.download_url("by the student, from the receipt"))


def _receipt_of(upload_code, verification_code):
    """A student's submission by the codes of both, with its student and exam, in one query
    (a receipt page costs little besides); its pages show times in the exam's zone."""
    if not upload_codes.is_upload_code(upload_code):
        raise Http404
    submission = get_object_or_404(
        Submission.objects.with_expiry().select_related("student__exam"),
        student__upload_code=upload_code,
        verification_code=codes.normalize(verification_code),
    )
    timezone.activate(submission.student.exam.zone)
    return submission.student, submission


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@code_page
def verify(request):
    """Look a code up. The page's form posts it, so a code stays out of the address bar,
    the history and the logs; `?code=` still works for links made before. No CSRF cookie
    (as on the upload page): a lookup changes nothing a forged request could want."""
    data = request.POST if request.method == "POST" else request.GET
    form = VerifyForm(data if "code" in data else None)
    submission = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400  # cannot be a code: not a miss, and said as such
    elif form.is_valid():
        submission = _lookup(form.cleaned_data["code"])
        status = 200 if submission else 404
        if submission:
            submission.log_lookup()
    context = {
        "form": form,
        "receipt_form": ReceiptCheckForm(),
        "submission": submission,
        "searched": form.is_valid(),
    }
    return render(request, "submissions/verify.html", context, status=status)


# Like the upload page, the lookup page sends no Referer, so its form posts with `Origin:
# null`; a forged post could only have a receipt checked, so no CSRF check.
@csrf_exempt
@require_POST
@code_page
def check_receipt(request):
    """The lookup page, given a receipt file: its signature checked with the published keys,
    and the submission it names looked up (if the site still has it)."""
    receipt_form = ReceiptCheckForm(request.POST, request.FILES)
    context = {"form": VerifyForm(), "receipt_form": receipt_form, "searched": False}
    if not receipt_form.is_valid():
        return render(request, "submissions/verify.html", context, status=400)
    check = receipts.check(receipt_form.cleaned_data["receipt"].read())
    submission = _lookup(check.code) if check.signature_ok else None
    if submission:
        submission.log_lookup()
    context.update(check=check, submission=submission, searched=bool(submission))
    return render(request, "submissions/verify.html", context, status=200 if check.valid else 422)


@require_GET
def receipt_checker(request):
    """The offline checker: one HTML file with the published keys in it, to save and open
    from disk (so it is a download, not a page of the site)."""
    response = HttpResponse(checker.page(request), content_type="text/html; charset=utf-8")
    name = checker.filename()
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def jwks(request):
    """The public keys receipts are signed with (RFC 7517), current and retired."""
    response = JsonResponse(receipts.signing.jwks())
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@code_page
def download(request, verification_code=None):
    """The file of a code: posted from the lookup's result (the code in the body), or
    named in the path by links made before."""
    if verification_code is None:
        verification_code = request.POST.get("code", "")
    submission = _lookup(verification_code)
    if submission is None:
        raise Http404
    if not (submission.is_current() and submission.has_file()):
        context = {"form": VerifyForm(), "submission": submission, "searched": True}
        return render(request, "submissions/verify.html", context, status=410)
    return redirect(submission.download_url("by verification code"))


@require_GET
@code_page
def local_file(request, token):
    """Serves a file from local storage to the holder of a signed, expiring link."""
    pk = storage.submission_pk_from_token(token)
    submission = get_object_or_404(Submission, pk=pk, file_deleted_at__isnull=True) if pk else None
    if submission is None:
        raise Http404("This download link has expired. Please look the code up again.")
    try:
        file = default_storage.open(submission.file.name, "rb")
    except FileNotFoundError:
        log.error("Submission %s: object %s is missing from storage", pk, submission.file.name)
        context = {"form": VerifyForm(), "submission": submission, "searched": True, "lost": True}
        return render(request, "submissions/verify.html", context, status=410)
    return FileResponse(
        file,
        as_attachment=True,
        filename=storage.safe_filename(submission.original_name),
        content_type=submission.content_type,
    )


def _lookup(typed_code):
    """The submission a typed code names; malformed codes are simply unknown."""
    code = codes.normalize(typed_code)
    if code is None:
        return None
    submission = (
        Submission.objects.with_expiry()
        .select_related("student__exam")
        .filter(verification_code=code)
        .first()
    )
    if submission:
        timezone.activate(submission.student.exam.zone)
    return submission
