"""Statements the store sends in one round trip: many rows per statement, built without the ORM.

Writing one step is a handful of multi-row INSERTs and UPDATEs. Compiling them through the ORM
cost several milliseconds per trigger (most of a straight-through start); here each model's
columns are read once, each statement is one ``VALUES`` list, and ``execute`` sends them all
in a psycopg pipeline, so a step costs one round trip before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

import psycopg
from django.db import connection, models
from psycopg.types.json import Jsonb

Statement = tuple[str, list[Any]]


# psycopg keeps the parsed text of statements with at most this many parameters (and then
# PostgreSQL prepares them), so inserts go in chunks of rows that stay within it.
CACHED_PARAMETERS = 50


class Table:
    """The columns of one model, in order, and how to turn a value into a parameter."""

    def __init__(self, model: type[models.Model]) -> None:
        # A key the database numbers (an AutoField) is left to it.
        self._fields = [field for field in model._meta.concrete_fields if not isinstance(field, models.AutoField)]
        self._adapters: list[Callable[[Any], Any]] = [_adapter(field) for field in self._fields]
        self._chunk = max(1, CACHED_PARAMETERS // len(self._fields))
        placeholders = "(" + ", ".join(["%s"] * len(self._fields)) + ")"
        columns = ", ".join(field.column for field in self._fields)
        self._statements = [
            f"INSERT INTO {model._meta.db_table} ({columns}) VALUES {', '.join([placeholders] * count)}"  # noqa: S608
            for count in range(self._chunk + 1)
        ]

    def insert(self, rows: Sequence[Mapping[str, Any]]) -> list[Statement]:
        """INSERTs of ``rows`` (by attribute name; a missing one takes the field's default)."""
        statements = []
        for first in range(0, len(rows), self._chunk):
            chunk = rows[first : first + self._chunk]
            parameters = [
                adapt(row[field.attname] if field.attname in row else field.get_default())
                for row in chunk
                for field, adapt in zip(self._fields, self._adapters, strict=True)
            ]
            statements.append((self._statements[len(chunk)], parameters))
        return statements


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        return lambda value: None if value is None else Jsonb(value)
    return lambda value: value


@cache
def table(model: type[models.Model]) -> Table:
    return Table(model)


def select_columns(model: type[models.Model]) -> str:
    """The model's columns in ``model_from``'s order, for a SELECT's list."""
    return ", ".join(field.column for field in model._meta.concrete_fields)


M = TypeVar("M", bound=models.Model)


def model_from(model: type[M], values: Sequence[Any]) -> M:
    """An instance of ``model`` from a row of ``select_columns``, as the ORM would have made it."""
    fields = model._meta.concrete_fields
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def query(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` in order in one round trip; the rows each one returned (none for a
    statement that returns no rows)."""
    connection.cursor().close()  # connects if need be and sets the tenant's search_path
    raw = connection.connection
    with connection.wrap_database_errors:
        cursors = [psycopg.Cursor(raw) for _ in statements]
        try:
            with raw.pipeline():
                for cursor, (sql, parameters) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, parameters)
            return [cursor.fetchall() if cursor.description is not None else [] for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()


def execute(statements: Iterable[Statement | list[Statement] | None]) -> None:
    """Run ``statements`` in order in one round trip, with Django's error classes on failure.

    They go through a server-binding psycopg cursor: the parameters travel apart from the
    text (not quoted into it by Python, as Django's client-binding cursor does), and psycopg
    prepares the statements it sees again and again.
    """
    pending = [
        statement
        for entry in statements
        if entry is not None
        for statement in (entry if isinstance(entry, list) else [entry])
    ]
    if not pending:
        return
    connection.cursor().close()  # connects if need be and sets the tenant's search_path
    raw = connection.connection
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        if len(pending) == 1:
            cursor.execute(*pending[0])
            return
        with raw.pipeline():
            for sql, parameters in pending:
                cursor.execute(sql, parameters)
