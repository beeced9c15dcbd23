"""Real processes for the platform tests: a Celery worker on its own queue and a Redis to stop.

The worker runs with the solo pool, so one process runs every task back to back: a task
that finds the schema of the task before it would show here. It consumes the default
queue too, so /ready and ``manage.py ping_worker`` find it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from apg_wbpm.celery import app
from apg_wbpm.embedded import EmbeddedRedis, free_port
from tests.conftest import Platform
from tests.live import process_env, spawn

WORKER_START_SECONDS = 60
WORKER_STOP_SECONDS = 30


@dataclass(frozen=True)
class Worker:
    hostname: str
    queue: str  # consumed by this worker alone
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(log_path: Path, name: str = "solo", **env: str) -> Worker:
    """A solo worker consuming the default queue and a queue of its own (``<namespace>.<name>``);
    ``env`` is added to its environment (another Redis, other settings)."""
    namespace = settings.REDIS_NAMESPACE
    queue = f"{namespace}.{name}"
    hostname = f"{name}@{namespace}"
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "apg_wbpm",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "--loglevel",
        "INFO",
        "--hostname",
        hostname,
        "--queues",
        f"{settings.CELERY_TASK_DEFAULT_QUEUE},{queue}",
        "--without-gossip",
        "--without-mingle",
    ]
    process = spawn(argv, log_path, process_env(**env))
    return Worker(hostname=hostname, queue=queue, process=process, log_path=log_path)


def wait_until_worker_answers(worker: Worker, timeout: float) -> None:
    """Poll with control pings (each waits up to half a second for the answer) until a deadline."""
    deadline = time.monotonic() + timeout
    while not app.control.ping(destination=[worker.hostname], timeout=0.5):
        if worker.process.poll() is not None or time.monotonic() > deadline:
            stop_worker(worker)
            raise RuntimeError(f"the Celery worker did not start:\n{worker.log()[-5000:]}")


def stop_worker(worker: Worker) -> None:
    """SIGTERM is Celery's warm shutdown: finish the running task, then exit."""
    if worker.process.poll() is None:
        worker.process.terminate()
        try:
            worker.process.wait(WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@pytest.fixture(scope="session")
def celery_worker(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A real worker process on the test database and this session's Redis namespace."""
    worker = start_worker(tmp_path_factory.mktemp("worker") / "worker.log")
    wait_until_worker_answers(worker, WORKER_START_SECONDS)
    try:
        yield worker
    finally:
        stop_worker(worker)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A redis-server of this test's own, free to stop; the session's servers are never touched."""
    server = EmbeddedRedis(tmp_path, free_port(), persistent=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()
