"""Celery tasks run in the schema they were sent from, in a real worker process."""

from __future__ import annotations

import pytest
from celery.result import AsyncResult
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from apps.tenancy.celery import SchemaCheckedTask, TenantMismatch
from apps.tenancy.tasks import describe_tenant
from tests.conftest import Platform
from tests.platform.conftest import Worker

RESULT_SECONDS = 30


def send_describe_tenant(schema: str, worker: Worker) -> AsyncResult:
    with schema_context(schema):
        return describe_tenant.apply_async(queue=worker.queue)


def users_of(schema: str) -> list[str]:
    only_here = {"alpha": "alice", "beta": "bob"}[schema]
    return sorted(["admin", "designer", "operator", "worker", only_here])


def test_every_task_is_schema_checked() -> None:
    assert isinstance(describe_tenant, SchemaCheckedTask)


def test_one_worker_runs_each_task_in_the_schema_it_was_sent_from(platform: Platform, celery_worker: Worker) -> None:
    # alpha, then beta, then alpha again: the same process switches schema between tasks
    results = [send_describe_tenant(schema, celery_worker) for schema in ("alpha", "beta", "alpha")]

    reports = [result.get(timeout=RESULT_SECONDS) for result in results]

    assert reports == [
        {"schema": "alpha", "users": users_of("alpha")},
        {"schema": "beta", "users": users_of("beta")},
        {"schema": "alpha", "users": users_of("alpha")},
    ]


def test_a_task_that_cannot_reach_its_schema_refuses_to_run(platform: Platform, celery_worker: Worker) -> None:
    # Given a task sent for a tenant that no longer exists (deleted while the task waited):
    # the schema switch before the task fails, Celery logs that and carries on, so the
    # connection stays on the public schema.
    result = describe_tenant.apply_async(queue=celery_worker.queue, headers={"_schema_name": "gone"})

    with pytest.raises(TenantMismatch, match="sent for schema 'gone' but runs in 'public'"):
        result.get(timeout=RESULT_SECONDS)
    assert result.state == "FAILURE"
    # the worker goes on running the next tenant's task in its own schema
    assert send_describe_tenant("beta", celery_worker).get(timeout=RESULT_SECONDS) == {
        "schema": "beta",
        "users": users_of("beta"),
    }


def test_ping_worker_reports_the_schema_the_worker_ran_in(
    platform: Platform, celery_worker: Worker, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("ping_worker", "alpha", "--timeout", str(RESULT_SECONDS))

    assert capsys.readouterr().out == "Worker ran the task in schema alpha and saw 5 users.\n"


def test_ping_worker_refuses_an_unknown_tenant(platform: Platform, celery_worker: Worker) -> None:
    with pytest.raises(CommandError, match="No tenant 'gone'"):
        call_command("ping_worker", "gone")
