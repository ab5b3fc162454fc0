"""Figures from the clients' results, and the report they go into."""

from bench.stack import MiB, command_name, parent


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summarize(results, elapsed, size, ok_status=302):
    """`ok_status`: what a stored upload answers (302 to the receipt; the API's 201)."""
    ok = [r for r in results if r["status"] == ok_status]
    lat = [r["post_s"] for r in ok]
    counts = {}
    for r in results:
        counts[str(r["status"])] = counts.get(str(r["status"]), 0) + 1
    return {
        "uploads": len(results),
        "ok": len(ok),
        "elapsed_s": elapsed,
        "per_s": len(ok) / elapsed if elapsed else 0,
        "mb_per_s": len(ok) * size / MiB / elapsed if elapsed else 0,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": max(lat) if lat else float("nan"),
        "get_p50": percentile([r["get_s"] for r in ok], 50),
        "statuses": counts,
    }


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


class Report:
    def __init__(self):
        self.lines = []
        self.checks = []

    def add(self, text=""):
        print(text, flush=True)
        self.lines.append(text)

    def check(self, name, ok, detail):
        self.checks.append((name, ok, detail))
        print(f"  target: {name}: {'holds' if ok else 'DOES NOT HOLD'} ({detail})", flush=True)


def label(pid, master):
    """How a process of the app is named in the report."""
    if pid == master:
        return "serve.py"
    if command_name(pid) == "nginx":
        return f"nginx {pid}"
    return f"gunicorn {'master' if parent(pid) == master else 'worker'} {pid}"


def report_run(report, run):
    report.add(
        f"- {run['ok']} of {run['uploads']} uploads in {run['elapsed_s']:.1f} s: "
        f"**{run['per_s']:.1f} uploads/s, {run['mb_per_s']:.1f} MiB/s**"
    )
    report.add(
        f"- Post latency p50 {ms(run['p50'])}, p95 {ms(run['p95'])}, p99 {ms(run['p99'])}, "
        f"max {ms(run['max'])}; opening the link p50 {ms(run['get_p50'])}"
    )
    report.add(f"- Statuses: {run['statuses']}")
    report.add(f"- CPU per upload: {cpu_text(run['cpu_ms'])}")


def cpu_text(cpu_ms):
    return ", ".join(f"{name} {value:.0f} ms" for name, value in cpu_ms.items())
