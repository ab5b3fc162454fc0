"""gunicorn's own log lines, as gunicorn.conf.py sets them up: JSON, no access log, and
the path of a request that failed inside the app masked."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GUNICORN_LOGGING = """
import logging, runpy
from gunicorn.config import Config
from gunicorn.glogging import Logger

cfg = Config()
for name, value in runpy.run_path("gunicorn.conf.py").items():
    if name in cfg.settings:
        cfg.set(name, value)
log = Logger(cfg)
log.error("Error handling request %s", "GET /u/9OEHQhiQ7BlMtLq14i5pcN5g2gqH5Thk/receipt/X/")
log.info("Booting worker with pid: %s", 42)
access = logging.getLogger("gunicorn.access")
print(cfg.accesslog, access.handlers, access.isEnabledFor(logging.INFO))
"""


def test_gunicorn_writes_json_lines_without_paths_or_an_access_log():
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", GUNICORN_LOGGING],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "depository.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    error, boot = (json.loads(line) for line in result.stderr.splitlines())
    assert error["logger"] == "gunicorn.error"
    assert error["level"] == "ERROR"
    assert error["message"] == "Error handling request GET /u/[redacted]"
    assert boot["message"] == "Booting worker with pid: 42"
    assert result.stdout.split() == ["None", "[]", "False"]
