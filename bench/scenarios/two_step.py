"""The two-step upload (commit the fingerprint, PUT the bytes straight to storage, complete)
in rounds beside the one-step page post and the storage floor, at 3 MiB and at 100 KB, so
that all three meet the same machine in one run; then the first upload after the workers
start again."""

import os
import re
import signal
import statistics
import time

from bench.client import Browser, run_clients, two_step_once
from bench.figures import ms
from bench.scenarios.rush import floor
from bench.stack import MiB, children, command_name, descendants, parent

SIZES = (3 * MiB, 100 * 1000)
FLOOR_TARGETS = {3 * MiB: 0.85, 100 * 1000: 0.7}
OWN_REQUESTS_MS = 5  # commit and complete, app CPU per upload
VISIT_MS = 12  # page, commit, complete and receipt


def size_text(size):
    return f"{size / MiB:g} MiB" if size >= MiB else f"{size / 1000:g} KB"


def rounds(bench, size):
    args = bench.args
    done = []
    for _ in range(args.rounds):
        one_step, _ = bench.uploads(args.uploads, args.concurrency, size=size)
        bench.empty_bucket()
        two_step, _ = bench.uploads(args.uploads, args.concurrency, way="two_step", size=size)
        bench.empty_bucket()
        own, _ = bench.uploads(args.uploads, args.concurrency, way="two_step_only", size=size)
        bench.empty_bucket()
        storage = floor(bench, args.uploads, args.concurrency, size=size)
        bench.empty_bucket()
        checked = floor(bench, args.uploads, args.concurrency, size=size, checked=True)
        bench.empty_bucket()
        done.append((one_step, two_step, own, storage, checked))
    return done


PAGE_FILES = re.compile(r'(?:src|href)="(/(?:static|i18n)/[^"]+)"')


def first_visit_files(bench, visits=200):
    """App CPU per phone's first visit for the files the upload page loads (its style,
    scripts, icon and the script of its words), each fetched once as by an empty cache."""
    browser = Browser(bench.port)
    try:
        _, page = browser.get(f"/u/{bench.take_codes(1)[0]}/")
    finally:
        browser.close()
    files = sorted(set(PAGE_FILES.findall(page.decode())))

    def visit(_):
        browser = Browser(bench.port)
        try:
            for path in files:
                response, _ = browser.get(path)
                if response.status != 200:
                    return {"status": f"{path} {response.status}", "post_s": None, "get_s": 0.0}
        finally:
            browser.close()
        return {"status": 200, "post_s": 0.0, "get_s": 0.0}

    cpu = bench.cpu()
    results, _ = run_clients(visit, range(visits), bench.args.concurrency, 120)
    ok = sum(result["status"] == 200 for result in results)
    return files, bench.cpu_per_upload(cpu, ok)["app"]


def request_floor(bench, count=2000):
    """App CPU per request of /healthz, which answers "ok" and asks nothing: what any
    request costs in nginx, gunicorn and Django's middleware before its view does work."""

    def healthz(_):
        browser = Browser(bench.port)
        try:
            for _ in range(50):
                response, _ = browser.get("/healthz")
                if response.status != 200:
                    return {"status": response.status, "post_s": None, "get_s": 0.0}
        finally:
            browser.close()
        return {"status": 200, "post_s": 0.0, "get_s": 0.0}

    cpu = bench.cpu()
    results, _ = run_clients(healthz, range(count // 50), bench.args.concurrency, 120)
    ok = 50 * sum(result["status"] == 200 for result in results)
    return bench.cpu_per_upload(cpu, ok)["app"]


def run(bench, report):
    args = bench.args
    report.add(
        f"## The two-step upload: {args.uploads} uploads at C={args.concurrency}, beside the "
        "one-step page post and the storage floor"
    )
    report.add()
    report.add(
        "Each round runs, back to back: the one-step page (open the link, post the form; it "
        "stops at the redirect to the receipt), "
        "the two-step page as its script does it (open the link, commit, PUT straight to "
        "storage, complete, open the receipt), the two-step upload's own requests alone "
        "(commit, PUT, complete), and the floor (the same PUTs from boto3). moto is told the "
        "PUT's checksum algorithm so it keeps the checksum, as R2 and S3 keep it from "
        "`x-amz-checksum-sha256` alone; completion then reads no bytes back. Two-step / floor "
        "is the upload's own path (commit, PUT, complete) against the PUTs alone."
    )
    report.add()
    report.add(
        "Two floors: the PUTs alone, and the PUTs each followed by the two reads a completion "
        "makes of the object (HeadObject with its checksum, a ranged GetObject of its first "
        "bytes), both straight from boto3 without the app: the second is what storage itself "
        "spends on an upload the app checks, and no app can go below it. moto is Python on the "
        "same two cores, so its reads weigh there as R2's do not."
    )
    report.add()
    floor_ms = request_floor(bench)
    report.add(
        f"- App CPU of a request that does no work (`/healthz`, through nginx, gunicorn and "
        f"the middleware, on kept-alive connections): {floor_ms:.2f} ms; commit and complete "
        f"are two requests, a whole visit four"
    )
    files, files_ms = first_visit_files(bench)
    report.add(
        f"- A phone's first visit also loads the upload page's {len(files)} files "
        f"({', '.join(f'`{path}`' for path in files)}), not counted in the visits below: "
        f"{files_ms:.1f} ms of app CPU for all of them"
    )
    report.add()
    for size in SIZES:
        done = rounds(bench, size)
        size_table(bench, report, size, done)
    read_back(bench, report)
    first_after_start(bench, report)


def size_table(bench, report, size, done):
    args = bench.args
    report.add(f"### {size_text(size)} files")
    report.add()
    report.add(
        "| round | one-step uploads/s | two-step visits/s | two-step uploads/s | floor puts/s "
        "| two-step / floor | one-step / floor | floor with the reads, uploads/s "
        "| two-step / floor with the reads | app CPU: one-step visit | two-step visit "
        "| commit + complete | S3 CPU per upload: two-step / floor "
        "| app disk writes per upload: one-step / two-step | two-step statuses |"
    )
    report.add(
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | --- |"
    )
    fractions, of_checkeds, visits, owns, disks = [], [], [], [], []
    for i, (one, two, own, storage, checked) in enumerate(done, 1):
        # The upload's own path (commit, PUT, complete) against the same PUTs alone.
        fraction = own["per_s"] / storage["per_s"] if storage["per_s"] else 0
        of_checked = own["per_s"] / checked["per_s"] if checked["per_s"] else 0
        fractions.append(fraction)
        of_checkeds.append(of_checked)
        visits.append(two["cpu_ms"]["app"])
        owns.append(own["cpu_ms"]["app"])
        disks.append(max(two["disk_bytes"], own["disk_bytes"]))
        report.add(
            f"| {i} | {one['per_s']:.1f} | {two['per_s']:.1f} | {own['per_s']:.1f} "
            f"| {storage['per_s']:.1f} "
            f"| {fraction:.2f} | {one['per_s'] / storage['per_s']:.2f} "
            f"| {checked['per_s']:.1f} | {of_checked:.2f} "
            f"| {one['cpu_ms']['app']:.1f} ms | {two['cpu_ms']['app']:.1f} ms "
            f"| {own['cpu_ms']['app']:.1f} ms "
            f"| {own['cpu_ms']['S3']:.1f} ms / {storage['cpu_ms']['S3']:.1f} ms "
            f"| {one['disk_bytes'] / 1024:.0f} KiB / {two['disk_bytes'] / 1024:.0f} KiB "
            f"| {two['statuses']} |"
        )
    report.add()
    report.add(
        f"- Two-step against storage's own cost of a checked upload (the floor with the "
        f"reads): median {statistics.median(of_checkeds):.2f}"
    )
    report.add()
    median = statistics.median(fractions)
    target = FLOOR_TARGETS[size]
    report.check(
        f"two-step at least {target} of the storage floor ({size_text(size)})",
        median >= target,
        f"median {median:.2f} over {args.rounds} rounds",
    )
    report.check(
        f"app CPU for commit + complete at most {OWN_REQUESTS_MS} ms ({size_text(size)})",
        statistics.median(owns) <= OWN_REQUESTS_MS,
        f"median {statistics.median(owns):.1f} ms",
    )
    report.check(
        f"app CPU per student's whole visit at most {VISIT_MS} ms ({size_text(size)})",
        statistics.median(visits) <= VISIT_MS,
        f"median {statistics.median(visits):.1f} ms",
    )
    report.check(
        f"no answer bytes written to the app's disk ({size_text(size)})",
        max(disks) < size / 10,
        f"largest {max(disks) / 1024:.0f} KiB per upload",
    )
    ok = sum(two["ok"] + own["ok"] for _, two, own, _, _ in done)
    report.check(
        f"every two-step upload completed ({size_text(size)})",
        ok == 2 * args.uploads * args.rounds,
        f"{ok} of {2 * args.uploads * args.rounds}",
    )


def read_back(bench, report):
    """A storage that keeps no checksum: the app reads each object back and hashes it."""
    args = bench.args
    trusted, _ = bench.uploads(args.uploads, args.concurrency, way="two_step_only")
    bench.empty_bucket()
    read, _ = bench.uploads(args.uploads, args.concurrency, way="two_step_read_back")
    bench.empty_bucket()
    report.add(
        f"- Completion's SHA-256 at {size_text(bench.size)}: from the storage's checksum "
        f"{trusted['cpu_ms']['app']:.1f} ms of app CPU per upload ({trusted['per_s']:.1f}/s), "
        f"read back and hashed {read['cpu_ms']['app']:.1f} ms ({read['per_s']:.1f}/s)"
    )
    report.add()


def gunicorn_master(bench):
    master = bench.stack.app_pid
    return next(
        pid
        for pid in descendants(master)
        if parent(pid) == master and command_name(pid) != "nginx" and children(pid)
    )


def first_after_start(bench, report):
    """The workers start again (HUP: gunicorn's graceful restart); the first uploads they
    take, one at a time, against the ones after them."""
    master = gunicorn_master(bench)
    before = set(children(master))
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(children(master))
        if now and not now & before and len(now) == len(before):
            break
        time.sleep(0.2)
    time.sleep(2)  # the new workers' own start (imports, the storage client) is not timed
    codes = bench.take_codes(12)
    timings = []
    for code in codes:
        result = two_step_once(bench.port, code, bench.files[0], visit=False)
        timings.append(result["post_s"] if result["status"] == 302 else float("nan"))
    first, rest = timings[:2], timings[2:]
    median_rest = statistics.median(rest)
    report.add(
        "- After a restart of the workers, one upload at a time (commit, PUT, complete): "
        f"the first two {', '.join(ms(t) for t in first)}, the next ten median "
        f"{ms(median_rest)}"
    )
    report.add()
    report.check(
        "the first upload after the workers start no slower than the rest",
        max(first) <= 1.5 * median_rest,
        f"first {ms(max(first))}, then median {ms(median_rest)}",
    )
