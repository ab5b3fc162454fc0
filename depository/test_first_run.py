"""A newcomer's `make run`: an examiner login made once, kept in a git-ignored file, and
shown after the development server's banner on every start."""

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def login_file(settings, tmp_path):
    settings.EXAMINER_LOGIN_FILE = tmp_path / "var" / "examiner-login.txt"
    return settings.EXAMINER_LOGIN_FILE


@pytest.mark.django_db
def test_ensure_examiner_creates_a_login_once_and_keeps_it_in_the_file(capsys, login_file):
    call_command("ensure_examiner")
    first = capsys.readouterr().out
    call_command("ensure_examiner")
    second = capsys.readouterr().out

    user = get_user_model().objects.get()
    assert user.is_superuser
    username, password = (line.split(": ")[1] for line in login_file.read_text().splitlines())
    assert username == "examiner"
    assert user.check_password(password)
    assert login_file.stat().st_mode & 0o777 == 0o600
    assert str(login_file) in first
    assert "nothing to do" in second
    assert login_file.exists()


@pytest.mark.django_db
def test_a_kept_login_whose_password_was_changed_is_removed(capsys, login_file):
    call_command("ensure_examiner")
    user = get_user_model().objects.get()
    user.set_password("changed by hand 123")
    user.save()

    call_command("ensure_examiner")

    assert not login_file.exists()
    assert "no longer held a working login; removed" in capsys.readouterr().out


def test_the_login_file_is_git_ignored():
    result = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", "var/examiner-login.txt"],  # noqa: S607
        cwd=ROOT,
    )

    assert result.returncode == 0, "var/examiner-login.txt would be committed"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def runserver_output(tmp_path, until, seconds=60):
    """What `manage.py runserver` prints (as `make run` starts it) until `until` appears."""
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EXAMINER_LOGIN_FILE": str(tmp_path / "examiner-login.txt"),
        "PYTHONUNBUFFERED": "1",
    }
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{free_port()}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output = b""
    deadline = time.monotonic() + seconds
    try:
        while until.encode() not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([server.stdout], [], [], 1)
            if ready:
                chunk = os.read(server.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
    finally:
        server.terminate()
        server.wait(timeout=30)
    return output.decode()


def test_the_server_shows_the_kept_login_after_its_banner(tmp_path):
    (tmp_path / "examiner-login.txt").write_text("username: examiner\npassword: s3cret-pw\n")

    output = runserver_output(tmp_path, until="(kept in")

    banner = output.index("Quit the server with")
    assert output.index("username: examiner") > banner
    assert output.index("password: s3cret-pw") > banner
    assert f"(kept in {tmp_path / 'examiner-login.txt'})" in output
    assert "/accounts/login/" in output[banner:]


def test_without_a_kept_login_the_server_says_how_to_reset_one(tmp_path):
    output = runserver_output(tmp_path, until="changepassword")

    assert output.index("changepassword") > output.index("Quit the server with")
