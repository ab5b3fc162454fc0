import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Creates a first examiner login when there is no user yet, and prints it once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="examiner")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.exists():
            self.stdout.write("An examiner login exists already; nothing to do.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated your examiner login (shown only this once, so note it down):\n"
                f"    username: {username}\n    password: {password}\n"
                "Sign in at http://127.0.0.1:8000/accounts/login/\n"
            )
        )
