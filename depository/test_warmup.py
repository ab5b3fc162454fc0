"""A worker makes what a first request would make lazily before it takes one."""

import pytest
from django.core.files.storage import default_storage

from depository import warmup
from submissions import storage


@pytest.fixture
def cold_storage_client():
    """Forget the process's S3 client's pool, as a new worker has none (the storage itself
    is made anew for each test's settings)."""
    storage._pool = None
    yield
    storage._pool = None


@pytest.mark.django_db
def test_it_builds_the_storage_client_and_its_pool(s3, cold_storage_client, caplog):
    took = warmup.run()

    assert default_storage._shared_connection is not None
    assert storage._pool is not None
    assert took > 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.django_db
def test_on_local_storage_there_is_no_client_to_build(local_storage, cold_storage_client, caplog):
    warmup.run()

    assert storage._pool is None
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
