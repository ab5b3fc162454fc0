"""Who shares an exam: the owner adds co-examiners (existing examiners) and removes them.
A co-examiner can do everything with the exam but delete it or change who shares it, so
these pages are the owner's alone (404 for anyone else). An archived exam is read-only:
its sharing too."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from students import access, mail, tasks
from students.forms import ShareForm


@login_required
def exam_sharing(request, pk):
    """Who shares the exam; an archived exam's list is shown, and changes are refused."""
    exam = access.owned_exam(request, pk)
    if request.method == "POST":
        exam.refuse_if_archived()
    form = ShareForm(exam, request.POST or None)
    if form.is_valid():
        user = form.cleaned_data["who"]
        exam.co_examiners.add(user)
        if mail.queue_shared_notice(exam, user, by=request.user):
            tasks.wake_worker()
        messages.success(
            request,
            gettext("%(name)s now shares “%(title)s”.")
            % {"name": user.get_username(), "title": exam.title},
        )
        return redirect("students:exam_sharing", exam.pk)
    context = {"exam": exam, "form": form, "co_examiners": exam.co_examiners.order_by("username")}
    status = 422 if request.POST else 200
    return render(request, "students/exam_sharing.html", context, status=status)


@login_required
@require_POST
def exam_unshare(request, pk, user_pk):
    exam = access.owned_exam(request, pk).refuse_if_archived()
    user = get_object_or_404(exam.co_examiners, pk=user_pk)
    exam.co_examiners.remove(user)
    messages.success(
        request,
        gettext("%(name)s no longer shares “%(title)s”.")
        % {"name": user.get_username(), "title": exam.title},
    )
    return redirect("students:exam_sharing", exam.pk)
