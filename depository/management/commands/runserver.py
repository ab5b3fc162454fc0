from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)

from depository.examiner_login import login_file_name, read_login


class Command(RunserverCommand):
    """runserver (static files left to whitenoise), with the examiner login shown right
    after the server's banner, on every start and reload, so it is never scrolled away."""

    def on_bind(self, server_port):
        super().on_bind(server_port)
        login_url = f"{self.protocol}://{self.addr}:{server_port}/accounts/login/"
        login = read_login()
        if login is None:
            self.stdout.write(
                f"\nLog in at {login_url} with your examiner login "
                "(forgotten? manage.py changepassword USERNAME).\n"
            )
            return
        username, password = login
        self.stdout.write(
            self.style.SUCCESS(
                f"\nExaminer login for {login_url}\n"
                f"    username: {username}\n    password: {password}\n"
                f"(kept in {login_file_name()})\n"
            )
        )
