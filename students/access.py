"""
What an examiner reaches on the dashboard: the exams they own or share, their students and
pending imports. Anything else is 404, never 403: for this examiner it does not exist. A
change goes through the *_to_change helpers: an archived exam is read-only and refuses it
(Exam.refuse_if_archived). Each helper also makes the exam's zone the active one, so its
pages and files show times in it. (api/access.py is the same rule for the API's tokens.)
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from students.models import Exam, Student, StudentImport


def zoned(exam):
    timezone.activate(exam.zone)
    return exam


def exam(request, pk):
    """An exam the examiner owns or shares, or 404."""
    return zoned(get_object_or_404(Exam.objects.visible_to(request.user), pk=pk))


def exam_to_change(request, pk):
    """As exam, for a change: an archived exam is read-only and refuses it."""
    return exam(request, pk).refuse_if_archived()


def owned_exam(request, pk):
    """The examiner's own exam, or 404, even for a co-examiner: deleting an exam and
    choosing who shares it are the owner's alone."""
    return zoned(get_object_or_404(Exam, pk=pk, owner=request.user))


def student(request, exam_pk, pk):
    found = get_object_or_404(
        Student.objects.select_related("exam"),
        pk=pk,
        exam__in=Exam.objects.visible_to(request.user).filter(pk=exam_pk),
    )
    zoned(found.exam)
    return found


def student_to_change(request, exam_pk, pk):
    found = student(request, exam_pk, pk)
    found.exam.refuse_if_archived()
    return found


def pending_import(request, exam_pk, pk):
    """A roster file waiting to be imported into an exam the examiner may change."""
    pending = get_object_or_404(
        StudentImport.objects.select_related("exam"),
        pk=pk,
        exam__in=Exam.objects.visible_to(request.user).filter(pk=exam_pk),
    )
    zoned(pending.exam).refuse_if_archived()
    return pending
