"""Throughput from 1 to 16 clients: it must not fall as clients are added."""

from bench.figures import ms


def run(bench, report):
    report.add()
    report.add("## Scaling with clients")
    report.add()
    report.add("| clients | uploads | uploads/s | MiB/s | p50 | p99 | statuses |")
    report.add("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    rates = []
    for c in (1, 2, 4, 8, 16):
        count = min(bench.args.uploads, max(48, 8 * c))
        result, _ = bench.uploads(count, c)
        bench.empty_bucket()
        rates.append(result["per_s"])
        report.add(
            f"| {c} | {result['uploads']} | {result['per_s']:.1f} | {result['mb_per_s']:.1f} | "
            f"{ms(result['p50'])} | {ms(result['p99'])} | {result['statuses']} |"
        )
    report.add()
    # "Does not fall": each step keeps at least 90 % of the best rate before it.
    falls = [(i, r) for i, r in enumerate(rates) if i and r < 0.9 * max(rates[:i])]
    report.check(
        "throughput does not fall from C=1 to C=16 (no step under 90 % of the best before)",
        not falls,
        "rates " + ", ".join(f"{r:.1f}" for r in rates),
    )
