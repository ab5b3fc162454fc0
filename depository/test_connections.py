"""The deployment's database connections, added up against the server's max_connections:
`check --deploy` and /healthz/deep say when the pools together would not fit."""

import pytest
from django.core.checks import run_checks

from depository import connections

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
TOKEN = "connections-health-token-0123456789"


def deploy_errors():
    return [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("depository.")]


def size_to(settings, total):
    """One app machine with one process, one worker and one maintenance process (2
    connections each: their pools open DATABASE_POOL_MIN), and a pool making `total`."""
    settings.APP_MACHINES = 1
    settings.WEB_CONCURRENCY = 1
    settings.WORKER_MACHINES = 1
    settings.MAINTENANCE_MACHINES = 1
    settings.DATABASE_POOL_MIN = 2
    settings.DATABASE_POOL_MAX = total - 2 - 2


def test_the_arithmetic_is_machines_times_processes_times_pool_plus_worker_and_maintenance(
    settings,
):
    settings.APP_MACHINES = 3
    settings.WEB_CONCURRENCY = 2
    settings.DATABASE_POOL_MAX = 10
    settings.DATABASE_POOL_MIN = 2
    settings.WORKER_MACHINES = 2
    settings.MAINTENANCE_MACHINES = 1

    assert connections.configured() == 3 * 2 * 10 + 2 * 2 + 1 * 2


def test_the_server_says_how_many_it_takes():
    assert connections.available() > 0


def test_exactly_as_many_as_the_database_takes_passes(settings):
    size_to(settings, connections.available())

    assert connections.configured() == connections.available()
    assert deploy_errors() == []


def test_one_over_fails_check_deploy_with_the_arithmetic(settings):
    available = connections.available()
    size_to(settings, available + 1)

    errors = deploy_errors()

    assert [error.id for error in errors] == ["depository.E001"]
    assert f"= {available + 1} connections, and the database takes {available}" in errors[0].msg
    assert "1 app machine(s) x 1 processes x" in errors[0].msg


def test_the_deep_health_check_reports_it_too(settings, client):
    settings.HEALTH_TOKEN = TOKEN
    available = connections.available()
    headers = {"Authorization": f"Bearer {TOKEN}"}

    size_to(settings, available)
    fits = client.get("/healthz/deep", headers=headers).json()["checks"]["connections"]
    size_to(settings, available + 1)
    over = client.get("/healthz/deep", headers=headers).json()["checks"]["connections"]

    assert fits["status"] == "ok"
    assert (fits["configured"], fits["max"]) == (available, available)
    assert over["status"] == "failing"
    assert f"{available + 1} connections" in over["error"]


def test_fly_toml_states_its_own_total(settings):
    from depository.test_deploy_check import FLY, ROOT

    fly = FLY["env"]
    for name in ("APP_MACHINES", "WEB_CONCURRENCY", "DATABASE_POOL_MAX", "WORKER_MACHINES"):
        setattr(settings, name, int(fly[name]))
    settings.MAINTENANCE_MACHINES = int(fly["MAINTENANCE_MACHINES"])
    settings.DATABASE_POOL_MIN = 2
    total = connections.configured()

    assert f"= {total}, against" in (ROOT / "fly.toml").read_text()
    assert f"= {total} connections (fly.toml as it stands)" in (ROOT / "README.md").read_text()
