"""Acting on many of the roster's students at once: the rows ticked, or every student the
roster's search and filter match. Each action first shows what it will do to how many
students; the confirmation posts back, and only that post acts (no JavaScript needed)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from students import access, exports, mail, tasks, times
from students.forms import BulkForm, MailingForm
from students.models import Mail, Mailing


@login_required
@require_http_methods(["GET", "POST"])
def bulk_action(request, pk):
    exam = access.exam_to_change(request, pk)
    form = BulkForm(exam, request.POST if request.method == "POST" else request.GET)
    if not form.has_selection():
        return render(
            request, "students/bulk_confirm.html", {"exam": exam, "form": form}, status=422
        )
    students = form.students()
    if form.cleaned_data["action"] == "email":
        return _email(request, exam, students)
    count = students.count()
    if request.method == "POST" and form.is_ready(count):
        return ACTIONS[form.cleaned_data["action"]](request, exam, form, students)
    context = {
        "exam": exam,
        "form": form,
        "count": count,
        "files": exports.archive_submissions(exam, students).count(),
        "changed": request.method == "POST" and form.cleaned_data.get("expected") != count,
        "roster": form.roster,
    }
    status = 422 if request.method == "POST" or form.errors else 200
    return render(request, "students/bulk_confirm.html", context, status=status)


def _extend(request, exam, form, students):
    until = form.cleaned_data["extended_until"]
    count = students.extend_deadlines(until, by=request.user)
    if until:
        tasks.notify_students(Mail.Kind.EXTENSION, students)
    messages.success(
        request,
        ngettext(
            "%(count)s student now has the deadline %(time)s.",
            "%(count)s students now have the deadline %(time)s.",
            count,
        )
        % {"count": count, "time": times.format_time(until, "long")},
    )
    return redirect(exam)


def _extra_uploads(request, exam, form, students):
    extra = form.cleaned_data["extra_uploads"]
    count = students.give_extra_uploads(extra, by=request.user)
    if extra:
        tasks.notify_students(Mail.Kind.EXTRA_UPLOADS, students)
    messages.success(
        request,
        ngettext(
            "%(count)s student now has %(extra)s extra uploads.",
            "%(count)s students now have %(extra)s extra uploads each.",
            count,
        )
        % {"count": count, "extra": extra},
    )
    return redirect(exam)


def _zip(request, exam, form, students):
    return exports.zip_response(request, exam, exports.zip_name(exam, selected=True), students)


def _email(request, exam, students):
    """The upload-link mail to the students chosen: its own form, preview and “Send to N
    students” confirmation, with the students carried along."""
    kind = Mailing.Kind.LINK
    subject, message = mail.words(exam, kind)
    initial = {
        "audience": "selected",
        "student": list(students.values_list("pk", flat=True)),
        "subject": subject,
        "message": message,
    }
    context = {
        "exam": exam,
        "kind": kind,
        "form": MailingForm(exam, initial=initial),
        "form_action": reverse("students:mail_links", args=[exam.pk]),
    }
    return render(request, "students/mailing_form.html", context)


ACTIONS = {"extend": _extend, "extra_uploads": _extra_uploads, "zip": _zip}
