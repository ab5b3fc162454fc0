from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class DepositoryConfig(AppConfig):
    """The project package as an app: its management commands (runserver) and templates."""

    default = True
    name = "depository"


class SuperuserAdminConfig(AdminConfig):
    default_site = "depository.admin.SuperuserAdminSite"
