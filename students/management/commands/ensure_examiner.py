import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from depository.examiner_login import forget_login, login_file_name, read_login, write_login


class Command(BaseCommand):
    help = (
        "Creates a first examiner login when there is no user yet and keeps it in "
        "EXAMINER_LOGIN_FILE (var/, git-ignored), where runserver shows it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="examiner")

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.exists():
            self._forget_if_changed(User)
            self.stdout.write("An examiner login exists already; nothing to do.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        write_login(username, password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the examiner login {username!r}; the server shows it when it "
                f"starts, and it is kept in {login_file_name()}."
            )
        )

    def _forget_if_changed(self, User):
        """A password changed since (changepassword) makes the kept one wrong: drop it."""
        login = read_login()
        if login is None:
            return
        username, password = login
        user = User.objects.filter(username=username).first()
        if user is None or not user.check_password(password):
            forget_login()
            self.stdout.write(
                self.style.NOTICE(f"{login_file_name()} no longer held a working login; removed.")
            )
