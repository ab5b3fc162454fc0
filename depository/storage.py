"""The file storage, whichever it is (S3 or R2 through django-storages, or local files): its
calls for storing, deleting and naming files, with one exception for every way it can fail.
Both apps use them: submissions stores the answers, and the examiner's side deletes and
archives them."""

import unicodedata

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.storage import default_storage, storages
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage

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
