"""
The exam page's roster: what each of its rows says, worked out once in Python.

A page shows 50 rows. Through the template language, with a dozen translated phrases, three
links and three times in each row, they cost about half a millisecond of CPU each, 25 ms a
page; worked out here, a fraction of that (bench/pages.py). The page's template lays the rows
out; the phrases keep their catalog entries.
"""

import functools
from dataclasses import dataclass, field

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy, ngettext

from students import times

# The last mail's kind, for the kinds sent to one student from the roster; others show no
# kind, only their state.
MAIL_KINDS = {
    "link": gettext_lazy("link"),
    "reminder": gettext_lazy("reminder"),
    "receipt": gettext_lazy("receipt"),
}
MAIL_ERROR_CHARS = 80


@dataclass
class Badge:
    kind: str  # its CSS class: ok, late, waiting, spent, extension, extra
    text: str
    title: str = ""


@dataclass
class Row:
    student: object
    submission: object  # the current one, or None
    url: str
    upload_link: str
    select_label: str
    copy_label: str
    uploads: str
    badges: list = field(default_factory=list)
    last_upload: str = ""
    download_url: str = ""
    download_label: str = ""
    size: str = ""
    kept_until: str = ""
    mail_kind: str = ""
    mail_state: str = ""
    mail_error: str = ""


def rows(students, request):
    """The rows of `students` (annotated by mail.with_last_mail, with their current
    submission prefetched), in the active language and zone."""
    when = functools.cache(times.format_time)  # most files of an exam go at the same time
    site = f"{request.scheme}://{request.get_host()}"
    return [_row(student, student.current_submission, site, when) for student in students]


def _row(student, submission, site, when):
    name = student.full_name
    row = Row(
        student=student,
        submission=submission,
        url=student.get_absolute_url(),
        upload_link=site + student.get_upload_url(),
        select_label=gettext("Select %(name)s") % {"name": name},
        copy_label=gettext("Copy link for %(name)s") % {"name": name},
        uploads=gettext("%(used)s of %(max)s")
        % {"used": student.uploads_used, "max": student.max_uploads()},
        badges=badges(student, submission, when),
    )
    if submission:
        row.last_upload = when(submission.accepted_at, "short")
        if submission.has_file():
            row.download_url = reverse(
                "students:submission_download",
                args=[student.exam_id, student.pk, submission.pk],
            )
            row.download_label = gettext("Download the file of %(name)s") % {"name": name}
            row.size = filesizeformat(submission.size)
            row.kept_until = (
                gettext("kept until %(until)s") % {"until": when(submission.expires_at, "short")}
                if submission.expires_at
                else gettext("kept until after the close")
            )
    state = student.last_mail_state
    if state:
        kind = MAIL_KINDS.get(student.last_mail_kind)
        row.mail_kind = str(kind) if kind else ""
        row.mail_state = {"sent": gettext("sent"), "failed": gettext("failed")}.get(
            state, gettext("queued")
        )
        if state == "failed":
            row.mail_error = Truncator(student.last_mail_error).chars(MAIL_ERROR_CHARS)
    return row


def badges(student, submission, when=times.format_time):
    """What the status column says of a student: submitted (late or not) or not yet, and
    whether uploads are used up, their own deadline, their extra uploads."""
    if submission is None:
        found = [Badge("waiting", gettext("not yet"))]
    elif submission.is_late():
        found = [
            Badge("late", gettext("late by %(by)s") % {"by": times.duration(submission.late_by)})
        ]
    else:
        found = [Badge("ok", gettext("submitted"))]
    if not student.uploads_left():
        found.append(Badge("spent", gettext("no uploads left")))
    if student.extended_until:
        until = when(student.extended_until, "short")
        found.append(
            Badge(
                "extension",
                gettext("extension to %(until)s") % {"until": until},
                title=gettext("Own deadline"),
            )
        )
    if student.extra_uploads:
        extra = student.extra_uploads
        text = ngettext("%(extra)s extra upload", "%(extra)s extra uploads", extra)
        found.append(Badge("extra", text % {"extra": extra}))
    return found
