import hashlib
import secrets

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
