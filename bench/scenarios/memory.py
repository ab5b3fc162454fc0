"""Memory across many uploads: the workers must not grow."""

from bench.figures import label, report_run


def run(bench, report):
    args = bench.args
    memory = bench.memory
    report.add()
    report.add(f"## Memory across {args.memory_uploads} uploads (C={args.concurrency})")
    report.add()
    before = memory.current()
    result, _ = bench.uploads(
        args.memory_uploads, args.concurrency, repeat=4, time_limit=args.phase_seconds * 3
    )
    bench.empty_bucket()
    after = memory.current()
    report_run(report, result)
    app_pid = bench.stack.app_pid
    workers = [pid for pid in after if pid != app_pid]
    growth = max((after[p] - before.get(p, after[p])) / before[p] for p in workers if before.get(p))
    report.add(
        "- Resident memory before -> after: "
        + ", ".join(
            f"{label(p, app_pid)} {before.get(p, 0):.0f} -> {after[p]:.0f} MiB"
            for p in sorted(after)
        )
    )
    report.add()
    report.check(
        "memory does not grow across the uploads (within 10 %)",
        growth <= 0.10 and result["ok"] == result["uploads"],
        f"largest growth {growth * 100:+.1f} %; {result['ok']} of {result['uploads']} stored",
    )
