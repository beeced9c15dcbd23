"""A task's lifecycle is the table TASK_TRANSITIONS: closed tasks stay closed, and the changes
people make go through it."""

from __future__ import annotations

import pytest

from apps.tasks.models import OPEN_STATES, TASK_TRANSITIONS, Task, TaskState, TransitionRefused
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import client_as
from tests.tasks.test_task_api import TASKS, accountants, listed, start


def test_every_open_task_may_end_either_way_and_an_ended_one_never_changes() -> None:
    assert set(TASK_TRANSITIONS) == set(TaskState)
    for state in OPEN_STATES:
        assert {TaskState.COMPLETED, TaskState.CANCELLED} <= TASK_TRANSITIONS[state]
    for ended in (TaskState.COMPLETED, TaskState.CANCELLED):
        task = Task(state=ended)
        for state in TaskState:
            with pytest.raises(TransitionRefused, match=f"A {ended} task cannot become {state}."):
                task.move_to(state)
        assert task.state == ended
    offered = Task(state=TaskState.CREATED)
    with pytest.raises(TransitionRefused):
        offered.move_to(TaskState.DELEGATED)  # only a task someone has can be delegated


def test_a_delegated_task_is_resolved_not_given_back_and_an_offered_one_cannot_be_delegated(
    alpha: TenantInfo,
) -> None:
    accountants(alpha, "worker")
    start(alpha)
    (task,) = listed(alpha, "worker", "?list=offered")
    worker, alice, operator = client_as(alpha, "worker"), client_as(alpha, "alice"), client_as(alpha, "operator")
    url = f"{TASKS}{task['id']}/"

    refused = operator.post(f"{url}delegate/", {"assignee": "alice"}, format="json")
    assert "cannot become delegated" in assert_problem(refused, 409, "conflict")["detail"]

    worker.post(f"{url}claim/")
    worker.post(f"{url}delegate/", {"assignee": "alice"}, format="json")
    given_back = alice.post(f"{url}unclaim/")

    assert "resolves it" in assert_problem(given_back, 409, "conflict")["detail"]
    shown = alice.get(url).json()
    assert (shown["state"], shown["assignee"], shown["owner"]) == ("delegated", "alice", "worker")
    kinds = [event["kind"] for event in worker.get(f"{url}history/").json()]
    assert kinds == ["created", "claimed", "delegated"]  # nothing of the refusals recorded
