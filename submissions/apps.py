from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Submissions")

    def ready(self):
        from submissions import checks, logs, tasks  # noqa: F401 (deploy checks, upload log lines, clock jobs)
