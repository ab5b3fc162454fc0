"""
What a signed receipt weighs and costs, measured in-process (no database, no server):

- the statement's signing, as Submission.objects.record() does it for every upload;
- checking one (as the lookup page and `verify_receipt` do);
- the sizes: the compact JWS, the receipt file (page, mail attachment, API), its QR code's
  SVG and the time to draw it (the image for a browser without JavaScript: the receipt page
  has the browser draw it, with lean-qr), and the offline checker page.

    make bench-receipt                  # also at the end of `make bench`
    RECEIPT_BENCH_ROUNDS=5000 .venv/bin/python bench/receipt.py

Figures are the median and the 95th percentile of ROUNDS runs on this machine's one core.
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "depository.settings")
os.environ.setdefault("SITE_URL", "https://exam-depository.fly.dev")

import django  # noqa: E402

django.setup()

from django.utils import timezone  # noqa: E402

from students.models import Exam, Student  # noqa: E402
from submissions import checker, codes, receipts  # noqa: E402
from submissions.models import Submission  # noqa: E402

LEAN_QR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "lean-qr"
ROUNDS = int(os.environ.get("RECEIPT_BENCH_ROUNDS", "2000"))


def timed(function, rounds=ROUNDS):
    """Median and 95th percentile of `function`'s wall time, in milliseconds."""
    function()  # warm: imports, caches
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def upload_facts():
    """A typical upload's facts: a real-length title, nickname and file name."""
    exam = Exam(title="Linear Algebra II — final exam, winter term 2026/27")
    student = Student(exam=exam, nickname="s2412345")
    now = timezone.now()
    return {
        "student": student,
        "code": codes.new_verification_code(),
        "name": "Mueller_Anna_LinearAlgebra_final.pdf",
        "size": 2_874_113,
        "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "counts_from": now - timedelta(seconds=3),
        "recorded_at": now,
        "late_by": None,
    }


def main():
    facts = upload_facts()
    sign = timed(lambda: receipts.sign_upload(**facts))
    jws = receipts.sign_upload(**facts)
    submission = Submission(verification_code=facts["code"], receipt_jws=jws)
    receipt = receipts.receipt_json(submission).encode()
    check = timed(lambda: receipts.check(receipt))
    qr = timed(lambda: str(receipts.qr_svg(submission)), rounds=max(ROUNDS // 20, 20))
    svg = str(receipts.qr_svg(submission)).encode()
    page = checker.page().encode()
    rows = [
        ("Signing one upload's statement (per upload)", f"{sign[0]:.3f} ms", f"{sign[1]:.3f} ms"),
        ("Checking one receipt", f"{check[0]:.3f} ms", f"{check[1]:.3f} ms"),
        ("Drawing its QR code (image without JavaScript)", f"{qr[0]:.2f} ms", f"{qr[1]:.2f} ms"),
    ]
    print(f"# Signed receipts, measured ({ROUNDS} rounds)\n")
    print("| Cost | median | p95 |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| Size | bytes |\n|---|---|")
    print(f"| Signed statement (compact JWS, QR code's text) | {len(jws)} |")
    print(f"| Receipt file (.json: JWS and facts) | {len(receipt)} |")
    print(f"| QR code, SVG image without JavaScript | {len(svg)} |")
    library = sum(len(path.read_bytes()) for path in LEAN_QR.glob("*.mjs"))
    print(f"| lean-qr, which draws it in the browser (two modules, uncompressed) | {library} |")
    print(f"| Offline checker page (one HTML file, keys and noble-ed25519 inside) | {len(page)} |")
    print(
        "\nThe receipt page itself draws no QR code: the student's browser does, with lean-qr; "
        "`make bench-pages` measures the page's CPU."
    )


if __name__ == "__main__":
    main()
