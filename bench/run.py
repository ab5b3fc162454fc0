"""A whole run: parse the options, start the stack, run the scenarios, write the report."""

import argparse
import contextlib
import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import Report
from bench.harness import Bench, Stack
from bench.scenarios import SCENARIOS
from bench.stack import (
    BUCKET,
    HOST,
    OUT,
    ROOT,
    S3_CREDENTIALS,
    MemoryWatch,
    MiB,
    Started,
    drop_database,
    flush_redis,
    free_port,
    gunicorn_settings,
    machine,
    reset_database,
    s3_client,
    start_app,
    wait_http,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The last-minute rush, measured on one machine.")
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    parser.add_argument("--uploads", type=int, default=200, help="uploads in the main run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the main run and floor")
    parser.add_argument("--size", type=int, default=3 * MiB, help="bytes per file")
    parser.add_argument("--students", type=int, default=8_000)
    parser.add_argument("--memory-uploads", type=int, default=1_000)
    parser.add_argument("--slow-seconds", type=float, default=20, help="each slow phone's send")
    parser.add_argument("--slow-fast", type=int, default=20, help="fast uploads beside them")
    parser.add_argument("--phase-seconds", type=float, default=120, help="time bound per phase")
    parser.add_argument("--only", default="", help="comma-separated phases to run")
    parser.add_argument("--results", default=str(ROOT / "bench" / "RESULTS.md"), help="'-' to skip")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dep_bench"
        ),
    )
    parser.add_argument("--port", type=int, default=0, help="app port (default: free in 8400-8499)")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.uploads, args.memory_uploads, args.students, args.rounds = 48, 100, 1_200, 1
        args.slow_seconds, args.slow_fast = 8, 6
    args.phases = set(filter(None, args.only.split(","))) or {"floor", *SCENARIOS}
    args.examiner_password = secrets.token_urlsafe(16)
    return args


def app_env(args, app_port, s3_endpoint):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "depository.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_COOKIES": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": args.database_url,
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"],
        # Redis, as fly.toml has it for the rush: the throttle's counts and the examiners'
        # sessions (database 2, flushed by each run).
        "REDIS_URL": args.redis_url,
        "BENCH_EXAMINER_PASSWORD": args.examiner_password,
        "LOG_LEVEL": "WARNING",
    }


def prepare(args, env, python):
    """A fresh database, migrated, with static files and the seeded exams; the seed."""
    pg_version = reset_database(args.database_url)
    flush_redis(args.redis_url)
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([python, "manage.py", *command], env=env, cwd=ROOT, check=True)  # noqa: S603
    seeded = subprocess.run(  # noqa: S603 (our own argv)
        [python, "bench/seed.py", "--students", str(args.students)],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return pg_version, json.loads(seeded.stdout)


def start_stack(args, started):
    """moto's S3 server and the app as production runs it, on free loopback ports."""
    python = sys.executable
    app_port = args.port or free_port(8400, 8450)
    s3_port = free_port(8450, 8500)
    s3_endpoint = f"http://{HOST}:{s3_port}"
    env = app_env(args, app_port, s3_endpoint)
    pg_version, seed = prepare(args, env, python)
    moto = started.start(
        "moto", [python, "-m", "moto.server", "-H", HOST, "-p", str(s3_port)], env,
        OUT / "moto.log",
    )  # fmt: skip
    wait_http(s3_port, "/", 30)
    s3 = s3_client(s3_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    app = start_app(started, python, env, app_port)
    stack = Stack(
        started=started, python=python, env=env, app_port=app_port, app_pid=app.pid,
        moto_pid=moto.pid, s3_endpoint=s3_endpoint, s3=s3, memory=MemoryWatch(app.pid),
    )  # fmt: skip
    return stack, seed, pg_version


def header(report, args, pg_version, env):
    command = (
        "make bench" if not sys.argv[1:] else "python bench/rush.py " + shlex.join(sys.argv[1:])
    )
    gconf = gunicorn_settings(env)
    report.add("# Benchmark results: the last-minute rush")
    report.add()
    report.add(f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{command}`")
    report.add(f"- Machine: {machine()}; PostgreSQL {pg_version}")
    # Other work on the machine slows every figure alike: compare within one run.
    report.add(f"- Load average at the start (1 min): {os.getloadavg()[0]:.1f}")
    report.add(
        f"- App: nginx in front of gunicorn {gconf['worker_class']}, {gconf['workers']} "
        f"workers x {gconf['threads']} threads (depository/serve.py, gunicorn.conf.py), "
        "DEBUG off; S3 is moto's server; everything on 127.0.0.1 and sharing the same cores"
    )
    report.add(f"- Files: {args.size / MiB:g} MiB of random bytes each")
    report.add()


def hold(bench):
    """For profiling by hand: keep the stack up, bounded."""
    stack = bench.stack
    (OUT / "stack.json").write_text(
        json.dumps({"port": stack.app_port, "pid": stack.app_pid, **bench.seed})
    )
    print(f"Holding the app on {HOST}:{stack.app_port} for {bench.args.phase_seconds:g} s")
    time.sleep(bench.args.phase_seconds)


def run_scenarios(args, report, started):
    stack, seed, pg_version = start_stack(args, started)
    try:
        header(report, args, pg_version, stack.env)
        bench = Bench(args, stack, seed)
        # Warm-up: every worker imports, connects and renders once before anything is timed.
        bench.uploads(2 * args.concurrency, args.concurrency)
        bench.empty_bucket()
        if "hold" in args.phases:
            hold(bench)
        for name, scenario in SCENARIOS.items():
            if name in args.phases:
                scenario.run(bench, report)
    finally:
        stack.memory.close()
    report.add()
    report.add("## Targets")
    report.add()
    for name, ok, detail in report.checks:
        report.add(f"- {'holds' if ok else '**does not hold**'}: {name} ({detail})")


def main(argv=None):
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    report = Report()
    started = Started()
    try:
        run_scenarios(args, report, started)
    finally:
        started.stop_all()
        with contextlib.suppress(Exception):
            drop_database(args.database_url)
    if args.results != "-":
        Path(args.results).write_text("\n".join(report.lines) + "\n")
        print(f"Wrote {args.results}")
    return 0 if all(ok for _, ok, _ in report.checks) else 1
