"""The load generator: wrk (Debian's package) with bench/rotate_tokens.lua, on loopback only."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = "bench/rotate_tokens.lua"
RESULT_PREFIX = "BENCH-RESULT "
INSTALL_HINT = "install it with: sudo apt-get install wrk"


class LoadGeneratorMissing(RuntimeError):
    """wrk is not installed and cannot be installed from here."""


@dataclass(frozen=True)
class LoadPlan:
    threads: int
    connections: int
    seconds: int
    request_timeout_seconds: int = 5


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: dict[str, int]  # connect, read, write, timeout, and status (answers other than 2xx/3xx)
    latency_ms: dict[str, float]  # mean, p50, p90, p99, p99_9, max
    output: str  # wrk's own report, as printed

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def summary(self) -> str:
        latency = self.latency_ms
        return (
            f"{self.requests_per_second:,.0f} req/s; latency p50 {latency['p50']:.1f} ms, "
            f"p90 {latency['p90']:.1f} ms, p95 {latency['p95']:.1f} ms, p99 {latency['p99']:.1f} ms, "
            f"p99.9 {latency['p99_9']:.1f} ms, "
            f"max {latency['max']:.1f} ms; {self.requests:,} requests in {self.seconds:.1f} s; "
            f"errors {self.error_count}"
        )


def ensure_wrk() -> str:
    """The path of wrk; installed from Debian's packages when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LoadGeneratorMissing(f"wrk is missing: {INSTALL_HINT}")
    print("wrk is missing; installing Debian's package: apt-get install -y wrk", flush=True)
    quiet_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=quiet_env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=quiet_env, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise LoadGeneratorMissing(f"wrk is still missing after apt-get: {INSTALL_HINT}")
    return found


def wrk_command(
    wrk: str,
    url: str,
    host: str,
    tokens_file: Path,
    plan: LoadPlan,
    post_body: str | None = None,
    *,
    script: str = WRK_SCRIPT,
    script_args: list[str] | None = None,
) -> list[str]:
    """The wrk command line: loopback URL, the tenant's Host, HTTPS as a TLS proxy would report it.

    With ``post_body`` (JSON), every request is a POST of it. Another ``script`` takes
    ``script_args`` instead of the tokens file and the body.
    """
    if script_args is None:
        script_args = [str(tokens_file), *(["POST", post_body] if post_body is not None else [])]
    return [
        wrk,
        "--threads",
        str(plan.threads),
        "--connections",
        str(plan.connections),
        "--duration",
        f"{plan.seconds}s",
        "--timeout",
        f"{plan.request_timeout_seconds}s",
        "--latency",
        "--header",
        f"Host: {host}",
        "--header",
        "X-Forwarded-Proto: https",
        "--script",
        script,
        url,
        "--",
        *script_args,
    ]


def run_wrk(command: list[str], plan: LoadPlan) -> LoadResult:
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=plan.seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk exited with {completed.returncode}:\n{completed.stdout}\n{completed.stderr}")
    return parse_wrk_output(completed.stdout)


def parse_wrk_output(output: str) -> LoadResult:
    """Read the line that rotate_tokens.lua's done() prints; keep wrk's report beside it."""
    lines = output.splitlines()
    encoded = next((line[len(RESULT_PREFIX) :] for line in lines if line.startswith(RESULT_PREFIX)), None)
    if encoded is None:
        raise RuntimeError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{output}")
    raw: dict[str, Any] = json.loads(encoded)
    report = "\n".join(line for line in lines if not line.startswith(RESULT_PREFIX))
    return LoadResult(
        requests=int(raw["requests"]),
        seconds=raw["duration_us"] / 1_000_000,
        errors={name: int(count) for name, count in raw["errors"].items()},
        latency_ms={name: value / 1000 for name, value in raw["latency_us"].items()},
        output=report,
    )


def fetch_as_user(url: str, host: str, token: str, post_body: str | None = None) -> dict[str, Any]:
    """One request the way wrk sends them (a POST of ``post_body`` when given); raise unless it
    answers 200 or 201 with JSON."""
    headers = {"Host": host, "Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    if post_body is not None:
        headers["Content-Type"] = "application/json"
    data = post_body.encode() if post_body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body
