"""Two people racing for one task, in committed transactions of their own: exactly one wins,
the other gets a conflict, and nothing of the loser's is applied."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User

from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.tasks import services
from apps.tasks.models import Task, TaskEvent
from tests.conftest import Platform
from tests.engine.runtime.test_concurrency import drop_processes, in_threads

MODEL = (Path(__file__).parent / "models" / "approval.bpmn").read_bytes()
RACES = 200


def attempt(change: Callable[[], Task]) -> str:
    try:
        change()
    except services.TaskConflict:
        return "conflict"
    return "won"


def test_two_people_claiming_or_completing_one_task_at_once_leave_one_winner(platform: Platform) -> None:
    schema = platform.alpha.schema

    def prepare() -> list[uuid.UUID]:
        group, _ = Group.objects.get_or_create(name="accounting")
        for name in ("worker", "alice"):
            User.objects.get(username=name).groups.add(group)
        (definition,) = deploy(MODEL).definitions
        variables: dict[str, Any] = {"urgent": False, "due": "2026-12-01T12:00:00+00:00", "payer": "operator"}
        instances = [start_instance(definition, variables).id for _ in range(RACES)]
        return list(Task.objects.filter(instance_id__in=instances).values_list("id", flat=True))

    def person(name: str) -> User:
        return User.objects.get(username=name)

    try:
        tasks = in_threads(schema, prepare)[0]
        assert len(tasks) == RACES
        for index, task_id in enumerate(tasks):
            if index % 2 == 0:
                outcomes = in_threads(
                    schema,
                    lambda task_id=task_id: attempt(lambda: services.claim(task_id, person("worker"))),
                    lambda task_id=task_id: attempt(lambda: services.claim(task_id, person("alice"))),
                )
            else:
                outcomes = in_threads(
                    schema,
                    lambda task_id=task_id: attempt(
                        lambda: services.complete(task_id, person("worker"), {"approved": False})
                    ),
                    lambda task_id=task_id: attempt(
                        lambda: services.complete(task_id, person("alice"), {"approved": True})
                    ),
                )
            assert sorted(outcomes) == ["conflict", "won"], (index, outcomes)

        def results() -> tuple[list[Any], int]:
            claimed = list(Task.objects.filter(id__in=tasks[0::2]).values_list("state", "assignee"))
            completions = TaskEvent.objects.filter(task_id__in=tasks[1::2], kind="completed").count()
            return claimed, completions

        claimed, completions = in_threads(schema, results)[0]
        assert all(state == "assigned" and assignee in ("worker", "alice") for state, assignee in claimed)
        assert completions == RACES // 2  # each completed once, by one of them
    finally:

        def clean_up() -> None:
            drop_processes("task_approval")
            Group.objects.filter(name="accounting").delete()

        in_threads(schema, clean_up)
