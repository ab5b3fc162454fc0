"""Many slow phones at a deadline (issue 16): 128 clients send their files at 10 KB/s while
fast clients upload 3 MiB each. Measured twice in the same run: through nginx, as
production serves (depository/serve.py), and against gunicorn alone, as it served before.
The figure is the fast uploads' p99 (open the link and post)."""

from bench.figures import label, ms, percentile
from bench.scenarios.trickle import beside_slow_clients
from bench.stack import free_port, start_app

SLOW = 128
RATE = 10_000  # bytes a second: a phone on a crowded campus network
RUSH_UPLOADS, RUSH_CONCURRENCY = 96, 16


def measure(bench, port):
    args = bench.args
    fast, slow = beside_slow_clients(
        bench, port, SLOW, RATE, int(RATE * args.slow_seconds), args.slow_fast, pace=0.5
    )
    bench.empty_bucket()
    ok = [s for status, s in fast if status == 302]
    return {
        "fast": fast,
        "fast_ok": len(ok),
        # A fast upload that failed counts as its time to fail: it never got through.
        "p50": percentile([s for _, s in fast], 50),
        "p99": percentile([s for _, s in fast], 99),
        "slow": slow,
    }


def rush(bench, port):
    """The cost of the proxy: the same short rush against either way of serving."""
    result, _ = bench.uploads(RUSH_UPLOADS, RUSH_CONCURRENCY, port=port)
    bench.empty_bucket()
    return result


def run(bench, report):
    stack = bench.stack
    bench.memory.reset()
    after = measure(bench, bench.port)
    peaks = bench.memory.phase_peaks()
    after["rush"] = rush(bench, bench.port)
    port = free_port(8400, 8450)
    alone = start_app(stack.started, stack.python, stack.env, port, proxy=False)
    try:
        before = measure(bench, port)
        before["rush"] = rush(bench, port)
    finally:
        stack.started.stop(alone)
    report.add()
    report.add(
        f"## Slow phones: {SLOW} clients send their files at {RATE / 1000:g} KB/s, "
        f"{bench.args.slow_fast} fast 3 MiB uploads meanwhile"
    )
    report.add()
    report.add(
        "| served by | fast p50 | fast p99 | fast statuses | slow statuses "
        f"| C={RUSH_CONCURRENCY} uploads/s, no slow clients |"
    )
    report.add("| --- | ---: | ---: | --- | --- | ---: |")
    for name, result in (("gunicorn alone (before)", before), ("nginx + gunicorn", after)):
        statuses = {}
        for status, _ in result["fast"]:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        report.add(
            f"| {name} | {ms(result['p50'])} | {ms(result['p99'])} | {statuses} | "
            f"{result['slow']['statuses']} | {result['rush']['per_s']:.1f} |"
        )
    report.add()
    report.add(
        "- Peak memory per app process (nginx + gunicorn): "
        + ", ".join(
            f"{label(pid, stack.app_pid)} {mib:.0f} MiB" for pid, mib in sorted(peaks.items())
        )
    )
    report.add()
    ratio = before["p99"] / after["p99"] if after["p99"] else float("inf")
    report.check(
        f"fast uploads' p99 within 2 s while {SLOW} phones send at 10 KB/s",
        after["fast_ok"] == len(after["fast"])
        and after["p99"] <= 2
        and after["slow"]["ok"] == SLOW,
        f"p99 {ms(after['p99'])}, {after['fast_ok']} of {len(after['fast'])} fast and "
        f"{after['slow']['ok']} of {SLOW} slow uploads stored; gunicorn alone: p99 "
        f"{ms(before['p99'])}, {ratio:.0f} x",
    )
