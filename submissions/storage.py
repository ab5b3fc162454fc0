"""Where answer files live, and how a browser gets one back."""

import re
import threading
import unicodedata

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage, storages
from django.urls import reverse
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, get_available_overwrite_name, is_seekable

DOWNLOAD_SALT = "submissions.download"

# What a failing storage raises: the file system's OSError, or botocore's errors for S3.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class StorageUnavailable(Exception):
    pass


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


# Characters Windows refuses in a file name, besides the path separators.
WINDOWS_RESERVED = ':*?"<>|'


def safe_filename(name, *, portable=False, max_length=255):
    """The file name to show and to send: no control or direction-changing characters
    (which can make "cod.exe" look like "exe.doc"), no path, never empty, at most
    `max_length` characters with the extension kept. `portable`: nor any character Windows
    refuses, for a name that becomes a file on someone's disk as it is (a ZIP entry)."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    replaced = "/\\" + (WINDOWS_RESERVED if portable else "")
    name = "".join("_" if ch in replaced else ch for ch in name).strip(" .")
    if len(name) > max_length:
        stem, dot, extension = name.rpartition(".")
        keep = len(dot + extension) if stem and len(extension) <= 10 else 0
        name = name[: max_length - keep] + name[len(name) - keep :]
    return name or "download"


def attachment(filename):
    """Content-Disposition for a stored file: always an attachment, never shown inline."""
    return content_disposition_header(as_attachment=True, filename=safe_filename(filename))


def store(key, uploaded_file, filename, content_type):
    """Save the upload under `key`; StorageUnavailable when the storage cannot take it."""
    uploaded_file.content_type = content_type
    uploaded_file.content_disposition = attachment(filename)
    try:
        return default_storage.save(key, uploaded_file)
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


def delete(key):
    """Delete a stored object; StorageUnavailable when the storage cannot be reached."""
    try:
        default_storage.delete(key)
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


DELETE_BATCH = 1000  # S3's most keys per DeleteObjects request


def delete_many(keys):
    """Delete up to DELETE_BATCH stored objects: one request on S3 (an exam's thousands of
    files then go in seconds, not one round trip each), one by one on a file system."""
    try:
        if is_s3():
            default_storage.delete_many(keys)
        else:
            for key in keys:
                default_storage.delete(key)
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


def is_s3():
    return isinstance(storages["default"], S3Storage)


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
