"""The benchmark's own database, on the server that ``DATABASE_URL`` names.

The benchmark creates (and with ``--fresh`` drops) only ``apg_bench``; every other
database on that server is left alone.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BENCH_DATABASE = "apg_bench"
MAINTENANCE_DATABASE = "postgres"


def url_for_database(database_url: str, name: str) -> str:
    """``database_url`` with its database name replaced by ``name`` (host, user and options kept)."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_bench_database(database_url: str, *, fresh: bool) -> str:
    """Create the benchmark database if it is missing (drop it first when ``fresh``); return its URL."""
    maintenance_url = url_for_database(database_url, MAINTENANCE_DATABASE)
    name = sql.Identifier(BENCH_DATABASE)
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        if fresh:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return url_for_database(database_url, BENCH_DATABASE)
