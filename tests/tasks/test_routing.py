"""Routing: who gets a new task when the model names no assignee, and the explanation kept on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import ProcessDefinition
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.tasks.models import Absence, RoutingRule, Task, TaskState, UserSkill
from tests.conftest import TenantInfo

MODEL = (Path(__file__).parent / "models" / "routed.bpmn").read_bytes()
REVIEWERS = ("rita", "sam", "tom")


@pytest.fixture
def routed(alpha: TenantInfo) -> Iterator[dict[str, ProcessDefinition]]:
    with schema_context(alpha.schema):
        group = Group.objects.create(name="reviewers")
        for name in REVIEWERS:
            User.objects.create_user(username=name, password="not-used-here-1").groups.add(group)
        yield {definition.key: definition for definition in deploy(MODEL).definitions}


def assigned(definition: ProcessDefinition, times: int = 1) -> list[Task]:
    tasks = []
    for _ in range(times):
        instance = start_instance(definition, {})
        tasks.append(Task.objects.get(instance=instance))
    return tasks


def test_round_robin_takes_the_members_of_the_group_in_turn(routed: dict[str, ProcessDefinition]) -> None:
    RoutingRule.objects.create(process_key="routed", strategy="round-robin")

    tasks = assigned(routed["routed"], 4)

    assert [task.assignee for task in tasks] == ["rita", "sam", "tom", "rita"]
    assert tasks[1].state == TaskState.ASSIGNED
    assert tasks[1].assignment_reason == "Round robin in group reviewers: sam's turn."


def test_least_loaded_gives_the_task_to_who_has_the_fewest_open_ones(routed: dict[str, ProcessDefinition]) -> None:
    RoutingRule.objects.create(process_key="routed", element_id="review", strategy="least-loaded")
    Task.objects.filter(assignee="rita").delete()
    first, second, third, fourth = assigned(routed["routed"], 4)

    assert [first.assignee, second.assignee, third.assignee, fourth.assignee] == ["rita", "sam", "tom", "rita"]
    assert fourth.assignment_reason == "Least loaded of group reviewers: rita has 1 open tasks."


def test_skills_the_model_asks_for_narrow_the_choice(routed: dict[str, ProcessDefinition]) -> None:
    skills = [("sam", "german"), ("sam", "legal"), ("tom", "german")]
    UserSkill.objects.bulk_create([UserSkill(username=name, skill=skill) for name, skill in skills])

    (task,) = assigned(routed["routed_by_skill"])

    assert task.assignee == "sam"
    assert task.assignment_reason == "Least loaded of those with german, legal skills: sam has 0 open tasks."


def test_performance_gives_new_users_work_then_prefers_the_fastest(routed: dict[str, ProcessDefinition]) -> None:
    RoutingRule.objects.create(process_key="routed", strategy="performance")
    now = clock.now()

    def did(name: str, minutes: int, times: int) -> None:
        for _ in range(times):
            done = assigned(routed["routed"])[0]
            Task.objects.filter(id=done.id).update(
                assignee=name,
                state=TaskState.COMPLETED,
                created_at=now - timedelta(minutes=minutes),
                completed_at=now,
                ended_at=now,
            )

    did("rita", 5, 3)
    did("sam", 30, 3)
    did("tom", 60, 1)
    (exploring,) = assigned(routed["routed"])
    assert exploring.assignee == "tom"
    assert exploring.assignment_reason == "tom has done this task 1 times: given it to learn their pace."

    Task.objects.filter(id=exploring.id).delete()
    did("tom", 60, 2)
    (fastest,) = assigned(routed["routed"])
    assert fastest.assignee == "rita"
    assert (
        fastest.assignment_reason
        == "rita does this task best: 5.0 minutes at the median over 3 times, 0 of them reopened."
    )


def test_performance_counts_work_the_process_sent_back_against_the_fast(routed: dict[str, ProcessDefinition]) -> None:
    RoutingRule.objects.create(process_key="routed", strategy="performance")
    now = clock.now()

    def did(name: str, minutes: int, times: int, sent_back: int) -> None:
        for number in range(times):
            done = assigned(routed["routed"])[0]
            finished = now - timedelta(hours=1)
            Task.objects.filter(id=done.id).update(
                assignee=name,
                state=TaskState.COMPLETED,
                created_at=finished - timedelta(minutes=minutes),
                completed_at=finished,
                ended_at=finished,
            )
            if number < sent_back:  # the same instance reached the task again: rework
                Task.objects.create(
                    instance_id=done.instance_id,
                    token_id=uuid.uuid4(),
                    element_id=done.element_id,
                    process_key=done.process_key,
                    name=done.name,
                    state=TaskState.CANCELLED,
                    created_at=finished + timedelta(minutes=1),
                )

    did("rita", 5, 3, sent_back=2)  # 5 minutes, but two of three came back: 15 per piece kept
    did("sam", 12, 3, sent_back=0)
    did("tom", 20, 3, sent_back=0)

    (chosen,) = assigned(routed["routed"])

    assert chosen.assignee == "sam"
    assert (
        chosen.assignment_reason
        == "sam does this task best: 12.0 minutes at the median over 3 times, 0 of them reopened."
    )


def test_an_expression_names_the_assignee_from_the_instance_s_variables(routed: dict[str, ProcessDefinition]) -> None:
    def routed_to(variables: dict[str, object], definition: str = "routed_by_expression") -> Task:
        return Task.objects.get(instance=start_instance(routed[definition], variables))

    big = routed_to({"amount": 5000, "manager": "rita", "clerk": "tom"})
    small = routed_to({"amount": 10, "manager": "rita", "clerk": "tom"})
    stranger = routed_to({"amount": 10, "manager": "rita", "clerk": "ghost"})
    broken = routed_to({"manager": "rita", "clerk": "tom"})  # no amount to compare

    assert (big.assignee, big.state) == ("rita", TaskState.ASSIGNED)
    assert big.assignment_reason == "The routing expression ${if amount > 1000 then manager else clerk} named rita."
    assert small.assignee == "tom"
    assert (stranger.assignee, stranger.state) == ("", TaskState.CREATED)
    assert stranger.assignment_reason.endswith("named ghost, no active user: offered to the candidates.")
    assert (broken.assignee, broken.state) == ("", TaskState.CREATED)
    assert broken.assignment_reason.startswith(
        "The routing expression ${if amount > 1000 then manager else clerk} failed ("
    )

    RoutingRule.objects.create(process_key="routed", strategy="expression", expression="=owner")
    by_rule = routed_to({"owner": "sam"}, "routed")
    assert (by_rule.assignee, by_rule.assignment_reason) == ("sam", "The routing expression =owner named sam.")


def test_a_rule_s_expression_is_checked_when_it_is_saved() -> None:
    with pytest.raises(ValidationError) as missing:
        RoutingRule(process_key="p", strategy="expression").clean()
    with pytest.raises(ValidationError) as wrong:
        RoutingRule(process_key="p", strategy="expression", expression="${manager +}").clean()

    assert missing.value.message_dict == {"expression": ["The expression strategy needs an expression."]}
    assert list(wrong.value.message_dict) == ["expression"]
    RoutingRule(process_key="p", strategy="expression", expression="${manager}").clean()


def test_a_new_task_of_someone_away_goes_to_their_substitute(routed: dict[str, ProcessDefinition]) -> None:
    now = clock.now()
    away = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=2)}
    Absence.objects.create(username="rita", substitute="tom", **away)
    RoutingRule.objects.create(process_key="routed", strategy="round-robin")

    routed_task = assigned(routed["routed"])[0]  # rita is away: passed over in the turn
    named = Task.objects.get(instance=start_instance(routed["named"], {"who": "rita"}))

    assert routed_task.assignee == "sam"
    assert named.assignee == "tom"
    assert named.assignment_reason.startswith("The model names rita as the assignee. rita is away until ")
    assert named.assignment_reason.endswith(": their substitute tom has it.")
