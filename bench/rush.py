"""
The last-minute rush, measured on one machine.

Starts the app as production runs it (gunicorn with gunicorn.conf.py, DEBUG off) on
loopback, with PostgreSQL (its own database, dropped and created again) and S3 through
moto's server; seeds an exam; then runs browser-like clients (open the personal link, post
the form with its CSRF token and a random file) and the scenarios of issue 6. Writes the
figures to bench/RESULTS.md and stops everything it started.

    make bench                          # the full run, about 2 minutes on 2 cores
    .venv/bin/python bench/rush.py --quick --results -   # a smoke run, printed only

Every loop is bounded in count and in time; every address is 127.0.0.1.
"""

import argparse
import contextlib
import html.parser
import http.client
import itertools
import json
import os
import platform
import runpy
import secrets
import select
import shlex
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"
MiB = 1024 * 1024
KiB = 1024
SOCKET_TIMEOUT = 30
S3_CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
BUCKET = "bench-answers"


# --- Processes ------------------------------------------------------------------------


def free_port(start, stop):
    for port in range(start, stop):
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"No free port in {start}-{stop - 1}")


def wait_http(port, path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"Nothing answered on {HOST}:{port}{path} within {timeout} s")


class Started:
    """Processes this run started, each in its own process group, stopped in reverse."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, env, log):
        log_file = open(log, "wb")  # noqa: SIM115 (closed in stop_all)
        proc = subprocess.Popen(  # noqa: S603 (our own argv)
            argv, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append((name, proc, log_file))
        return proc

    def stop_all(self):
        for _name, proc, log_file in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
            log_file.close()
        self.procs.clear()


def reset_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"Refusing an odd database name: {name!r}")
    admin = parts._replace(path="/postgres").geturl()
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise SystemExit(f"The benchmark needs PostgreSQL ({admin}): {error}") from None
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        version = conn.execute("SHOW server_version").fetchone()[0]
    return version


def drop_database(url):
    import psycopg

    parts = urlsplit(url)
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def children(pid):
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        return []


def cpu_seconds(pids):
    """User + system CPU of these processes (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def named(command):
    """Every process whose command name is `command` (PostgreSQL's backends, for one)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == command:
                    pids.append(int(entry.name))
    return pids


def status_kib(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class MemoryWatch:
    """Samples each app process's resident memory and resets the kernel's peak per phase."""

    def __init__(self, master_pid, interval=0.1):
        self.master = master_pid
        self.interval = interval
        self.peaks = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def pids(self):
        return [self.master, *children(self.master)]

    def _run(self):
        while not self.stop.wait(self.interval):
            for pid in self.pids():
                rss = status_kib(pid, "VmRSS")
                if rss is not None:
                    with self.lock:
                        self.peaks[pid] = max(self.peaks.get(pid, 0), rss)

    def reset(self):
        for pid in self.pids():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM
        with self.lock:
            self.peaks = {}

    def phase_peaks(self):
        """{pid: peak MiB} since reset: the larger of the samples and the kernel's VmHWM."""
        with self.lock:
            peaks = dict(self.peaks)
        for pid in self.pids():
            hwm = status_kib(pid, "VmHWM") or 0
            peaks[pid] = max(peaks.get(pid, 0), hwm)
        return {pid: kib / 1024 for pid, kib in peaks.items()}

    def current(self):
        return {pid: (status_kib(pid, "VmRSS") or 0) / 1024 for pid in self.pids()}

    def close(self):
        self.stop.set()
        self.thread.join(timeout=2)


# --- A browser-like client ----------------------------------------------------------------


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
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request("GET", path, headers=self._headers())
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


# --- Figures ------------------------------------------------------------------------------


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summarize(results, elapsed, size):
    ok = [r for r in results if r["status"] == 302]
    lat = [r["post_s"] for r in ok]
    counts = {}
    for r in results:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    return {
        "uploads": len(results),
        "ok": len(ok),
        "elapsed_s": elapsed,
        "per_s": len(ok) / elapsed if elapsed else 0,
        "mb_per_s": len(ok) * size / MiB / elapsed if elapsed else 0,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": max(lat) if lat else float("nan"),
        "get_p50": percentile([r["get_s"] for r in ok], 50),
        "statuses": counts,
    }


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


class Report:
    def __init__(self):
        self.lines = []
        self.checks = []

    def add(self, text=""):
        print(text, flush=True)
        self.lines.append(text)

    def check(self, name, ok, detail):
        self.checks.append((name, ok, detail))
        print(f"  target: {name}: {'holds' if ok else 'DOES NOT HOLD'} ({detail})", flush=True)


# --- Scenarios ----------------------------------------------------------------------------


class Bench:
    def __init__(self, args, port, s3_endpoint, seed, memory, moto_pid):
        self.args = args
        self.moto_pid = moto_pid
        self.port = port
        self.s3_endpoint = s3_endpoint
        self.codes = iter(seed["codes"])
        self.seed = seed
        self.memory = memory
        self.size = args.size
        # A pool of random files; upload i sends file i % len(pool), and so does the floor.
        self.files = [os.urandom(self.size) for _ in range(max(args.concurrency, 16))]

    def take_codes(self, n):
        codes = list(itertools.islice(self.codes, n))
        if len(codes) < n:
            raise SystemExit("The rush exam ran out of students: raise --students")
        return codes

    def uploads(self, count, concurrency, repeat=1, time_limit=None):
        """`count` uploads by count/repeat fresh students, each uploading `repeat` times."""
        codes = self.take_codes(-(-count // repeat))
        jobs = [(codes[i % len(codes)], self.files[i % len(self.files)]) for i in range(count)]
        self.memory.reset()
        cpu = self.cpu()
        results, elapsed = run_clients(
            lambda job: upload_once(self.port, *job),
            jobs,
            concurrency,
            time_limit or self.args.phase_seconds,
        )
        summary = summarize(results, elapsed, self.size)
        summary["cpu_ms"] = self.cpu_per_upload(cpu, summary["ok"])
        return summary, self.memory.phase_peaks()

    def cpu(self):
        return {
            "app": cpu_seconds(self.memory.pids()),
            "S3": cpu_seconds([self.moto_pid]),
            "PostgreSQL (all of it)": cpu_seconds(named("postgres")),
            "clients": sum(os.times()[:2]),
        }

    def cpu_per_upload(self, before, count):
        after = self.cpu()
        return {k: 1000 * (after[k] - before[k]) / max(count, 1) for k in before}

    def floor(self, count, concurrency):
        """The same files put straight into the same S3 endpoint with boto3."""
        s3 = s3_client(self.s3_endpoint, max_pool=concurrency)
        jobs = [
            (f"floor/{secrets.token_hex(16)}", self.files[i % len(self.files)])
            for i in range(count)
        ]

        def put(job):
            key, data = job
            t0 = time.perf_counter()
            try:
                s3.put_object(
                    Bucket=BUCKET, Key=key, Body=data, ContentType="application/pdf",
                    ContentDisposition='attachment; filename="answer.pdf"',
                )  # fmt: skip
            except Exception as error:  # noqa: BLE001 (counted, not hidden)
                return {"status": f"error {type(error).__name__}", "post_s": None, "get_s": None}
            return {"status": 302, "post_s": time.perf_counter() - t0, "get_s": 0.0}

        cpu = self.cpu()
        results, elapsed = run_clients(put, jobs, concurrency, self.args.phase_seconds)
        summary = summarize(results, elapsed, self.size)
        summary["cpu_ms"] = self.cpu_per_upload(cpu, summary["ok"])
        return summary

    def oversize(self, body_size, chunked):
        """Post a body far over the limit; how fast is it refused, and how much was sent?"""
        browser = Browser(self.port)
        code = self.take_codes(1)[0]
        path = f"/u/{code}/"
        response, body = browser.get(path)
        fields = hidden_inputs(body)
        browser.close()
        boundary = "----rushoversize"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{fields.get('csrfmiddlewaretoken', '')}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="form_token"\r\n\r\n'
            f"{fields.get('form_token', '')}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        length = (
            "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(head) + body_size}"
        )
        request = (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n{length}\r\n"
            f"Cookie: {cookie}\r\nOrigin: http://{HOST}:{self.port}\r\n\r\n"
        ).encode()
        block = os.urandom(64 * KiB)
        sock = socket.create_connection((HOST, self.port), timeout=SOCKET_TIMEOUT)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * KiB)
        t0 = time.perf_counter()
        sock.sendall(request)
        sent, reply, answered_at, note = 0, b"", None, ""
        deadline = time.monotonic() + 60
        pending = memoryview(b"")
        sock.setblocking(False)
        try:
            # Send until the server answers (readable) or the whole body is out.
            while time.monotonic() < deadline:
                readable, writable, _ = select.select([sock], [sock], [], 1)
                if readable:
                    break
                if not writable:
                    continue
                if not pending:
                    if sent >= len(head) + body_size:
                        if chunked:
                            sock.sendall(b"0\r\n\r\n")
                        break
                    piece = head if sent == 0 else block
                    pending = memoryview(
                        b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
                    )
                n = sock.send(pending)
                sent += n
                pending = pending[n:]
        except OSError as error:
            note = f"send stopped: {type(error).__name__}"
        acked = tcp_bytes_acked(sock)
        sock.setblocking(True)
        sock.settimeout(10)
        try:
            while b"\r\n" not in reply:
                data = sock.recv(65536)
                if not data:
                    break
                if answered_at is None:
                    answered_at = time.perf_counter()
                reply += data
        except OSError as error:
            note = note or f"read failed: {type(error).__name__}"
        sock.close()
        status = reply.split(b" ", 2)[1].decode() if reply.startswith(b"HTTP/") else "none"
        return {
            "body": body_size,
            "chunked": chunked,
            "status": status,
            "seconds": (answered_at or time.perf_counter()) - t0,
            "sent": sent,
            "acked": max(0, (acked or 0) - len(request)),
            "note": note,
        }

    def login(self):
        browser = Browser(self.port)
        _, body = browser.get("/accounts/login/")
        fields = hidden_inputs(body)
        response, _ = browser.post_form(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", ""),
                "username": self.seed["username"],
                "password": self.args.examiner_password,
            },
        )
        if response.status != 302:
            raise SystemExit(f"Examiner login failed: {response.status}")
        return browser

    def roster(self, exam_pk, repeats):
        browser = self.login()
        times, size, status = [], 0, None
        for _ in range(repeats + 1):  # the first is a warm-up
            t0 = time.perf_counter()
            response, body = browser.get(f"/exams/{exam_pk}/")
            times.append(time.perf_counter() - t0)
            size, status = len(body), response.status
        browser.close()
        return {"median": statistics.median(times[1:]), "bytes": size, "status": status}

    def slow_clients(self, slow, rate, fast_tries):
        """`slow` clients trickle a file at `rate` bytes/s; fast clients upload meanwhile."""
        tick = 0.125
        step = int(rate * tick)
        slow_codes = self.take_codes(slow)
        fast_codes = self.take_codes(fast_tries)
        self.memory.reset()
        results = []
        with ThreadPoolExecutor(max_workers=slow) as pool:
            futures = [
                pool.submit(
                    upload_once, self.port, code, self.files[i % len(self.files)], (step, tick)
                )
                for i, code in enumerate(slow_codes)
            ]
            time.sleep(1.5)  # every slow client is now in the middle of its body
            fast = []
            for i, code in enumerate(fast_codes):
                t0 = time.perf_counter()
                outcome = upload_once(self.port, code, self.files[i % len(self.files)])
                fast.append((outcome["status"], time.perf_counter() - t0))
                time.sleep(1.5)
            for future in futures:
                results.append(future.result(timeout=self.size / rate + 60))
        return fast, summarize(results, 0, self.size), self.memory.phase_peaks()


def tcp_bytes_acked(sock):
    """tcpi_bytes_acked from Linux's struct tcp_info: what the peer's kernel received."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
        return struct.unpack_from("Q", info, 120)[0]
    except (OSError, struct.error):
        return None


def s3_client(endpoint, max_pool=10):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            max_pool_connections=max_pool,
            retries={"max_attempts": 1, "mode": "standard"},
        ),
        **S3_CREDENTIALS,
    )


def empty_bucket(s3):
    """Let moto forget stored objects between phases (it keeps them in memory)."""
    for _ in range(100):
        listing = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=1000)
        keys = [{"Key": obj["Key"]} for obj in listing.get("Contents", [])]
        if not keys:
            return
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys, "Quiet": True})


# --- The run ------------------------------------------------------------------------------


def machine():
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kib = status_like("/proc/meminfo", "MemTotal") or 0
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kib / MiB:.1f} GiB memory, "
        f"{platform.system()} {platform.release().split('-')[0]}, "
        f"Python {platform.python_version()}"
    )


def status_like(path, field):
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def gunicorn_settings(env):
    saved = os.environ.copy()
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {k: conf.get(k) for k in ("worker_class", "workers", "threads", "timeout", "keepalive")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--uploads", type=int, default=200, help="uploads in the main run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the main run and floor")
    parser.add_argument("--size", type=int, default=3 * MiB, help="bytes per file")
    parser.add_argument("--students", type=int, default=2_000)
    parser.add_argument("--memory-uploads", type=int, default=1_000)
    parser.add_argument("--phase-seconds", type=float, default=120, help="time bound per phase")
    parser.add_argument("--only", default="", help="comma-separated phases to run")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"), help="'-' to skip")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dep_bench"
        ),
    )
    parser.add_argument("--port", type=int, default=0, help="app port (default: free in 8400-8499)")
    args = parser.parse_args()
    if args.quick:
        args.uploads, args.memory_uploads, args.students, args.rounds = 48, 100, 600, 1
    phases = set(filter(None, args.only.split(","))) or {
        "rush", "floor", "scaling", "oversize", "roster", "slow", "memory",
    }  # fmt: skip
    args.examiner_password = secrets.token_urlsafe(16)

    OUT.mkdir(parents=True, exist_ok=True)
    app_port = args.port or free_port(8400, 8450)
    s3_port = free_port(8450, 8500)
    s3_endpoint = f"http://{HOST}:{s3_port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "depository.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": args.database_url,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"],
        "GUNICORN_BIND": f"{HOST}:{app_port}",
        "BENCH_EXAMINER_PASSWORD": args.examiner_password,
        "LOG_LEVEL": "WARNING",
    }
    python = sys.executable
    command = (
        "make bench" if not sys.argv[1:] else "python bench/rush.py " + shlex.join(sys.argv[1:])
    )
    report = Report()
    started = Started()
    memory = None
    try:
        pg_version = reset_database(args.database_url)
        subprocess.run(  # noqa: S603 (our own argv)
            [python, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
        )
        subprocess.run(  # noqa: S603 (our own argv)
            [python, "manage.py", "collectstatic", "--noinput", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        seeded = subprocess.run(  # noqa: S603 (our own argv)
            [python, "bench/seed.py", "--students", str(args.students)],
            env=env, cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        seed = json.loads(seeded.stdout)

        moto = started.start(
            "moto", [python, "-m", "moto.server", "-H", HOST, "-p", str(s3_port)], env,
            OUT / "moto.log",
        )  # fmt: skip
        wait_http(s3_port, "/", 30)
        s3 = s3_client(s3_endpoint)
        s3.create_bucket(Bucket=BUCKET)

        gunicorn_bin = str(Path(python).with_name("gunicorn"))
        app = started.start(
            "gunicorn", [gunicorn_bin, "--config", "gunicorn.conf.py", "depository.wsgi"], env,
            OUT / "gunicorn.log",
        )  # fmt: skip
        wait_http(app_port, "/healthz", 30)
        time.sleep(1)  # let every worker boot
        memory = MemoryWatch(app.pid)
        gconf = gunicorn_settings(env)

        report.add("# Benchmark results: the last-minute rush")
        report.add()
        report.add(f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`")
        report.add(f"- Machine: {machine()}; PostgreSQL {pg_version}")
        report.add(
            f"- App: gunicorn {gconf['worker_class']}, {gconf['workers']} workers x "
            f"{gconf['threads']} threads (gunicorn.conf.py), DEBUG off; S3 is moto's server; "
            "everything on 127.0.0.1 and sharing the same cores"
        )
        report.add(f"- Files: {args.size / MiB:g} MiB of random bytes each")
        report.add()
        bench = Bench(args, app_port, s3_endpoint, seed, memory, moto.pid)
        # Warm-up: every worker imports, connects and renders once before anything is timed.
        bench.uploads(2 * args.concurrency, args.concurrency)
        empty_bucket(s3)

        if "hold" in phases:  # for profiling by hand: keep the stack up, bounded
            (OUT / "stack.json").write_text(json.dumps({"port": app_port, "pid": app.pid, **seed}))
            print(f"Holding the app on {HOST}:{app_port} for {args.phase_seconds:g} s", flush=True)
            time.sleep(args.phase_seconds)

        if "rush" in phases:
            # Rounds of the app's run and the floor's, back to back, so that whatever else
            # the machine is doing weighs on both; the targets take every round.
            rounds = []
            for _ in range(args.rounds):
                rush, peaks = bench.uploads(args.uploads, args.concurrency)
                empty_bucket(s3)
                floor = bench.floor(args.uploads, args.concurrency) if "floor" in phases else None
                empty_bucket(s3)
                rounds.append((rush, peaks, floor))
            rush, peaks, floor = rounds[0]
            report.add(
                f"## C={args.concurrency}, {args.uploads} uploads (round 1 of {args.rounds})"
            )
            report.add()
            report_run(report, rush)
            report.add(
                "- Peak memory per app process: "
                + ", ".join(
                    f"{label(pid, app.pid)} {mib:.0f} MiB" for pid, mib in sorted(peaks.items())
                )
            )
            if floor:
                report.add(
                    f"- Storage floor (boto3 straight to the same S3, C={args.concurrency}): "
                    f"{floor['per_s']:.1f} puts/s, {floor['mb_per_s']:.1f} MiB/s; put p50 "
                    f"{ms(floor['p50'])}, p99 {ms(floor['p99'])}; statuses {floor['statuses']}; "
                    f"CPU per put: {cpu_text(floor['cpu_ms'])}"
                )
            report.add()
            report.add(
                "| round | uploads/s | MiB/s | p50 | p99 | max | statuses | worker peak "
                "| floor puts/s | fraction of floor |"
            )
            report.add("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
            fractions, worst_peak = [], 0
            for i, (run, run_peaks, run_floor) in enumerate(rounds, 1):
                peak = max((m for p, m in run_peaks.items() if p != app.pid), default=0)
                worst_peak = max(worst_peak, peak)
                floor_rate = run_floor["per_s"] if run_floor else 0
                fraction = run["per_s"] / floor_rate if floor_rate else 0
                fractions.append(fraction)
                report.add(
                    f"| {i} | {run['per_s']:.1f} | {run['mb_per_s']:.1f} | {ms(run['p50'])} | "
                    f"{ms(run['p99'])} | {ms(run['max'])} | {run['statuses']} | {peak:.0f} MiB "
                    f"| {floor_rate:.1f} | {fraction:.2f} |"
                )
            report.add()
            ok = sum(run["ok"] for run, _, _ in rounds)
            report.check(
                "no errors or time-outs",
                ok == args.uploads * args.rounds,
                f"{ok} of {args.uploads * args.rounds} answered 302 to the receipt",
            )
            worst_ratio = max(run["p99"] / run["p50"] for run, _, _ in rounds)
            report.check(
                "p99 at most 4 x p50", worst_ratio <= 4, f"worst round {worst_ratio:.1f} x"
            )
            report.check(
                "each app process under 150 MiB", worst_peak < 150, f"largest {worst_peak:.0f} MiB"
            )
            if "floor" in phases:
                median = statistics.median(fractions)
                report.check(
                    "at least half the storage floor",
                    median >= 0.5,
                    f"median {median:.2f} over {args.rounds} rounds",
                )

        if "scaling" in phases:
            report.add()
            report.add("## Scaling with clients")
            report.add()
            report.add("| clients | uploads | uploads/s | MiB/s | p50 | p99 | statuses |")
            report.add("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
            rates = []
            for c in (1, 2, 4, 8, 16):
                count = min(args.uploads, max(48, 8 * c))
                run, _ = bench.uploads(count, c)
                empty_bucket(s3)
                rates.append(run["per_s"])
                report.add(
                    f"| {c} | {run['uploads']} | {run['per_s']:.1f} | {run['mb_per_s']:.1f} | "
                    f"{ms(run['p50'])} | {ms(run['p99'])} | {run['statuses']} |"
                )
            report.add()
            # "Does not fall": each step keeps at least 90 % of the best rate before it.
            falls = [(i, r) for i, r in enumerate(rates) if i and r < 0.9 * max(rates[:i])]
            report.check(
                "throughput does not fall from C=1 to C=16 (no step under 90 % of the best before)",
                not falls,
                "rates " + ", ".join(f"{r:.1f}" for r in rates),
            )

        if "oversize" in phases:
            report.add()
            report.add("## Oversized posts (limit 3 MiB)")
            report.add()
            one = bench.uploads(5, 1)[0]
            empty_bucket(s3)
            report.add(
                f"- For comparison, a {args.size / MiB:g} MiB upload at C=1: p50 {ms(one['p50'])}"
            )
            report.add()
            report.add(
                "| body | framing | status | answered after | client sent | server kernel took |"
            )
            report.add("| ---: | --- | ---: | ---: | ---: | ---: |")
            limit = seed["max_upload_bytes"]
            refusals = []
            for body_size in (20 * MiB, 200 * MiB):
                for chunked in (False, True):
                    r = bench.oversize(body_size, chunked)
                    refusals.append(r)
                    report.add(
                        f"| {body_size // MiB} MiB | "
                        f"{'chunked' if chunked else 'Content-Length'} | "
                        f"{r['status']} | {ms(r['seconds'])} | {r['sent'] / KiB:.0f} KiB | "
                        f"{r['acked'] / KiB:.0f} KiB |{' ' + r['note'] if r['note'] else ''}"
                    )
            report.add()
            report.add(
                '"Server kernel took" is what the app\'s side of the connection acknowledged '
                "(TCP_INFO bytes_acked): an upper bound on what the app read, since it "
                "includes the socket's receive buffer. A body without Content-Length is read "
                "as empty, so it is answered like a post without a file."
            )
            report.add()
            for r in refusals:
                if r["body"] != 200 * MiB:
                    continue
                framing = "chunked" if r["chunked"] else "Content-Length"
                report.check(
                    f"200 MiB ({framing}) refused no slower than a "
                    f"{args.size / MiB:g} MiB upload, reading at most limit + 64 KiB",
                    r["status"] in ("413", "400")
                    and r["seconds"] <= one["p50"]
                    and r["acked"] <= limit + 64 * KiB,
                    f"{r['status']} after {ms(r['seconds'])}, server took at most "
                    f"{r['acked'] / KiB:.0f} KiB",
                )

        if "roster" in phases:
            report.add()
            report.add("## Roster page /exams/<pk>/ (half the students have submitted)")
            report.add()
            report.add("| students | median of 5 | page size | status |")
            report.add("| ---: | ---: | ---: | ---: |")
            rosters = {}
            for size, pk in seed["rosters"].items():
                r = bench.roster(pk, 5)
                rosters[int(size)] = r
                report.add(
                    f"| {int(size):,} | {ms(r['median'])} | {r['bytes'] / KiB:.0f} KiB | "
                    f"{r['status']} |"
                )
            if {100, 10_000} <= rosters.keys():
                ratio = rosters[10_000]["median"] / rosters[100]["median"]
                report.add()
                report.check(
                    "10,000-student roster at most 2 x the 100-student one",
                    ratio <= 2,
                    f"{ratio:.1f} x",
                )

        if "slow" in phases:
            fast, slow, peaks = bench.slow_clients(32, 256 * KiB, 3)
            empty_bucket(s3)
            report.add()
            report.add("## Slow clients: 32 trickle their file at 256 KiB/s")
            report.add()
            report.add(
                "- Fast uploads meanwhile (open the link, post): "
                + ", ".join(f"{status} in {ms(s)}" for status, s in fast)
            )
            report.add(
                f"- The slow uploads: {slow['statuses']}; post p50 {ms(slow['p50'])}, "
                f"max {ms(slow['max'])}"
            )
            report.add(
                "- Peak memory per app process: "
                + ", ".join(
                    f"{label(pid, app.pid)} {mib:.0f} MiB" for pid, mib in sorted(peaks.items())
                )
            )
            worst = max(s for _, s in fast)
            report.add()
            report.check(
                "a fast client uploads within 2 s while 32 trickle",
                all(status == 302 for status, _ in fast) and worst <= 2 and slow["ok"] == 32,
                f"slowest fast upload {ms(worst)}; {slow['ok']} of 32 slow uploads stored",
            )

        if "memory" in phases:
            report.add()
            report.add(f"## Memory across {args.memory_uploads} uploads (C={args.concurrency})")
            report.add()
            before = memory.current()
            run, peaks = bench.uploads(
                args.memory_uploads, args.concurrency, repeat=4, time_limit=args.phase_seconds * 3
            )
            empty_bucket(s3)
            after = memory.current()
            report_run(report, run)
            workers = [pid for pid in after if pid != app.pid]
            growth = max(
                (after[p] - before.get(p, after[p])) / before[p] for p in workers if before.get(p)
            )
            report.add(
                "- Resident memory before -> after: "
                + ", ".join(
                    f"{label(p, app.pid)} {before.get(p, 0):.0f} -> {after[p]:.0f} MiB"
                    for p in sorted(after)
                )
            )
            report.add()
            report.check(
                "memory does not grow across the uploads (within 10 %)",
                growth <= 0.10 and run["ok"] == run["uploads"],
                f"largest growth {growth * 100:+.1f} %; {run['ok']} of {run['uploads']} stored",
            )

        report.add()
        report.add("## Targets")
        report.add()
        for name, ok, detail in report.checks:
            report.add(f"- {'holds' if ok else '**does not hold**'}: {name} ({detail})")
    finally:
        if memory is not None:
            memory.close()
        started.stop_all()
        with contextlib.suppress(Exception):
            drop_database(args.database_url)

    if args.results != "-":
        Path(args.results).write_text("\n".join(report.lines) + "\n")
        print(f"Wrote {args.results}")
    return 0 if all(ok for _, ok, _ in report.checks) else 1


def label(pid, master):
    return "master" if pid == master else f"worker {pid}"


def report_run(report, run):
    report.add(
        f"- {run['ok']} of {run['uploads']} uploads in {run['elapsed_s']:.1f} s: "
        f"**{run['per_s']:.1f} uploads/s, {run['mb_per_s']:.1f} MiB/s**"
    )
    report.add(
        f"- Post latency p50 {ms(run['p50'])}, p95 {ms(run['p95'])}, p99 {ms(run['p99'])}, "
        f"max {ms(run['max'])}; opening the link p50 {ms(run['get_p50'])}"
    )
    report.add(f"- Statuses: {run['statuses']}")
    report.add(f"- CPU per upload: {cpu_text(run['cpu_ms'])}")


def cpu_text(cpu_ms):
    return ", ".join(f"{name} {value:.0f} ms" for name, value in cpu_ms.items())


if __name__ == "__main__":
    sys.exit(main())
