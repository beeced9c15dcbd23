"""Multi-instance activities, standard loops, input/output mappings, expression scripts and the other task kinds."""

from __future__ import annotations

from typing import Any

from apps.engine.runtime import Outcome
from tests.engine.runtime.harness import Instance, InstanceOf, StoredInstance


def _waits(instance: Instance | StoredInstance, element_id: str) -> dict[Any, str]:
    """The waiting instance tokens at ``element_id`` by their local loop counter."""
    return {
        token.data["locals"]["loopCounter"]: token.id
        for token in instance.snapshot.tokens.values()
        if token.element_id == element_id and token.data.get("wait")
    }


def test_a_parallel_multi_instance_user_task_ends_early_by_its_completion_condition(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_reviews")
    first = instance.start(reviewers=["ann", "bob", "cy"], quorum=2)

    assert instance.visited == ["start", "review", "review", "review", "review"]
    assert [(wait.kind, wait.details["assignee"]) for wait in first.waits] == [
        ("user-task", "ann"),
        ("user-task", "bob"),
        ("user-task", "cy"),
    ]
    body = [record for record in first.activities.values() if record.element_type == "multiInstanceBody"]
    assert [record.element_id for record in body] == ["review"]
    tokens = _waits(instance, "review")

    second = instance.complete_token(tokens[1], verdict="ok")
    assert second.visited == [] and second.outcome is None
    assert len(_waits(instance, "review")) == 2

    last = instance.complete_token(tokens[0], verdict="ok")
    assert last.visited == ["tally", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert [wait.token_id for wait in last.cancelled_waits] == [tokens[2]]
    states = {record.token_id: record.state for record in last.activities.values() if record.element_id == "review"}
    assert states[tokens[2]] == "cancelled" and states[tokens[0]] == "completed"
    assert instance.snapshot.variables == {
        "reviewers": ["ann", "bob", "cy"],
        "quorum": 2,
        "verdict": "ok",
        "reviewed": True,
    }


def test_without_a_completion_condition_every_instance_must_complete(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_reviews")
    instance.start(reviewers=["ann", "bob"], quorum=5)
    tokens = _waits(instance, "review")
    assert instance.complete_token(tokens[0]).outcome is None
    assert instance.complete_token(tokens[1]).outcome is Outcome.COMPLETED


def test_a_sequential_multi_instance_runs_in_order_and_collects_outputs_in_input_order(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_sequential")
    step = instance.start(items=[1, 2, 3], order=[])

    assert instance.visited == ["start", "double", "double", "double", "double", "end"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {
        "items": [1, 2, 3],
        "order": [0, 1, 2],  # loopCounter counts from 0
        "seen": 2,  # nrOfCompletedInstances when the last one ran
        "twice": 6,  # a script's assignment reaches the process when nothing holds it locally
        "doubled": [2, 4, 6],
    }


def test_an_empty_collection_skips_the_activity(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_sequential")
    step = instance.start(items=[], order=[])
    assert instance.visited == ["start", "double", "end"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["doubled"] == []


def test_a_collection_that_is_not_a_list_stops_the_token_with_an_incident(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_sequential")
    step = instance.start(items={"not": "a list"}, order=[])
    (incident,) = step.incidents
    assert (incident.kind, incident.element_id) == ("collection-not-a-list", "double")
    assert "gave dict, not a list" in incident.message
    assert step.outcome is None and instance.waiting_at == ["double"]


def test_a_multi_instance_subprocess_keeps_each_instance_s_variables_apart(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_subprocess")
    first = instance.start(parcels=2, packed=0)

    assert instance.visited == [
        "start",
        *["ship"] * 3,
        *["ship_start"] * 2,
        *["label_parcel"] * 2,
        *["hand_over"] * 2,
    ]
    assert sorted(wait.details["assignee"] for wait in first.waits) == ["courier-P1", "courier-P2"]
    by_assignee = {wait.details["assignee"]: wait.token_id for wait in first.waits}

    instance.complete_token(by_assignee["courier-P2"])  # the second parcel is handed over first
    last = instance.complete_token(by_assignee["courier-P1"])

    assert last.visited == ["ship_end", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"parcels": 2, "packed": 2, "labels": ["P1", "P2"]}


def test_a_cardinality_that_is_not_a_whole_number_stops_the_token(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_subprocess")
    step = instance.start(parcels=1.5, packed=0)
    assert [(incident.kind, incident.element_id) for incident in step.incidents] == [("cardinality-invalid", "ship")]


def test_a_standard_loop_tests_after_or_before_and_stops_at_its_maximum(instance_of: InstanceOf) -> None:
    instance = instance_of("standard_loop")
    step = instance.start(count=0, counters=[], limit=25)

    assert instance.visited == ["start", *["until_three"] * 3, *["at_most_twice"] * 2, "end"]
    assert instance.snapshot.variables == {"count": 23, "counters": [0, 1, 2], "limit": 25}
    runs = [record.element_id for record in step.activities.values()]
    assert runs.count("until_three") == 3 and runs.count("at_most_twice") == 2


def test_a_loop_tested_before_may_not_run_at_all(instance_of: InstanceOf) -> None:
    instance = instance_of("standard_loop")
    step = instance.start(count=0, counters=[], limit=0)

    assert instance.visited == ["start", *["until_three"] * 3, "at_most_twice", "end"]
    assert instance.snapshot.variables["count"] == 3
    assert "at_most_twice" not in [record.element_id for record in step.activities.values()]


def test_input_and_output_mappings_keep_an_activity_s_own_variables_local(instance_of: InstanceOf) -> None:
    def fee_calculator(variables: dict[str, Any]) -> dict[str, Any]:
        assert (variables["amount"], variables["currency"]) == (250, "EUR")
        return {"result": variables["amount"] // 10}

    instance = instance_of("io_mappings", handlers={"feeCalculator": fee_calculator})
    first = instance.start(order={"total": 250, "owner": "olga"})

    assert instance.visited == ["start", "fee", "approve"]
    assert first.waits[0].details["assignee"] == "olga"
    assert instance.snapshot.variables == {"order": {"total": 250, "owner": "olga"}, "fee": 25}

    last = instance.complete("approve", decision="yes", comment="fine")
    assert last.visited == ["book", "book_start", "add_lines", "book_end", "end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {
        "order": {"total": 250, "owner": "olga"},
        "fee": 25,
        "approved": True,
        "noted": True,
        "booked": 2,
    }
    local = {(change.name, change.scope_token_id is not None) for change in last.variable_changes}
    assert {("decision", True), ("lines", True), ("approved", False), ("booked", False)} <= local


def test_cancelling_a_multi_instance_activity_cancels_the_body_and_every_instance(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_reviews")
    first = instance.start(reviewers=["ann", "bob"], quorum=2)
    step = instance.modify(cancel=["review"], start_before=["tally"], variables={})

    assert sorted(wait.token_id for wait in step.cancelled_waits) == sorted(wait.token_id for wait in first.waits)
    assert step.visited == ["tally", "end"]
    assert step.outcome is Outcome.COMPLETED


def test_a_feel_script_sets_its_result_variable(instance_of: InstanceOf) -> None:
    instance = instance_of("feel_script")
    step = instance.start(items=[2, 3])
    assert instance.visited == ["start", "total", "end"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables == {"items": [2, 3], "total": 10}  # FEEL lists count from 1


def test_an_operator_can_start_inside_a_subprocess_that_is_not_running(instance_of: InstanceOf) -> None:
    instance = instance_of("io_mappings", handlers={"feeCalculator": lambda variables: {"result": 1}})
    instance.start(order={"total": 10, "owner": "olga"})

    step = instance.modify(cancel=["approve"], start_before=["add_lines"], variables={})

    assert step.visited == ["add_lines", "book_end", "end"]  # the subprocess's start event does not run
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["booked"] == 2  # its input mapping ran when it was created
    states = {record.element_id: record.state for record in step.activities.values()}
    assert states["approve"] == "cancelled" and states["book"] == "completed"


def test_cancelling_the_last_token_inside_a_subprocess_cancels_the_subprocess(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_subprocess")
    instance.start(parcels=1, packed=0)

    step = instance.modify(cancel=["hand_over"], start_before=["end"], variables={})

    assert step.outcome is Outcome.COMPLETED
    states = sorted((record.element_id, record.state) for record in step.activities.values())
    assert states == [("end", "completed"), ("hand_over", "cancelled"), ("ship", "cancelled"), ("ship", "cancelled")]
    assert "labels" not in instance.snapshot.variables


def test_a_parallel_body_completes_when_the_instances_an_operator_left_have(instance_of: InstanceOf) -> None:
    instance = instance_of("multi_instance_two_steps")
    instance.start(parcels=2)
    first, _ = sorted(token.id for token in instance.snapshot.tokens.values() if token.element_id == "pack")
    instance.complete_token(first)  # one parcel is packed; the other is still at "pack"

    cancelled = instance.modify(cancel=["pack"])

    assert cancelled.outcome is None
    (body,) = [token for token in instance.snapshot.tokens.values() if token.state == "multi-instance"]
    assert body.data["locals"] == {"nrOfInstances": 2, "nrOfActiveInstances": 1, "nrOfCompletedInstances": 0}
    last = instance.complete("hand_over")
    assert last.visited == ["ship_end", "end"]
    assert last.outcome is Outcome.COMPLETED
    states = sorted((record.element_id, record.state) for record in last.activities.values())
    assert states == [
        ("end", "completed"),
        ("hand_over", "completed"),
        ("ship", "completed"),
        ("ship", "completed"),
        ("ship_end", "completed"),
    ]


def test_manual_send_business_rule_and_receive_tasks_and_a_none_throw_event(instance_of: InstanceOf) -> None:
    handlers = {
        "mailer": lambda variables: {"mailedTo": variables["customer"]},
        "riskRules": lambda variables: {"risk": "low" if variables["amount"] < 100 else "high"},
    }
    instance = instance_of("task_kinds", handlers=handlers)
    first = instance.start(customer="c-1", amount=40)

    assert instance.visited == ["start", "note", "file_papers", "send_invoice", "rate", "invoiced", "await_payment"]
    assert [(wait.kind, wait.details) for wait in first.waits] == [
        ("message", {"message_name": "paymentReceived", "correlation_key": None})  # the message's name, not its id
    ]
    assert instance.snapshot.variables == {"customer": "c-1", "amount": 40, "mailedTo": "c-1", "risk": "low"}

    last = instance.complete("await_payment", paid=40)
    assert last.visited == ["end"]
    assert last.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["paid"] == 40
