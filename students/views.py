import functools
import logging

from allauth.mfa import app_settings as mfa_settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_POST

from students import (
    access,
    accounts,
    confirmations,
    exports,
    imports,
    live,
    mail,
    outbox,
    roster,
    signin,
    tasks,
)
from students.forms import (
    ColumnsForm,
    ExamForm,
    ExamMailForm,
    ExamStateForm,
    ExtensionForm,
    ExtraUploadsForm,
    ImportForm,
    InviteForm,
    MailingForm,
    RosterForm,
    StudentForm,
    TimeZoneForm,
)
from students.models import (
    Exam,
    ExaminerProfile,
    ExamMail,
    Mail,
    Mailing,
    Student,
    submission_model,
    time_zones,
)

log = logging.getLogger(__name__)
SLIPS_PAGE_SIZE = 200  # QR slips: about 25 printed sheets a page


class LoginView(auth_views.LoginView):
    """Django's login form, whose failures django-axes counts; a right password then goes on
    through allauth's steps (students.signin), so an examiner with a second factor is asked
    for it before the session starts. An examiner's first login also takes their time zone
    from the browser (static/js/timezone.js fills the hidden field), so it is never UTC by
    accident."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(passkey_login=mfa_settings.PASSKEY_LOGIN_ENABLED, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        zone = self.request.POST.get("time_zone", "")
        if zone in time_zones():
            ExaminerProfile.objects.get_or_create(user=user, defaults={"time_zone": zone})
        return signin.continue_after_password(self.request, user, self.get_success_url())


def provider_sign_in(view):
    """One of allauth's views for a sign-in through a provider (its start or its callback),
    each of which fetches the provider's discovery document (or SAML metadata) first: a
    provider that cannot be reached gets a page saying so, not a 500."""

    @functools.wraps(view)
    def start(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OSError as error:  # requests' errors and urllib's are OSErrors
            log.warning("Sign-in provider unreachable: %r", error)
            context = {"unreachable": True}
            return render(request, "registration/sso_failed.html", context, status=503)

    return start


@login_required
def exam_list(request):
    exams = _exams_with_counts(Exam.objects.visible_to(request.user).active())
    archived = Exam.objects.visible_to(request.user).archived().count()
    return render(request, "students/exam_list.html", {"exams": exams, "archived": archived})


@login_required
@require_GET
def exam_list_archived(request):
    exams = _exams_with_counts(Exam.objects.visible_to(request.user).archived())
    return render(request, "students/exam_list_archived.html", {"exams": exams})


def _exams_with_counts(exams):
    return exams.select_related("owner").annotate(
        student_count=Count("students", distinct=True),
        submitted_count=Count(
            "students",
            filter=Q(
                students__submissions__isnull=False,
                students__submissions__superseded_at__isnull=True,
            ),
            distinct=True,
        ),
    )


@login_required
def exam_create(request):
    form = ExamForm(request.POST or None, instance=Exam.new_for(request.user))
    if form.is_valid():
        exam = form.save()
        messages.success(
            request,
            gettext("Created “%(title)s”. Now add your students.") % {"title": exam.title},
        )
        return redirect(exam)
    return render(request, "students/exam_form.html", {"form": form}, status=_status(form))


@login_required
def exam_edit(request, pk):
    exam = access.exam_to_change(request, pk)
    form = ExamForm(request.POST or None, instance=exam)
    if form.is_valid():
        form.save()
        messages.success(request, gettext("Saved."))
        return redirect(exam)
    context = {"form": form, "exam": exam}
    return render(request, "students/exam_form.html", context, status=_status(form))


@login_required
@require_GET
def exam_detail(request, pk):
    exam, summary = _watched(request, pk)
    form = RosterForm(request.GET)
    students = mail.with_last_mail(form.students(exam)).with_current_submission()
    students = students.with_awaiting_until()
    page = Paginator(students, RosterForm.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_mail_progress(exam),
        "exam": exam,
        "roster": form,
        "page": page,
        "students": page.object_list,
        "rows": roster.rows(page.object_list, request),
        **_live(exam, chart=True, summary=summary),
        # The next deletion, and whether more follow: one query, read once.
        "deletions": list(
            submission_model().objects.filter(student__exam=exam).deletion_schedule()[:2]
        ),
        "missing_files": _missing_files(exam),
        "now": timezone.now(),
        "query": _query_without_page(request),
    }
    return render(request, "students/exam_detail.html", context)


def _missing_files(exam):
    """Files a ZIP download found gone from storage, as the exam page names them."""
    submissions = submission_model().objects.filter(student__exam=exam).missing_from_storage()
    return submissions.select_related("student").order_by("student__nickname")


@login_required
@require_GET
def exam_live(request, pk):
    """The exam page's counts and newest uploads alone, for the page to refresh while the
    exam is open (static/js/live.js); with `?chart=1`, the chart of uploads too."""
    exam, summary = _watched(request, pk)
    context = _live(exam, chart=bool(request.GET.get("chart")), summary=summary)
    return render(request, "students/_live.html", context)


def _watched(request, pk):
    """An exam the examiner may see, or 404 (as access.exam), and its live summary: the
    exam, its access check and its summary come in one query (live.watch)."""
    exam, summary = live.watch(Exam.objects.visible_to(request.user), pk)
    if exam is None:
        raise Http404
    return access.zoned(exam), summary


def _live(exam, chart, summary=None):
    context = {
        "exam": exam,
        **(summary or live.summary(exam)),
        "poll_seconds": live.POLL_SECONDS,
        "chart_every": live.CHART_EVERY,
    }
    if chart and exam.has_opened():
        context["chart"] = live.chart(exam)
    return context


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def student_create(request, exam_pk):
    exam = access.exam_to_change(request, exam_pk)
    form = StudentForm(request.POST or None, instance=Student(exam=exam))
    if form.is_valid():
        try:
            student = form.save()
        except IntegrityError:
            form.add_error(
                "nickname", gettext("A student with this nickname is already in this exam.")
            )
        else:
            messages.success(request, gettext("Added %(name)s.") % {"name": student.full_name})
            if "add_another" in request.POST:
                return redirect("students:student_create", exam.pk)
            return redirect(student)
    context = {"form": form, "exam": exam}
    status = 422 if request.POST else 200
    return render(request, "students/student_form.html", context, status=status)


@login_required
def student_edit(request, exam_pk, pk):
    student = access.student_to_change(request, exam_pk, pk)
    form = StudentForm(request.POST or None, instance=student)
    if form.is_valid():
        try:
            form.save()
        except IntegrityError:
            form.add_error(
                "nickname", gettext("A student with this nickname is already in this exam.")
            )
        else:
            messages.success(request, gettext("Saved."))
            return redirect(student)
    context = {"form": form, "exam": student.exam, "student": student}
    status = 422 if request.POST else 200
    return render(request, "students/student_form.html", context, status=status)


def collapse_repeats(events):
    """The trail as shown: a run of identical consecutive events (same kind, file, detail
    and examiner) becomes its newest one, with `repeats` saying how many it stands for."""
    shown = []
    for event in events:
        same = (event.kind, event.submission_id, event.detail, event.by_id)
        if shown and shown[-1][1] == same:
            shown[-1][0].repeats += 1
            continue
        event.repeats = 1
        shown.append((event, same))
    return [event for event, _same in shown]


@login_required
@require_GET
def student_detail(request, exam_pk, pk):
    student = access.student(request, exam_pk, pk)
    context = {
        "exam": student.exam,
        "student": student,
        "upload_url": request.build_absolute_uri(student.get_upload_url()),
        "submissions": student.submissions.with_expiry(),
        # Two-step uploads' fingerprints, newest first: open, delivered, replaced, expired.
        "commitments": list(student.commitments.select_related("submission")[:50]),
        "events": collapse_repeats(student.events.select_related("by")[:200]),
        "mails": student.mails.all()[:50],
    }
    return render(request, "students/student_detail.html", context)


@login_required
@require_GET
def submission_download(request, exam_pk, pk, submission_pk):
    student = access.student(request, exam_pk, pk)
    submission = get_object_or_404(
        student.submissions, pk=submission_pk, file_deleted_at__isnull=True
    )
    return redirect(submission.download_url("by examiner", by=request.user))


@login_required
def student_new_link(request, exam_pk, pk):
    """A confirmation page (GET), then the new link (POST from it)."""
    student = access.student_to_change(request, exam_pk, pk)
    if request.method != "POST":
        return confirmations.page(
            request,
            confirmations.new_link(student),
            student.exam,
            student.get_absolute_url(),
            student=student,
        )
    student.change_upload_code(by=request.user)
    messages.success(
        request,
        gettext("%(name)s has a new upload link; the old one no longer works.")
        % {"name": student.first_name},
    )
    return redirect(student)


@login_required
def exam_state(request, pk):
    """Open now, close now, or follow the times again: a confirmation page saying what
    happens to how many students (GET ?state=…), then the change (POST from it)."""
    exam = access.exam_to_change(request, pk)
    form = ExamStateForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return redirect(exam)
    state = form.cleaned_data["state"]
    if request.method != "POST":
        if state == exam.manual_state:
            return redirect(exam)
        confirmation = confirmations.exam_state(exam, state)
        return confirmations.page(
            request, confirmation, exam, exam.get_absolute_url(), hidden={"state": state}
        )
    exam.set_manual_state(state)
    messages.success(
        request,
        gettext("“%(title)s”: %(state)s.")
        % {"title": exam.title, "state": exam.get_manual_state_display()},
    )
    return redirect(exam)


@login_required
def student_extension(request, exam_pk, pk):
    student = access.student_to_change(request, exam_pk, pk)
    form = ExtensionForm(request.POST or None, instance=student)
    if form.is_valid():
        student.extend_deadline(form.cleaned_data["extended_until"], by=request.user)
        if student.extended_until:
            tasks.notify_students(Mail.Kind.EXTENSION, Student.objects.filter(pk=student.pk))
        messages.success(
            request, gettext("Saved the deadline of %(name)s.") % {"name": student.full_name}
        )
        return redirect(student)
    context = {"exam": student.exam, "student": student, "form": form}
    return render(request, "students/student_extension.html", context, status=_status(form))


@login_required
def student_extra_uploads(request, exam_pk, pk):
    """Give one student extra uploads, or take them back (0): a form that says what it will
    do, then the post."""
    student = access.student_to_change(request, exam_pk, pk)
    form = ExtraUploadsForm(request.POST or None, initial={"extra_uploads": student.extra_uploads})
    if form.is_valid():
        student.give_extra_uploads(form.cleaned_data["extra_uploads"], by=request.user)
        if student.extra_uploads:
            tasks.notify_students(Mail.Kind.EXTRA_UPLOADS, Student.objects.filter(pk=student.pk))
        messages.success(
            request,
            ngettext(
                "%(name)s now has %(count)s upload in all.",
                "%(name)s now has %(count)s uploads in all.",
                student.max_uploads(),
            )
            % {"name": student.full_name, "count": student.max_uploads()},
        )
        return redirect(student)
    context = {"exam": student.exam, "student": student, "form": form}
    status = 422 if request.POST else 200
    return render(request, "students/student_extra_uploads.html", context, status=status)


@login_required
def time_zone(request):
    profile = ExaminerProfile.objects.filter(user=request.user).first()
    form = TimeZoneForm(
        request.POST or None, instance=profile or ExaminerProfile(user=request.user)
    )
    if form.is_valid():
        form.save()
        messages.success(
            request,
            gettext("Times are now shown in %(zone)s.") % {"zone": form.instance.time_zone},
        )
        return redirect(_safe_next(request) or "students:exam_list")
    return render(request, "students/time_zone.html", {"form": form}, status=_status(form))


def _status(form):
    """A form shown again after a post failed answers 422, so a failed post is told apart
    from a page view without reading the page."""
    return 422 if form.is_bound else 200


def _safe_next(request):
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


# --- Import ---------------------------------------------------------------------------


@login_required
@require_GET
def import_template(request):
    """An empty roster to fill in: the header row we read, and one example student."""
    return _csv_response(imports.TEMPLATE_ROWS, "students-template.csv", request)


@login_required
def import_upload(request, pk):
    exam = access.exam_to_change(request, pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    if form.is_valid():
        exam.pending_imports.all().delete()
        pending = exam.pending_imports.create(
            file_name=form.cleaned_data["file"].name, text=form.text, encoding=form.encoding
        )
        return redirect(pending)
    context = {"exam": exam, "form": form}
    return render(request, "students/import_upload.html", context, status=_status(form))


def _unreadable_import(request, pending, error):
    """A pending file that cannot be imported after all (kept before the upload step read
    every row): it goes, and the upload step says why, as it says for any file."""
    pending.delete()
    messages.error(request, str(error))
    return redirect("students:import_upload", pending.exam_id)


@login_required
@require_GET
def import_preview(request, exam_pk, pk):
    """Every row and its problems (`?show=problems`: only the rows with problems); the
    column step first when the header row does not say which column is which."""
    pending = access.pending_import(request, exam_pk, pk)
    try:
        preview = imports.preview(pending.exam, pending.text, pending.columns)
    except imports.ColumnsUnknown:
        return redirect("students:import_columns", pending.exam_id, pending.pk)
    except imports.UnreadableFile as error:
        return _unreadable_import(request, pending, error)
    problems_only = request.GET.get("show") == "problems"
    context = {
        "exam": pending.exam,
        "pending": pending,
        "preview": preview,
        "rows": preview.invalid_rows if problems_only else preview.rows,
        "problems_only": problems_only,
    }
    return render(request, "students/import_preview.html", context)


@login_required
def import_columns(request, exam_pk, pk):
    """Which column is which, for a file whose header row we do not recognise."""
    pending = access.pending_import(request, exam_pk, pk)
    header, sample = imports.head(pending.text)
    initial = pending.columns or imports.guess(header)
    form = ColumnsForm(header, sample, request.POST or None, initial=initial)
    if form.is_valid():
        pending.columns = form.columns
        pending.save(update_fields=["columns"])
        return redirect(pending)
    context = {
        "exam": pending.exam,
        "pending": pending,
        "form": form,
        "max_columns_offered": imports.MAX_COLUMNS_OFFERED,
        "column_count": number_format(len(header), force_grouping=True),
    }
    status = 422 if request.POST else 200
    return render(request, "students/import_columns.html", context, status=status)


@login_required
@require_GET
def import_skipped(request, exam_pk, pk):
    """The rows the import skips, as the file had them with their problems, as CSV."""
    pending = access.pending_import(request, exam_pk, pk)
    try:
        preview = imports.preview(pending.exam, pending.text, pending.columns)
    except imports.ColumnsUnknown:
        return redirect("students:import_columns", pending.exam_id, pending.pk)
    except imports.UnreadableFile as error:
        return _unreadable_import(request, pending, error)
    name = exports.file_name(pending.exam, "csv", "skipped-rows")
    return _csv_response(imports.skipped_rows(preview), name, request)


@login_required
@require_POST
def import_confirm(request, exam_pk, pk):
    pending = access.pending_import(request, exam_pk, pk)
    try:
        result = imports.confirm(pending)
    except imports.AlreadyImported:
        messages.info(request, gettext("This file was already imported or cancelled."))
        return redirect(pending.exam)
    except imports.ImportConflict as conflict:
        messages.error(request, str(conflict))
        return redirect(pending)
    except imports.UnreadableFile as error:
        return _unreadable_import(request, pending, error)
    skipped = len(result.invalid_rows)
    messages.success(
        request,
        _imported_message(len(result.valid_rows), skipped),
    )
    return redirect(pending.exam)


def _imported_message(imported, skipped):
    message = ngettext("Imported %(count)s student.", "Imported %(count)s students.", imported) % {
        "count": imported
    }
    if skipped:
        message += " " + ngettext(
            "Skipped %(count)s row with errors.", "Skipped %(count)s rows with errors.", skipped
        ) % {"count": skipped}
    return message


@login_required
@require_POST
def import_cancel(request, exam_pk, pk):
    pending = access.pending_import(request, exam_pk, pk)
    pending.delete()
    messages.success(request, gettext("Import cancelled; nobody was added."))
    return redirect(pending.exam)


# --- Exports --------------------------------------------------------------------------


@login_required
@require_GET
def roster_csv(request, pk):
    """The roster as the roster page lists it: its order (by the alphabet, not the
    database's collation), and its search and filter when the link carries them."""
    exam = access.exam(request, pk)
    students = RosterForm(request.GET).students(exam).select_related("exam")
    students = students.with_current_submission().with_open_commitment()

    def link(student):
        return request.build_absolute_uri(student.get_upload_url())

    rows = exports.roster_rows(exam, students.iterator(chunk_size=1000), link)
    return _csv_response(rows, exports.file_name(exam, "csv", "roster"), request)


def _csv_response(rows, name, request):
    """A CSV download for a spreadsheet, separated as `?sep=` asks (comma by default)."""
    delimiter = exports.delimiter(request.GET.get("sep", ""))
    response = StreamingHttpResponse(
        exports.csv_file(rows, delimiter), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


@login_required
@require_GET
def exam_slips(request, pk):
    exam = access.exam(request, pk)
    roster = RosterForm(request.GET)
    page = Paginator(roster.students(exam), SLIPS_PAGE_SIZE).get_page(request.GET.get("page"))
    slips = [
        (student, url, exports.qr_svg(url))
        for student in page.object_list
        for url in [request.build_absolute_uri(student.get_upload_url())]
    ]
    context = {"exam": exam, "page": page, "slips": slips, "query": _query_without_page(request)}
    return render(request, "students/exam_slips.html", context)


@login_required
@require_GET
def exam_zip(request, pk):
    exam = access.exam(request, pk)
    return exports.zip_response(request, exam, exports.zip_name(exam))


# --- Mail -----------------------------------------------------------------------------


@login_required
def mailing_new(request, pk, kind):
    """Write upload links or a reminder: the form, then a preview of one real mail and
    “Send to N students”, then the queue. The click queues rows; the worker sends."""
    exam = access.exam_to_change(request, pk)
    kind = Mailing.Kind(kind)
    subject, message = mail.words(exam, kind)
    default_audience = "waiting" if kind == Mailing.Kind.REMINDER else "never_sent"
    initial = {
        "audience": request.GET.get("audience", default_audience),
        "student": request.GET.getlist("student"),
        "subject": subject,
        "message": message,
    }
    form = MailingForm(exam, request.POST or None, initial=initial)
    context = {"exam": exam, "kind": kind, "form": form}
    if not form.is_valid():
        return render(
            request, "students/mailing_form.html", context, status=422 if request.POST else 200
        )
    data = form.cleaned_data
    students = form.students(kind)
    count = students.exclude(email="").count()
    if "send" in request.POST and data["expected"] == count and count:
        mail.remember_words(exam, kind, data["subject"], data["message"])
        mail.queue_mailing(exam, kind, data["subject"], data["message"], students, request.user)
        tasks.wake_worker()
        messages.success(
            request,
            ngettext(
                "%(count)s mail is queued; the progress shows below.",
                "%(count)s mails are queued; the progress shows below.",
                count,
            )
            % {"count": count},
        )
        return redirect(exam)
    context.update(
        count=count,
        changed="send" in request.POST and data["expected"] != count,
        preview=mail.preview(exam, kind, data["subject"], data["message"], students),
        without_address=students.filter(email="").order_by("last_name", "first_name")[:200],
        without_address_count=students.filter(email="").count(),
    )
    return render(request, "students/mailing_form.html", context)


@login_required
@require_POST
def mailing_resend(request, pk, mailing_pk):
    exam = access.exam_to_change(request, pk)
    mailing = get_object_or_404(exam.mailings, pk=mailing_pk)
    count = outbox.requeue(mailing.mails.all())
    if count:
        tasks.wake_worker()
    messages.success(
        request,
        ngettext(
            "%(count)s failed mail is queued again.",
            "%(count)s failed mails are queued again.",
            count,
        )
        % {"count": count},
    )
    return redirect(exam)


@login_required
@require_GET
def mailing_progress(request, pk):
    """The exam page's mail progress alone, for the page to refresh while mail goes out."""
    exam = access.exam(request, pk)
    return render(request, "students/_mail_progress.html", {"exam": exam, **_mail_progress(exam)})


def _mail_progress(exam):
    mailings = list(exam.mailings.all()[:3])
    for mailing in mailings:
        mailing.progress = mailing.mails.progress()
    return {"mailings": mailings, "sending": any(m.progress["waiting"] for m in mailings)}


@login_required
def exam_mail_settings(request, pk):
    exam = access.exam_to_change(request, pk)
    form = ExamMailForm(
        request.POST or None,
        instance=ExamMail.objects.filter(exam=exam).first() or ExamMail(exam=exam),
    )
    if form.is_valid():
        form.save()
        messages.success(request, gettext("Saved the mail settings."))
        return redirect(exam)
    status = 422 if request.POST else 200
    return render(
        request, "students/exam_mail_settings.html", {"exam": exam, "form": form}, status=status
    )


# --- Examiner accounts ----------------------------------------------------------------


@login_required
def examiner_invite(request):
    """Superusers invite examiners by mail (as `manage.py invite_examiner EMAIL` does)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    form = InviteForm(request.POST or None)
    if form.is_valid():
        try:
            accounts.invite(form.cleaned_data["email"], invited_by=request.user)
        except accounts.CannotInvite as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                gettext("Invited %(email)s; the mail is on its way.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("students:examiner_invite")
    status = 422 if request.POST else 200
    return render(request, "students/examiner_invite.html", {"form": form}, status=status)
