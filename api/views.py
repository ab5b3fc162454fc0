import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from api import v0
from api.forms import ApiTokenForm
from api.models import ApiToken
from api.problems import Problem, body_too_large
from depository import errorpages
from students.filetypes import too_large_message

VERSIONS = {"1": "api-v1:openapi-json", "0": "api-v0:openapi-json"}


@login_required
@never_cache  # the page that shows a new token must not be kept by any cache
def token_list(request):
    """The examiner's API tokens, and the form for a new one. A new token is shown in this
    response only: it is never stored, so it cannot be shown again."""
    form = ApiTokenForm(request.POST or None, user=request.user)
    status, new_token = 200, None
    if request.method == "POST":
        if form.is_valid():
            created, new_token = ApiToken.objects.issue(request.user, **form.cleaned_data)
            status = 201
            form = ApiTokenForm(user=request.user)
        else:
            status = 422
    context = {
        "form": form,
        "tokens": request.user.api_tokens.select_related("exam"),
        "new_token": new_token,
    }
    return render(request, "api/token_list.html", context, status=status)


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, _("Revoked “%(name)s”; it no longer works.") % {"name": token.name})
    return redirect("api_tokens:list")


def not_received(path):
    """The API's answer for a body nginx could not keep (depository.errorpages asks for it):
    nothing was received, try again later."""
    return Problem(503, errorpages.NOT_RECEIVED, code="upload_not_received").response()


def too_large(path):
    """The API's answer for a body nginx refused as too large (depository.errorpages asks
    for it): a problem, with v0's own words on v0's upload."""
    match = errorpages.resolve_path(path)
    if match is None or "upload_code" not in match.kwargs:  # not an upload
        return body_too_large(settings.FILE_UPLOAD_HARD_LIMIT).response()
    limit = too_large_message(None, settings.FILE_UPLOAD_HARD_LIMIT)
    problem = Problem(413, f"{limit} {errorpages.NOTHING_RECEIVED}", code="file_too_large")
    if match.namespace == v0.api.urls_namespace:
        problem = v0.with_original_detail(problem, v0.ORIGINAL_UPLOAD_DETAILS[413])
    return problem.response()


@require_GET
def docs(request):
    """Swagger UI for both versions, from the static files django-ninja ships (no CDN; its
    settings travel as JSON in a data attribute, so the CSP needs no inline script)."""
    version = request.GET.get("version", "1")
    if version not in VERSIONS:
        version = "1"
    swagger = {
        "url": reverse(VERSIONS[version]),
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,
    }
    context = {"swagger_settings": json.dumps(swagger), "version": version}
    return render(request, "api/docs.html", context)
