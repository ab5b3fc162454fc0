"""Where answer files live, and how a browser gets one back. The storage calls that are not
about submissions (storing, deleting, safe file names) are depository.storage's, which the
examiner's side uses too; this app reaches them through this module."""

import base64
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from urllib.parse import urlsplit

import urllib3
from botocore.exceptions import ClientError
from django.conf import settings
from django.core import signing
from django.core.files.base import File
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
    is_missing,
    is_s3,
    safe_filename,
    store,
)
from students.filetypes import HEAD_BYTES, OCTET_STREAM

log = logging.getLogger(__name__)

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


def warm_up():
    """Build the S3 client, sign one URL of each kind an upload needs (botocore loads its
    endpoint rules and models on the first) and open the read pool's connection, so a
    worker's first student does not pay for them. StorageUnavailable if storage is away."""
    if not is_s3():
        return
    presigned_put("submissions/warm-up", size=1, content_type=OCTET_STREAM, sha256="0" * 64,
                  filename="warm-up", seconds=1)  # fmt: skip
    client = default_storage.connection.meta.client
    client.generate_presigned_url(
        "get_object", Params={"Bucket": default_storage.bucket_name, "Key": "warm-up"}
    )
    # One HEAD of a key that is not there: the read pool's connection to storage opened (on
    # R2 its TLS handshake), which a first completion would otherwise wait for.
    _presigned("head_object", "submissions/warm-up", ChecksumMode="ENABLED")


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


# --- Two-step uploads: the bytes go straight to storage ----------------------------------

# The headers a browser sends with its PUT: each is signed into the presigned URL, so storage
# refuses a PUT without them or with other values (and the bucket's CORS rule, set by
# `manage.py storage_cors`, lets a page of the site send them).
PUT_HEADERS = ("Content-Type", "Content-Disposition", "x-amz-checksum-sha256")


def sha256_base64(hex_digest):
    """The form S3's checksum headers take: the digest's bytes in base64."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def presigned_put(key, *, size, content_type, sha256, filename, seconds):
    """Where a browser PUTs a file of exactly `size` bytes whose SHA-256 is `sha256` (hex):
    a presigned URL for `key`, good for `seconds`, and the headers to send with it. Its
    Content-Length and checksum are signed, so storage itself refuses a body of another
    length (SignatureDoesNotMatch) or other content (BadDigest)."""
    s3 = default_storage
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": attachment(filename),
        "x-amz-checksum-sha256": sha256_base64(sha256),
    }
    try:
        url = s3.connection.meta.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": s3.bucket_name,
                "Key": s3._normalize_name(clean_name(key)),
                "ContentLength": size,
                "ContentType": headers["Content-Type"],
                "ContentDisposition": headers["Content-Disposition"],
                "ChecksumSHA256": headers["x-amz-checksum-sha256"],
            },
            ExpiresIn=seconds,
        )
    except STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error
    return url, headers


_upload_origins = {}


def upload_origin():
    """The origin (scheme://host:port) a browser PUTs a two-step upload's bytes to, for the
    page's Content Security Policy (connect-src): the bucket's, as its presigned URLs name it
    (virtual-hosted or path style, whichever the client chose for this endpoint and bucket).
    Presigning is computed locally, without a request; once per bucket and process. None
    when no URL can be presigned (no credentials): then no PUT could be made either."""
    s3 = default_storage
    key = (s3.endpoint_url, s3.bucket_name)
    if key not in _upload_origins:
        try:
            url = s3.connection.meta.client.generate_presigned_url(
                "put_object", Params={"Bucket": s3.bucket_name, "Key": "origin"}, ExpiresIn=60
            )
        except STORAGE_ERRORS:
            log.exception("Could not presign a URL of bucket %s", s3.bucket_name)
            return None
        parts = urlsplit(url)
        _upload_origins[key] = f"{parts.scheme}://{parts.netloc}"
    return _upload_origins[key]


@dataclass(frozen=True)
class StoredObject:
    size: int
    sha256: str  # hex
    head: bytes  # the first HEAD_BYTES, to judge its type by
    # Where the SHA-256 came from: the storage's own checksum, or the app reading it back.
    sha256_from: str


def inspect(key):
    """What storage holds under `key`: its size, SHA-256 and first bytes, or None when there
    is nothing; StorageUnavailable when storage cannot say. On S3 the SHA-256 is the one
    storage checked the PUT against (HeadObject with checksums; two small requests in all);
    a store that keeps no checksum has the object read back and hashed."""
    try:
        if is_s3():
            return _inspect_s3(key)
        return _inspect_file(key)
    except STORAGE_ERRORS as error:
        if is_missing(error):
            return None
        raise StorageUnavailable(str(error)) from error


def _inspect_s3(key):
    """HeadObject with checksums, then the first bytes (a ranged GetObject), each sent as a
    presigned request through one pool of connections: botocore signs it (a tenth of a
    millisecond), and the answer's few headers are read here, which costs a fraction of the
    client's own call (bench/RESULTS.md: the completion's CPU)."""
    found = _presigned("head_object", key, ChecksumMode="ENABLED")
    if found.status == 404:
        return None
    size = int(found.headers["Content-Length"])
    checksum = found.headers.get("x-amz-checksum-sha256", "")
    if checksum and "-" not in checksum:  # a composite (multipart) checksum is not the file's
        head = b""
        if size:
            head = _presigned("get_object", key, Range=f"bytes=0-{HEAD_BYTES - 1}").data
        return StoredObject(
            size=size, sha256=base64.b64decode(checksum).hex(), head=head, sha256_from="storage"
        )
    s3 = default_storage
    body = s3.connection.meta.client.get_object(
        Bucket=s3.bucket_name, Key=s3._normalize_name(clean_name(key))
    )["Body"]
    digest, head = _hash_stream(body)
    return StoredObject(size=size, sha256=digest.hexdigest(), head=head, sha256_from="read back")


_pool_lock = threading.Lock()
_pool = None


def _http():
    """One urllib3 pool per process for the presigned reads, with the client's timeouts."""
    global _pool
    with _pool_lock:
        if _pool is None:
            config = settings.S3_CLIENT_CONFIG
            timeout = urllib3.Timeout(connect=config.connect_timeout, read=config.read_timeout)
            _pool = urllib3.PoolManager(
                maxsize=16, timeout=timeout, retries=urllib3.Retry(total=1, redirect=False)
            )
    return _pool


# The headers a presigned request signs for these parameters, which it must then send.
SIGNED_HEADERS = {"ChecksumMode": "x-amz-checksum-mode", "Range": "Range"}


def _presigned(operation, key, **params):
    """A small read of `key` (HEAD, or a ranged GET) as a presigned request; its answer, or
    StorageUnavailable for anything but 2xx and 404."""
    s3 = default_storage
    url = s3.connection.meta.client.generate_presigned_url(
        operation,
        Params={"Bucket": s3.bucket_name, "Key": s3._normalize_name(clean_name(key)), **params},
        ExpiresIn=60,
    )
    headers = {SIGNED_HEADERS[name]: value for name, value in params.items()}
    method = "HEAD" if operation == "head_object" else "GET"
    try:
        answer = _http().request(method, url, headers=headers)
    except urllib3.exceptions.HTTPError as error:
        raise StorageUnavailable(str(error)) from error
    if answer.status >= 300 and answer.status != 404:
        raise StorageUnavailable(f"{method} {key}: HTTP {answer.status}")
    return answer


def _inspect_file(key):
    with default_storage.open(key, "rb") as file:
        digest, head = _hash_stream(file)
        size = file.tell()
    return StoredObject(size=size, sha256=digest.hexdigest(), head=head, sha256_from="read back")


def _hash_stream(stream, chunk=256 * 1024):
    digest, head = hashlib.sha256(), b""
    while block := stream.read(chunk):
        if len(head) < HEAD_BYTES:
            head += block[: HEAD_BYTES - len(head)]
        digest.update(block)
    return digest, head


def save_delivered(key, stream, size):
    """A two-step upload's bytes, PUT to the app (storage that cannot presign: local files):
    exactly `size` bytes of `stream` saved under `key`, replacing what an earlier attempt
    left. Returns False, keeping nothing, when the stream holds fewer or more."""
    with SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as spool:
        received = 0
        while received <= size and (block := stream.read(min(256 * 1024, size + 1 - received))):
            spool.write(block)
            received += len(block)
        if received != size:
            return False
        spool.seek(0)
        try:
            default_storage.delete(key)
            default_storage.save(key, File(spool, name=key))
        except STORAGE_ERRORS as error:
            raise StorageUnavailable(str(error)) from error
    return True


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
