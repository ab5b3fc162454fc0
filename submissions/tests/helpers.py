import hashlib
import http.client
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse


def upload_url(student):
    return reverse("submissions:upload", args=[student.upload_code])


def answer(content=b"%PDF-1.7 my answers", name="answer.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post_upload(
    client,
    student,
    content=b"%PDF-1.7 my answers",
    name="answer.pdf",
    token=None,
    confirm_last=True,
    **fields,
):
    """Posts the upload form as a browser would; the last upload's box is ticked unless
    `confirm_last` is False (a form without that box ignores it)."""
    data = {"form_token": token or secrets.token_urlsafe(24), **fields}
    if confirm_last:
        data["confirm_last"] = "on"
    data["file"] = answer(content, name)
    return client.post(upload_url(student), data)


def sha256(content):
    return hashlib.sha256(content).hexdigest()


def commit_file(student, content=b"%PDF-1.7 my answers", name="answer.pdf", at=None, **fields):
    """A two-step upload's first step as the page's script takes it: the file fixed by its
    fingerprint, its bytes not sent. Returns the Commitment."""
    from submissions import uploads

    return uploads.commit(
        student,
        token=secrets.token_urlsafe(24),
        sha256=sha256(content),
        size=len(content),
        name=name,
        at=at,
        **fields,
    )


def put_bytes(url, headers, content=b"%PDF-1.7 my answers"):
    """PUT `content` to a presigned URL of the bucket (uploads.delivery's), over HTTP, with
    its headers: the status storage answered."""
    request = urllib.request.Request(url, data=content, method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def deliver_and_complete(student, commitment, content=b"%PDF-1.7 my answers"):
    """Its bytes through the app (local storage), then the completion: the Submission."""
    import io

    from submissions import uploads

    uploads.deliver(student, commitment, io.BytesIO(content), len(content))
    return uploads.complete(student, commitment)


def http_get(url, timeout=60):
    """GET over a real socket (for the gunicorn servers of `app_servers`): status and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def http_upload(
    url, content=b"%PDF-1.7 my answers", name="answer.pdf", pieces=1, pause=0.0, timeout=60
):
    """Post the upload form over a real socket, its body in `pieces` with `pause` seconds
    between them (a slow phone); returns the status, the Location header and the body."""
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n'
            f"{secrets.token_urlsafe(24)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.putrequest("POST", parts.path)
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        size = -(-len(body) // pieces)
        for start in range(0, len(body), size):
            if start:
                time.sleep(pause)
            conn.send(body[start : start + size])
        response = conn.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        conn.close()
