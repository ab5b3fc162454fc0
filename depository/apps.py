from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class DepositoryConfig(AppConfig):
    """The project package as an app: its management commands (runserver) and templates."""

    default = True
    name = "depository"

    def ready(self):
        from depository import checks  # noqa: F401 (the deploy checks)


class SuperuserAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with a site that lets in superusers only."""

    default = False
    default_site = "depository.admin.SuperuserAdminSite"
