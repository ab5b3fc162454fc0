"""
The outbox: every mail is a row (students.outbox_models.Mail) that a worker takes, sends once and
marks sent or failed. Taking a row is a conditional update (it takes the row only if the
row is still due and no other worker has tried it since it was read), so two workers never
take the same mail, lock or no lock. One lock serialises the taking, so the last minute's
sends are counted right and all workers together stay under EMAIL_RATE_PER_MINUTE.
"""

import logging
import mimetypes
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import BadHeaderError
from django.db import connection, transaction
from django.utils import timezone

from students.models import Mail, new_message_id

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
RATE_WINDOW = timedelta(minutes=1)
# One task sends for at most this long, then hands the rest to a new task, so a worker
# asked to stop finishes within seconds, and a mailing of thousands never blocks others.
TASK_SECONDS = 20
HEADERS = {
    # RFC 3834: no vacation replies or auto-forward loops back to us.
    "Auto-Submitted": "auto-generated",
    "X-Auto-Response-Suppress": "All",
}
# Any number will do, as long as nothing else in the database takes the same advisory lock.
LOCK_ID = 0x6D61696C


class RateLimited(Exception):
    def __init__(self, wait):
        super().__init__(f"rate limit reached; next slot in {wait:.1f} s")
        self.wait = wait


def _lock():
    """Serialise taking mails across workers for this transaction. SQLite's IMMEDIATE
    transactions (settings.py) already take the database's write lock at BEGIN."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_ID])


def claim(mails=None):
    """Take one due mail for this worker and return it (None when nothing is due), or raise
    RateLimited when the last minute's sends have reached the limit."""
    mails = Mail.objects.all() if mails is None else mails
    while True:
        taken = _take(mails)
        if taken is not _LOST:
            return taken


_LOST = object()  # another worker took the mail first: look again


def _take(mails):
    with transaction.atomic():
        _lock()
        now = timezone.now()
        wait = _rate_wait(now)
        if wait:
            raise RateLimited(wait)
        mail = mails.due(now).select_related("mailing").order_by("next_attempt_at", "pk").first()
        if mail is None:
            return None
        if mail.attempts >= MAX_ATTEMPTS:  # its worker died during the last try
            _fail(mail, "The worker sending this mail stopped; it may not have arrived.")
            return _LOST
        taken = {
            "state": Mail.State.SENDING,
            "attempts": mail.attempts + 1,
            "last_attempt_at": now,
            "lease_until": now + timedelta(seconds=settings.EMAIL_LEASE_SECONDS),
            # Made with the claim, so every try of this mail carries the same Message-ID.
            "message_id": mail.message_id or new_message_id(),
        }
        # Taken only if still due and untried since it was read: the claim holds by itself.
        unchanged = Mail.objects.due(now).filter(pk=mail.pk, attempts=mail.attempts)
        if not unchanged.update(**taken):
            return _LOST
    for name, value in taken.items():
        setattr(mail, name, value)
    return mail


def _rate_wait(now):
    """Seconds until the next send fits in the last minute's limit (0: it fits now). Reads
    at most EMAIL_RATE_PER_MINUTE index entries, however many mails went out."""
    limit = settings.EMAIL_RATE_PER_MINUTE
    window = Mail.objects.filter(last_attempt_at__gt=now - RATE_WINDOW)
    nth = window.order_by("-last_attempt_at").values_list("last_attempt_at", flat=True)
    nth = nth[limit - 1 : limit]
    if not nth:
        return 0
    return max((nth[0] + RATE_WINDOW - now).total_seconds(), 0.05)


def message(mail, smtp=None):
    """The mail as Django sends it: to one address, plain text with an HTML alternative."""
    email = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        to=[mail.to],
        headers={**HEADERS, "Message-ID": mail.message_id},
        connection=smtp,
    )
    if mail.html:
        email.attach_alternative(mail.html, "text/html")
    if mail.attachment_name:
        kind = mimetypes.guess_type(mail.attachment_name)[0] or "text/plain"
        email.attach(mail.attachment_name, mail.attachment, kind)
    return email


class Temporary(Exception):
    """Worth another try later: the server is down, busy, or answered 4xx."""


class Permanent(Exception):
    """Another try cannot help: the server answered 5xx, or the mail itself is wrong."""


def _reason(error):
    """The server's own words when it gave any, for the examiner to read."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return code, f"{code} {_text(text)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code, f"{error.smtp_code} {_text(error.smtp_error)}"
    return None, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def send(mail, smtp):
    """Hand one mail to the server; raise Temporary or Permanent with the server's reason."""
    try:
        message(mail, smtp).send()
    except (BadHeaderError, ValueError, UnicodeError) as error:
        raise Permanent(f"This mail cannot be sent as written: {error}") from error
    except (smtplib.SMTPException, OSError) as error:
        code, reason = _reason(error)
        if code is not None and 500 <= code < 600:
            raise Permanent(reason) from error
        raise Temporary(reason) from error


def _written(mail):
    """The body as written for this try (and its attachment), stored with its outcome (one
    write, not two)."""
    return {
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "attachment_name": mail.attachment_name,
        "attachment": mail.attachment,
    }


def _fail(mail, reason):
    Mail.objects.filter(pk=mail.pk).update(
        state=Mail.State.FAILED, error=reason[:500], lease_until=None, **_written(mail)
    )


def _retry_or_fail(mail, reason):
    delays = settings.EMAIL_RETRY_DELAYS
    if mail.attempts >= MAX_ATTEMPTS:
        _fail(mail, reason)
        return None
    at = timezone.now() + timedelta(seconds=delays[min(mail.attempts, len(delays)) - 1])
    Mail.objects.filter(pk=mail.pk, state=Mail.State.SENDING).update(
        state=Mail.State.QUEUED,
        error=reason[:500],
        next_attempt_at=at,
        lease_until=None,
        **_written(mail),
    )
    return at


def _sent(mail):
    Mail.objects.filter(pk=mail.pk, state=Mail.State.SENDING).update(
        state=Mail.State.SENT,
        sent_at=timezone.now(),
        error="",
        lease_until=None,
        **_written(mail),
    )


def deliver(mails=None, seconds=TASK_SECONDS, render=None):
    """Send due mails (of the queryset `mails`, or any) one by one for up to `seconds`.
    A mail without a body yet is first written by `render`. Returns how many were sent,
    and when more is due later, a time for the next task to start (or None)."""
    deadline = time.monotonic() + seconds
    smtp = get_connection(timeout=settings.EMAIL_TIMEOUT)
    sent, later = 0, None
    try:
        while time.monotonic() < deadline:
            try:
                mail = claim(mails)
            except RateLimited as limited:
                return sent, timezone.now() + timedelta(seconds=limited.wait)
            if mail is None:
                later = min(filter(None, [later, next_due(mails)]), default=None)
                break
            try:
                if not mail.is_rendered():
                    render(mail)
                send(mail, smtp)
            except Temporary as error:
                # By the mail's id: its address is personal data (the examiner sees it on
                # the mail's row); the server's reply may name it too (masked in the log).
                log.warning("Mail %s: %s (try %s)", mail.pk, error, mail.attempts)
                smtp.close()
                retry_at = _retry_or_fail(mail, str(error))
                later = min(filter(None, [later, retry_at]), default=None)
            except Permanent as error:
                log.warning("Mail %s failed: %s", mail.pk, error)
                _fail(mail, str(error))
            else:
                _sent(mail)
                sent += 1
        else:
            later = timezone.now()  # out of time with work left: carry on in a new task
    finally:
        smtp.close()
    return sent, later


def next_due(mails=None):
    """When the next mail falls due: a retry's time, or the lease of a mail being sent."""
    mails = Mail.objects.all() if mails is None else mails
    retry = mails.filter(state=Mail.State.QUEUED).order_by("next_attempt_at").first()
    leased = mails.filter(state=Mail.State.SENDING).order_by("lease_until").first()
    times = [retry and retry.next_attempt_at, leased and leased.lease_until]
    return min(filter(None, times), default=None)


def requeue(mails):
    """Queue failed mails again, with a fresh count of tries."""
    return mails.filter(state=Mail.State.FAILED).update(
        state=Mail.State.QUEUED, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
