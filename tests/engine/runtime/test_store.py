"""The same models through the database: deploy, start, reload, complete; history and failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from apps.engine.models import (
    ActivityInstance,
    Deployment,
    ExternalTask,
    Incident,
    ProcessInstance,
    Token,
    VariableChange,
)
from apps.engine.runtime import TriggerRejected
from apps.engine.services.deployments import DeploymentRefused, deploy
from apps.engine.services.instances import complete_wait, latest_definition, start_instance
from tests.engine.runtime.harness import MODELS, deployed


def reloaded(instance: ProcessInstance) -> ProcessInstance:
    return ProcessInstance.objects.get(id=instance.id)


def history(instance: ProcessInstance) -> list[tuple[str, str]]:
    return list(ActivityInstance.objects.filter(instance=instance).order_by("id").values_list("element_id", "state"))


def waiting_token(instance: ProcessInstance, element_id: str) -> str:
    return str(Token.objects.get(instance=instance, element_id=element_id).id)


def test_identical_xml_deploys_once_and_a_change_makes_a_new_version(in_alpha: None) -> None:
    xml = (MODELS / "straight_scripts.bpmn").read_bytes()
    first = deploy(xml)
    again = deploy(xml)
    changed = deploy(xml.replace(b'id="end"', b'id="finish"').replace(b'targetRef="end"', b'targetRef="finish"'))

    assert (first.created, again.created, changed.created) == (True, False, True)
    assert again.deployment.id == first.deployment.id
    assert [(d.key, d.version) for d in (*first.definitions, *changed.definitions)] == [
        ("straight_scripts", 1),
        ("straight_scripts", 2),
    ]
    assert latest_definition("straight_scripts").version == 2


def test_a_model_with_errors_is_refused_with_every_problem_and_nothing_is_stored(in_alpha: None) -> None:
    xml = (MODELS / "exclusive_split.bpmn").read_bytes().replace(b' default="to_small"', b"")
    xml = xml.replace(b'targetRef="merge"/>', b'targetRef="nowhere"/>', 1)
    with pytest.raises(DeploymentRefused) as refused:
        deploy(xml)
    codes = sorted(problem.code for problem in refused.value.problems if problem.severity == "error")
    assert "flow-target-unknown" in codes
    assert Deployment.objects.count() == 0


def test_a_straight_process_completes_in_one_transaction_with_full_history(in_alpha: None) -> None:
    instance = start_instance(deployed("straight_scripts"), {"count": 0}, business_key="order-1", started_by="ann")

    stored = reloaded(instance)
    assert stored.state == "completed" and stored.ended_at is not None
    assert stored.variables == {"count": 5, "step1": 1, "step2": 2, "step3": 3, "step4": 4, "step5": 5}
    assert history(stored) == [(element, "completed") for element in ["start", "s1", "s2", "s3", "s4", "s5", "end"]]
    assert VariableChange.objects.filter(instance=stored, name="count").count() == 6  # the start value, then 5
    assert not Token.objects.filter(instance=stored).exists()


@pytest.mark.parametrize(("decision", "end"), [("yes", "accepted"), ("no", "rejected")])
def test_a_user_task_waits_in_the_database_and_completes_after_a_reload(
    in_alpha: None, decision: str, end: str
) -> None:
    instance = start_instance(deployed("user_task_decision"), {"requester": "ann"})
    token = Token.objects.get(instance=instance)
    assert (token.element_id, token.state, token.data["wait"]) == ("approve", "waiting", "user-task")
    assert token.data["details"]["assignee"] == "bob"
    # The task was opened 90 seconds ago, as the clock would have it.
    opened = ActivityInstance.objects.filter(instance=instance, element_id="approve")
    opened.update(started_at=opened.get().started_at - timedelta(seconds=90))

    complete_wait(instance.id, str(token.id), {"decision": decision}, actor="bob", expected_wait="user-task")

    stored = reloaded(instance)
    assert stored.state == "completed"
    assert history(stored) == [
        ("start", "completed"),
        ("approve", "completed"),
        ("approved", "completed"),
        (end, "completed"),
    ]
    approval = ActivityInstance.objects.get(instance=stored, element_id="approve")
    assert approval.ended_at is not None and approval.duration_ms is not None
    assert 90_000 <= approval.duration_ms < 100_000
    assert VariableChange.objects.get(instance=stored, name="decision").changed_by == "bob"


def test_a_rejected_trigger_leaves_the_instance_exactly_as_it_was(in_alpha: None) -> None:
    instance = start_instance(deployed("user_task_decision"), {"requester": "ann"})
    before = reloaded(instance)
    tokens_before = list(Token.objects.filter(instance=instance).values())

    with pytest.raises(TriggerRejected):
        complete_wait(instance.id, "0190a6c4-0000-7000-8000-000000000000", {"decision": "yes"})
    with pytest.raises(TriggerRejected):
        complete_wait(instance.id, waiting_token(instance, "approve"), {"x": 1}, expected_wait="message")

    after = reloaded(instance)
    assert (after.revision, after.variables, after.state) == (before.revision, before.variables, before.state)
    assert list(Token.objects.filter(instance=instance).values()) == tokens_before


def test_the_inclusive_join_waits_across_transactions(in_alpha: None) -> None:
    variables: dict[str, Any] = {"needsShipping": True, "needsInvoice": True, "isBirthday": False, "clerk": "c"}
    instance = start_instance(deployed("inclusive_join"), variables)
    assert sorted(Token.objects.filter(instance=instance).values_list("element_id", "state")) == [
        ("invoice", "waiting"),
        ("join", "joining"),
    ]

    complete_wait(instance.id, waiting_token(instance, "invoice"), {})

    stored = reloaded(instance)
    assert stored.state == "completed"
    assert [element for element, _ in history(stored)].count("join") == 1


def test_a_failing_expression_raises_an_incident_and_the_rest_goes_on(in_alpha: None) -> None:
    instance = start_instance(deployed("failing_script"), {"total": 10, "count": 0})

    incident = Incident.objects.get(instance=instance)
    assert (incident.element_id, incident.kind, incident.resolved_at) == ("divide", "script-failed", None)
    assert reloaded(instance).state == "active"  # the other branch still waits for its user task
    complete_wait(instance.id, waiting_token(instance, "other"), {})
    stored = reloaded(instance)
    assert stored.state == "failed"  # only an operator can move the stopped token on
    assert list(Token.objects.filter(instance=stored).values_list("element_id", flat=True)) == ["divide"]


def test_an_instance_whose_every_token_is_stopped_starts_failed(in_alpha: None) -> None:
    instance = start_instance(deployed("straight_scripts"), {"count": "not a number"})

    stored = reloaded(instance)
    assert (stored.state, stored.ended_at) == ("failed", None)
    assert Incident.objects.get(instance=instance).element_id == "s1"


def test_external_tasks_are_rows_for_workers(in_alpha: None) -> None:
    instance = start_instance(deployed("service_tasks"), {}, handlers={"creditScore": lambda variables: {"score": 1}})

    task = ExternalTask.objects.get(instance=instance)
    assert (task.topic, task.element_id, task.worker_id, task.locked_until) == ("notifications", "notify", "", None)
    assert reloaded(instance).variables == {"score": 1}


def test_variable_history_names_who_set_each_value(in_alpha: None) -> None:
    instance = start_instance(deployed("straight_scripts"), {"count": 0}, started_by="ann")
    changes = list(
        VariableChange.objects.filter(instance=instance, name="count").order_by("id").values_list("value", "changed_by")
    )
    assert changes == [(0, "ann"), (1, ""), (2, ""), (3, ""), (4, ""), (5, "")]
    script_activities = set(
        VariableChange.objects.filter(instance=instance, name="count", changed_by="").values_list(
            "activity_instance_id", flat=True
        )
    )
    assert script_activities == set(
        ActivityInstance.objects.filter(instance=instance, element_id__in=["s1", "s2", "s3", "s4", "s5"]).values_list(
            "id", flat=True
        )
    )
