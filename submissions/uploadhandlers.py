import hashlib
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# The handler lets a file run SLACK past its limit, so the form's validator can name the
# file's exact size. The server never reads more than limit + 64 KiB of a body all the
# same: the view refuses a declared length past that before reading anything. Chunks of
# 256 KiB, not 16 KiB: gunicorn copies its read-ahead buffer on every read, and small reads
# made that copying a third of an upload's CPU (bench/RESULTS.md).
CHUNK_SIZE = 256 * 1024
SLACK = 16 * 1024


class HashingUploadHandler(FileUploadHandler):
    """
    Receives every uploaded file: keeps it in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE (on
    disk beyond), computes its SHA-256 while it streams in, and stops reading the request
    (connection reset) once the file passes the limit. The limit is the request's
    `upload_limit` when a view set one before reading the body, else FILE_UPLOAD_HARD_LIMIT.
    The MD5 (the original service's checksum, for its API's clients) is computed in the
    same pass when UPLOAD_MD5 is on or the view set `upload_md5`: it costs more than twice
    the SHA-256 (about 6.5 ms against 2.5 ms of CPU for 3 MiB), so not on every upload.
    """

    chunk_size = CHUNK_SIZE

    def __init__(self, request=None):
        super().__init__(request)
        limit = getattr(request, "upload_limit", None) or settings.FILE_UPLOAD_HARD_LIMIT
        self.limit = limit + SLACK
        self.wants_md5 = settings.UPLOAD_MD5 or getattr(request, "upload_md5", False)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.file = SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 (closed with the request)
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False) if self.wants_md5 else None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.file.close()
            if self.request is not None:
                self.request.upload_over_limit = True
            raise StopUpload(connection_reset=True)
        self.sha256.update(raw_data)
        if self.md5 is not None:
            self.md5.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        uploaded = UploadedFile(
            file=self.file,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
        uploaded.sha256 = self.sha256.hexdigest()
        uploaded.md5 = self.md5.hexdigest() if self.md5 is not None else ""
        return uploaded
