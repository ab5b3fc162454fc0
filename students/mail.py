"""
The examiner's side's mail: upload links and reminders to students, notices to the
examiner, invitations and password resets. Each mail is queued as an outbox row
(students.outbox_models.Mail) and written in its recipient's language by the worker.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, JSONObject
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext, gettext_lazy, ngettext

from students import times
from students.models import ExamMail, Mail, Mailing, Student

PLACEHOLDERS = {
    "name": gettext_lazy("the student's name"),
    "link": gettext_lazy("their personal upload link"),
    "deadline": gettext_lazy("their deadline, with its time zone"),
    "exam": gettext_lazy("the exam's title"),
    "instructions": gettext_lazy("the exam's instructions"),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")

DEFAULT_WORDS = {
    Mailing.Kind.LINK: (
        gettext_lazy("Your upload link for {exam}"),
        gettext_lazy(
            "Dear {name},\n\n"
            "here is your personal link for uploading your answers to “{exam}”:\n\n"
            "{link}\n\n"
            "Deadline: {deadline}\n\n"
            "{instructions}\n\n"
            "The link is yours alone: anyone who has it can upload in your name."
        ),
    ),
    Mailing.Kind.REMINDER: (
        gettext_lazy("Reminder: {exam} is due {deadline}"),
        gettext_lazy(
            "Dear {name},\n\n"
            "we have no answers from you yet for “{exam}”. The deadline is {deadline}.\n\n"
            "Upload them with your personal link:\n\n"
            "{link}"
        ),
    ),
}


# --- A mail's language and times ---------------------------------------------------------


def language(person=None):
    """The language a mail is written in: a student's own, else their exam's; an exam's;
    anyone else's (an examiner) the one active now (the request's), else the site's."""
    if isinstance(person, Student):
        return person.mail_language()
    return getattr(person, "language", "") or translation.get_language() or settings.LANGUAGE_CODE


# What a mail shows of times, sizes and durations is written when the mail is, in its
# recipient's language: these give lazy text, so a context built before that language
# applies (or in the sender's) still comes out whole in the recipient's.
_later = lazy(lambda function, *args: function(*args), str)


def format_time(moment, zone):
    """A time as every page writes it, with its zone: “Friday 12 March 2027, 14:00 CET”."""
    return _later(times.format_time, moment, "long", zone)


def file_size(size):
    """“2.5 MB”, “2,5 MB” in German."""
    return _later(filesizeformat, size)


def duration(span):
    """“2 h 13 min”."""
    return _later(times.duration, span)


def days_after_close(days):
    """“3 days after uploads close”."""
    return _later(
        lambda: (
            ngettext("%(days)d day after uploads close", "%(days)d days after uploads close", days)
            % {"days": days}
        )
    )


# --- Words with placeholders ----------------------------------------------------------


def unknown_placeholders(text):
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def fill(text, values, html=False):
    """The examiner's words with each {placeholder} replaced. In HTML every piece is
    escaped, the link becomes a link, and blank lines make paragraphs."""
    if not html:
        filled = PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
        return re.sub(r"\n{3,}", "\n\n", filled).strip()
    pieces, last = [], 0
    for match in PLACEHOLDER.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        name = match.group(1)
        value = escape(values.get(name, match.group(0)))
        pieces.append(f'<a href="{value}">{value}</a>' if name == "link" else value)
        last = match.end()
    pieces.append(escape(text[last:]))
    return linebreaks(re.sub(r"\n{3,}", "\n\n", "".join(pieces)).strip())


def one_line(text):
    """A header's text: every run of white space (line breaks included) one space."""
    return " ".join(str(text).split())


def upload_link(student):
    return settings.SITE_URL + student.get_upload_url()


def values_for(student):
    exam = student.exam
    deadline = student.deadline()
    return {
        "name": student.full_name,
        "link": upload_link(student),
        "deadline": str(format_time(deadline, exam.zone)) if deadline else gettext("none"),
        "exam": exam.title,
        "instructions": exam.instructions,
    }


# --- Upload links and reminders -------------------------------------------------------


def words(exam, kind):
    """The subject and message this exam's examiner last used for `kind`, or the defaults."""
    saved = ExamMail.objects.filter(exam=exam).first()
    if kind == Mailing.Kind.REMINDER:
        subject, message = (saved.reminder_subject, saved.reminder_message) if saved else ("", "")
    else:
        subject, message = (saved.subject, saved.message) if saved else ("", "")
    default_subject, default_message = DEFAULT_WORDS[kind]
    with translation.override(exam.language):  # the exam's language, not the screen's
        return subject or str(default_subject), message or str(default_message)


def are_default_words(kind, subject, message):
    """True if `subject` and `message` are the default words of `kind` in one of our
    languages: then each student gets them in their own (stored as empty words)."""
    default_subject, default_message = DEFAULT_WORDS[kind]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            if (subject.strip(), message.strip()) == (
                str(default_subject).strip(),
                str(default_message).strip(),
            ):
                return True
    return False


def words_for_mail(kind, subject, message):
    """The words a mail is written from: the mailing's own, or (stored empty) the default
    words in the active language, the mail's."""
    default_subject, default_message = DEFAULT_WORDS[kind]
    return subject or str(default_subject), message or str(default_message)


def remember_words(exam, kind, subject, message):
    if are_default_words(kind, subject, message):
        subject, message = "", ""
    if kind == Mailing.Kind.REMINDER:
        words = {"reminder_subject": subject, "reminder_message": message}
    else:
        words = {"subject": subject, "message": message}
    ExamMail.objects.update_or_create(exam=exam, defaults=words)


def never_sent(students, kind=Mailing.Kind.LINK):
    """Students with no mail of this kind queued, on its way, or sent (failed ones count
    as never sent)."""
    mails = Mail.objects.filter(student=OuterRef("pk"), kind=kind).exclude(state=Mail.State.FAILED)
    return students.filter(~Exists(mails))


def queue_mailing(exam, kind, subject, message, students, user=None, key=None):
    """One outbox row for each of `students` that has an address, in one transaction (the
    caller wakes the worker: students.tasks.wake_worker). Returns the Mailing (None if `key`
    was used before)."""
    if are_default_words(kind, subject, message):
        subject, message = "", ""  # written in each student's language when sent
    fields = {"exam": exam, "kind": kind, "subject": subject, "message": message}
    with transaction.atomic():
        if key:
            mailing, created = Mailing.objects.get_or_create(key=key, defaults=fields)
        else:
            mailing, created = Mailing.objects.create(created_by=user, **fields), True
        if not created:
            return None
        _insert_mails(mailing, students.exclude(email=""))
    return mailing


def _insert_mails(mailing, students):
    """One queued row per student in a single INSERT … SELECT: the database makes 1,000
    rows in milliseconds, where building them in Python took most of a second. The worker
    writes the Message-ID when it takes a mail, and the body as it sends it."""
    now = timezone.now()
    columns = {
        "key": Concat(Value(f"mailing:{mailing.pk}:"), Cast("pk", CharField())),
        "kind": Value(mailing.kind),
        "mailing_id": Value(mailing.pk),
        "exam_id": Value(mailing.exam_id),
        "student_id": F("pk"),
        "to": F("email"),
        "language": Case(When(language="", then=F("exam__language")), default=F("language")),
        "subject": Value(""),
        "text": Value(""),
        "html": Value(""),
        "message_id": Value(""),
        "state": Value(Mail.State.QUEUED),
        "attempts": Value(0),
        "error": Value(""),
        "created_at": Value(now, DateTimeField()),
        "next_attempt_at": Value(now, DateTimeField()),
    }
    select = (
        students.order_by()
        .annotate(**{f"mail_{name}": value for name, value in columns.items()})
        .values_list(*(f"mail_{name}" for name in columns))
    )
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(Mail._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(Mail._meta.db_table)} ({names}) {sql}", params)


def render_mailing_mail(mail):
    """Write a link or reminder mail, now, in its student's language (not saved here: the
    outbox stores it with the outcome of the try)."""
    student = Student.objects.select_related("exam").get(pk=mail.student_id)
    mailing = mail.mailing
    name = "upload_link" if mailing.kind == Mailing.Kind.LINK else "reminder"
    with translation.override(mail.language):
        values = values_for(student)  # the deadline as the student's language writes it
        subject, message = words_for_mail(mailing.kind, mailing.subject, mailing.message)
        context = {
            "exam": student.exam,
            "text": fill(message, values),
            "html": fill(message, values, html=True),
        }
        mail.subject = one_line(fill(subject, values))[:300]
        mail.text = render_to_string(f"students/mail/{name}.txt", context)
        mail.html = render_to_string(f"students/mail/{name}.html", context)
    # Stored by the outbox with the try's outcome.


def preview(exam, kind, subject, message, students):
    """The mail the first student with an address would get, written now (not queued)."""
    student = students.exclude(email="").select_related("exam").first()
    if student is None:
        return None
    mailing = Mailing(exam=exam, kind=kind, subject=subject, message=message)
    mail = Mail(mailing=mailing, student=student, to=student.email, language=language(student))
    mail.student_id = student.pk
    name = "upload_link" if kind == Mailing.Kind.LINK else "reminder"
    if are_default_words(kind, subject, message):
        subject, message = "", ""
    with translation.override(mail.language):
        subject, message = words_for_mail(kind, subject, message)
        values = values_for(student)
        context = {
            "exam": exam,
            "text": fill(message, values),
            "html": fill(message, values, html=True),
        }
        mail.subject = one_line(fill(subject, values))
        mail.text = render_to_string(f"students/mail/{name}.txt", context)
        mail.html = render_to_string(f"students/mail/{name}.html", context)
    return mail


def with_last_mail(students):
    """Annotates each student's latest mail, `last_mail`: {"kind", "state", "error"}, or None
    without one. One subquery for all three, not one each: the roster page builds, compiles
    and runs it for a page of students on every view."""
    last = Mail.objects.filter(student=OuterRef("pk")).order_by("-created_at", "-pk")
    facts = JSONObject(kind="kind", state="state", error="error")
    return students.annotate(last_mail=Subquery(last.values(facts=facts)[:1]))


# --- Mail made whole when queued (one recipient, written in the request or the task) ---


def write(template, context, lang):
    """A mail's subject, text and HTML from `template` (.txt, .html and a one-line
    _subject.txt), written in `lang`. `context` may be a function, called inside the
    language's block, so that dates and sizes are formatted in that language too."""
    with translation.override(lang):
        context = {**(context() if callable(context) else context), "site_url": settings.SITE_URL}
        subject = one_line(render_to_string(f"{template}_subject.txt", context))
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return subject[:300], text, html


# Mails queued before they are written (mailings, receipts) are written by the worker as it
# takes them, by the renderer of their kind: `renders(kind)` registers one.
RENDERERS = {}


def renders(kind):
    def register(render):
        RENDERERS[kind] = render
        return render

    return register


def render_mail(mail):
    """Write a mail queued unwritten, by its kind's renderer (a mailing's by its mailing)."""
    if mail.mailing_id:
        return render_mailing_mail(mail)
    return RENDERERS[mail.kind](mail)


def queue(key, kind, to, template, context, lang=None, **links):
    """Write one mail from `template` (.txt, .html and a one-line _subject.txt) in `lang`
    and queue it under `key`; an existing key makes nothing. Returns the Mail or None. The
    caller wakes the worker (students.tasks.wake_worker)."""
    lang = lang or settings.LANGUAGE_CODE
    subject, text, html = write(template, context, lang)
    mail, created = Mail.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "to": to,
            "language": lang,
            "subject": subject,
            "text": text,
            "html": html,
            **links,
        },
    )
    return mail if created else None


# --- Notices: a student's new deadline or uploads, a co-examiner's new exam -------------

STUDENT_NOTICES = {
    Mail.Kind.EXTENSION: "students/mail/extension",
    Mail.Kind.EXTRA_UPLOADS: "students/mail/extra_uploads",
}


def queue_student_notices(kind, ids, stamp):
    """The notice of `kind` to each student of `ids`, in their language, once per change
    (`stamp`): their deadline now, or their uploads now."""
    kind = Mail.Kind(kind)
    count = 0
    for student in Student.objects.filter(pk__in=ids).exclude(email="").select_related("exam"):
        exam = student.exam
        zone = exam.zone
        context = {
            "exam": exam,
            "student": student,
            "deadline": format_time(student.deadline(), zone) if student.deadline() else "",
            "cutoff": format_time(student.cutoff(), zone) if student.cutoff() else "",
            "uploads": student.max_uploads(),
            "left": student.uploads_left(),
            "link": upload_link(student),
        }
        made = queue(
            f"{kind}:{student.pk}:{stamp}",
            kind,
            student.email,
            STUDENT_NOTICES[kind],
            context,
            lang=language(student),
            exam=exam,
            student=student,
        )
        count += bool(made)
    return count


def queue_shared_notice(exam, user, by):
    """Tell a co-examiner an exam is now shared with them, and by whom."""
    if not user.email:
        return None
    from students.accounts import inviter_name

    context = {
        "exam": exam,
        "user": user,
        "sharer": inviter_name(by),
        "exam_url": settings.SITE_URL + exam.get_absolute_url(),
    }
    return queue(
        f"shared:{exam.pk}:{user.pk}:{timezone.now().isoformat()}",
        Mail.Kind.SHARED,
        user.email,
        "students/mail/shared",
        context,
        lang=language(user),
        exam=exam,
    )


# --- Automatic mail: reminders and notices to the examiner ------------------------------


def queue_automatic_reminders(now=None):
    """For exams that asked for it, remind those who have not submitted, N hours before
    their own deadline: the exam's, or their extension's. Once per exam and deadline,
    whichever worker gets there first."""
    now = now or timezone.now()
    count = 0
    settings_rows = (
        ExamMail.objects.filter(reminder_hours__isnull=False)
        .filter(Q(exam__closes_at__gt=now) | Q(exam__students__extended_until__gt=now))
        .select_related("exam")
        .distinct()
    )
    for row in settings_rows:
        exam = row.exam
        before = timedelta(hours=row.reminder_hours)
        for deadline, students in reminder_groups(exam, now):
            if deadline - before > now or not exam.is_open(now, ends=deadline):
                continue
            subject, message = words(exam, Mailing.Kind.REMINDER)
            key = f"auto-reminder:{exam.pk}:{deadline.isoformat()}"
            if queue_mailing(exam, Mailing.Kind.REMINDER, subject, message, students, key=key):
                count += 1
    return count


def reminder_groups(exam, now):
    """(deadline, students who have not submitted and whose deadline it is) for each
    deadline of the exam still ahead: the exam's due time, and each later extension."""
    waiting = exam.students.not_submitted()
    own = (
        Q(extended_until__gt=exam.closes_at) if exam.closes_at else Q(extended_until__isnull=False)
    )
    groups = []
    if exam.closes_at and exam.closes_at > now:
        groups.append((exam.closes_at, waiting.exclude(own)))
    extensions = (
        waiting.filter(own, extended_until__gt=now)
        .order_by()
        .values_list("extended_until", flat=True)
        .distinct()
    )
    groups += [(until, waiting.filter(extended_until=until)) for until in extensions]
    return groups


def queue_deadline_notices(now=None):
    """Tell examiners who asked for it that a deadline passed: N of M submitted, who is
    missing, and the link to download everything. Once per exam and deadline; not for a
    deadline more than a day past (a notice switched on late is no news)."""
    now = now or timezone.now()
    count = 0
    rows = ExamMail.objects.filter(
        notify_deadline=True,
        exam__closes_at__lte=now,
        exam__closes_at__gt=now - timedelta(days=1),
    ).select_related("exam__owner")
    for row in rows:
        exam = row.exam
        if not exam.owner.email:
            continue
        missing = exam.students.not_submitted()
        context = {
            "exam": exam,
            "counts": exam.roster_counts(),
            "missing": missing[:100],
            "missing_count": missing.count(),
            "deadline": format_time(exam.closes_at, exam.zone),
            "exam_url": settings.SITE_URL + exam.get_absolute_url(),
            "zip_url": settings.SITE_URL + reverse("students:exam_zip", args=[exam.pk]),
        }
        key = f"deadline:{exam.pk}:{exam.closes_at.isoformat()}"
        if queue(
            key,
            Mail.Kind.DEADLINE_PASSED,
            exam.owner.email,
            "students/mail/deadline_passed",
            context,
            lang=language(exam),
            exam=exam,
        ):
            count += 1
    return count
