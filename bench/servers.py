"""The servers under test: gunicorn (sync workers, WSGI) and daphne (ASGI), on loopback.

Each runs in its own process group and is stopped when its ``with`` block ends, also on
errors and on Ctrl-C; the group is killed if anything of it is left after the grace time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from apg_wbpm.embedded import die_with_parent
from apg_wbpm.launcher import stop_all, wait_for

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = "docker/gunicorn.conf.py"
START_TIMEOUT_SECONDS = 60


class ServerFailed(RuntimeError):
    """A server did not come up; the message ends with the tail of its log."""


@dataclass(frozen=True)
class ServerSpec:
    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)  # added to the benchmark's environment


def gunicorn_spec(port: int, workers: int) -> ServerSpec:
    """gunicorn with the production configuration (docker/gunicorn.conf.py), bound to loopback."""
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        GUNICORN_CONFIG,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "apg_wbpm.wsgi:application",
    ]
    return ServerSpec("gunicorn", argv, port)


def daphne_spec(port: int) -> ServerSpec:
    """daphne as the ``ws`` container runs it: without persistent database connections.

    Django's ASGI handler runs each request's sync code in a thread of its own, so a
    connection kept for reuse (CONN_MAX_AGE > 0) is never reused and piles up until
    PostgreSQL refuses new clients.
    """
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "apg_wbpm.asgi:application"]
    return ServerSpec("daphne", argv, port, env={"DATABASE_CONN_MAX_AGE": "0"})


@dataclass(frozen=True)
class RunningServer:
    spec: ServerSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.spec.port}{path}"

    def log_tail(self, characters: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:] if self.log_path.exists() else ""


@contextlib.contextmanager
def running(spec: ServerSpec, env: dict[str, str], log_dir: Path) -> Iterator[RunningServer]:
    """Start the server, wait until /health answers, yield it, and stop it whatever happens."""
    log_path = log_dir / f"{spec.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            spec.argv,
            cwd=ROOT,
            env={**env, **spec.env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    server = RunningServer(spec, process, log_path)
    try:
        if wait_for(server.url("/health"), {spec.name: process}, timeout=START_TIMEOUT_SECONDS) is None:
            raise ServerFailed(f"{spec.name} did not answer /health; its log ends with:\n{server.log_tail()}")
        yield server
    finally:
        stop_all({spec.name: process})
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # workers it forked, should any outlive it


def child_pids(parent: int) -> list[int]:
    """The ids of the live processes whose parent is ``parent`` (gunicorn's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


def resident_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (``VmRSS``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
