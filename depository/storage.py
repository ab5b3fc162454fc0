"""The file storage, whichever it is (S3 or R2 through django-storages, or local files): its
calls for storing, deleting and naming files, with one exception for every way it can fail.
Both apps use them: submissions stores the answers, and the examiner's side deletes and
archives them."""

import unicodedata
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import default_storage, storages
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

# What a failing storage raises: the file system's OSError, or botocore's errors for S3.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class StorageUnavailable(Exception):
    pass


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


# S3's answers that say "no such object", not "the storage failed".
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
SIZE_THREADS = 16  # HeadObject requests in flight at once when sizing many files


def is_missing(error):
    """Whether a storage error says the file is not there, rather than that storage failed."""
    if isinstance(error, FileNotFoundError):
        return True
    return isinstance(error, ClientError) and error.response["Error"].get("Code") in MISSING_CODES


def stored_size(name):
    """The stored file's size in bytes, or None when the storage does not have it;
    StorageUnavailable when the storage cannot say."""
    try:
        if is_s3():
            s3 = storages["default"]
            key = s3._normalize_name(clean_name(name))
            return s3.connection.meta.client.head_object(Bucket=s3.bucket_name, Key=key)[
                "ContentLength"
            ]
        return default_storage.size(name)
    except STORAGE_ERRORS as error:
        if is_missing(error):
            return None
        raise StorageUnavailable(str(error)) from error


def stored_sizes(names):
    """stored_size() of each name, in order, SIZE_THREADS requests at a time. A storage that
    cannot be reached fails the first request, once, not once for every file."""
    names = list(names)
    if not names:
        return []
    first = stored_size(names[0])
    with ThreadPoolExecutor(SIZE_THREADS) as pool:
        futures = [pool.submit(stored_size, name) for name in names[1:]]
        try:
            return [first] + [future.result() for future in futures]
        except StorageUnavailable:
            pool.shutdown(cancel_futures=True)
            raise
