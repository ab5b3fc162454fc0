"""A ZIP download never ends as a quiet success with files left out: a storage that is down
stops it before it starts (503), a storage that fails or hangs while it streams makes it fail
in the browser (fewer bytes than its announced length), and a file the storage no longer has
is named in manifest.csv, in MISSING.txt and on the exam page. The faults are real: moto's
server stopped, an object deleted from the bucket, a proxy that cuts or stalls the answers."""

import csv
import http.client
import io
import os
import socket
import threading
import zipfile

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from depository.test_serve import free_port, served_database_url, serving
from students.tests.factories import ExamFactory, StudentFactory, SubmissionFactory
from submissions.models import Event, Submission

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024


def stored(exam, nickname, content):
    student = StudentFactory(exam=exam, nickname=nickname)
    return SubmissionFactory(student=student, content=content, original_name="a.pdf", stored=True)


def download(client, exam):
    """The download as a browser gets it: status, announced length, and the bytes up to the
    failure (and the failure) when the stream breaks."""
    response = client.get(f"/exams/{exam.pk}/files.zip")
    body, error = bytearray(), None
    try:
        for chunk in response.streaming_content if response.streaming else [response.content]:
            body += chunk
    except Exception as failure:  # noqa: BLE001 (what the server would see mid-stream)
        error = failure
    return response, bytes(body), error


def manifest_of(archive):
    text = archive.read("manifest.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


class Proxy:
    """A loopback TCP proxy in front of moto that, once `limit` bytes of answers have gone
    back, cuts every connection ("cut") or stops passing anything on ("hang")."""

    def __init__(self, target, mode, limit):
        self.target, self.mode, self.limit = target, mode, limit
        self.sent = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.sockets = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source, sink, answers):
        try:
            while data := source.recv(64 * 1024):
                if answers:
                    with self.lock:
                        allowed = max(0, self.limit - self.sent)
                        self.sent += len(data)
                    if allowed < len(data):
                        sink.sendall(data[:allowed])
                        if self.mode == "cut":
                            sink.shutdown(socket.SHUT_RDWR)
                        else:
                            self.stopped.wait()
                        return
                sink.sendall(data)
        except OSError:
            return

    def close(self):
        self.stopped.set()
        self.listener.close()
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def own_moto(settings, s3):
    """A moto server of this test's own, holding the test's bucket, that it may stop."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=s3.bucket)
    point_storage_at(settings, f"http://{host}:{port}")
    yield server, (host, port)
    server.stop()


def point_storage_at(settings, endpoint, read_timeout=None):
    options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": endpoint}
    if read_timeout:
        options["client_config"] = options["client_config"].merge(Config(read_timeout=read_timeout))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }


def test_a_storage_that_is_down_stops_the_download_before_it_starts(
    examiner_client, exam, own_moto
):
    server, _ = own_moto
    for n in range(3):
        stored(exam, f"s{n}", b"%PDF-1.7 answer")
    server.stop()

    response, body, _ = download(examiner_client, exam)

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["Content-Type"].startswith("text/html")
    assert "The file storage is not answering right now, so nothing was downloaded" in (
        body.decode()
    )
    assert not Event.objects.filter(kind=Event.Kind.DOWNLOAD).exists()


def test_a_storage_that_is_down_stops_a_selected_download_too(examiner_client, exam, own_moto):
    server, _ = own_moto
    student = stored(exam, "s1", b"%PDF-1.7 answer").student
    server.stop()

    response = examiner_client.post(
        f"/exams/{exam.pk}/bulk/", {"action": "zip", "student": [student.pk], "expected": 1}
    )

    assert response.status_code == 503


@pytest.mark.parametrize("mode", ["cut", "hang"])
def test_a_storage_failing_mid_stream_fails_the_download(examiner_client, exam, s3, settings, mode):
    """Cut off after 1.5 MB, or stalled there (the read timeout, 1 s here, gives up): the
    download gives fewer bytes than it announced and breaks, which a browser shows as a
    failed download; no download is logged."""
    for n in range(3):
        stored(exam, f"s{n}", os.urandom(MiB))
    target = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"].rsplit(":", 1)
    proxy = Proxy(("127.0.0.1", int(target[1])), mode, limit=3 * MiB // 2)
    point_storage_at(settings, proxy.url, read_timeout=1)
    try:
        response, body, error = download(examiner_client, exam)
    finally:
        proxy.close()

    assert response.status_code == 200
    assert error is not None
    assert MiB < len(body) < int(response["Content-Length"])
    assert not Event.objects.filter(kind=Event.Kind.DOWNLOAD).exists()


def test_a_file_deleted_from_the_bucket_is_named_in_the_zip_and_on_the_exam_page(
    examiner_client, exam, s3
):
    kept = stored(exam, "kept", b"%PDF-1.7 kept")
    lost = stored(exam, "lost", b"%PDF-1.7 lost")
    s3.delete_object(Bucket=s3.bucket, Key=lost.file.name)

    response, body, error = download(examiner_client, exam)

    assert (response.status_code, error) == (200, None)
    assert len(body) == int(response["Content-Length"])
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == [
        "kept_a.pdf",
        "manifest.csv",
        "manifest-semicolon.csv",
        "MISSING.txt",
    ]
    rows = {row["nickname"]: row for row in manifest_of(archive)}
    assert rows["kept"]["missing"] == ""
    assert rows["lost"]["missing"] == "missing from storage: not in this ZIP"
    assert rows["lost"]["verification code"] == lost.display_code
    note = archive.read("MISSING.txt").decode("utf-8-sig")
    assert "This file could not be put in the ZIP: the storage no longer has it." in note
    assert lost.display_code in note and kept.display_code not in note
    page = examiner_client.get(exam.get_absolute_url()).content.decode()
    assert 'data-testid="missing-files"' in page
    assert "The storage no longer has 1 file" in page and lost.display_code in page
    assert kept.display_code not in page.split('data-testid="missing-files"')[1].split("</div>")[0]
    # Only the file written counts as downloaded.
    assert list(
        Event.objects.filter(kind=Event.Kind.DOWNLOAD).values_list("submission", flat=True)
    ) == [kept.pk]


def test_a_file_back_in_storage_is_no_longer_named_missing(examiner_client, exam, s3):
    lost = stored(exam, "lost", b"%PDF-1.7 lost")
    s3.delete_object(Bucket=s3.bucket, Key=lost.file.name)
    download(examiner_client, exam)
    s3.put_object(Bucket=s3.bucket, Key=lost.file.name, Body=b"%PDF-1.7 lost")

    response, body, _ = download(examiner_client, exam)

    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == [
        "lost_a.pdf",
        "manifest.csv",
        "manifest-semicolon.csv",
    ]
    assert not Submission.objects.missing_from_storage().exists()


def test_a_file_gone_from_local_storage_is_named_too(examiner_client, exam):
    from django.core.files.storage import default_storage

    lost = stored(exam, "lost", b"%PDF-1.7 lost")
    default_storage.delete(lost.file.name)

    _, body, error = download(examiner_client, exam)

    assert error is None
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == ["manifest.csv", "manifest-semicolon.csv", "MISSING.txt"]
    assert lost.display_code in archive.read("MISSING.txt").decode("utf-8-sig")


# --- Through depository.serve: what a browser behind nginx gets ---------------------------


@pytest.fixture
def served_on_s3(django_db_blocker, tmp_path, s3, settings):
    """`python -m depository.serve` on the test's bucket, reached through a proxy that cuts
    the storage's answers after 1.5 MB; yields its port."""
    from conftest import IN_CI

    if not any(
        os.path.exists(os.path.join(d, "nginx")) for d in ["/usr/sbin", "/sbin", "/usr/bin"]
    ):
        if IN_CI:
            pytest.fail("CI needs nginx")
        pytest.skip("needs nginx: apt-get install nginx")
    target = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"].rsplit(":", 1)
    proxy = Proxy(("127.0.0.1", int(target[1])), "cut", limit=3 * MiB // 2)
    port = free_port()
    with django_db_blocker.unblock():
        database_url = served_database_url()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        # The test's own key: the session the test logs in with is signed with it.
        SECRET_KEY=settings.SECRET_KEY,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="true",
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
        AWS_STORAGE_BUCKET_NAME=s3.bucket,
        AWS_S3_ENDPOINT_URL=proxy.url,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    try:
        with open(tmp_path / "serve.log", "w+b") as log, serving(env, port, log):
            yield port
    finally:
        proxy.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_download_cut_short_behind_nginx_fails_in_the_browser(client, served_on_s3, examiner):
    exam = ExamFactory(owner=examiner)
    for n in range(3):
        stored(exam, f"s{n}", os.urandom(MiB))
    client.force_login(examiner)
    conn = http.client.HTTPConnection("127.0.0.1", served_on_s3, timeout=60)
    conn.request(
        "GET",
        f"/exams/{exam.pk}/files.zip",
        headers={"Cookie": f"sessionid={client.cookies['sessionid'].value}"},
    )
    response = conn.getresponse()

    assert response.status == 200
    announced = int(response.getheader("Content-Length"))
    with pytest.raises(http.client.IncompleteRead) as cut:
        response.read()
    conn.close()
    assert MiB < len(cut.value.partial) < announced
