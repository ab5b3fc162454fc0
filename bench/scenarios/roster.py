"""The examiner's roster page at 100 and 10,000 students."""

import statistics
import time

from bench.client import Browser, hidden_inputs
from bench.figures import ms

KiB = 1024


def login(bench):
    browser = Browser(bench.port)
    _, body = browser.get("/accounts/login/")
    fields = hidden_inputs(body)
    response, _ = browser.post_form(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", ""),
            "username": bench.seed["username"],
            "password": bench.args.examiner_password,
        },
    )
    if response.status != 302:
        raise SystemExit(f"Examiner login failed: {response.status}")
    return browser


def roster(bench, exam_pk, repeats):
    browser = login(bench)
    times, size, status = [], 0, None
    for _ in range(repeats + 1):  # the first is a warm-up
        t0 = time.perf_counter()
        response, body = browser.get(f"/exams/{exam_pk}/")
        times.append(time.perf_counter() - t0)
        size, status = len(body), response.status
    browser.close()
    return {"median": statistics.median(times[1:]), "bytes": size, "status": status}


def run(bench, report):
    report.add()
    report.add("## Roster page /exams/<pk>/ (half the students have submitted)")
    report.add()
    report.add("| students | median of 5 | page size | status |")
    report.add("| ---: | ---: | ---: | ---: |")
    rosters = {}
    for size, pk in bench.seed["rosters"].items():
        r = roster(bench, pk, 5)
        rosters[int(size)] = r
        report.add(
            f"| {int(size):,} | {ms(r['median'])} | {r['bytes'] / KiB:.0f} KiB | {r['status']} |"
        )
    if {100, 10_000} <= rosters.keys():
        ratio = rosters[10_000]["median"] / rosters[100]["median"]
        report.add()
        report.check(
            "10,000-student roster at most 2 x the 100-student one", ratio <= 2, f"{ratio:.1f} x"
        )
