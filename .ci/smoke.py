#!/usr/bin/env python3
"""
Smoke test of a running Exam Depository, through its pages as a browser would use them.

/healthz answers; an examiner logs in, creates an exam and adds a student; the student
uploads one file through their personal page and sees the receipt; a reviewer looks the
verification code up and downloads the file; the examiner downloads it too. Both
downloads must give back the uploaded bytes.

    python3 .ci/smoke.py http://127.0.0.1:8000 USERNAME PASSWORD

Standard library only, so it runs on a bare CI machine against the container. Exits 1
with the step that failed. journey() returns the codes and download URLs it met, for the
test that checks none of them reaches a log line.
"""

import argparse
import hashlib
import http.cookiejar
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html.parser import HTMLParser


class SmokeFailed(Exception):
    pass


class Forms(HTMLParser):
    """The forms of a page: action, method and the values a browser would send."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}, "files": []})
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attrs.get("name")
        if tag == "input" and name:
            self._input(fields, name, attrs)
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, None)
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if fields[self._select] is None or "selected" in attrs:
                fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def _input(self, fields, name, attrs):
        kind = attrs.get("type", "text")
        if kind == "file":
            self.forms[-1]["files"].append(name)
        elif kind in {"checkbox", "radio"}:
            if "checked" in attrs:
                fields[name] = attrs.get("value", "on")
        elif kind not in {"submit", "button", "image", "reset"}:
            fields[name] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirects()
        )

    def request(self, path, data=None, headers=None, expect=200):
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        body = response.read()
        if response.status != expect:
            raise SmokeFailed(f"{url}: HTTP {response.status}, expected {expect}\n{body[:2000]!r}")
        return response, body

    def get(self, path, expect=200):
        return self.request(path, expect=expect)

    def form(self, path, containing):
        """The form on `path` that has a field named `containing`."""
        _, body = self.get(path)
        parser = Forms()
        parser.feed(body.decode())
        for form in parser.forms:
            if containing in form["fields"] or containing in form["files"]:
                return form
        raise SmokeFailed(f"{path}: no form with a field {containing!r}")

    def submit(self, path, containing, values, files=None, expect=302):
        """Fills the form as a browser would, with `values` typed in; returns the redirect."""
        form = self.form(path, containing)
        fields = {**form["fields"], **values}
        action = form["action"] or path
        headers = {"Referer": self.base_url + path, "Origin": self.base_url}
        if files:
            data, content_type = multipart(fields, files)
        else:
            data = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        headers["Content-Type"] = content_type
        response, _ = self.request(action, data=data, headers=headers, expect=expect)
        return response.headers.get("Location", "")


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    lines = []
    for name, value in fields.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"'.encode(),
            b"",
            str(value).encode(),
        ]
    for name, (filename, content, content_type) in files.items():
        lines += [
            f"--{boundary}".encode(),
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'.encode(),
            f"Content-Type: {content_type}".encode(),
            b"",
            content,
        ]
    lines += [f"--{boundary}--".encode(), b""]
    return b"\r\n".join(lines), f"multipart/form-data; boundary={boundary}"


def wait_until_up(browser, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, body = browser.get("/healthz")
        except (OSError, SmokeFailed) as error:
            if time.monotonic() > deadline:
                raise SmokeFailed(f"/healthz did not answer within {seconds} s: {error}") from None
            time.sleep(0.5)
        else:
            if body.strip() != b"ok":
                raise SmokeFailed(f"/healthz answered {body[:200]!r}")
            return


def path_of(location):
    return urllib.parse.urlsplit(location).path


def journey(base_url, username, password, wait=60):
    examiner = Browser(base_url)
    wait_until_up(examiner, wait)
    step("/healthz answers")

    landed = examiner.submit(
        "/accounts/login/", "username", {"username": username, "password": password}
    )
    if path_of(landed) != "/exams/":
        raise SmokeFailed(f"logging in led to {landed!r}, not /exams/")
    step("the examiner logs in")

    exam_url = examiner.submit("/exams/new/", "title", {"title": "Smoke test"})
    step(f"creates an exam ({path_of(exam_url)})")
    student_url = examiner.submit(
        path_of(exam_url) + "students/new/",
        "nickname",
        {"nickname": "s1", "first_name": "Ada", "last_name": "Lovelace", "email": ""},
    )
    _, page = examiner.get(path_of(student_url))
    link = re.search(rb'id="upload-link" value="([^"]+)"', page)
    if not link:
        raise SmokeFailed(f"{student_url}: no personal upload link on the student's page")
    upload_url = link.group(1).decode()
    step("adds a student and reads their personal upload link")

    student = Browser(base_url)
    content = b"%PDF-1.7\n" + os.urandom(20_000)
    sha256 = hashlib.sha256(content).hexdigest()
    receipt_url = student.submit(
        path_of(upload_url),
        "file",
        {},
        files={"file": ("answer.pdf", content, "application/pdf")},
    )
    code = re.search(r"/receipt/([^/]+)/", receipt_url)
    if not code:
        raise SmokeFailed(f"the upload led to {receipt_url!r}, not a receipt")
    verification_code = code.group(1)
    _, receipt = student.get(path_of(receipt_url))
    if sha256.encode() not in receipt:
        raise SmokeFailed("the receipt does not show the file's SHA-256")
    step("the student uploads a file and gets the receipt with its SHA-256")

    reviewer = Browser(base_url)
    _, found = reviewer.get(f"/verify/?code={verification_code}")
    if sha256.encode() not in found:
        raise SmokeFailed("the verification page does not show the file's SHA-256")
    downloads = [download(reviewer, f"/verify/{verification_code}/download/", content)]
    step("a reviewer looks the code up and downloads the same bytes")

    _, page = examiner.get(path_of(student_url))
    examiner_link = re.search(rb'href="([^"]+/submissions/\d+/download/)"', page)
    if not examiner_link:
        raise SmokeFailed(f"{student_url}: no download link for the submission")
    downloads.append(download(examiner, examiner_link.group(1).decode(), content))
    step("the examiner downloads the same bytes")
    return {
        "upload_url": upload_url,
        "verification_code": verification_code,
        "download_urls": downloads,
    }


def download(browser, path, expected):
    response, _ = browser.get(path, expect=302)
    location = response.headers["Location"]
    _, body = browser.get(location)
    if body != expected:
        raise SmokeFailed(f"{path}: the downloaded file differs from the uploaded one")
    return location


def step(text):
    print(f"ok: {text}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    parser.add_argument("base_url")
    parser.add_argument("username")
    parser.add_argument("password")
    parser.add_argument("--wait", type=float, default=60, help="seconds to wait for /healthz")
    arguments = parser.parse_args()
    try:
        journey(arguments.base_url, arguments.username, arguments.password, arguments.wait)
    except SmokeFailed as failure:
        sys.exit(f"FAIL: {failure}")
    print("Smoke test passed.")


if __name__ == "__main__":
    main()
