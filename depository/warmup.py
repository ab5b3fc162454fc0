"""What a worker does once, as it starts, so that its first student waits no longer than
the rest: everything Django and its libraries make lazily on a first request (the URL
patterns, the student's templates, each language's catalog, a database connection in the
pool, the models' caches, the throttle's store, the storage's client, its endpoint rules
and a connection to it) is made before the worker takes one. gunicorn.conf.py's
post_worker_init calls run(); it says how long it took."""

import logging
import time

from django.conf import settings
from django.db import connection
from django.template.loader import get_template
from django.urls import reverse
from django.utils import translation

log = logging.getLogger(__name__)

# The templates of a student's visit: their upload page, the receipt, the error pages.
TEMPLATES = ("submissions/upload.html", "submissions/receipt.html", "429.html")


def run():
    """Make it all now; a part that fails is logged and the worker starts anyway (its first
    request then makes it, as it would have). Returns the CPU milliseconds it took."""
    started = time.process_time()
    for step in (_urls, _languages, _templates, _database, _throttle, _storage):
        try:
            step()
        except Exception:
            log.exception("Warming up the worker: %s failed", step.__name__.strip("_"))
    return (time.process_time() - started) * 1000


def _urls():
    reverse("submissions:upload", args=["x"])


def _templates():
    for name in TEMPLATES:
        get_template(name)
    from submissions.views import render_sample_page

    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            render_sample_page()


def _languages():
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Upload")


def _database():
    """A pooled connection opened, and the models of a student's visit read once (the ORM
    fills its caches of their fields and relations on a first query)."""
    from students.models import Student
    from submissions.models import Commitment, Submission

    Student.objects.select_related("exam").filter(pk=0).first()
    Commitment.objects.select_related("student__exam", "submission").filter(pk=0).first()
    Submission.objects.with_expiry().select_related("student__exam").filter(pk=0).first()
    if not connection.in_atomic_block:  # (a test's transaction keeps its connection)
        connection.close()  # back to the pool, open


def _throttle():
    """The wrong-code throttle's store reached once (Redis: its connection opened), as every
    code page reads it first."""
    from submissions.throttle import check_store

    check_store()


def _storage():
    from submissions import storage

    storage.warm_up()
