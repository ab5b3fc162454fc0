"""
Removing students or deleting an exam: their stored files go from storage first, then the
rows. A file deleted is marked so at once, so when storage fails halfway the rows that stay
say truthfully which files are gone, and the examiner can simply try again.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from depository import storage
from students.models import submission_model

StorageUnavailable = storage.StorageUnavailable

# What the dashboard and the API say when StorageUnavailable stopped a removal.
STORAGE_FAILED = _(
    "The file storage could not be reached, so nothing was deleted that still has a "
    "file. Try again in a minute."
)


def _delete_files(submissions):
    stored = submissions.with_file().values_list("pk", "file").order_by("pk")
    while batch := list(stored[: storage.DELETE_BATCH]):
        pks, keys = zip(*batch, strict=True)
        storage.delete_many(keys)
        submissions.model.objects.filter(pk__in=pks).update(file_deleted_at=timezone.now())


def remove_students(students):
    """Delete `students` (a queryset) and everything of theirs, their stored files first
    (StorageUnavailable if storage refuses one). Returns how many were removed."""
    submissions = submission_model().objects
    _delete_files(submissions.filter(student__in=students))
    with transaction.atomic():
        # Locked, as an upload locks its student: a file stored meanwhile is deleted too.
        locked = list(students.select_for_update().values_list("pk", flat=True))
        _delete_files(submissions.filter(student__in=locked))
        students.model.objects.filter(pk__in=locked).delete()
    return len(locked)


def remove_student(student):
    remove_students(type(student).objects.filter(pk=student.pk))


def delete_exam(exam):
    """Delete `exam`, its students' files first; if storage refuses one, the exam stays."""
    remove_students(exam.students.all())
    exam.delete()
