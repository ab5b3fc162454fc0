from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = _("Exams and students")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from students import backends, tasks  # noqa: F401 (tasks registers the clock's jobs)

        # A cached login (students.backends) is forgotten whenever its user or profile changes.
        for signal in (post_save, post_delete):
            signal.connect(backends.user_changed, sender=get_user_model())
            signal.connect(backends.profile_changed, sender=self.get_model("ExaminerProfile"))
