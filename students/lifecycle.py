"""An exam's and a student's life on the dashboard: remove a student, archive, restore,
delete and duplicate an exam. Each destructive step shows a confirmation page first (GET)
and acts only on the POST from it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from students import access, confirmations, removal
from students.forms import DeleteExamForm, DuplicateExamForm


def _storage_failed(request):
    messages.error(request, removal.STORAGE_FAILED)


@login_required
def student_remove(request, exam_pk, pk):
    student = access.student_to_change(request, exam_pk, pk)
    exam = student.exam
    if request.method != "POST":
        confirmation = confirmations.remove_student(student, exam.students.count())
        return confirmations.page(
            request, confirmation, exam, student.get_absolute_url(), student=student
        )
    try:
        removal.remove_student(student)
    except removal.StorageUnavailable:
        _storage_failed(request)
        return redirect(student)
    messages.success(request, gettext("Removed %(name)s.") % {"name": student.full_name})
    return redirect(exam)


@login_required
def exam_archive(request, pk):
    exam = access.exam_to_change(request, pk)
    if request.method != "POST":
        return confirmations.page(
            request, confirmations.archive(exam), exam, exam.get_absolute_url()
        )
    exam.archive()
    messages.success(
        request,
        gettext("Archived “%(title)s”; it is under Archived exams.") % {"title": exam.title},
    )
    return redirect("students:exam_list")


@login_required
@require_POST
def exam_restore(request, pk):
    exam = access.exam(request, pk)
    exam.restore()
    messages.success(request, gettext("Restored “%(title)s”.") % {"title": exam.title})
    return redirect(exam)


@login_required
def exam_delete(request, pk):
    exam = access.owned_exam(request, pk)
    form = DeleteExamForm(exam, request.POST or None)
    if form.is_valid():
        try:
            removal.delete_exam(exam)
        except removal.StorageUnavailable:
            _storage_failed(request)
            return redirect(exam)
        messages.success(request, gettext("Deleted “%(title)s”.") % {"title": exam.title})
        return redirect("students:exam_list")
    return confirmations.page(
        request,
        confirmations.delete_exam(exam),
        exam,
        exam.get_absolute_url(),
        form=form,
        status=422 if request.POST else 200,
    )


@login_required
def exam_duplicate(request, pk):
    """A copy for the next term, owned by whoever makes it; its times are set next."""
    exam = access.exam(request, pk)
    form = DuplicateExamForm(
        request.POST or None,
        initial={"title": gettext("%(title)s (copy)") % {"title": exam.title}},
    )
    if form.is_valid():
        copy = exam.duplicate(
            request.user, form.cleaned_data["title"], form.cleaned_data["with_roster"]
        )
        messages.success(
            request,
            gettext("Made “%(title)s”. Now set its times.") % {"title": copy.title},
        )
        return redirect("students:exam_edit", copy.pk)
    status = 422 if request.POST else 200
    context = {"exam": exam, "form": form}
    return render(request, "students/exam_duplicate.html", context, status=status)
