from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self):
        from submissions import checks, tasks  # noqa: F401 (deploy checks, clock jobs)
