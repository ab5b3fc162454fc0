from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = _("Exams and students")

    def ready(self):
        from students import tasks  # noqa: F401 (registers the clock's jobs)
