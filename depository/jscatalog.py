"""
The pages' scripts get their words in the visitor's language from one script file (the CSP
allows no inline script), as `gettext`, `ngettext` and `interpolate`: Django's
JavaScriptCatalog. Its text changes only when the app starts again (the catalogs are
compiled before), yet the view builds it anew for every request, a few milliseconds each,
and every page that speaks from a script loads it. So each process builds it once per
language, and browsers keep it for an hour and then ask whether it changed.
"""

from django.http import HttpResponse
from django.utils import timezone, translation
from django.views.decorators.cache import cache_control
from django.views.decorators.http import last_modified
from django.views.i18n import JavaScriptCatalog

# When this process started: no catalog it serves is older. (Processes started at other
# moments answer a browser's "changed since?" by sending it whole, which is only slower.)
STARTED = timezone.now().replace(microsecond=0)
# Browsers ask again after this long, so a deploy's new words reach a page within the hour.
MAX_AGE = 3600

_build = JavaScriptCatalog.as_view()
_built = {}  # language code: (the script, its content type)


@last_modified(lambda request: STARTED)
@cache_control(max_age=MAX_AGE)
def javascript_catalog(request):
    language = translation.get_language()
    if language not in _built:
        response = _build(request)
        _built[language] = (response.content, response["Content-Type"])
    script, content_type = _built[language]
    return HttpResponse(script, content_type=content_type)
