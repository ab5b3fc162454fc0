from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"
    verbose_name = "Exams and students"

    def ready(self):
        from students import tasks  # noqa: F401 (registers the clock's jobs)
