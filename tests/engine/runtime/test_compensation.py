"""Compensation: completed work undone by its handlers in reverse order; the transaction
subprocess cancelled by its cancel end event."""

from __future__ import annotations

from apps.engine.runtime import Outcome, Step
from tests.engine.runtime.harness import InstanceOf


def states_of(step: Step) -> dict[str, str]:
    return {record.element_id: record.state for record in step.activities.values()}


def test_completed_work_stays_compensable_and_goes_when_the_instance_ends(instance_of: InstanceOf) -> None:
    instance = instance_of("compensation")

    step = instance.start(log=[], failed=False)

    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.tokens == {}
    assert instance.snapshot.variables["log"] == ["booked hotel", "booked flight"]


def test_a_compensation_throw_runs_the_handlers_in_reverse_order_of_completion_then_goes_on(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("compensation")

    step = instance.start(log=[], failed=True)

    # The flight completed last: its handler, a user task, runs first and the thrower waits.
    assert step.visited[-2:] == ["undo", "cancel_flight"]
    assert instance.waiting_at == ["book_flight", "book_hotel", "cancel_flight", "undo"]
    assert [(wait.kind, wait.element_id) for wait in step.waits] == [
        ("compensation", "undo"),  # no row: the handlers' ends move it on
        ("user-task", "cancel_flight"),
    ]

    after = instance.complete("cancel_flight", refunded=True)

    assert after.visited == ["cancel_hotel", "report"]
    assert instance.waiting_at == ["report"]  # each activity undone once: nothing left to compensate
    assert instance.snapshot.variables["log"] == ["booked hotel", "booked flight", "cancelled hotel"]
    assert instance.complete("report").outcome is Outcome.COMPLETED


def test_a_cancel_end_event_cancels_the_transaction_compensates_it_and_leaves_by_its_cancel_boundary(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("transaction")

    step = instance.start(log=[], declined=True, undo=False)

    assert step.visited[-4:] == ["abort", "refund", "release", "end_cancelled"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["log"] == ["reserved", "charged", "refunded", "released"]
    states = states_of(step)
    assert (states["confirm"], states["booking"], states["abort"]) == ("cancelled", "cancelled", "completed")


def test_compensating_a_completed_transaction_undoes_what_it_did_inside(instance_of: InstanceOf) -> None:
    instance = instance_of("transaction")
    instance.start(log=[], declined=False, undo=True)

    step = instance.complete("confirm")

    assert step.visited == ["confirmed", "after", "undo_all", "refund", "release", "end_undone"]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["log"] == ["reserved", "charged", "refunded", "released"]


def test_a_completed_subprocess_is_undone_by_its_compensation_event_subprocess_run_inside_it(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("compensation_subprocess")

    step = instance.start(log=[])

    assert step.visited[5:] == [
        "undo",
        "undo_trip",  # inside the completed trip
        "trip_compensated",
        "tell_traveller",
        "undo_inside",  # compensates what the trip did
        "return_car",
        "undo_trip_end",
        "end",
    ]
    assert step.outcome is Outcome.COMPLETED
    assert instance.snapshot.variables["log"] == ["booked car", "trip undone", "returned car"]
