"""The production process model (depository/serve.py: nginx in front of gunicorn), run for
real on loopback against the test database: slow uploads cannot starve fast ones."""

import contextlib
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation

from conftest import IN_CI
from students.tests.factories import ExamFactory, StudentFactory
from submissions.models import Submission

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
MiB = 1024 * 1024
# More trickling uploads than production's gunicorn has threads (2 workers x 32).
SLOW_CLIENTS = 80


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def served_database_url():
    """DATABASE_URL with the test database's name: the served app sees the test's rows."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path="/" + connection.settings_dict["NAME"]).geturl()


HEALTH_TOKEN = secrets.token_urlsafe(24)


@pytest.fixture(scope="module")
def serve_tmp():
    """The TMPDIR of the served processes: serve.py keeps nginx's folders in it. Not under
    pytest's own (0700) folders, which nginx's workers (as root: "nobody") cannot cross."""
    path = Path(tempfile.mkdtemp(prefix="depository-test-serve-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def served(django_db_setup, django_db_blocker, tmp_path_factory, serve_tmp):
    """`python -m depository.serve` as the Dockerfile runs it; yields its port."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    if not shutil.which("nginx", path=path):
        if IN_CI:
            pytest.fail("CI needs nginx (.ci/run installs it); not skipping the proxy's tests")
        pytest.skip("needs nginx: apt-get install nginx")
    port = free_port()
    with django_db_blocker.unblock():
        database_url = served_database_url()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        ALLOWED_HOSTS="127.0.0.1",
        # DEBUG on only so that static files need no collectstatic manifest.
        DEBUG="true",
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
        TMPDIR=str(serve_tmp),
        HEALTH_TOKEN=HEALTH_TOKEN,
        STATIC_ROOT=str(collected(serve_tmp / "static")),
    )
    with (
        open(tmp_path_factory.mktemp("serve") / "serve.log", "w+b") as log,
        serving(env, port, log),
    ):
        yield port


# A file as collectstatic leaves it: a hash in its name, WhiteNoise's gzip beside it.
HASHED = "css/probe.0123456789ab.css"
PROBE = b"main { color: black; }\n" * 40
MODULE = "vendor/probe.0123456789ab.mjs"  # an ES module, as the receipt's QR code imports


def collected(root):
    """A STATIC_ROOT holding HASHED and MODULE alone, readable by nginx's workers."""
    (root / "css").mkdir(parents=True)
    (root / "vendor").mkdir()
    (root / HASHED).write_bytes(PROBE)
    (root / f"{HASHED}.gz").write_bytes(gzip.compress(PROBE))
    (root / MODULE).write_text("export const probe = 1;\n")
    for path in (root, *root.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def start(argv, env, log):
    """One of our own processes (`python -m …`, `manage.py …`), its output into `log`."""
    return subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
        [sys.executable, *argv], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def stop(process):
    """SIGTERM, as Fly stops a machine; what is still running after 40 s is killed."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def serving(env, port, log):
    """`python -m depository.serve` on `port`, answering its health check, for the block."""
    process = start(["-m", "depository.serve", "--bind", f"127.0.0.1:{port}"], env, log)
    try:
        wait_until_healthy(port, process, log)
        yield process
    finally:
        stop(process)


def wait_until_healthy(port, process, log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"depository.serve stopped:\n{log.read().decode()}")
        try:
            if get(port, "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail("depository.serve did not answer /healthz within 60 s")


def get(port, path, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def multipart(form_token, content):
    boundary = "----served" + secrets.token_hex(8)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n'
        f"{form_token}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="answer.pdf"'
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", head + content + tail


def form_token(port, student):
    status, page = get(port, f"/u/{student.upload_code}/")
    assert status == 200
    return re.search(rb'name="form_token" value="([^"]+)"', page).group(1).decode()


def start_post(port, student, content_type, length, first_bytes):
    """A post whose head and first bytes are sent; the rest is the caller's to send."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"POST /u/{student.upload_code}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + first_bytes
    )
    return sock


def status_of(sock):
    reply = b""
    while b"\r\n" not in reply:
        data = sock.recv(4096)
        if not data:
            break
        reply += data
    sock.close()
    return int(reply.split()[1])


def fetch(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def test_static_files_come_from_disk_without_the_app(served):
    """nginx answers a collected static file itself: the app, which gives every response it
    makes an X-Request-Id, never sees it; kept a year (its name changes with it), and
    gzipped from WhiteNoise's copy for a browser that takes it."""
    plain, body = fetch(served, f"/static/{HASHED}")
    zipped, zipped_body = fetch(served, f"/static/{HASHED}", {"Accept-Encoding": "gzip"})
    script, _ = fetch(served, f"/static/{MODULE}")

    assert (plain.status, body) == (200, PROBE)
    assert plain.getheader("Content-Type") == "text/css"  # a browser refuses it as text/plain
    assert plain.getheader("X-Request-Id") is None
    assert plain.getheader("Cache-Control") == "max-age=315360000, public, immutable"
    assert plain.getheader("X-Content-Type-Options") == "nosniff"
    assert zipped.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped_body) == PROBE
    assert zipped.getheader("Content-Type") == "text/css"
    assert script.getheader("Content-Type") == "text/javascript"  # or no module script runs


def test_a_static_file_not_on_disk_is_the_apps_to_answer(served):
    """Not collected (DEBUG serves static files from their source folders): the app's."""
    response, body = fetch(served, "/static/css/app.css")
    missing, _ = fetch(served, "/static/css/nothing-here.css")

    assert response.status == 200
    assert response.getheader("X-Request-Id")
    assert b"body" in body
    assert missing.status == 404
    assert missing.getheader("X-Request-Id")


def test_slow_uploads_hold_up_neither_a_fast_upload_nor_the_health_check(served):
    """80 phones each in the middle of sending a 3 MiB file (stalled, as on a crowded
    network): before the proxy each held one of gunicorn's 64 threads, and a fast upload
    then waited until one of them finished."""
    slow_student, fast_student = StudentFactory.create_batch(2)
    content_type, body = multipart("slow-token", os.urandom(3 * MiB))
    trickling = [
        start_post(served, slow_student, content_type, len(body), body[:1024])
        for _ in range(SLOW_CLIENTS)
    ]
    try:
        time.sleep(1)  # every slow post has reached the server
        assert get(served, "/healthz", timeout=10)[0] == 200

        content = b"%PDF-1.7 " + os.urandom(MiB)
        content_type, fast = multipart(form_token(served, fast_student), content)
        conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
        conn.request(
            "POST", f"/u/{fast_student.upload_code}/", fast, {"Content-Type": content_type}
        )
        response = conn.getresponse()
        conn.close()
    finally:
        for sock in trickling:
            sock.close()

    assert response.status == 302
    assert "/receipt/" in response.getheader("Location")
    assert Submission.objects.get().student == fast_student


def test_an_upload_that_started_before_the_deadline_counts_though_it_ends_after(served):
    """The proxy passes the post on after its last byte: the app must judge it by its first."""
    exam = ExamFactory(closes_at=timezone.now() + timedelta(hours=1))
    student = StudentFactory(exam=exam)
    content_type, body = multipart(secrets.token_urlsafe(24), b"%PDF-1.7 late bytes")
    sock = start_post(served, student, content_type, len(body), body[:10])
    time.sleep(0.5)  # the post's first bytes have reached nginx
    exam.closes_at = timezone.now() + timedelta(seconds=1)
    exam.save()
    time.sleep(seconds_until(exam.closes_at) + 1)
    sock.sendall(body[10:])

    assert status_of(sock) == 302
    assert Submission.objects.get(student=student).accepted_at > exam.closes_at


def test_an_upload_that_starts_after_the_deadline_is_refused(served):
    exam = ExamFactory(closes_at=timezone.now() + timedelta(seconds=1))
    student = StudentFactory(exam=exam)
    content_type, body = multipart(secrets.token_urlsafe(24), b"%PDF-1.7 too late")
    time.sleep(seconds_until(exam.closes_at) + 0.5)
    sock = start_post(served, student, content_type, len(body), body)

    assert status_of(sock) == 403
    assert not Submission.objects.exists()


def seconds_until(moment):
    return max(0, (moment - timezone.now()).total_seconds())


def test_a_chunked_upload_is_read_whole_by_the_proxy_and_stored(served):
    """nginx reads a chunked body to its end and passes it on with its length."""
    student = StudentFactory()
    content_type, body = multipart(secrets.token_urlsafe(24), b"%PDF-1.7 in chunks")
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    chunks = (body[i : i + 100] for i in range(0, len(body), 100))
    conn.request(
        "POST",
        f"/u/{student.upload_code}/",
        chunks,
        {"Content-Type": content_type, "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )

    assert conn.getresponse().status == 302
    assert Submission.objects.get(student=student).size == len(b"%PDF-1.7 in chunks")


def test_a_body_past_the_hard_limit_is_refused_before_it_is_read(served, settings):
    student = StudentFactory()
    declared = settings.FILE_UPLOAD_HARD_LIMIT + settings.UPLOAD_BODY_OVERHEAD + 1
    sock = start_post(served, student, "multipart/form-data; boundary=x", declared, b"")

    assert status_of(sock) == 413


# nginx refuses a body past its client_max_body_size unread, and shows the app's page for it.
GERMAN = "de-DE,de;q=0.9"


def hard_limit_label(language="en"):
    with translation.override(language):
        return filesizeformat(settings.FILE_UPLOAD_HARD_LIMIT)


def past_the_hard_limit():
    return settings.FILE_UPLOAD_HARD_LIMIT + settings.UPLOAD_BODY_OVERHEAD + 1


def declare_too_much(port, path, headers=""):
    """A post that declares a body past nginx's limit, and nginx's whole answer to it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {past_the_hard_limit()}\r\nConnection: close\r\n\r\n".encode()
    )
    return answer_on(sock)


def answer_on(sock):
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        return response, response.read().decode()
    finally:
        sock.close()


def uploaded_student(port):
    """A student with one upload made through nginx, and what a refusal must leave alone:
    the uploads they used and their submissions."""
    student = StudentFactory()
    content_type, body = multipart(form_token(port, student), b"%PDF-1.7 first answer")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", f"/u/{student.upload_code}/", body, {"Content-Type": content_type})
    assert conn.getresponse().status == 302
    conn.close()
    before = uploads_of(student)
    assert before[0] == 1 and len(before[1]) == 1
    return student, before


def uploads_of(student):
    student.refresh_from_db()
    return student.uploads_used, list(student.submissions.values_list("pk", "size"))


def test_a_file_past_the_hard_limit_gets_the_apps_page_with_the_way_back(served):
    student, before = uploaded_student(served)
    upload_page = f"/u/{student.upload_code}/"

    response, page = declare_too_much(served, upload_page)

    assert response.status == 413
    assert '<html lang="en">' in page
    assert "This file is too large" in page
    assert f"This file is larger than {hard_limit_label()}." in page
    assert "nothing was received and no upload was used" in page
    assert f'<a href="{upload_page}">Back to your upload page</a>' in page
    assert response.getheader("Referrer-Policy") == "no-referrer"
    assert "Request Entity Too Large" not in page
    assert uploads_of(student) == before


def test_the_page_past_the_hard_limit_speaks_the_students_language(served):
    student, before = uploaded_student(served)
    upload_page = f"/u/{student.upload_code}/"

    response, page = declare_too_much(served, upload_page, f"Accept-Language: {GERMAN}\r\n")

    assert response.status == 413
    assert '<html lang="de">' in page
    assert f"Diese Datei ist größer als {hard_limit_label('de')}." in page
    assert f'<a href="{upload_page}">Zurück zu Ihrer Upload-Seite</a>' in page
    assert uploads_of(student) == before


@pytest.mark.parametrize(
    ("path", "ours_in"),
    # v0 keeps the original service's `detail` ("Upload size limit exceeded"), ours in `message`.
    [("/api/v1/uploads/{}", "detail"), ("/api/v0/submissions/{}", "message")],
    ids=["v1", "v0"],
)
def test_an_api_upload_past_the_hard_limit_gets_a_problem_document(served, path, ours_in):
    student, before = uploaded_student(served)

    response, body = declare_too_much(served, path.format(student.upload_code))

    assert response.status == 413
    assert response.getheader("Content-Type") == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 413
    assert problem["code"] == "file_too_large"
    assert problem[ours_in].startswith(f"This file is larger than {hard_limit_label()}.")
    assert uploads_of(student) == before


def test_a_chunked_body_gets_the_same_page_once_it_passes_the_hard_limit(served):
    """No length to refuse up front: nginx stops reading as soon as the chunks pass it."""
    student, before = uploaded_student(served)
    upload_page = f"/u/{student.upload_code}/"
    sock = socket.create_connection(("127.0.0.1", served), timeout=30)
    sock.sendall(
        f"POST {upload_page} HTTP/1.1\r\nHost: 127.0.0.1:{served}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
    )
    chunk = b"%x\r\n%s\r\n" % (MiB, b"x" * MiB)
    sent = 0
    try:
        while sent <= past_the_hard_limit():
            sock.sendall(chunk)
            sent += MiB
    except OSError:  # nginx may close its side once it has answered
        pass

    response, page = answer_on(sock)

    assert response.status == 413
    assert f"This file is larger than {hard_limit_label()}." in page
    assert f'<a href="{upload_page}">Back to your upload page</a>' in page
    assert uploads_of(student) == before


# nginx keeps a body past 64 KiB in a temporary file while it arrives; when it cannot (a
# full disk, a folder it may not write), it fails the request itself, with the app's page.


@contextlib.contextmanager
def nginx_cannot_write_bodies(serve_tmp):
    """The real fault: nginx's workers may no longer write their body folder."""
    (body,) = serve_tmp.glob("depository-serve-*/body")
    mode = body.stat().st_mode
    body.chmod(0)
    try:
        yield
    finally:
        body.chmod(mode)


def post_over_64k(port, path, headers=None):
    content_type, body = multipart("token-64k", b"%PDF-1.7 " + os.urandom(200 * 1024))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, {"Content-Type": content_type, **(headers or {})})
        response = conn.getresponse()
        return response, response.read().decode()
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("language", "says", "back"),
    [
        ("en", "nothing was stored and no upload was used", "Back to your upload page"),
        (GERMAN, "wurde nichts gespeichert und kein Upload verbraucht", "Zurück zu Ihrer"),
    ],
    ids=["en", "de"],
)
def test_a_body_nginx_cannot_keep_gets_the_apps_page_in_the_students_language(
    served, serve_tmp, language, says, back
):
    student, before = uploaded_student(served)
    upload_page = f"/u/{student.upload_code}/"

    with nginx_cannot_write_bodies(serve_tmp):
        response, page = post_over_64k(served, upload_page, {"Accept-Language": language})

    assert response.status == 503
    assert response.getheader("Retry-After") == "60"
    assert f'<html lang="{language[:2]}">' in page
    assert says in page
    assert back in page and f'href="{upload_page}"' in page
    assert "Internal Server Error" not in page and "nginx" not in page
    assert uploads_of(student) == before
    assert post_over_64k(served, upload_page)[0].status in {302, 422}  # and back to normal


@pytest.mark.parametrize("path", ["/api/v1/uploads/{}", "/api/v0/submissions/{}"])
def test_an_api_body_nginx_cannot_keep_gets_a_problem_document(served, serve_tmp, path):
    student, before = uploaded_student(served)

    with nginx_cannot_write_bodies(serve_tmp):
        response, body = post_over_64k(served, path.format(student.upload_code))

    assert response.status == 503
    assert response.getheader("Content-Type") == "application/problem+json"
    assert response.getheader("Retry-After") == "60"
    problem = json.loads(body)
    assert problem["code"] == "upload_not_received"
    assert "nothing was stored and no upload was used" in problem["detail"]
    assert uploads_of(student) == before


def test_the_deep_health_check_shows_the_free_space_of_nginxs_body_folder(served):
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    conn.request("GET", "/healthz/deep", headers={"Authorization": f"Bearer {HEALTH_TOKEN}"})
    checks = json.loads(conn.getresponse().read())["checks"]
    conn.close()

    assert checks["upload_temp"]["status"] == "ok"
    assert checks["upload_temp"]["proxy_free_bytes"] > 0
    assert checks["upload_temp"]["app_free_bytes"] > 0


def worker_lines(log, pattern):
    """The pids in the log's lines that match `pattern` (its group: a pid)."""
    log.seek(0)
    text = log.read().decode(errors="replace")
    return {int(pid) for pid in re.findall(pattern, text)}


def test_each_worker_builds_the_s3_client_before_its_first_request(
    django_db_blocker, s3, tmp_path, serve_tmp
):
    """Building the client loads botocore's S3 model, 98-166 ms of CPU that the first
    upload in each worker waited for: gunicorn.conf.py has each worker build it as it
    starts. Each worker says so, and no request reaches a worker's storage here."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    if not shutil.which("nginx", path=path):
        if IN_CI:
            pytest.fail("CI needs nginx (.ci/run installs it); not skipping the proxy's tests")
        pytest.skip("needs nginx: apt-get install nginx")
    options = settings.STORAGES["default"]["OPTIONS"]
    with django_db_blocker.unblock():
        database_url = served_database_url()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="true",
        LOG_LEVEL="WARNING",
        TMPDIR=str(serve_tmp),
        WEB_CONCURRENCY="2",
        AWS_STORAGE_BUCKET_NAME=s3.bucket,
        AWS_S3_ENDPOINT_URL=options["endpoint_url"],
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    with open(tmp_path / "serve.log", "w+b") as log, serving(env, free_port(), log):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            booted = worker_lines(log, r"Booting worker with pid: (\d+)")
            built = worker_lines(log, r"Worker (\d+) built the S3 client in \d+ ms of CPU")
            warmed = worker_lines(log, r"Worker (\d+) warmed up in \d+ ms of CPU")
            if len(booted) == 2 and built == booted == warmed:
                break
            time.sleep(0.2)

    assert len(booted) == 2
    assert built == booted
    assert warmed == booted
