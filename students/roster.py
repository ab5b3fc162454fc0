"""
The exam page's roster: what each of its rows says, worked out once in Python.

A page shows 50 rows. Through the template language, with a dozen translated phrases, three
links and three times in each row, they cost about half a millisecond of CPU each, 25 ms a
page; worked out here, a fraction of that (bench/pages.py). The links are reversed once for
the page (`link`), the phrases translated once (each translation goes through the thread's
active language) and the times written by one writer (students.times.writer). The page's
template lays the rows out; the phrases keep their catalog entries. Each row is a plain
dict, all the template reads of it: a key is the template language's first try, where a
model's or a dataclass's attribute costs it a raised and caught TypeError first.
"""

import functools
import re

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from students import times

MAIL_ERROR_CHARS = 80


class Phrases:
    """The rows' phrases in the active language, translated once for all of a page's rows."""

    def __init__(self):
        self.select = gettext("Select %(name)s")
        self.copy = gettext("Copy link for %(name)s")
        self.uploads = gettext("%(used)s of %(max)s")
        self.download = gettext("Download the file of %(name)s")
        self.kept_until = gettext("kept until %(until)s")
        self.kept_until_close = gettext("kept until after the close")
        self.waiting = gettext("not yet")
        self.late = gettext("late by %(by)s")
        self.submitted = gettext("submitted")
        self.spent = gettext("no uploads left")
        self.extension = gettext("extension to %(until)s")
        self.own_deadline = gettext("Own deadline")
        # The last mail: its kind, for the kinds sent to one student from the roster (others
        # show their state only), and its state.
        self.mail_kinds = {
            "link": gettext("link"),
            "reminder": gettext("reminder"),
            "receipt": gettext("receipt"),
        }
        self.mail_states = {"sent": gettext("sent"), "failed": gettext("failed")}
        self.mail_queued = gettext("queued")


ROW = object()  # an argument of a link that each row fills in


def link(name, *args):
    """The path reverse(name, args=...) gives, as a function of the arguments marked ROW:
    reversed once, with markers for them, rather than once for each row. reverse() costs
    15-20 µs of CPU (mostly finding the URL's namespace) and each row has three links. The
    markers are digits, which every converter takes; the values filled in are numbers and
    upload codes (URL-safe), which reverse() would put in as they are."""
    markers = [f"918273645546372819{n}" for n in range(args.count(ROW))]
    marks = iter(markers)
    path = reverse(name, args=[next(marks) if arg is ROW else arg for arg in args])
    pieces = re.split("|".join(markers), path)
    assert len(pieces) == len(markers) + 1, path

    def fill(*values):
        filled = zip(pieces[:-1], values, strict=True)
        return "".join(piece + str(value) for piece, value in filled) + pieces[-1]

    return fill


def rows(students, request):
    """The rows of `students` (annotated by mail.with_last_mail, with their current
    submission prefetched), in the active language and zone."""
    links = {
        "detail": link("students:student_detail", ROW, ROW),
        "download": link("students:submission_download", ROW, ROW, ROW),
        "upload": link("submissions:upload", ROW),
    }
    phrases = Phrases()
    when = functools.cache(times.writer("short"))  # most files of an exam go at one time
    site = f"{request.scheme}://{request.get_host()}"
    return [_row(student, links, phrases, when, site) for student in students]


def _row(student, links, phrases, when, site):
    """A row: the student's pk, name, nickname, email and links (url, upload_link) with their
    labels, uploads ("1 of 5"), status badges; with a current submission, its code, time
    (last_upload) and, while it has its file, download_url, download_label, size and
    kept_until; the last mail's state (mail_state_key: sent, failed, queued or sending),
    kind, state and error as shown."""
    name = student.full_name
    submission = student.current_submission
    row = {
        "pk": student.pk,
        "name": name,
        "nickname": student.nickname,
        "email": student.email,
        "url": links["detail"](student.exam_id, student.pk),
        "upload_link": site + links["upload"](student.upload_code),
        "select_label": phrases.select % {"name": name},
        "copy_label": phrases.copy % {"name": name},
        "uploads": phrases.uploads % {"used": student.uploads_used, "max": student.max_uploads()},
        "badges": badges(student, submission, phrases, when),
        "awaiting_note": student.awaiting_note,  # a committed file awaited, or ""
        "submission": bool(submission),
        "download_url": "",
        "mail_state": "",
    }
    if submission:
        row["code"] = submission.display_code
        row["last_upload"] = when(submission.accepted_at)
        if submission.has_file():
            row["download_url"] = links["download"](student.exam_id, student.pk, submission.pk)
            row["download_label"] = phrases.download % {"name": name}
            row["size"] = filesizeformat(submission.size)
            row["kept_until"] = (
                phrases.kept_until % {"until": when(submission.expires_at)}
                if submission.expires_at
                else phrases.kept_until_close
            )
    if last_mail := student.last_mail:
        state = last_mail["state"]
        row["mail_state_key"] = state
        row["mail_title"] = last_mail["error"]
        row["mail_kind"] = phrases.mail_kinds.get(last_mail["kind"], "")
        row["mail_state"] = phrases.mail_states.get(state, phrases.mail_queued)
        if state == "failed":
            row["mail_error"] = Truncator(last_mail["error"]).chars(MAIL_ERROR_CHARS)
    return row


def badges(student, submission, phrases, when):
    """What the status column says of a student, as badges (kind: their CSS class; text;
    title): submitted (late or not) or not yet, and whether uploads are used up, their own
    deadline, their extra uploads."""
    if submission is None:
        found = [{"kind": "waiting", "text": phrases.waiting}]
    elif submission.is_late():
        late = phrases.late % {"by": times.duration(submission.late_by)}
        found = [{"kind": "late", "text": late}]
    else:
        found = [{"kind": "ok", "text": phrases.submitted}]
    if not student.uploads_left():
        found.append({"kind": "spent", "text": phrases.spent})
    if student.extended_until:
        text = phrases.extension % {"until": when(student.extended_until)}
        found.append({"kind": "extension", "text": text, "title": phrases.own_deadline})
    if extra := student.extra_uploads:
        text = ngettext("%(extra)s extra upload", "%(extra)s extra uploads", extra)
        found.append({"kind": "extra", "text": text % {"extra": extra}})
    return found
