"""
What a token reaches: the exams its examiner owns or shares (only the one it is bound to,
if it is), their students and submissions. Anything else is 404, never 403: for this
examiner it does not exist. The dashboard's rule (students.access), for the API.
A change goes through the *_to_change helpers, as on the dashboard: a read-only token is
refused, and so is an archived exam, by the model's own rule (Exam.refuse_if_archived).
"""

from api.auth import require_write
from api.problems import not_found
from students.models import Exam, Student
from submissions.models import Submission


def exams(request):
    token = request.auth
    queryset = Exam.objects.visible_to(token.user_id)
    if token.exam_id:
        queryset = queryset.filter(pk=token.exam_id)
    return queryset


def exam(request, exam_id):
    found = exams(request).filter(pk=exam_id).first()
    if found is None:
        raise not_found()
    return found


def exam_to_change(request, exam_id):
    """As exam, for a change: 403 for a read-only token, 409 for an archived exam."""
    found = exam(request, exam_id)
    require_write(request)
    return found.refuse_if_archived()


def student(request, exam_id, student_id):
    found = (
        Student.objects.select_related("exam")
        .filter(pk=student_id, exam__in=exams(request).filter(pk=exam_id))
        .first()
    )
    if found is None:
        raise not_found()
    return found


def student_to_change(request, exam_id, student_id):
    """As student, for a change: 403 for a read-only token, 409 if their exam is archived."""
    found = student(request, exam_id, student_id)
    require_write(request)
    found.exam.refuse_if_archived()
    return found


def submission(request, exam_id, student_id, submission_id):
    owner = student(request, exam_id, student_id)
    found = Submission.objects.filter(pk=submission_id, student=owner).first()
    if found is None:
        raise not_found()
    found.student = owner
    return found
