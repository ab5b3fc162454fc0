"""Where answer files live, and how a browser gets one back. The storage calls that are not
about submissions (storing, deleting, safe file names) are depository.storage's, which the
examiner's side uses too; this app reaches them through this module."""

import re
import threading
import time

from botocore.exceptions import ClientError
from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage, storages
from django.urls import reverse
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, get_available_overwrite_name, is_seekable

from depository.storage import (  # noqa: F401 (this app's storage calls, in one place)
    DELETE_BATCH,
    STORAGE_ERRORS,
    StorageUnavailable,
    attachment,
    delete,
    delete_many,
    is_s3,
    safe_filename,
    store,
)

DOWNLOAD_SALT = "submissions.download"

# submission_key()'s names: 128 random bits, so two uploads never get the same key.
RANDOM_KEY = re.compile(r"^submissions/[0-9a-f]{32}$")


class SubmissionS3Storage(S3Storage):
    """S3Storage that stores each object with the Content-Disposition its content carries,
    since not every S3-compatible store honours a presigned URL's override.

    Tuned for the deadline rush (bench/rush.py measured each change): one boto3 connection
    per process, one PutObject per file, and no existence check for random keys."""

    _connection_lock = threading.Lock()
    _shared_connection = None

    @property
    def connection(self):
        """One boto3 resource per process, not S3Storage's one per thread: its client is
        thread-safe, and every copy loads its own S3 model (about 13 MiB per thread)."""
        if self._shared_connection is None:
            with self._connection_lock:
                if self._shared_connection is None:
                    self._shared_connection = S3Storage.connection.fget(self)
        return self._shared_connection

    def get_available_name(self, name, max_length=None):
        """file_overwrite stays False: any name may be taken, so it is checked first (a HEAD
        request), except submission_key()'s random names, which cannot be taken."""
        if RANDOM_KEY.match(name):
            return get_available_overwrite_name(clean_name(name), max_length)
        return super().get_available_name(name, max_length)

    def delete_many(self, names):
        """At most DELETE_BATCH objects in one DeleteObjects request."""
        objects = [{"Key": self._normalize_name(clean_name(name))} for name in names]
        answer = self.connection.meta.client.delete_objects(
            Bucket=self.bucket_name, Delete={"Objects": objects, "Quiet": True}
        )
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise StorageUnavailable(f"{first.get('Key')}: {first.get('Message')}")

    def _save(self, name, content):
        """A plain PutObject on the client. S3Storage's own goes through a boto3 resource and
        s3transfer, which build an Object class and start threads for every file; files are
        at most FILE_UPLOAD_HARD_LIMIT, far below where a multipart upload helps."""
        if not is_seekable(content):
            return super()._save(name, content)
        cleaned_name = clean_name(name)
        key = self._normalize_name(cleaned_name)
        params = self._get_write_parameters(key, content)
        content.seek(0)
        self.connection.meta.client.put_object(
            Bucket=self.bucket_name, Key=key, Body=content, **params
        )
        return cleaned_name

    def delete(self, name):
        """DeleteObject on the client, without building a resource Object per call."""
        key = self._normalize_name(clean_name(name))
        try:
            self.connection.meta.client.delete_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response["ResponseMetadata"]["HTTPStatusCode"] != 404:
                raise

    def _get_write_parameters(self, name, content=None):
        params = super()._get_write_parameters(name, content)
        disposition = getattr(content, "content_disposition", None)
        if disposition:
            params["ContentDisposition"] = disposition
        return params


def download_url(submission):
    """A URL that works for DOWNLOAD_LINK_SECONDS and makes the browser save the file."""
    if is_s3():
        return default_storage.url(
            submission.file.name,
            parameters={
                "ResponseContentDisposition": attachment(submission.original_name),
                "ResponseContentType": submission.content_type,
            },
            expire=settings.DOWNLOAD_LINK_SECONDS,
        )
    token = signing.dumps(submission.pk, salt=DOWNLOAD_SALT)
    return reverse("submissions:file", args=[token])


def submission_pk_from_token(token):
    """The submission a local download link names, or None when forged or expired."""
    try:
        return signing.loads(token, salt=DOWNLOAD_SALT, max_age=settings.DOWNLOAD_LINK_SECONDS)
    except signing.BadSignature:
        return None


def connect():
    """Build the S3 storage's client now, when the file storage is S3 (gunicorn.conf.py does
    it as each worker starts): botocore loads its model of S3 for it, about 100 ms of CPU
    that the first upload in each worker would otherwise wait for. No request is sent.
    The CPU it took, in milliseconds; None when the storage is not S3."""
    storage = storages["default"]
    if not isinstance(storage, SubmissionS3Storage):
        return None
    started = time.process_time()
    storage.connection  # noqa: B018 (the property builds it)
    return (time.process_time() - started) * 1000
