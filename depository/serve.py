"""
Serve the app as production does (Dockerfile, fly.toml): nginx in front, gunicorn behind it.

    python -m depository.serve [--bind 0.0.0.0:8000]

nginx reads every request body to its end (in memory, past 64 KiB in a temporary file) and
only then passes the request to gunicorn over a Unix socket. A phone that takes minutes to
send its file holds one of nginx's connections, which cost a few kilobytes each, instead of
one of gunicorn's threads, so any number of slow uploads cannot delay a fast one (README,
"Serving the rush"). nginx refuses a body past FILE_UPLOAD_HARD_LIMIT before reading it,
answering with the app's page for it (depository.errorpages.too_large), not its own. It
tells the app when each request started (X-Request-Elapsed) and who sent it (X-Real-IP),
which the app believes because this script sets BEHIND_BUFFERING_PROXY for the gunicorn it
starts. When either process ends, the other is stopped; SIGTERM stops both
gracefully, nginx first. Both processes' logs pass through this script, which masks the
secrets nginx's lines would name (the request line of an upload carries its code). nginx
also serves the collected static files from STATIC_ROOT itself (STATIC, below).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_SECONDS = 30  # gunicorn.conf.py's graceful_timeout
# Where the app serves its page for a body nginx refuses as too large (depository.urls).
TOO_LARGE_PATH = "/errors/too-large/"
# And for a request nginx itself failed (500): its temporary file for a body could not be
# written (a full disk, an unwritable directory), so nothing reached the app.
NOT_RECEIVED_PATH = "/errors/not-received/"

# One nginx worker per core: a worker writes bodies to their temporary files in its event
# loop, and with a single one on 2 cores the rush ran 0.69 x as fast as gunicorn alone.
NGINX_CONF = """\
worker_processes auto;
pid {run}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {run}/body;
    proxy_temp_path {run}/proxy;
    fastcgi_temp_path {run}/fastcgi;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    # The largest body any form reads; a larger declared length is refused at once, and a
    # chunked body as soon as it passes it. Exams' own limits are the app's to check.
    client_max_body_size {max_body};
    client_body_buffer_size 64k;
    # A body kept in a temporary file goes on to gunicorn by sendfile(2), not through a buffer.
    sendfile on;
    # A phone on a crowded network may pause; give up on a body only after 2 silent minutes.
    client_body_timeout 120s;
    upstream app {{ server unix:{socket}; }}
    # How long a browser keeps a static file (STATIC, below): a name with a hash in it never
    # changes (a year, as WhiteNoise sends it); any other a minute.
    map $uri $static_max_age {{
        "~\\.[0-9a-f]{{12}}\\.[^/.]+$" "max-age=315360000, public, immutable";
        default "max-age=60, public";
    }}
    server {{
        listen {bind};
        location / {{
            proxy_pass http://app;
            proxy_request_buffering on;
            proxy_redirect off;
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            # Evaluated once the body has arrived: the seconds since its first byte.
            proxy_set_header X-Request-Elapsed $request_time;
            proxy_read_timeout 120s;
            error_page 413 @too_large;
            # nginx's own failures only (the app's own 500s pass through as they are).
            error_page 500 = @not_received;
        }}
{static}
{app_pages}
    }}
}}
"""

# collectstatic's files, WhiteNoise's compressed copies beside them, straight from disk: a
# phone's first visit loads several, and through the app each took a gunicorn thread and
# about 1.3 ms of its CPU (bench/RESULTS-two-step.md). A file not on disk (DEBUG serves
# them from their source folders) is the app's to answer, as before.
STATIC = """        # The kinds of file collectstatic holds; a browser refuses a style sheet or a
        # module script sent as anything else (nosniff), and nginx knows none by itself.
        types {{
            text/css css;
            text/javascript js mjs;
            application/json json map;
            image/svg+xml svg;
            image/png png;
            text/plain txt md;
        }}
        default_type application/octet-stream;
        location ~ "^{url}(.+)$" {{
            alias {root}/$1;
            gzip_static on;
            add_header Cache-Control $static_max_age;
            add_header X-Content-Type-Options nosniff;
            error_page 404 = @app;
        }}
        location @app {{
            proxy_pass http://app;
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
        }}"""


# A request nginx refuses or fails itself gets the app's page instead of nginx's own bare
# English one (in the student's language, saying what to do), with the app's status. It is
# asked for without the body, which nginx never read or could not keep, and with the URI the
# client asked for, so the app can tell an API call from a page and link back to it.
APP_PAGE = """        location @{name} {{
            rewrite ^ {path}? break;
            proxy_pass http://app;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Content-Type "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Original-URI $request_uri;
        }}"""
APP_PAGES = {
    # A body past client_max_body_size (413).
    "too_large": TOO_LARGE_PATH,
    # A body nginx could not keep: its temporary file failed (a full disk, a directory it
    # cannot write); the app answers 503, to try again later.
    "not_received": NOT_RECEIVED_PATH,
}


def nginx_conf(run_dir, bind, socket_path, max_body, static_url, static_root):
    pages = "\n".join(APP_PAGE.format(name=name, path=path) for name, path in APP_PAGES.items())
    static = STATIC.format(url=static_url, root=static_root)
    return NGINX_CONF.format(
        run=run_dir, bind=bind, socket=socket_path, max_body=max_body, app_pages=pages,
        static=static,
    )  # fmt: skip


def app_settings():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")
    from django.conf import settings

    return settings


def body_limit():
    """The largest body nginx reads: the largest file plus a form's overhead (settings)."""
    settings = app_settings()
    return settings.FILE_UPLOAD_HARD_LIMIT + settings.UPLOAD_BODY_OVERHEAD


def static_files():
    """Where static files are asked for (STATIC_URL, as an absolute path) and kept."""
    settings = app_settings()
    return "/" + settings.STATIC_URL.strip("/") + "/", Path(settings.STATIC_ROOT).resolve()


# nginx writes one of these at `warn` for every upload past 64 KiB and every large answer:
# what it is built to do, and a line naming the path (an upload code) each time.
EXPECTED = (
    b"a client request body is buffered to a temporary file",
    b"an upstream response is buffered to a temporary file",
)


def relay_log(stream, out):
    """Copy a process's log lines to `out`, leaving out nginx's expected ones and masking
    every secret in a path (an upload code, a verification code, a token) as the app's own
    lines are masked (depository.logs.redact): nginx names the request in its lines."""
    from depository.logs import redact

    for line in iter(stream.readline, b""):
        if any(expected in line for expected in EXPECTED):
            continue
        out.write(redact(line.decode(errors="replace")))
        out.flush()
    stream.close()


def relayed(process, out=None):
    thread = threading.Thread(
        target=relay_log, args=(process.stderr, out or sys.stderr), daemon=True
    )
    thread.start()
    return thread


def find_nginx():
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    nginx = os.environ.get("NGINX") or shutil.which("nginx", path=path)
    if not nginx:
        sys.exit("nginx is not installed (Debian: apt-get install nginx)")
    return nginx


def wait_for(path, process, seconds):
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"gunicorn did not open {path.name} within {seconds} s")
        time.sleep(0.05)


def stop(process, sig):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve(bind):
    nginx_bin = find_nginx()
    stopping = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda number, frame: stopping.append(number))
    with tempfile.TemporaryDirectory(prefix="depository-serve-") as run:
        run_dir = Path(run)
        # Run as root (a test machine), nginx's workers drop to "nobody" and must reach the
        # socket; the directory lists nothing to them.
        run_dir.chmod(0o711)
        socket_path = run_dir / "gunicorn.sock"
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_conf(run_dir, bind, socket_path, body_limit(), *static_files()))
        env = {
            **os.environ,
            "GUNICORN_BIND": f"unix:{socket_path}",
            "BEHIND_BUFFERING_PROXY": "true",
            # For /healthz/deep: the free space where nginx keeps bodies as they arrive.
            "PROXY_BODY_TEMP_DIR": str(run_dir / "body"),
        }
        gunicorn = subprocess.Popen(  # noqa: S603 (our own argv)
            [sys.executable, "-m", "gunicorn", "--config", ROOT / "gunicorn.conf.py",
             "depository.wsgi"],
            env=env, cwd=ROOT, stderr=subprocess.PIPE,
        )  # fmt: skip
        relays = [relayed(gunicorn)]
        wait_for(socket_path, gunicorn, 60)
        nginx = subprocess.Popen(  # noqa: S603 (our own argv)
            [nginx_bin, "-e", "stderr", "-p", run_dir, "-c", conf, "-g", "daemon off;"],
            cwd=run_dir, stderr=subprocess.PIPE,
        )  # fmt: skip
        relays.append(relayed(nginx))
        while not stopping and nginx.poll() is None and gunicorn.poll() is None:
            time.sleep(0.2)
        # nginx first and gracefully (QUIT: finish the requests in hand), then gunicorn.
        stop(nginx, signal.SIGQUIT)
        stop(gunicorn, signal.SIGTERM)
        for relay in relays:  # their last lines
            relay.join(timeout=5)
    if stopping:
        return 0
    return nginx.returncode or gunicorn.returncode or 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="nginx in front of gunicorn, as production")
    parser.add_argument("--bind", default=f"0.0.0.0:{os.environ.get('PORT', '8000')}")
    return serve(parser.parse_args(argv).bind)


if __name__ == "__main__":
    sys.exit(main())
