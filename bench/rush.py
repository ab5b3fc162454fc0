"""
The last-minute rush, measured on one machine.

Starts the app as production runs it (depository/serve.py: nginx in front of gunicorn with
gunicorn.conf.py, DEBUG off) on loopback, with PostgreSQL (its own database, dropped and
created again) and S3 through moto's server; seeds an exam; then runs browser-like clients
(open the personal link, post the form with its CSRF token and a random file) and the
scenarios in bench/scenarios/, one module each. Writes the figures to bench/RESULTS.md and
stops everything it started.

    make bench                          # the full run, about 6 minutes on 2 cores
    .venv/bin/python bench/rush.py --quick --results -   # a smoke run, printed only

Every loop is bounded in count and in time; every address is 127.0.0.1.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
