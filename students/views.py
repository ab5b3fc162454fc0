from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from students.forms import ExamForm, StudentForm
from students.models import Exam, Student
from submissions import storage
from submissions.models import Submission


def _exam(request, pk):
    """The examiner's own exam, or 404: other examiners' exams do not exist for them."""
    return get_object_or_404(Exam, pk=pk, owner=request.user)


def _student(request, exam_pk, pk):
    return get_object_or_404(
        Student.objects.select_related("exam"), pk=pk, exam_id=exam_pk, exam__owner=request.user
    )


@login_required
def exam_list(request):
    exams = request.user.exams.annotate(
        student_count=Count("students", distinct=True),
        submitted_count=Count(
            "students",
            filter=Q(
                students__submissions__isnull=False,
                students__submissions__superseded_at__isnull=True,
            ),
            distinct=True,
        ),
    )
    return render(request, "students/exam_list.html", {"exams": exams})


@login_required
def exam_create(request):
    form = ExamForm(request.POST or None, instance=Exam(owner=request.user))
    if form.is_valid():
        exam = form.save()
        messages.success(request, f"Created “{exam.title}”. Now add your students.")
        return redirect(exam)
    return render(request, "students/exam_form.html", {"form": form})


@login_required
def exam_edit(request, pk):
    exam = _exam(request, pk)
    form = ExamForm(request.POST or None, instance=exam)
    if form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect(exam)
    return render(request, "students/exam_form.html", {"form": form, "exam": exam})


@login_required
@require_GET
def exam_detail(request, pk):
    exam = _exam(request, pk)
    students = list(exam.students.with_current_submission())
    submitted = sum(1 for student in students if student.current_submission)
    context = {"exam": exam, "students": students, "submitted": submitted}
    return render(request, "students/exam_detail.html", context)


@login_required
def student_create(request, exam_pk):
    exam = _exam(request, exam_pk)
    form = StudentForm(request.POST or None, instance=Student(exam=exam))
    if form.is_valid():
        try:
            student = form.save()
        except IntegrityError:
            form.add_error("nickname", "A student with this nickname is already in this exam.")
        else:
            messages.success(request, f"Added {student.full_name}.")
            if "add_another" in request.POST:
                return redirect("students:student_create", exam.pk)
            return redirect(student)
    return render(request, "students/student_form.html", {"form": form, "exam": exam})


@login_required
@require_GET
def student_detail(request, exam_pk, pk):
    student = _student(request, exam_pk, pk)
    context = {
        "exam": student.exam,
        "student": student,
        "upload_url": request.build_absolute_uri(student.get_upload_url()),
        "submissions": student.submissions.all(),
    }
    return render(request, "students/student_detail.html", context)


@login_required
@require_GET
def submission_download(request, exam_pk, pk, submission_pk):
    student = _student(request, exam_pk, pk)
    submission = get_object_or_404(
        Submission, pk=submission_pk, student=student, file_deleted_at__isnull=True
    )
    return redirect(storage.download_url(submission))
