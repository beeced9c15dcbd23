"""Many waiting instances in the benchmark tenant, fast: copies of one real instance, in bulk SQL.

One instance is started through the service layer (``start_instance``), so its rows are
exactly what the engine writes: the instance, its waiting token, its activity history and
its variable changes. INSERT ... SELECT over ``generate_series`` then copies those rows
for each new instance, in chunks of one transaction each, changing only what must differ:

- every UUID column but ``definition_id`` (ids and the references between the rows) gets a
  new time-ordered id (v7), made from the copy's start time and a hash of its number and
  the original id, so that references between copied rows stay consistent;
- every timestamp moves to the copy's start time, ``SPACING`` before the previous copy's:
  the copies look like instances started one after another before the benchmark;
- the variable ``count`` takes the copy's number (in the instance and in its history), and so
  does a message subscription's correlation key (the benchmark's message is keyed by
  ``count``); the activity id that the token keeps in its data follows its copy.

Every other column is copied as the service layer wrote it, including columns this module
does not know about.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bench.engine_data import ENGINE_TABLES
from bench.processes import START_VARIABLES
from bench.provisioning import BENCH_SCHEMA

CHUNK = 100_000
SPACING = "100 milliseconds"
KEPT_UUID_COLUMNS = frozenset({"definition_id"})

# A UUID v7 for a copy: 48 bits of its start time in milliseconds, then hash bits from the
# copy's number and the original id (NULL stays NULL). Plain SQL, so the planner inlines it.
SEED_ID_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.seed_id(at timestamptz, copy bigint, original uuid) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(copy::text || original::text), 1, 3)
            || '8' || substr(md5(copy::text || original::text), 5, 15))::uuid
$$
"""


@dataclass(frozen=True)
class Seeding:
    added: int
    total: int
    seconds: float

    def summary(self) -> str:
        rate = self.added / self.seconds if self.seconds else 0.0
        return (
            f"seeded {self.added:,} waiting instances in {self.seconds:.1f} s ({rate:,.0f} a second, "
            f"with VACUUM ANALYZE); {self.total:,} waiting now"
        )


def _column_expression(table: str, column: str, data_type: str) -> str:
    """The value of ``column`` in a copy, as SQL over the template row ``t`` and the copy ``s``."""
    if data_type == "uuid" and column not in KEPT_UUID_COLUMNS:
        return f"pg_temp.seed_id(s.at, s.copy, t.{column})"
    if data_type == "timestamp with time zone":
        return f"t.{column} + (s.at - template.started_at)"
    if table == "engine_processinstance" and column == "variables":
        return "t.variables || jsonb_build_object('count', s.copy)"
    if table == "engine_variablechange" and column == "value":
        return "CASE WHEN t.name = 'count' THEN to_jsonb(s.copy) ELSE t.value END"
    if table == "engine_messagesubscription" and column == "correlation_key":
        return "CASE WHEN t.correlation_key = '' THEN '' ELSE s.copy::text END"  # the bench keys by count
    if table == "engine_token" and column == "data":
        return (
            "CASE WHEN t.data ? 'activity' THEN jsonb_set(t.data, '{activity}', "
            "to_jsonb(pg_temp.seed_id(s.at, s.copy, (t.data->>'activity')::uuid)::text)) ELSE t.data END"
        )
    return f"t.{column}"


def _copy_statement(cursor: Any, table: str) -> str:
    cursor.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [BENCH_SCHEMA, table],
    )
    columns = cursor.fetchall()
    names = ", ".join(name for name, _ in columns)
    values = ", ".join(_column_expression(table, name, data_type) for name, data_type in columns)
    template_column = "id" if table == "engine_processinstance" else "instance_id"
    return (
        f"INSERT INTO {table} ({names}) "  # noqa: S608 - names from the catalogue, values as parameters
        f"SELECT {values} FROM {table} AS t "
        f"JOIN engine_processinstance AS template ON template.id = %(template)s "
        f"CROSS JOIN (SELECT copy, %(base)s::timestamptz - copy * interval '{SPACING}' AS at "
        f"FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS copy) AS s "
        f"WHERE t.{template_column} = %(template)s"
    )


def seed_waiting(definition: Any, waiting: int) -> Seeding:
    """Add copies of one new instance of ``definition`` until ``waiting`` of its instances are active.

    With more than ``waiting`` active already, every instance of the tenant is removed first.
    """
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from apps.engine.services.instances import start_instance
    from bench.engine_data import remove_instances, waiting_instances

    started = time.perf_counter()
    present = waiting_instances(definition)
    if present > waiting:
        remove_instances()
        present = 0
    if present == waiting:
        return Seeding(0, present, 0.0)
    with schema_context(BENCH_SCHEMA):
        template = start_instance(definition, START_VARIABLES, started_by="bench-seed")
        with connection.cursor() as cursor:
            cursor.execute(SEED_ID_FUNCTION)
            statements = [_copy_statement(cursor, table) for table in ENGINE_TABLES]
            copies = waiting - present - 1
            for first in range(present + 1, present + 1 + copies, CHUNK):
                last = min(first + CHUNK - 1, present + copies)
                parameters = {"template": template.id, "base": template.started_at, "first": first, "last": last}
                with transaction.atomic():
                    for statement in statements:
                        cursor.execute(statement, parameters)
            cursor.execute(f"VACUUM ANALYZE {', '.join(ENGINE_TABLES)}")
    return Seeding(waiting - present, waiting, time.perf_counter() - started)
