"""Slow clients trickle their files while fast ones upload: 32 at 256 KiB/s (issue 6)."""

import time
from concurrent.futures import ThreadPoolExecutor

from bench.client import upload_once
from bench.figures import label, ms, summarize

KiB = 1024
TICK = 0.125  # seconds between a slow client's sends


def beside_slow_clients(bench, port, slow, rate, slow_size, fast_tries, pace):
    """`slow` clients trickle a file of `slow_size` bytes at `rate` bytes/s to the app on
    `port`; once they are under way, a fast client starts a 3 MiB upload every `pace`
    seconds, `fast_tries` in all. Returns the fast uploads' (status, seconds to open the
    link and post) and the slow uploads' summary."""
    step = max(1, int(rate * TICK))
    slow_codes = bench.take_codes(slow)
    fast_codes = bench.take_codes(fast_tries)
    slow_file = bench.files[0][:slow_size]

    def fast_upload(i, code):
        time.sleep(i * pace)
        t0 = time.perf_counter()
        outcome = upload_once(port, code, bench.files[i % len(bench.files)])
        return outcome["status"], time.perf_counter() - t0

    with ThreadPoolExecutor(max_workers=slow + fast_tries) as pool:
        slow_runs = [
            pool.submit(upload_once, port, code, slow_file, (step, TICK)) for code in slow_codes
        ]
        time.sleep(1.5)  # every slow client is now in the middle of its body
        fast_runs = [pool.submit(fast_upload, i, code) for i, code in enumerate(fast_codes)]
        fast = [future.result() for future in fast_runs]
        slow_results = [future.result(timeout=slow_size / rate + 120) for future in slow_runs]
    return fast, summarize(slow_results, 0, slow_size)


def run(bench, report):
    slow = 32
    bench.memory.reset()
    fast, slow_summary = beside_slow_clients(
        bench, bench.port, slow, 256 * KiB, bench.size, fast_tries=3, pace=1.5
    )
    peaks = bench.memory.phase_peaks()
    bench.empty_bucket()
    report.add()
    report.add(f"## Slow clients: {slow} trickle their file at 256 KiB/s")
    report.add()
    report.add(
        "- Fast uploads meanwhile (open the link, post): "
        + ", ".join(f"{status} in {ms(s)}" for status, s in fast)
    )
    report.add(
        f"- The slow uploads: {slow_summary['statuses']}; post p50 {ms(slow_summary['p50'])}, "
        f"max {ms(slow_summary['max'])}"
    )
    report.add(
        "- Peak memory per app process: "
        + ", ".join(
            f"{label(pid, bench.stack.app_pid)} {mib:.0f} MiB" for pid, mib in sorted(peaks.items())
        )
    )
    worst = max(s for _, s in fast)
    report.add()
    report.check(
        f"a fast client uploads within 2 s while {slow} trickle",
        all(status == 302 for status, _ in fast) and worst <= 2 and slow_summary["ok"] == slow,
        f"slowest fast upload {ms(worst)}; {slow_summary['ok']} of {slow} slow uploads stored",
    )
