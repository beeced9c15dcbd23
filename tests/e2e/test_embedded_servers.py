"""The embedded PostgreSQL and Redis that ``make run`` and ``make test`` use on a bare machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import redis

from tests.live import ROOT

PROBE = """
import json, os, psycopg, redis
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    version = conn.execute("SHOW server_version").fetchone()[0]
    conn.execute("CREATE TABLE IF NOT EXISTS kept (note text)")
    conn.execute("INSERT INTO kept VALUES ('hello')")
    rows = conn.execute("SELECT count(*) FROM kept").fetchone()[0]
client = redis.Redis.from_url(os.environ["REDIS_URL"])
print(json.dumps({"postgres": version, "rows": rows, "redis": client.ping(),
                  "database_url": os.environ["DATABASE_URL"], "redis_url": os.environ["REDIS_URL"]}))
"""


def run_with_embedded_servers(var_dir: Path) -> dict[str, object]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "apg_wbpm.embedded",
            "--var-dir",
            str(var_dir),
            "--redis-port",
            "0",
            "--ephemeral",
            "--",
            sys.executable,
            "-c",
            PROBE,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def postgres_running_in(var_dir: Path) -> bool:
    return any(str(var_dir) in " ".join(process.info["cmdline"] or []) for process in psutil.process_iter(["cmdline"]))


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.ConnectionError:
        return False


def test_embedded_servers_start_serve_keep_data_and_stop(tmp_path: Path) -> None:
    first = run_with_embedded_servers(tmp_path)
    second = run_with_embedded_servers(tmp_path)

    assert str(first["postgres"]).startswith("16.")
    assert first["redis"] is True
    assert str(first["database_url"]).startswith("postgresql://postgres@")
    assert str(first["redis_url"]).startswith("redis://127.0.0.1:")
    assert (first["rows"], second["rows"]) == (1, 2)  # the database survived the restart
    # both servers stopped with the command
    assert not postgres_running_in(tmp_path)
    assert not redis_answers(str(second["redis_url"]))
