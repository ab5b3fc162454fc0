from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self):
        from submissions import checks, logs, tasks  # noqa: F401 (deploy checks, upload log lines, clock jobs)
