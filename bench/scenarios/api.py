"""The rush through the script API: the same uploads posted to the original service's route
(/api/v0/submissions/{upload_code}), in rounds beside the page path and the storage floor,
so that all three meet the same machine. The API path must be at least as fast as the page."""

import statistics

from bench.figures import ms
from bench.scenarios.rush import floor


def rounds(bench):
    args = bench.args
    done = []
    for _ in range(args.rounds):
        page, _ = bench.uploads(args.uploads, args.concurrency)
        bench.empty_bucket()
        api, _ = bench.uploads(args.uploads, args.concurrency, api=True)
        bench.empty_bucket()
        storage = floor(bench, args.uploads, args.concurrency)
        bench.empty_bucket()
        done.append((page, api, storage))
    return done


def run(bench, report):
    args = bench.args
    done = rounds(bench)
    report.add(
        f"## The API path: {args.uploads} uploads at C={args.concurrency} through "
        "`POST /api/v0/submissions/{upload_code}`, beside the page and the floor"
    )
    report.add()
    report.add(
        "| round | page uploads/s | API uploads/s | floor puts/s | API / page | API / floor "
        "| page post p50 / p99 | API post p50 / p99 | app CPU per upload, page / API "
        "| API statuses |"
    )
    report.add("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    ratios = []
    for i, (page, api, storage) in enumerate(done, 1):
        ratio = api["per_s"] / page["per_s"] if page["per_s"] else 0
        ratios.append(ratio)
        of_floor = api["per_s"] / storage["per_s"] if storage["per_s"] else 0
        report.add(
            f"| {i} | {page['per_s']:.1f} | {api['per_s']:.1f} | {storage['per_s']:.1f} "
            f"| {ratio:.2f} | {of_floor:.2f} | {ms(page['p50'])} / {ms(page['p99'])} "
            f"| {ms(api['p50'])} / {ms(api['p99'])} "
            f"| {page['cpu_ms']['app']:.0f} ms / {api['cpu_ms']['app']:.0f} ms "
            f"| {api['statuses']} |"
        )
    report.add()
    report.add(
        "The page path's figure includes opening the personal link (a GET) before the post, "
        "as a student does; the API path is the post alone, as a script does."
    )
    report.add()
    stored = sum(api["ok"] for _, api, _ in done)
    report.check(
        "every API upload answered 201",
        stored == args.uploads * args.rounds,
        f"{stored} of {args.uploads * args.rounds}",
    )
    median = statistics.median(ratios)
    report.check(
        "the API path at least as fast as the page path",
        median >= 1.0,
        f"median API / page {median:.2f} over {args.rounds} rounds",
    )
