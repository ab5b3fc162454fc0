"""Every process the product starts, as production starts them (depository/serve.py: nginx in
front of gunicorn, DEBUG off, JSON logs; `manage.py worker` sending mail to a real SMTP
server that refuses some recipients): students upload bodies past nginx's 64 KiB buffer
through the page, /api/v1 and /api/v0, an examiner logs in and out, codes are mistyped, the
API meets a database that does not answer. Then every stream those processes wrote is
searched for each upload code, verification code, token, password, session id and address."""

import json
import os
import re
import secrets
import shutil
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.contrib.auth.hashers import make_password

import conftest
from api.models import ApiToken
from depository.test_logs_journey import load_smoke
from depository.test_serve import free_port, multipart, start, stop, wait_until_healthy
from students import codes as upload_codes
from students.models import Mail
from students.tests.factories import ExamFactory, StudentFactory, UserFactory
from submissions.models import Submission

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
smoke = load_smoke()


def nginx_or_skip():
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    if not shutil.which("nginx", path=path):
        if conftest.IN_CI:
            pytest.fail("CI needs nginx (.ci/run installs it); not skipping the proxy's tests")
        pytest.skip("needs nginx: apt-get install nginx")


@pytest.fixture
def environment(collected_static, smtp, settings, tmp_path):
    tmp = Path(tempfile.mkdtemp(prefix="depository-test-logs-"))
    tmp.chmod(0o711)  # nginx's workers (as root: "nobody") reach the socket in it
    clean = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG", "LOG_JSON", "CI"}
    }
    yield {
        **clean,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": conftest.tests_database_url(),
        "DATABASE_POOL_MIN": "1",
        "DATABASE_STATEMENT_TIMEOUT": "1",
        "STATIC_ROOT": str(collected_static),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "TMPDIR": str(tmp),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "EMAIL_URL": f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
        "EMAIL_RETRY_DELAYS": "0,0",
        "SITE_URL": "https://depository.test",
    }
    shutil.rmtree(tmp, ignore_errors=True)


def post(url, body, content_type, expect):
    request = urllib.request.Request(  # noqa: S310 (loopback)
        url, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, text = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read()
    assert status == expect, text[:500]
    return text


def big_answer():
    return b"%PDF-1.7 " + os.urandom(200 * 1024)  # past nginx's 64 KiB in-memory buffer


def session_id(browser):
    (jar,) = [h.cookiejar for h in browser.opener.handlers if hasattr(h, "cookiejar")]
    return next(cookie.value for cookie in jar if cookie.name == "sessionid")


def walk(base, examiner, page_student, v1_student, v0_student, wrong_code):
    """The requests whose lines could name a secret; returns the examiner's session id."""
    # An examiner logs in, looks at the exam, and logs out.
    exam = page_student.exam
    examiner_browser = smoke.Browser(base)
    examiner_browser.submit(
        "/accounts/login/", "username", {"username": examiner.username, "password": PASSWORD}
    )
    session = session_id(examiner_browser)
    examiner_browser.get(f"/exams/{exam.pk}/")
    examiner_browser.submit(f"/exams/{exam.pk}/", "csrfmiddlewaretoken", {}, expect=302)

    # Each student uploads a body nginx keeps in a temporary file.
    student_browser = smoke.Browser(base)
    page = f"/u/{page_student.upload_code}/"
    student_browser.submit(
        page, "file", {}, files={"file": ("a.pdf", big_answer(), "application/pdf")}
    )
    content_type, body = multipart("api", big_answer())
    post(f"{base}/api/v1/uploads/{v1_student.upload_code}", body, content_type, 201)
    post(f"{base}/api/v0/submissions/{v0_student.upload_code}", body, content_type, 201)

    # Mistyped codes, and a verification.
    student_browser.get(f"/u/{wrong_code}/", expect=404)
    post(f"{base}/api/v1/uploads/{wrong_code}", body, content_type, 404)
    verification_code = Submission.objects.get(student=page_student).display_code
    student_browser.get(f"/verify/?code={verification_code}")

    deadline = time.monotonic() + 60  # the receipts: one sent, one retried, one refused
    while sorted(Mail.objects.values_list("state", flat=True)) != ["failed", "failed", "sent"]:
        assert time.monotonic() < deadline, list(Mail.objects.values("to", "state"))
        time.sleep(0.3)

    # The API while the database does not answer (a table locked past the timeout).
    with psycopg.connect(conftest.tests_database_url()) as locker:
        locker.execute('LOCK TABLE "students_student" IN ACCESS EXCLUSIVE MODE')
        post(f"{base}/api/v1/uploads/{page_student.upload_code}", body, content_type, 503)
        locker.rollback()
    return session


def handed_out(students, **others):
    """Every secret and address the journey handed out, by a name for the failure."""
    found = dict(others)
    for student in students:
        found[f"{student.nickname}'s upload code"] = student.upload_code
        found[f"{student.nickname}'s address"] = student.email
    for submission in Submission.objects.all():
        found[f"code {submission.pk}"] = submission.verification_code
        found[f"code {submission.pk} as shown"] = submission.display_code
    return found


def test_no_process_logs_a_code_token_password_session_id_or_address(environment, smtp, tmp_path):
    nginx_or_skip()
    examiner = UserFactory(email="examiner.private@example.org")
    examiner.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    examiner.save(update_fields=["password", "email"])
    students = StudentFactory.create_batch(3, exam=ExamFactory(owner=examiner))
    smtp.refuse_rcpt[students[1].email] = f"450 4.2.1 <{students[1].email}>: mailbox busy"
    smtp.refuse_rcpt[students[2].email] = f"550 5.1.1 <{students[2].email}>: no such user"
    _, token = ApiToken.objects.issue(
        examiner, name="script", scope=ApiToken.Scope.READ_WRITE, exam=students[0].exam
    )
    wrong_code = upload_codes.new_upload_code()
    port = free_port()
    serve_log = open(tmp_path / "serve.log", "w+b")  # noqa: SIM115 (closed below)
    worker_log = open(tmp_path / "worker.log", "w+b")  # noqa: SIM115
    served = start(
        ["-m", "depository.serve", "--bind", f"127.0.0.1:{port}"], environment, serve_log
    )
    worker = start(
        ["manage.py", "worker", "--no-reload", "--interval", "0.2"], environment, worker_log
    )
    try:
        wait_until_healthy(port, served, serve_log)
        session = walk(f"http://127.0.0.1:{port}", examiner, *students, wrong_code)
    finally:
        stop(worker)
        stop(served)
        serve_log.close()
        worker_log.close()

    logs = {
        "serve.py (nginx and gunicorn)": (tmp_path / "serve.log").read_text(errors="replace"),
        "worker": (tmp_path / "worker.log").read_text(errors="replace"),
    }
    secrets_handed_out = handed_out(
        students,
        password=PASSWORD,
        session_id=session,
        examiners_address=examiner.email,
        api_token=token,
        wrong_upload_code=wrong_code,
    )
    leaks = [
        f"{name} in the {stream} log"
        for stream, text in logs.items()
        for name, value in secrets_handed_out.items()
        if value in text
    ]
    assert leaks == [], "\n\n".join([*leaks, *logs.values()])

    # The lines that would have named them are there, naming ids and routes instead.
    assert Submission.objects.count() == 3
    assert "the database is unavailable" in logs["serve.py (nginx and gunicorn)"]
    mail_lines = [json.loads(line) for line in logs["worker"].splitlines() if line.startswith("{")]
    refused = [line["message"] for line in mail_lines if line["logger"] == "students.outbox"]
    assert any(re.match(r"Mail \d+: 450 4\.2\.1 <\[address\]>", text) for text in refused), refused
    assert any(re.match(r"Mail \d+ failed: 550", text) for text in refused), refused
    assert len(smtp.messages) == 1
