"""The engine announces user tasks and ended instances to subscribers, after commit, with the tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from apps.engine import hooks
from apps.engine.services.instances import complete_wait, start_instance
from apps.engine.services.operations import cancel_instance
from tests.conftest import TenantInfo
from tests.engine.runtime.test_store import deployed, waiting_token


@pytest.fixture
def heard() -> Iterator[list[hooks.Announcement]]:
    received: list[hooks.Announcement] = []
    events = (hooks.USER_TASK_CREATED, hooks.USER_TASK_CANCELLED, hooks.INSTANCE_ENDED)
    for event in events:
        hooks.subscribe(event, received.append)
    yield received
    for event in events:
        hooks.unsubscribe(event, received.append)


def summary(announcements: list[hooks.Announcement]) -> list[tuple[str, str, Any]]:
    return [(a.event, a.schema_name, a.details.get("element_id") or a.details.get("state")) for a in announcements]


def test_user_tasks_and_the_end_are_announced_only_after_commit(
    alpha: TenantInfo, heard: list[hooks.Announcement], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            instance = start_instance(deployed("user_task_decision"), {"requester": "ann"})
            assert heard == []  # nothing before commit
        assert len(callbacks) == 2  # the subscribers, in one callback; and the wake-up of the event relay
        (created,) = heard
        assert created.details["assignee"] == "bob" and created.instance_id == str(instance.id)

        with django_capture_on_commit_callbacks(execute=True):
            complete_wait(instance.id, waiting_token(instance, "approve"), {"decision": "yes"})
    assert summary(heard) == [("user-task-created", "alpha", "approve"), ("instance-ended", "alpha", "completed")]


def test_terminate_and_cancel_announce_no_task_that_was_never_announced(
    alpha: TenantInfo, heard: list[hooks.Announcement], django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
        start_instance(deployed("terminate_end"), {})
    assert summary(heard) == [("instance-ended", "alpha", "completed")]  # the review task came and went at once

    heard.clear()
    with schema_context(alpha.schema):
        with django_capture_on_commit_callbacks(execute=True):
            instance = start_instance(deployed("user_task_decision"), {"requester": "ann"})
        with django_capture_on_commit_callbacks(execute=True):
            cancel_instance(instance.id, actor="operator")
    assert summary(heard) == [
        ("user-task-created", "alpha", "approve"),
        ("user-task-cancelled", "alpha", "approve"),
        ("instance-ended", "alpha", "cancelled"),
    ]


def test_a_failing_subscriber_is_logged_and_changes_nothing(
    alpha: TenantInfo, django_capture_on_commit_callbacks: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(announcement: hooks.Announcement) -> None:
        raise RuntimeError("task list unavailable")

    hooks.subscribe(hooks.USER_TASK_CREATED, broken)
    try:
        with schema_context(alpha.schema), django_capture_on_commit_callbacks(execute=True):
            instance = start_instance(deployed("user_task_decision"), {"requester": "ann"})
    finally:
        hooks.unsubscribe(hooks.USER_TASK_CREATED, broken)
    assert "A subscriber of user-task-created failed" in caplog.text
    with schema_context(alpha.schema):
        assert waiting_token(instance, "approve")
