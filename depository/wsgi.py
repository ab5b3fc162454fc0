import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402  (configured by the line above)

# Sessions, CSRF tokens and download links are signed with SECRET_KEY: a served app
# with a throwaway key would log everyone out and break links on every restart.
if not settings.DEBUG and not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("Set SECRET_KEY in the environment to serve the app.")
