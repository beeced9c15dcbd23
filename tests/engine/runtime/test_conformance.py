"""One model file per behaviour, asserting the exact order of elements entered and the final variables.

Each test runs twice through ``instance_of``: in memory, and through the service layer and the
database with a reload between steps (see ``harness.StoredInstance`` for what that checks).
"""

from __future__ import annotations

import pytest

from apps.engine.runtime import Outcome, TriggerRejected
from tests.engine.runtime.harness import InstanceOf


def test_a_straight_line_of_script_tasks_runs_to_the_end(instance_of: InstanceOf) -> None:
    instance = instance_of("straight_scripts")
    step = instance.start(count=0)

    assert instance.visited == ["start", "s1", "s2", "s3", "s4", "s5", "end"]
    assert instance.snapshot.variables == {"count": 5, "step1": 1, "step2": 2, "step3": 3, "step4": 4, "step5": 5}
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.tokens == {}
    assert [record.element_id for record in step.activities.values()] == instance.visited
    assert all(record.state == "completed" and record.ended_at is not None for record in step.activities.values())


@pytest.mark.parametrize(
    ("amount", "branch"), [(5000, "big"), (1001, "big"), (500, "medium"), (100, "small"), (0, "small")]
)
def test_the_exclusive_gateway_takes_the_first_true_flow_or_the_default(
    instance_of: InstanceOf, amount: int, branch: str
) -> None:
    instance = instance_of("exclusive_split")
    instance.start(amount=amount)
    assert instance.visited == ["start", "amount_check", branch, "merge", "end"]


def test_the_parallel_join_fires_once_when_every_branch_arrived(instance_of: InstanceOf) -> None:
    instance = instance_of("parallel_join")
    step = instance.start()

    assert instance.visited == ["start", "fork", "a", "b", "c", "join", "join", "join", "total", "end"]
    assert instance.snapshot.variables == {"a": 1, "b": 2, "c": 3, "total": 6}
    assert step.outcome is Outcome.COMPLETED
    assert [record.element_id for record in step.activities.values()].count("join") == 1


def test_the_inclusive_join_waits_only_for_branches_that_can_still_arrive(instance_of: InstanceOf) -> None:
    instance = instance_of("inclusive_join")
    first = instance.start(needsShipping=True, needsInvoice=True, isBirthday=False, clerk="carol")

    assert instance.visited == ["start", "fork", "ship", "invoice", "join"]
    assert instance.waiting_at == ["invoice", "join"]  # the shipped branch waits for the invoice
    assert first.waits[0].kind == "user-task" and first.waits[0].details["assignee"] == "carol"
    assert first.outcome is None

    last = instance.complete("invoice", invoiced=True)
    assert instance.visited[5:] == ["join", "done", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["done"] is True
    assert "gift" not in instance.snapshot.variables


def test_the_inclusive_split_takes_the_default_when_no_condition_holds(instance_of: InstanceOf) -> None:
    instance = instance_of("inclusive_join")
    step = instance.start(needsShipping=False, needsInvoice=False, isBirthday=False)
    assert instance.visited == ["start", "fork", "fallback_task", "join", "done", "end"]
    assert step.outcome is Outcome.COMPLETED


@pytest.mark.parametrize(("decision", "end"), [("yes", "accepted"), ("no", "rejected")])
def test_a_user_task_waits_and_its_completion_decides_the_path(
    instance_of: InstanceOf, decision: str, end: str
) -> None:
    instance = instance_of("user_task_decision")
    first = instance.start(requester="ann")

    (wait,) = first.waits
    assert (wait.kind, wait.element_id) == ("user-task", "approve")
    assert wait.details["assignee"] == "bob"
    assert wait.details["candidate_groups"] == ["managers", "finance"]
    assert wait.details["name"] == "Approve the request"
    assert instance.waiting_at == ["approve"]

    last = instance.complete("approve", decision=decision)
    assert instance.visited == ["start", "approve", "approved", end]
    assert last.outcome is Outcome.COMPLETED
    (approval,) = [record for record in last.activities.values() if record.element_id == "approve"]
    assert approval.state == "completed" and approval.ended_at is not None


@pytest.mark.parametrize(
    ("model", "variables", "element"),
    [
        (
            "inclusive_join",
            {"needsShipping": True, "needsInvoice": True, "isBirthday": False, "clerk": "carl"},
            "join",
        ),  # joining
        ("failing_script", {"total": 10, "count": 0}, "divide"),  # stopped by an incident
    ],
)
def test_a_token_that_waits_for_nothing_cannot_be_completed(
    instance_of: InstanceOf, model: str, variables: dict[str, object], element: str
) -> None:
    instance = instance_of(model)
    instance.start(**variables)
    before = instance.snapshot

    with pytest.raises(TriggerRejected) as rejected:
        instance.complete(element, done=True)

    assert rejected.value.code == "token-not-waiting"
    assert instance.snapshot is before
    assert len(instance.steps) == 1


def test_an_embedded_subprocess_runs_its_own_tokens_then_continues(instance_of: InstanceOf) -> None:
    instance = instance_of("embedded_subprocess")
    step = instance.start(x=21)

    assert instance.visited == ["start", "sub", "sub_start", "inner", "sub_end", "after", "end"]
    assert instance.snapshot.variables == {"x": 21, "inner": 42, "after": 43}
    assert step.outcome is Outcome.COMPLETED


def test_a_terminate_end_event_ends_every_branch_and_cancels_their_waits(instance_of: InstanceOf) -> None:
    instance = instance_of("terminate_end")
    step = instance.start()

    assert instance.visited == ["start", "fork", "review", "stop"]
    assert step.outcome is Outcome.TERMINATED
    assert instance.snapshot.tokens == {}
    # The review task was made and withdrawn in one step: no row is written only to be deleted.
    assert (step.waits, step.cancelled_waits) == ([], [])
    (review,) = [record for record in step.activities.values() if record.element_id == "review"]
    assert review.state == "cancelled"


def test_a_failing_expression_stops_only_its_token_with_an_incident(instance_of: InstanceOf) -> None:
    instance = instance_of("failing_script")
    step = instance.start(total=10, count=0)

    (incident,) = step.incidents
    assert (incident.element_id, incident.kind) == ("divide", "script-failed")
    assert incident.message == "The script of 'divide' failed: Division by zero (at line 1, column 15)"
    assert instance.waiting_at == ["divide", "other"]  # the other branch goes on
    assert "ratio" not in instance.snapshot.variables
    assert step.outcome is None

    instance.complete("other")
    assert instance.waiting_at == ["divide"]


def test_service_tasks_call_registered_handlers_and_wait_for_external_workers(instance_of: InstanceOf) -> None:
    calls: list[dict[str, object]] = []

    def credit_score(variables: object) -> dict[str, object]:
        calls.append(dict(variables))  # type: ignore[call-overload]
        return {"score": 720}

    instance = instance_of("service_tasks", handlers={"creditScore": credit_score})
    first = instance.start(customer="c-1")

    assert calls == [{"customer": "c-1"}]
    assert instance.snapshot.variables == {"customer": "c-1", "score": 720}
    (wait,) = first.waits
    assert (wait.kind, wait.element_id, wait.details["topic"]) == ("external-task", "notify", "notifications")

    last = instance.complete("notify", notified=True)
    assert instance.visited == ["start", "score", "notify", "end"]
    assert last.outcome is Outcome.COMPLETED


def test_a_handler_that_raises_becomes_an_incident_and_changes_nothing_else(instance_of: InstanceOf) -> None:
    def broken(variables: object) -> None:
        raise ConnectionError("scoring service unreachable")

    instance = instance_of("service_tasks", handlers={"creditScore": broken})
    step = instance.start(customer="c-1")

    (incident,) = step.incidents
    assert (incident.element_id, incident.kind) == ("score", "handler-failed")
    assert "ConnectionError: scoring service unreachable" in incident.message
    assert instance.waiting_at == ["score"]
    assert instance.snapshot.variables == {"customer": "c-1"}


def test_an_unregistered_handler_is_an_incident(instance_of: InstanceOf) -> None:
    step = instance_of("service_tasks").start()
    assert [(incident.element_id, incident.kind) for incident in step.incidents] == [("score", "handler-unknown")]


def test_a_modification_cancels_a_wait_and_starts_before_another_element(instance_of: InstanceOf) -> None:
    instance = instance_of("user_task_decision")
    instance.start(requester="ann")

    step = instance.modify(cancel=["approve"], start_before=["approved"], variables={"decision": "yes"})

    assert instance.visited == ["start", "approve", "approved", "accepted"]
    assert instance.snapshot.variables == {"requester": "ann", "decision": "yes"}
    assert step.outcome is Outcome.COMPLETED
    assert [(wait.kind, wait.element_id) for wait in step.cancelled_waits] == [("user-task", "approve")]
    (approval,) = [record for record in step.activities.values() if record.element_id == "approve"]
    assert approval.state == "cancelled"


def test_a_modification_that_leaves_no_token_cancels_the_instance(instance_of: InstanceOf) -> None:
    instance = instance_of("user_task_decision")
    instance.start(requester="ann")

    step = instance.modify(cancel=["approve"])

    assert step.outcome is Outcome.CANCELLED
    assert instance.waiting_at == []
    assert instance.visited == ["start", "approve"]


def test_a_modification_that_cancels_where_no_token_is_changes_nothing(instance_of: InstanceOf) -> None:
    instance = instance_of("user_task_decision")
    instance.start(requester="ann")
    before = instance.snapshot

    with pytest.raises(TriggerRejected) as rejected:
        instance.modify(cancel=["approved"], start_before=["accepted"])

    assert rejected.value.code == "no-token-at-element"
    assert instance.snapshot is before
    assert instance.waiting_at == ["approve"]
