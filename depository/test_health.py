import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from moto.server import ThreadedMotoServer

from conftest import S3_CREDENTIALS
from depository import health
from students.models import WorkerHeartbeat
from students.tasks import deliver_mail

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "s3cret-health-token-0123456789abcdef"


HEALTHY = {
    "database": "ok",
    "connections": "ok",
    "storage": "ok",
    "upload_temp": "ok",
    "throttle": "ok",
    "worker": "ok",
    "task_queue": "ok",
}


@pytest.fixture(autouse=True)
def health_token(settings):
    settings.HEALTH_TOKEN = TOKEN


@pytest.fixture(autouse=True)
def a_worker_alive(request):
    """A worker beat just now, as one does every minute (tests of the worker check start
    from no worker at all, with `no_worker`)."""
    if "django_db" in request.keywords:
        request.getfixturevalue("db")
        WorkerHeartbeat.beat("worker-host:1")


@pytest.fixture
def no_worker(db):
    WorkerHeartbeat.objects.all().delete()


def deep(client, token=TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.get("/healthz/deep", headers=headers)


def statuses(response):
    return {name: check["status"] for name, check in response.json()["checks"].items()}


@pytest.mark.django_db
def test_it_reports_every_part_healthy_with_its_latency(client):
    response = deep(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert statuses(response) == HEALTHY
    assert all(check["latency_ms"] >= 0 for check in body["checks"].values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
    ],
    ids=["none", "one-over", "one-short", "empty", "other-scheme", "no-scheme"],
)
def test_it_404s_without_the_right_token_and_checks_nothing(client, headers, monkeypatch):
    monkeypatch.setattr(health, "CHECKS", {"database": pytest.fail})

    response = client.get("/healthz/deep", headers=headers)

    assert response.status_code == 404
    assert b"We could not find that page" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete", "head", "options"])
def test_it_404s_any_method_without_the_token(client, method):
    assert getattr(client, method)("/healthz/deep").status_code == 404


@pytest.mark.django_db
def test_with_the_token_it_refuses_methods_other_than_get(client):
    headers = {"Authorization": f"Bearer {TOKEN}"}

    assert client.post("/healthz/deep", headers=headers).status_code == 405
    assert client.head("/healthz/deep", headers=headers).status_code == 200


@pytest.mark.django_db
def test_it_404s_when_no_token_is_configured(client, settings):
    settings.HEALTH_TOKEN = ""

    assert deep(client, token="").status_code == 404
    assert deep(client, token=TOKEN).status_code == 404


@pytest.mark.django_db
def test_the_bearer_scheme_is_case_insensitive(client):
    response = client.get("/healthz/deep", headers={"Authorization": f"bearer {TOKEN}"})

    assert response.status_code == 200


@pytest.mark.django_db
def test_storage_on_s3_is_checked_with_one_request_to_the_bucket(client, s3):
    response = deep(client)

    assert response.status_code == 200
    assert statuses(response)["storage"] == "ok"


@pytest.mark.django_db
def test_a_stopped_s3_server_fails_the_storage_check(client, s3, settings):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", **S3_CREDENTIALS
    ).create_bucket(Bucket="answers")
    options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": endpoint}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {**options, "bucket_name": "answers"},
        },
    }
    assert deep(client).status_code == 200

    server.stop()
    response = deep(client)

    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert statuses(response) == {**HEALTHY, "storage": "failing"}
    assert "EndpointConnectionError" in response.json()["checks"]["storage"]["error"]


@pytest.mark.django_db
def test_a_missing_bucket_fails_the_storage_check(client, s3):
    s3.delete_bucket(Bucket=s3.bucket)

    response = deep(client)

    assert response.status_code == 503
    assert statuses(response)["storage"] == "failing"


@pytest.mark.django_db
def test_a_local_storage_folder_that_cannot_exist_fails_the_storage_check(
    client, settings, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocker / "media"},
        },
    }

    response = deep(client)

    assert response.status_code == 503
    assert statuses(response)["storage"] == "failing"


@pytest.mark.django_db
def test_the_throttle_store_in_the_database_is_written_and_read(client, settings):
    settings.REDIS_URL = ""

    response = deep(client)

    assert response.status_code == 200
    assert statuses(response)["throttle"] == "ok"


@pytest.mark.django_db
def test_a_missing_counter_table_fails_the_throttle_check(client, settings):
    """The fault: the counter table is missing (renamed away inside the test's transaction,
    which puts it back)."""
    settings.REDIS_URL = ""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE submissions_codemisscount RENAME TO gone_code_misses")

    response = deep(client)

    assert response.status_code == 503
    assert statuses(response) == {**HEALTHY, "throttle": "failing"}
    assert "submissions_codemisscount" in response.json()["checks"]["throttle"]["error"]


@pytest.mark.django_db
def test_no_worker_ever_seen_fails_the_worker_check(client, no_worker):
    response = deep(client)

    assert response.status_code == 503
    assert statuses(response) == {**HEALTHY, "worker": "failing"}
    assert "No worker has ever reported" in response.json()["checks"]["worker"]["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(("age", "status"), [(170, "ok"), (190, "failing")])
def test_a_heartbeat_older_than_three_minutes_fails_the_worker_check(
    client, no_worker, age, status
):
    WorkerHeartbeat.beat("gone-host:7", at=timezone.now() - timedelta(seconds=age))

    response = deep(client)

    assert statuses(response)["worker"] == status
    assert response.status_code == (200 if status == "ok" else 503)


@pytest.mark.django_db
def test_the_newest_of_several_workers_counts(client, no_worker):
    WorkerHeartbeat.beat("old-host:1", at=timezone.now() - timedelta(hours=2))
    WorkerHeartbeat.beat("new-host:2", at=timezone.now() - timedelta(seconds=30))

    check = deep(client).json()["checks"]["worker"]

    assert check["status"] == "ok"
    assert 30 <= check["last_heartbeat_seconds_ago"] < 60


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_real_worker_reports_its_heartbeat(client, no_worker):
    """`manage.py worker`, as production runs it, in its own process on this database."""
    assert deep(client).status_code == 503
    db = connection.settings_dict
    result = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr

    response = deep(client)

    assert response.status_code == 200, response.json()
    assert WorkerHeartbeat.objects.get().worker.startswith(f"{socket.gethostname()}:")


@pytest.mark.django_db
def test_an_empty_queue_is_healthy(client):
    check = deep(client).json()["checks"]["task_queue"]

    assert check == {**check, "status": "ok", "oldest_queued_task_seconds": 0}


@pytest.mark.django_db
@pytest.mark.parametrize(("waited", "status"), [(290, "ok"), (310, "failing")])
def test_a_task_waiting_over_five_minutes_fails_the_queue_check(client, waited, status):
    deliver_mail.enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(seconds=waited))

    response = deep(client)

    assert statuses(response)["task_queue"] == status
    assert response.status_code == (200 if status == "ok" else 503)


@pytest.mark.django_db
def test_a_retry_waits_from_when_it_was_due_not_from_when_it_was_queued(client):
    deliver_mail.using(run_after=timezone.now() - timedelta(seconds=20)).enqueue()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))

    check = deep(client).json()["checks"]["task_queue"]

    assert check["status"] == "ok"
    assert 20 <= check["oldest_queued_task_seconds"] < 60


@pytest.mark.django_db
def test_a_task_that_is_running_or_not_yet_due_is_not_waiting(client):
    deliver_mail.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    deliver_mail.enqueue()
    DBTaskResult.objects.filter(run_after=get_date_max()).update(status="RUNNING")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(hours=1))

    assert deep(client).json()["checks"]["task_queue"]["oldest_queued_task_seconds"] == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_a_redis_that_does_not_answer_fails_the_throttle_check(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    response = deep(client)

    assert response.status_code == 503
    assert statuses(response)["throttle"] == "failing"


@pytest.mark.django_db
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL")
def test_the_throttle_store_in_redis_is_written_and_read(client, settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]

    assert statuses(deep(client))["throttle"] == "ok"


def deep_check_in_a_process(database_url):
    """The health check in a fresh process whose DATABASE_URL names `database_url`."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost')"
        f".get('/healthz/deep', headers={{'Authorization': 'Bearer {TOKEN}'}});"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_URL"))},
        "DJANGO_SETTINGS_MODULE": "depository.settings",
        "DATABASE_URL": database_url,
        "DATABASE_POOL_TIMEOUT": "2",
        "HEALTH_TOKEN": TOKEN,
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_a_wrong_database_fails_the_database_check(tmp_path):
    if connection.vendor == "postgresql":
        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/no_such_database"
    else:
        url = f"sqlite:///{tmp_path}/no/such/folder/db.sqlite3"

    answer = deep_check_in_a_process(url)

    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"]["status"] == "failing"
    assert answer["body"]["checks"]["storage"]["status"] == "ok"


def test_a_temporary_folder_needs_at_least_the_minimum_free(settings):
    settings.UPLOAD_TEMP_MIN_FREE_BYTES = 1000

    assert health.has_room(1000)
    assert not health.has_room(999)


@pytest.mark.django_db
def test_the_upload_folders_free_space_is_shown_and_too_little_fails(client, settings, tmp_path):
    settings.PROXY_BODY_TEMP_DIR = str(tmp_path)
    ok = deep(client).json()["checks"]["upload_temp"]
    settings.UPLOAD_TEMP_MIN_FREE_BYTES = ok["proxy_free_bytes"] * 2

    response = deep(client)

    assert ok["status"] == "ok" and ok["app_free_bytes"] > 0
    assert response.status_code == 503
    failing = response.json()["checks"]["upload_temp"]
    assert failing["status"] == "failing"
    assert "bytes free, less than" in failing["error"]
