import os
import threading

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from students import clock

CLOCK_SECONDS = 60


class Command(db_worker.Command):
    help = (
        "Run the background worker: the tasks queued in the database (mail, mostly), and once "
        "a minute the jobs that fall due with time (students.clock). Run as many as you like."
    )

    def handle(self, *args, **options):
        # With --reload the first process only watches the files; its child does the work.
        watcher = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if not watcher:
            clock.tick()
            if not options["batch"]:
                threading.Thread(target=_clock_loop, name="clock", daemon=True).start()
        super().handle(*args, **options)


def _clock_loop():
    from django.db import close_old_connections

    stop = threading.Event()
    while not stop.wait(CLOCK_SECONDS):
        close_old_connections()
        clock.tick()
