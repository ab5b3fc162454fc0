"""What every scenario works with: the running stack, the seeded students, the file pool."""

import itertools
import os
from dataclasses import dataclass, field

from bench.client import run_clients, two_step_once, upload_once, upload_through_api
from bench.figures import summarize
from bench.stack import MemoryWatch, Started, cpu_seconds, disk_written, empty_bucket, named

# The two-step upload (bench/scenarios/two_step.py): the whole visit (page, commit, PUT to
# storage, complete, receipt), the upload's own requests only, and with the app reading the
# object back instead of trusting the storage's checksum.
WAYS = {
    "two_step": two_step_once,
    "two_step_only": lambda port, code, data: two_step_once(port, code, data, visit=False),
    "two_step_read_back": lambda port, code, data: two_step_once(
        port, code, data, visit=False, storage_checksum=False
    ),
}


@dataclass
class Stack:
    """The processes of a run: the app (depository/serve.py), moto, and how to start more."""

    started: Started
    python: str
    env: dict
    app_port: int
    app_pid: int
    moto_pid: int
    s3_endpoint: str
    s3: object
    memory: MemoryWatch


@dataclass
class Bench:
    args: object
    stack: Stack
    seed: dict
    files: list = field(default_factory=list)
    _other_files: dict = field(default_factory=dict)

    def __post_init__(self):
        self.codes = iter(self.seed["codes"])
        self.size = self.args.size
        self.port = self.stack.app_port
        self.memory = self.stack.memory
        # A pool of random files; upload i sends file i % len(pool), and so does the floor.
        self.files = [os.urandom(self.size) for _ in range(max(self.args.concurrency, 16))]

    def take_codes(self, n):
        codes = list(itertools.islice(self.codes, n))
        if len(codes) < n:
            raise SystemExit("The rush exam ran out of students: raise --students")
        return codes

    def empty_bucket(self):
        """Let moto forget stored objects between phases (it keeps them in memory)."""
        empty_bucket(self.stack.s3)

    def uploads(
        self, count, concurrency, repeat=1, time_limit=None, port=None, api=False, way=None,
        size=None,
    ):  # fmt: skip
        """`count` uploads by count/repeat fresh students, each uploading `repeat` times, to
        the app (or whatever serves `port`): through the page, or with `api` through the
        original service's route in /api/v0/, or `way` one of WAYS (the two-step upload).
        `size`: bytes per file (default --size)."""
        codes = self.take_codes(-(-count // repeat))
        files = self.files_of(size or self.size)
        jobs = [(codes[i % len(codes)], files[i % len(files)]) for i in range(count)]
        self.memory.reset()
        cpu, written = self.cpu(), disk_written(self.memory.pids())
        upload = WAYS[way] if way else upload_through_api if api else upload_once
        results, elapsed = run_clients(
            lambda job: upload(port or self.port, *job),
            jobs,
            concurrency,
            time_limit or self.args.phase_seconds,
        )
        summary = summarize(results, elapsed, size or self.size, ok_status=201 if api else 302)
        summary["cpu_ms"] = self.cpu_per_upload(cpu, summary["ok"])
        summary["disk_bytes"] = (disk_written(self.memory.pids()) - written) / max(summary["ok"], 1)
        return summary, self.memory.phase_peaks()

    def files_of(self, size):
        if size == self.size:
            return self.files
        if size not in self._other_files:
            self._other_files[size] = [os.urandom(size) for _ in range(len(self.files))]
        return self._other_files[size]

    def cpu(self):
        return {
            "app": cpu_seconds(self.memory.pids()),
            "S3": cpu_seconds([self.stack.moto_pid]),
            "PostgreSQL (all of it)": cpu_seconds(named("postgres")),
            "clients": sum(os.times()[:2]),
        }

    def cpu_per_upload(self, before, count):
        after = self.cpu()
        return {k: 1000 * (after[k] - before[k]) / max(count, 1) for k in before}

    def worker_peak(self, peaks):
        """The largest peak of any app process but serve.py itself."""
        return max((m for p, m in peaks.items() if p != self.stack.app_pid), default=0)
