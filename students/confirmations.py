"""
What a destructive or exam-wide action will do, in words, for its confirmation page: how
many students it touches and how. Each function returns the page's heading, its lines and
the label of the one button that does it (a POST from that page).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from students import times
from students.models import Exam, submission_model

NAMED = 10  # extensions named one by one on the Close now page; the rest counted


@dataclass
class Confirmation:
    heading: str
    lines: list = field(default_factory=list)
    button: str = ""
    danger: bool = True


def _students(count):
    return ngettext("%(count)s student", "%(count)s students", count) % {"count": count}


def _awaited_files(committed):
    """Closing by hand refuses the files still awaited after a commitment: say so."""
    if not committed:
        return []
    return [
        ngettext(
            "%(count)s of them committed a file whose bytes have not arrived yet: it is then "
            "refused, even within its delivery window.",
            "%(count)s of them committed a file whose bytes have not arrived yet: those files "
            "are then refused, even within their delivery window.",
            committed,
        )
        % {"count": committed}
    ]


def exam_state(exam, state):
    counts = exam.roster_counts()
    total, waiting = counts["total"], counts["waiting"]
    if state == Exam.State.CLOSED:
        return Confirmation(
            gettext("Close uploads now?"),
            [
                ngettext(
                    "Uploads stop at once for the %(students)s, whatever the times say, "
                    "until you open the exam again or hand it back to its times.",
                    "Uploads stop at once for all %(students)s, whatever the times say, "
                    "until you open the exam again or hand it back to its times.",
                    total,
                )
                % {"students": _students(total)},
                ngettext(
                    "%(count)s of them has not submitted yet and then cannot.",
                    "%(count)s of them have not submitted yet and then cannot.",
                    waiting,
                )
                % {"count": waiting},
                *_awaited_files(counts["committed"]),
                *_closing_changes(exam),
            ],
            gettext("Close now"),
        )
    if state == Exam.State.OPEN:
        return Confirmation(
            gettext("Open uploads now?"),
            [
                ngettext(
                    "The %(students)s can upload from now on, whatever the times say (with "
                    "uploads left), until you close the exam by hand. Uploads after the due "
                    "time are still marked late.",
                    "All %(students)s can upload from now on, whatever the times say (those "
                    "with uploads left), until you close the exam by hand. Uploads after the "
                    "due time are still marked late.",
                    total,
                )
                % {"students": _students(total)},
                ngettext(
                    "Files are kept until %(days)s day after you close it.",
                    "Files are kept until %(days)s days after you close it.",
                    exam.retention_days,
                )
                % {"days": exam.retention_days},
            ],
            gettext("Open now"),
        )
    return Confirmation(
        gettext("Follow the exam's times again?"),
        [
            ngettext(
                "Uploads for the %(students)s then open and close by the exam's times and "
                "their extension, starting now.",
                "Uploads for all %(students)s then open and close by the exam's times and "
                "each student's extension, starting now.",
                total,
            )
            % {"students": _students(total)},
        ],
        gettext("Follow the times"),
        danger=False,
    )


def _closing_changes(exam, now=None):
    """What closing now moves besides the uploads: the files' deletion date, and every
    extension that has not run out, with its date."""
    now = now or timezone.now()
    zone = exam.zone
    deleted_on = now + timedelta(days=exam.retention_days)
    first = submission_model().objects.filter(student__exam=exam).deletion_schedule().first()
    lines = []
    if first and first["expires_at"] != deleted_on:
        lines.append(
            gettext(
                "The files are then deleted on %(new)s, %(days)s days from now, instead of "
                "%(old)s as now planned."
            )
            % {
                "new": times.format_time(deleted_on, "long", zone),
                "days": exam.retention_days,
                "old": times.format_time(first["expires_at"], "long", zone),
            }
        )
    elif first is None:
        lines.append(
            gettext("Files uploaded until then are deleted on %(new)s.")
            % {"new": times.format_time(deleted_on, "long", zone)}
        )
    extended = exam.students.filter(extended_until__gt=now).order_by("extended_until", "pk")
    count = extended.count()
    if count:
        named = ", ".join(
            gettext("%(name)s (until %(when)s)")
            % {
                "name": student.full_name,
                "when": times.format_time(student.extended_until, "", zone),
            }
            for student in extended[:NAMED]
        )
        lines.append(
            ngettext(
                "%(count)s extension ends with it: %(names)s.",
                "%(count)s extensions end with it: %(names)s.",
                count,
            )
            % {"count": count, "names": named}
            + (
                " "
                + ngettext("… and %(more)s more.", "… and %(more)s more.", count - NAMED)
                % {"more": count - NAMED}
                if count > NAMED
                else ""
            )
        )
    return lines


def new_link(student):
    return Confirmation(
        gettext("Make a new upload link for %(name)s?") % {"name": student.full_name},
        [
            gettext(
                "The link %(name)s has now stops working at once; they can only upload with "
                "the new one, so you need to send it to them. Their uploads so far stay."
            )
            % {"name": student.first_name},
        ],
        gettext("Make a new link"),
    )


def remove_student(student, total):
    uploads = student.submissions.count()
    files = student.submissions.with_file().count()
    return Confirmation(
        gettext("Remove %(name)s from this exam?") % {"name": student.full_name},
        [
            ngettext(
                "Their %(count)s upload, with its verification code and receipt, and their "
                "audit trail are deleted, and nobody can look the code up any more.",
                "Their %(count)s uploads, with their verification codes and receipts, and "
                "their audit trail are deleted, and nobody can look the codes up any more.",
                uploads,
            )
            % {"count": uploads}
            if uploads
            else gettext("They have uploaded nothing; their audit trail is deleted."),
            ngettext(
                "%(count)s stored file is deleted from storage first.",
                "%(count)s stored files are deleted from storage first.",
                files,
            )
            % {"count": files},
            gettext("Their upload link stops working. The roster then counts %(students)s.")
            % {"students": _students(total - 1)},
        ],
        gettext("Remove the student"),
    )


def archive(exam):
    counts = exam.roster_counts()
    lines = [
        gettext(
            "It leaves your list of exams (and that of everyone who shares it) for the "
            "archive, where its pages stay readable but nothing in it can be changed until "
            "you restore it."
        ),
        gettext(
            "Its %(students)s keep their links; uploads open and close by its times as "
            "before, and files are deleted when their retention ends, as before."
        )
        % {"students": _students(counts["total"])},
    ]
    if exam.is_open():
        lines.append(gettext("It takes uploads now. Close it first if it should not."))
    return Confirmation(
        gettext("Archive “%(title)s”?") % {"title": exam.title},
        lines,
        gettext("Archive"),
        danger=False,
    )


def delete_exam(exam):
    counts = exam.roster_counts()
    submissions = submission_model().objects.filter(student__exam=exam)
    uploads, files = submissions.count(), submissions.with_file().count()
    return Confirmation(
        gettext("Delete “%(title)s”?") % {"title": exam.title},
        [
            gettext(
                "The exam and its %(students)s are deleted for good, for you and for everyone "
                "who shares it, with their audit trails."
            )
            % {"students": _students(counts["total"])},
            ngettext(
                "%(count)s upload is deleted with them; its verification code stops working.",
                "%(count)s uploads are deleted with them; their verification codes stop working.",
                uploads,
            )
            % {"count": uploads},
            ngettext(
                "%(count)s stored file is deleted from storage first.",
                "%(count)s stored files are deleted from storage first.",
                files,
            )
            % {"count": files},
        ],
        gettext("Delete the exam"),
    )


def page(request, confirmation, exam, cancel, student=None, hidden=None, form=None, status=200):
    """The confirmation page: the lines, then a form that posts back to this same URL."""
    context = {
        "confirmation": confirmation,
        "exam": exam,
        "student": student,
        "action": request.path,
        "cancel": cancel,
        "hidden": hidden or {},
        "form": form,
    }
    return render(request, "students/confirm.html", context, status=status)
