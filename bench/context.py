"""What every benchmark needs: the servers' environment, the tenant's tokens, wrk, a log folder."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.database import ensure_bench_database
from bench.load import LoadPlan, ensure_wrk, wrk_command
from bench.provisioning import BENCH_DOMAIN, provision_bench_tenant

ROOT = Path(__file__).resolve().parent.parent
ME_PATH = "/api/v1/me/"
# Answered by the first middleware: no database, no Redis, no DRF. The servers' ceiling.
HEALTH_PATH = "/health"
# Shown instead of the generated key in printed commands.
SECRET_PLACEHOLDER = "<a random key of 64 characters>"  # noqa: S105 - a label, not a key


class MissingServers(RuntimeError):
    """DATABASE_URL or REDIS_URL is unset."""


@dataclass(frozen=True)
class BenchContext:
    env: dict[str, str]  # the servers' environment
    shown_env: dict[str, str]  # what differs from the caller's environment, as printed
    tokens_file: Path
    first_token: str
    user_count: int
    log_dir: Path
    wrk: str

    def wrk_command(self, port: int, plan: LoadPlan, path: str = ME_PATH, post_body: str | None = None) -> list[str]:
        url = f"http://127.0.0.1:{port}{path}"
        return wrk_command(self.wrk, url, BENCH_DOMAIN, self.tokens_file, plan, post_body)

    def shown(self, argv: list[str], *, env: dict[str, str] | None = None) -> str:
        """A command as people can paste it: paths relative to the repository, the key hidden.

        With ``env``, the command is prefixed with the benchmark's environment plus ``env``.
        """
        words = [_relative(word) for word in argv]
        assignments = {**self.shown_env, **env} if env is not None else {}
        prefix = [shlex.quote(f"{name}={value}") for name, value in assignments.items()]
        return " ".join([*prefix, shlex.join(words)])


def _relative(word: str) -> str:
    root = f"{ROOT}{os.sep}"
    return word[len(root) :] if word.startswith(root) else word


def prepare(*, user_count: int, fresh: bool, jwt_minutes: int) -> BenchContext:
    """Create and migrate the benchmark database, provision the tenant, mint tokens, find wrk."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        raise MissingServers(
            "Set DATABASE_URL and REDIS_URL, or run under the embedded servers: "
            "python -m apg_wbpm.embedded --redis-port 0 --ephemeral -- python -m bench"
        )
    wrk = ensure_wrk()
    log_dir = Path(os.environ.get("APG_VAR_DIR", ROOT / "var")) / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    bench_url = ensure_bench_database(database_url, fresh=fresh)
    secret_key = secrets.token_urlsafe(48)
    shown_env = {
        "DJANGO_SETTINGS_MODULE": "apg_wbpm.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_PLACEHOLDER,
        "DJANGO_ALLOWED_HOSTS": f"{BENCH_DOMAIN},127.0.0.1",
        "DATABASE_URL": bench_url,
        "REDIS_URL": redis_url,
        "APG_REDIS_NAMESPACE": f"apg-bench-{os.getpid()}",
        "APG_JWT_ACCESS_MINUTES": str(jwt_minutes),
        "APG_LOG_LEVEL": "WARNING",
    }
    env = {**os.environ, **shown_env, "DJANGO_SECRET_KEY": secret_key, "PYTHONUNBUFFERED": "1"}
    os.environ.update(env)  # provisioning runs Django here, with the servers' settings
    print(f"Migrating {bench_url} and provisioning tenant {BENCH_DOMAIN} with {user_count} users…", flush=True)
    tokens = provision_bench_tenant(user_count)
    tokens_file = log_dir / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    tokens_file.chmod(0o600)
    return BenchContext(
        env=env,
        shown_env=shown_env,
        tokens_file=tokens_file,
        first_token=tokens[0],
        user_count=len(tokens),
        log_dir=log_dir,
        wrk=wrk,
    )


def describe_machine(wrk: str | None) -> str:
    """Date, CPU, memory, kernel, Python, wrk, SpiffWorkflow and the commit: the context of every figure."""
    cpu_model = _first_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown CPU"
    memory_kib = _first_value("/proc/meminfo", "MemTotal")
    memory = f"{int(memory_kib.split()[0]) / 1024 / 1024:.0f} GiB" if memory_kib else "unknown memory"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False).stdout if wrk else ""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return "\n".join(
        [
            f"date     {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"load     {load} (1, 5, 15 min) before the run; other work on the machine lowers every figure",
            f"machine  {os.cpu_count()} cores ({cpu_model}), {memory}, Linux {platform.release()}",
            f"python   {platform.python_version()} ({sys.executable.removeprefix(str(ROOT) + os.sep)})",
            f"wrk      {(wrk_version.splitlines() or ['not used'])[0]}",
            f"spiff    SpiffWorkflow {_installed_version('SpiffWorkflow')}",
            f"commit   {commit or 'unknown'}",
        ]
    )


def _installed_version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed (pip install -r requirements-bench.txt)"


def _first_value(path: str, key: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None
