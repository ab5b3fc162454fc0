"""Examiners stay logged in across the deploy that brought students.backends.ExaminerBackend:
a session names the backend that logged it in, and Django logs out a session whose backend
is no longer in AUTHENTICATION_BACKENDS. Sessions that name Django's ModelBackend name ours
instead (and the other way round when migrating back)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations
from django.utils import timezone

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
EXAMINER_BACKEND = "students.backends.ExaminerBackend"


def rename(old, new):
    def forwards(apps, schema_editor):
        Session = apps.get_model("sessions", "Session")
        store = SessionStore()
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            data = store.decode(session.session_data)
            if data.get(BACKEND_SESSION_KEY) == old:
                data[BACKEND_SESSION_KEY] = new
                session.session_data = store.encode(data)
                session.save(update_fields=["session_data"])

    return forwards


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0013_languages_and_field_names"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            rename(MODEL_BACKEND, EXAMINER_BACKEND), rename(EXAMINER_BACKEND, MODEL_BACKEND)
        ),
    ]
