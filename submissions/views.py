import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from students import codes as upload_codes
from students.models import Exam, Student
from submissions import checker, codes, receipts, scans, storage
from submissions.forms import ReceiptCheckForm, UploadForm, VerifyForm
from submissions.models import Submission
from submissions.throttle import code_page
from submissions.uploadrequest import started_at, unreadable_body
from submissions.uploads import (
    UploadRefused,
    accept_upload,
    log_refusal,
    release_db_connection,
    too_large,
)

log = logging.getLogger(__name__)


def _student(upload_code):
    """The student whose personal link this is; their pages show times in the exam's zone."""
    if not upload_codes.is_upload_code(upload_code):
        raise Http404
    student = get_object_or_404(Student.objects.select_related("exam"), upload_code=upload_code)
    timezone.activate(student.exam.zone)
    return student


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@code_page
def upload(request, upload_code):
    """The student's personal page. The body limit is set before anything reads the body.
    No CSRF cookie: the secret upload code in the URL is what a forged request cannot know,
    and the page sends no Referer, so browsers post its form with `Origin: null`."""
    # The deadline rules look at when the upload started, not when its last byte arrived.
    request.upload_started_at = started_at(request)
    student = _student(upload_code)
    if refusal := unreadable_body(request):
        log_refusal(student, refusal.message)
        form = _upload_form(student)
        return _upload_page(request, student, form, refusal.status, refusal.message)
    if request.method == "POST":
        limit = student.exam.max_upload_bytes
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit + settings.UPLOAD_BODY_OVERHEAD:
            return _too_large(request, student)
        request.upload_limit = limit
        # A body can take minutes to arrive on a slow connection.
        release_db_connection()
    return _upload(request, student)


def _upload_form(student, *args):
    exam = student.exam
    return UploadForm(
        *args,
        max_bytes=exam.max_upload_bytes,
        allowed_extensions=exam.allowed_extensions,
        statement=exam.statement,
        last_upload=student.uploads_left() == 1,
    )


def _upload(request, student):
    posted = request.method == "POST"  # an empty post is still a post, and gets its errors
    try:
        form = _upload_form(student, *((request.POST, request.FILES) if posted else ()))
    except TooManyFilesSent:
        error = scans.TOO_MANY_PAGES % {"max": scans.MAX_PAGES}
        log_refusal(student, error)
        return _upload_page(request, student, _upload_form(student), 400, error)
    if getattr(request, "upload_over_limit", False):
        return _too_large(request, student)
    status, error = 200, None
    if posted:
        if form.is_valid():
            try:
                submission = accept_upload(
                    student,
                    form.cleaned_data["file"],
                    form.cleaned_data["form_token"],
                    at=request.upload_started_at,
                    statement_accepted=form.cleaned_data.get("statement", False),
                )
            except UploadRefused as refusal:
                status, error = refusal.status, refusal.message
            else:
                return redirect(
                    "submissions:receipt", student.upload_code, submission.verification_code
                )
        else:
            status = 413 if form.has_error("file", "file_too_large") else 400
        log_refusal(student, error or _first_error(form))
    return _upload_page(request, student, form, status, error)


def _first_error(form):
    return next(iter(form.errors.values()))[0]


def _too_large(request, student):
    refusal = too_large(student, int(request.META.get("CONTENT_LENGTH") or 0))
    return _upload_page(request, student, _upload_form(student), 413, refusal.message)


def _upload_page(request, student, form, status, error=None):
    context = {
        "error": error,
        "student": student,
        "exam": student.exam,
        "form": form,
        "submission": student.current_submission,
        "now": timezone.now(),
        "max_scan_pages": scans.MAX_PAGES,
    }
    return render(request, "submissions/upload.html", context, status=status)


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
    context = {
        "student": student,
        "exam": student.exam,
        "submission": submission,
        "qr": receipts.qr_svg(submission),
    }
    return render(request, "submissions/receipt.html", context)


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
