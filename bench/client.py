"""Browser-like clients: open the personal link, post the form with its tokens and a file."""

import hashlib
import html.parser
import http.client
import json
import socket
import struct
import threading
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie

from bench.stack import HOST

SOCKET_TIMEOUT = 30


class HiddenInputs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value", "")


def hidden_inputs(body):
    parser = HiddenInputs()
    parser.feed(body.decode("utf-8", "replace"))
    return parser.values


class Browser:
    """One student's browser: a keep-alive connection and a cookie jar."""

    def __init__(self, port):
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.cookies = {}
        self.conn = None
        self.last_used = 0.0

    def _connection(self):
        # gunicorn drops idle keep-alive connections after a few seconds; reconnect first.
        if self.conn is None or time.monotonic() - self.last_used > 2:
            self.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=SOCKET_TIMEOUT)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _headers(self, extra=None):
        headers = {"User-Agent": "rush-bench", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _finish(self, conn):
        response = conn.getresponse()
        body = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        self.last_used = time.monotonic()
        return response, body

    def get(self, path):
        return self.request("GET", path)

    def request(self, method, path, body=None, headers=None):
        """One request on the keep-alive connection (form-encoded when `body` is a dict),
        sent again once on a connection the server had just closed; response and body."""
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=self._headers(headers))
                return self._finish(conn)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a keep-alive connection the server had just closed
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def post_form(self, path, fields, file_name=None, file_bytes=None, trickle=None):
        """Post multipart/form-data; `trickle` = (bytes per tick, seconds per tick)."""
        boundary = f"----rush{uuid.uuid4().hex}"
        head = b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
            for name, value in fields.items()
        )
        if file_name is not None:
            head += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file_name}"\r\nContent-Type: application/pdf\r\n\r\n'
            ).encode()
            tail = f"\r\n--{boundary}--\r\n".encode()
        else:
            file_bytes, tail = b"", f"--{boundary}--\r\n".encode()
        conn = self._connection()
        conn.putrequest("POST", path, skip_accept_encoding=True)
        headers = self._headers(
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + len(file_bytes) + len(tail)),
                "Origin": self.origin,
                "Referer": self.origin + path,
            }
        )
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(head)
        view = memoryview(file_bytes)
        if trickle:
            step, tick = trickle
            next_tick = time.monotonic()
            for start in range(0, len(view), step):
                conn.send(view[start : start + step])
                next_tick += tick
                time.sleep(max(0.0, next_tick - time.monotonic()))
        else:
            conn.send(view)
        conn.send(tail)
        return self._finish(conn)


def upload_once(port, code, data, trickle=None):
    """Open the personal link and post the file; the answer must redirect to the receipt."""
    browser = Browser(port)
    path = f"/u/{code}/"
    result = {"status": None, "get_s": None, "post_s": None, "error": None}
    try:
        t0 = time.perf_counter()
        response, body = browser.get(path)
        result["get_s"] = time.perf_counter() - t0
        if response.status != 200:
            result["status"] = f"GET {response.status}"
            return result
        fields = hidden_inputs(body)
        form = {k: fields[k] for k in ("csrfmiddlewaretoken", "form_token") if k in fields}
        if b'name="confirm_last"' in body:  # the last upload is confirmed, as a student would
            form["confirm_last"] = "on"
        t1 = time.perf_counter()
        response, _ = browser.post_form(path, form, "answer.pdf", data, trickle=trickle)
        result["post_s"] = time.perf_counter() - t1
        result["status"] = response.status
        if response.status == 302 and "/receipt/" not in response.getheader("Location", ""):
            result["status"] = "302 elsewhere"
    except (OSError, http.client.HTTPException) as error:
        result["error"] = type(error).__name__
        result["status"] = f"error {type(error).__name__}"
    finally:
        browser.close()
    return result


def upload_through_api(port, code, data):
    """The original service's route, as its scripts call it: one multipart post of `file`
    to /api/v0/submissions/{upload_code}, no page and no token; it must answer 201."""
    browser = Browser(port)
    result = {"status": None, "get_s": 0.0, "post_s": None, "error": None}
    try:
        t0 = time.perf_counter()
        response, _ = browser.post_form(f"/api/v0/submissions/{code}", {}, "answer.pdf", data)
        result["post_s"] = time.perf_counter() - t0
        result["status"] = response.status
    except (OSError, http.client.HTTPException) as error:
        result["error"] = type(error).__name__
        result["status"] = f"error {type(error).__name__}"
    finally:
        browser.close()
    return result


def run_clients(fn, jobs, concurrency, time_limit):
    """Run fn(job) for each job with `concurrency` threads; stop taking jobs at the limit."""
    jobs = iter(jobs)
    lock = threading.Lock()
    results = []
    deadline = time.monotonic() + time_limit

    def worker():
        while time.monotonic() < deadline:
            with lock:
                job = next(jobs, None)
            if job is None:
                return
            outcome = fn(job)
            with lock:
                results.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=time_limit + SOCKET_TIMEOUT + 5)
    return results, time.perf_counter() - started


def tcp_bytes_acked(sock):
    """tcpi_bytes_acked from Linux's struct tcp_info: what the peer's kernel received."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        return struct.unpack_from("Q", info, 120)[0]
    except (OSError, struct.error):
        return None


def put_to_storage(url, data, headers):
    """The browser's PUT of the bytes, straight to the storage the URL names."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=SOCKET_TIMEOUT)
    try:
        conn.request("PUT", f"{parts.path}?{parts.query}", body=data, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def two_step_once(port, code, data, visit=True, storage_checksum=True):
    """The page's script: (open the personal link,) commit the file's fingerprint, PUT its
    bytes to the presigned URL, complete, (open the receipt). `visit` False: the upload's own
    requests only (commit and complete). `storage_checksum`: tell moto the PUT's checksum
    algorithm, so it keeps the checksum as R2 and S3 keep it from x-amz-checksum-sha256
    alone (then completion reads no bytes back); False: the app reads the object back."""
    browser = Browser(port)
    path = f"/u/{code}/"
    result = {"status": None, "get_s": 0.0, "post_s": None, "error": None}
    try:
        token = uuid.uuid4().hex
        if visit:
            t0 = time.perf_counter()
            response, body = browser.get(path)
            result["get_s"] = time.perf_counter() - t0
            if response.status != 200:
                result["status"] = f"GET {response.status}"
                return result
            token = hidden_inputs(body).get("form_token", token)
        t1 = time.perf_counter()
        fingerprint = {
            "token": token,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "name": "answer.pdf",
            "statement": "on",
        }
        response, body = browser.request("POST", f"{path}commit/", fingerprint)
        if response.status != 201:
            result["status"] = f"commit {response.status}"
            return result
        answer = json.loads(body)
        headers = dict(answer["put_headers"])
        if storage_checksum:
            headers["x-amz-sdk-checksum-algorithm"] = "SHA256"
        status = put_to_storage(answer["put_url"], data, headers)
        if status != 200:
            result["status"] = f"PUT {status}"
            return result
        response, body = browser.request("POST", answer["complete_url"])
        result["post_s"] = time.perf_counter() - t1
        if response.status != 200:
            result["status"] = f"complete {response.status}"
            return result
        result["status"] = 302  # as the page's post: the receipt is next
        if visit:
            response, _ = browser.get(json.loads(body)["receipt_url"])
            if response.status != 200:
                result["status"] = f"receipt {response.status}"
    except (OSError, http.client.HTTPException) as error:
        result["error"] = type(error).__name__
        result["status"] = f"error {type(error).__name__}"
    finally:
        browser.close()
    return result
