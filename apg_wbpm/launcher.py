"""``make run``: the whole platform on one machine.

Starts the embedded PostgreSQL and Redis when ``DATABASE_URL``/``REDIS_URL`` are unset,
migrates every schema, provisions the demo tenant, then runs daphne (HTTP and
WebSocket), a Celery worker, the scheduler (celery beat) and the job scheduler
(`manage.py run_scheduler`) side by side. Ctrl-C or
SIGTERM stops every process it started; if one of them dies, the rest are stopped too.

    python -m apg_wbpm.launcher [--host 127.0.0.1] [--port 8000] [--skip-setup]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from apg_wbpm import embedded
from apg_wbpm.embedded import die_with_parent

STOP_GRACE_SECONDS = 10


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def platform_processes(host: str, port: int, var_dir: Path) -> list[ProcessSpec]:
    python = sys.executable
    return [
        # Under ASGI every request may run on another thread, so persistent connections pile up
        # until PostgreSQL refuses clients; daphne closes its connection after each request.
        ProcessSpec(
            "web",
            [python, "-m", "daphne", "-b", host, "-p", str(port), "apg_wbpm.asgi:application"],
            env={"DATABASE_CONN_MAX_AGE": "0"},
        ),
        ProcessSpec(
            "worker",
            [
                python,
                "-m",
                "celery",
                "-A",
                "apg_wbpm",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                f"worker-{port}@%h",
            ],
        ),
        ProcessSpec(
            "scheduler",
            [
                python,
                "-m",
                "celery",
                "-A",
                "apg_wbpm",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(var_dir / "celerybeat-schedule"),
            ],
        ),
        # Wakes workers for due jobs (timers), on the database's clock.
        ProcessSpec("jobs", [python, "manage.py", "run_scheduler"]),
    ]


def run_setup(env: dict[str, str], port: int) -> str:
    """Migrate every schema and provision the demo; return the logins to print once serving."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate_schemas", "--noinput", "-v", "0"], env=env, check=True)
    demo = subprocess.run(
        [*manage, "provision_demo", "--port", str(port)], env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    return demo.stdout


def wait_for(url: str, processes: dict[str, subprocess.Popen[bytes]], timeout: float) -> str | None:
    """Poll ``url`` until it answers 200; return its body, or None on timeout or a dead process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes.values()):
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            time.sleep(0.2)
    return None


def stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        remaining = max(0.1, deadline - time.monotonic())
        try:
            process.wait(remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Stop(Exception):
    """Raised by the signal handler to leave the supervision loop."""


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def serve(host: str, port: int, var_dir: Path, skip_setup: bool) -> int:
    with embedded.services(var_dir, int(os.environ.get("APG_EMBEDDED_REDIS_PORT", "6380"))) as extra_env:
        env = {**os.environ, **extra_env, "PYTHONUNBUFFERED": "1"}
        banner = "" if skip_setup else run_setup(env, port)
        processes: dict[str, subprocess.Popen[bytes]] = {}
        signal.signal(signal.SIGINT, _raise_stop)
        signal.signal(signal.SIGTERM, _raise_stop)
        try:
            for spec in platform_processes(host, port, var_dir):
                # Own process groups: a terminal's Ctrl-C reaches only us, and we stop them in order.
                processes[spec.name] = subprocess.Popen(
                    spec.argv, env={**env, **spec.env}, start_new_session=True, preexec_fn=die_with_parent
                )
            if wait_for(f"http://{host}:{port}/health", processes, timeout=60) is None:
                print("The web process did not come up; stopping.", file=sys.stderr)
                return 1
            if wait_for(f"http://{host}:{port}/ready", processes, timeout=60) is None:
                print(f"Not ready yet: see http://{host}:{port}/ready", file=sys.stderr)
            print(f"\nAPG Workflow & BPM is running (Ctrl-C stops it)\n{banner}", flush=True)
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        print(f"The {name} process exited with {process.returncode}; stopping.", file=sys.stderr)
                        return 1
                time.sleep(0.5)
        except Stop:
            print("\nStopping…", flush=True)
            return 0
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            stop_all(processes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("APG_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("APG_PORT", "8000")))
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("APG_VAR_DIR", "var")))
    parser.add_argument("--skip-setup", action="store_true", help="do not migrate or provision the demo")
    args = parser.parse_args(argv)
    os.environ.setdefault("APG_VAR_DIR", str(args.var_dir.resolve()))
    return serve(args.host, args.port, args.var_dir.resolve(), args.skip_setup)


if __name__ == "__main__":
    sys.exit(main())
