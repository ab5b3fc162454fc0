"""The rush: uploads by many clients at once, in rounds beside the storage floor (the same
files put straight into the same S3 endpoint with boto3)."""

import secrets
import statistics
import time

from bench.client import run_clients
from bench.figures import cpu_text, label, ms, report_run, summarize
from bench.stack import BUCKET, s3_client

# The first bytes a two-step completion reads to judge the file's type (students.filetypes).
HEAD_BYTES = 8 * 1024


def floor(bench, count, concurrency, size=None, checked=False):
    """The same PUTs straight to storage, without the app. `checked`: each followed by the
    reads a two-step completion makes of it (HeadObject with its checksum, the first bytes):
    what storage itself spends on an upload the app checks, which no app can go below."""
    s3 = s3_client(bench.stack.s3_endpoint, max_pool=concurrency)
    files = bench.files_of(size or bench.size)
    jobs = [(f"floor/{secrets.token_hex(16)}", files[i % len(files)]) for i in range(count)]

    def put(job):
        key, data = job
        t0 = time.perf_counter()
        try:
            # The checked PUT is the page's: with its SHA-256 for storage to keep.
            checksum = {"ChecksumAlgorithm": "SHA256"} if checked else {}
            s3.put_object(
                Bucket=BUCKET, Key=key, Body=data, ContentType="application/pdf",
                ContentDisposition='attachment; filename="answer.pdf"', **checksum,
            )  # fmt: skip
            if checked:
                s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
                s3.get_object(Bucket=BUCKET, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}")[
                    "Body"
                ].read()
        except Exception as error:  # noqa: BLE001 (counted, not hidden)
            return {"status": f"error {type(error).__name__}", "post_s": None, "get_s": None}
        return {"status": 302, "post_s": time.perf_counter() - t0, "get_s": 0.0}

    cpu = bench.cpu()
    results, elapsed = run_clients(put, jobs, concurrency, bench.args.phase_seconds)
    summary = summarize(results, elapsed, size or bench.size)
    summary["cpu_ms"] = bench.cpu_per_upload(cpu, summary["ok"])
    return summary


def rounds(bench, with_floor):
    """Rounds of the app's run and the floor's, back to back, so that whatever else the
    machine is doing weighs on both; the targets take every round."""
    args = bench.args
    done = []
    for _ in range(args.rounds):
        rush, peaks = bench.uploads(args.uploads, args.concurrency)
        bench.empty_bucket()
        floor_run = floor(bench, args.uploads, args.concurrency) if with_floor else None
        bench.empty_bucket()
        done.append((rush, peaks, floor_run))
    return done


def run(bench, report):
    args = bench.args
    with_floor = "floor" in args.phases
    done = rounds(bench, with_floor)
    first_round(bench, report, *done[0])
    fractions, worst_peak = round_table(bench, report, done)
    ok = sum(run["ok"] for run, _, _ in done)
    report.check(
        "no errors or time-outs",
        ok == args.uploads * args.rounds,
        f"{ok} of {args.uploads * args.rounds} answered 302 to the receipt",
    )
    worst_ratio = max(run["p99"] / run["p50"] for run, _, _ in done)
    report.check("p99 at most 4 x p50", worst_ratio <= 4, f"worst round {worst_ratio:.1f} x")
    report.check(
        "each app process under 150 MiB", worst_peak < 150, f"largest {worst_peak:.0f} MiB"
    )
    if with_floor:
        median = statistics.median(fractions)
        report.check(
            "at least half the storage floor",
            median >= 0.5,
            f"median {median:.2f} over {args.rounds} rounds",
        )


def first_round(bench, report, rush, peaks, floor_run):
    args = bench.args
    report.add(f"## C={args.concurrency}, {args.uploads} uploads (round 1 of {args.rounds})")
    report.add()
    report_run(report, rush)
    report.add(
        "- Peak memory per app process: "
        + ", ".join(
            f"{label(pid, bench.stack.app_pid)} {mib:.0f} MiB" for pid, mib in sorted(peaks.items())
        )
    )
    if floor_run:
        report.add(
            f"- Storage floor (boto3 straight to the same S3, C={args.concurrency}): "
            f"{floor_run['per_s']:.1f} puts/s, {floor_run['mb_per_s']:.1f} MiB/s; put p50 "
            f"{ms(floor_run['p50'])}, p99 {ms(floor_run['p99'])}; statuses "
            f"{floor_run['statuses']}; CPU per put: {cpu_text(floor_run['cpu_ms'])}"
        )
    report.add()


def round_table(bench, report, done):
    report.add(
        "| round | uploads/s | MiB/s | p50 | p99 | max | statuses | worker peak "
        "| floor puts/s | fraction of floor |"
    )
    report.add("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
    fractions, worst_peak = [], 0
    for i, (run, run_peaks, run_floor) in enumerate(done, 1):
        peak = bench.worker_peak(run_peaks)
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
    return fractions, worst_peak
