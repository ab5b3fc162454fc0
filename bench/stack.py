"""The processes a run starts and watches: PostgreSQL's scratch database, moto's S3 server,
the app (as production runs it, or gunicorn alone), their CPU and memory."""

import contextlib
import http.client
import os
import platform
import runpy
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOST = "127.0.0.1"
MiB = 1024 * 1024
S3_CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
BUCKET = "bench-answers"


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
        log_file = open(log, "wb")  # noqa: SIM115 (closed in stop)
        proc = subprocess.Popen(  # noqa: S603 (our own argv)
            argv, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append((name, proc, log_file))
        return proc

    def stop(self, proc):
        for entry in [e for e in self.procs if e[1] is proc]:
            _stop(*entry[1:])
            self.procs.remove(entry)

    def stop_all(self):
        for _name, proc, log_file in reversed(self.procs):
            _stop(proc, log_file)
        self.procs.clear()


def _stop(proc, log_file):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    log_file.close()


def start_app(started, python, env, port, proxy=True):
    """The app as production runs it (depository/serve.py: nginx in front of gunicorn), or
    with `proxy=False` gunicorn alone on the port, as it ran before nginx; waits for it."""
    if proxy:
        argv = [python, "-m", "depository.serve", "--bind", f"{HOST}:{port}"]
    else:
        argv = [python, "-m", "gunicorn", "--config", "gunicorn.conf.py", "depository.wsgi"]
        env = {**env, "GUNICORN_BIND": f"{HOST}:{port}"}
    name = "app" if proxy else "gunicorn-alone"
    app = started.start(name, argv, env, OUT / f"{name}.log")
    wait_http(port, "/healthz", 60)
    time.sleep(1)  # let every worker boot
    return app


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


def flush_redis(url):
    """Empty the run's Redis database (the throttle's counts of an earlier run)."""
    import redis

    redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()


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


def descendants(pid):
    """Every process below `pid`: the app's gunicorn and nginx, and their workers."""
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def command_name(pid):
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/comm").read_text().strip()
    return "?"


def parent(pid):
    with contextlib.suppress(OSError, IndexError, ValueError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


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


def disk_written(pids):
    """Bytes these processes wrote to files (/proc/<pid>/io write_bytes: counted as the page
    cache takes them, so a temporary file deleted before it reached the disk counts too)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/io").read_text().splitlines():
                if line.startswith("write_bytes:"):
                    total += int(line.split()[1])
    return total


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
        return [self.master, *descendants(self.master)]

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
