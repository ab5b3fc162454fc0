"""
What the server pays when a page without JavaScript posts photos of paper pages, which it
makes into one PDF (submissions/scans.py), beside the ordinary upload of one PDF of the same
size, measured in-process through Django's test client: CPU time (this process's) per
upload and per page, medians of ROUNDS uploads each.

The photos are like a phone's of written pages: 2,016 × 1,512 JPEGs of ruled paper with
lines of writing and camera noise, about 0.4 MB each. Files go to a throwaway folder; the
database is a throwaway one: Django's `test_` prefix on the configured PostgreSQL database,
dropped at the end, or by default a fresh SQLite file.

    .venv/bin/python bench/scans.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/depository .venv/bin/python bench/scans.py
"""

import io
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")
# SQLite in a file of its own: an in-memory database would not outlive the upload giving
# its connection back while the file travels.
SCRATCH = tempfile.TemporaryDirectory()
os.environ.setdefault("DATABASE_URL", f"sqlite:///{SCRATCH.name}/bench.sqlite3")
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_SCAN_ROUNDS", "15"))
PAGES = (1, 5, 10)


def phone_photo(number, width=2016, height=1512):
    """A photo of a written page, as a phone takes it (landscape sensor, page upright)."""
    rng = random.Random(number)
    image = Image.new("RGB", (height, width), (238, 236, 228))
    draw = ImageDraw.Draw(image)
    for y in range(120, width - 80, 56):
        draw.line([(60, y), (height - 60, y)], fill=(175, 195, 230), width=2)
        x = 80
        while x < height - 140:
            word = rng.randint(40, 140)
            draw.line([(x, y - 10), (x + word, y - 16)], fill=(30, 40, 90), width=4)
            x += word + rng.randint(20, 40)
    noise = Image.effect_noise((height, width), 18).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def post(client, student, files):
    data = {"form_token": secrets.token_urlsafe(24), "file": files}
    started = time.process_time()
    response = client.post(reverse("submissions:upload", args=[student.upload_code]), data)
    spent = time.process_time() - started
    assert response.status_code == 302, (response.status_code, response.content[:400])
    return spent


def measure(client, exam, make_files):
    from students.tests.factories import StudentFactory

    times = [post(client, StudentFactory(exam=exam), make_files()) for _ in range(ROUNDS)]
    return statistics.median(times) * 1000


def main():
    from students.tests.factories import ExamFactory, UserFactory

    photos = [phone_photo(n) for n in range(max(PAGES))]
    setup_test_environment()
    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
        old_name = None
    else:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    media = tempfile.TemporaryDirectory()
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media.name},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    rows = []
    try:
        with override_settings(DEBUG=False, ALLOWED_HOSTS=["*"], STORAGES=storages):
            exam = ExamFactory(
                owner=UserFactory(),
                allowed_extensions="pdf",
                max_upload_bytes=20 * 1024 * 1024,
                max_uploads=50,
            )
            client = Client()
            for pages in PAGES:
                chosen = photos[:pages]
                size = sum(map(len, chosen))
                pdf = b"%PDF-1.7\n" + os.urandom(size - 9)
                plain = measure(
                    client,
                    exam,
                    lambda pdf=pdf: [SimpleUploadedFile("answer.pdf", pdf, "application/pdf")],
                )
                scanned = measure(
                    client,
                    exam,
                    lambda chosen=chosen: [
                        SimpleUploadedFile(f"IMG_{n}.jpg", photo, "image/jpeg")
                        for n, photo in enumerate(chosen)
                    ],
                )
                rows.append((pages, size, plain, scanned))
    finally:
        if old_name:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
        media.cleanup()
        SCRATCH.cleanup()
    report(rows)


def report(rows):
    print(f"Photos posted without JavaScript, made into one PDF on the server ({ROUNDS} rounds)")
    print(f"database: {connection.vendor}; app CPU per upload, median")
    print()
    print("| pages | bytes posted | one PDF of that size | the photos as one PDF | extra a page |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for pages, size, plain, scanned in rows:
        extra = (scanned - plain) / pages
        sizes = f"| {pages} | {size / 1e6:.2f} MB "
        print(f"{sizes}| {plain:.1f} ms | {scanned:.1f} ms | {extra:.1f} ms |")


if __name__ == "__main__":
    main()
