"""The first examiner login of a development setup, kept in a git-ignored file
(settings.EXAMINER_LOGIN_FILE) so that `make run` can show it every time."""

from django.conf import settings


def write_login(username, password):
    path = settings.EXAMINER_LOGIN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(f"username: {username}\npassword: {password}\n")


def read_login():
    """(username, password), or None when there is no file."""
    try:
        lines = settings.EXAMINER_LOGIN_FILE.read_text().splitlines()
    except FileNotFoundError:
        return None
    fields = dict(line.split(": ", 1) for line in lines if ": " in line)
    if "username" not in fields or "password" not in fields:
        return None
    return fields["username"], fields["password"]


def forget_login():
    settings.EXAMINER_LOGIN_FILE.unlink(missing_ok=True)


def login_file_name():
    """The file's name as a newcomer would type it: var/examiner-login.txt."""
    path = settings.EXAMINER_LOGIN_FILE
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)
