"""BPMN errors: an error end event or a worker throws one, the nearest error boundary event
around it that matches its code (or catches all) interrupts its activity; none is an incident."""

from __future__ import annotations

from apps.engine.runtime import Outcome
from tests.engine.runtime.harness import InstanceOf


def test_an_error_end_event_is_caught_by_the_boundary_event_of_its_subprocess(instance_of: InstanceOf) -> None:
    instance = instance_of("error_events")

    step = instance.start(amount=5000)

    assert instance.visited == [
        "start",
        "check",
        "check_start",
        "suspicious",
        "fraud_found",
        "investigate",
        "end_investigated",
    ]
    assert step.outcome is Outcome.COMPLETED
    states = {record.element_id: record.state for record in step.activities.values()}
    assert (states["check"], states["fraud_found"], states["on_fraud"]) == ("cancelled", "completed", "completed")
    assert instance.snapshot.variables == {"amount": 5000, "investigated": True}


def test_an_error_nothing_catches_stops_its_thrower_with_an_incident(instance_of: InstanceOf) -> None:
    instance = instance_of("error_events")

    step = instance.start(amount=-1)

    (incident,) = step.incidents
    assert (incident.kind, incident.element_id) == ("error-unhandled", "over_limit")
    assert "'LIMIT' was not caught" in incident.message
    assert step.halted and instance.waiting_at == ["check", "over_limit"]


def test_an_error_a_worker_reports_is_caught_by_a_catch_all_boundary_event_of_its_task(instance_of: InstanceOf) -> None:
    instance = instance_of("error_events")
    instance.start(amount=10)
    assert instance.waiting_at == ["verify"]

    caught = instance.throw_error("verify", "NO_ADDRESS", "the customer has no address")

    assert caught.visited == ["review_by_hand"]
    assert instance.waiting_at == ["review_by_hand"]
    assert [(wait.kind, wait.element_id) for wait in caught.cancelled_waits] == [("external-task", "verify")]
    assert {record.element_id: record.state for record in caught.activities.values()} == {
        "verify": "cancelled",
        "on_any_error": "completed",
        "review_by_hand": "active",
    }
