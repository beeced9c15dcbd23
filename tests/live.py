"""The platform served by real processes, the way ``make run`` starts it, for end-to-end tests.

The launcher migrates the test database, provisions the demo tenant and runs daphne, a
Celery worker and the scheduler against the test database and this session's Redis
namespace. Tests reach it over loopback: HTTP with a Host header, WebSockets, Chromium.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection

from apg_wbpm.embedded import free_port
from apg_wbpm.launcher import die_with_parent

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LivePlatform:
    port: int
    process: subprocess.Popen[str]
    log_path: Path

    def url(self, host: str, path: str = "/") -> str:
        """Chromium resolves every ``*.localhost`` name to loopback, so host names work as such."""
        return f"http://{host}:{self.port}{path}"

    def client(self, host: str) -> httpx.Client:
        """An HTTP client that reaches loopback and names ``host`` in the Host header."""
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers={"Host": f"{host}:{self.port}"})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def test_database_url() -> str:
    settings = connection.settings_dict
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings.get("PASSWORD") else ""
    return f"postgresql://{quote(settings['USER'] or '', safe='')}{password}@{host}{port}/{settings['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    """Environment for a process the tests start: this session's test database and Redis namespace."""
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "APG_REDIS_NAMESPACE": settings.REDIS_NAMESPACE,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def spawn(argv: list[str], log_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """Start a process for a test: output to ``log_path``, own process group, dies with the test run."""
    with log_path.open("w") as log:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )


def launch(var_dir: Path, *options: str) -> LivePlatform:
    """Run the launcher of ``make run`` on a free port against the test database."""
    port = free_port()
    log_path = var_dir / "launcher.log"
    argv = [sys.executable, "-m", "apg_wbpm.launcher", "--port", str(port), "--var-dir", str(var_dir), *options]
    env = process_env(APG_VAR_DIR=str(var_dir), APG_SCHEDULER_HEARTBEAT_SECONDS="1")
    return LivePlatform(port=port, process=spawn(argv, log_path, env), log_path=log_path)


def start_live_platform(var_dir: Path) -> Iterator[LivePlatform]:
    live = launch(var_dir)
    try:
        wait_for_banner(live, timeout=120)
        yield live
    finally:
        stop_live_platform(live)


def wait_for_banner(live: LivePlatform, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while "is running" not in live.log():
        if live.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the launcher did not start:\n{live.log()[-5000:]}")
        time.sleep(0.2)


def stop_live_platform(live: LivePlatform) -> None:
    if live.process.poll() is None:
        live.process.send_signal(signal.SIGINT)
        try:
            live.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(live.process.pid, signal.SIGKILL)
            live.process.wait()
