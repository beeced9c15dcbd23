"""Event subprocesses: started inside their scope by a timer, message, signal, error or
escalation, interrupting what runs there or running beside it."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.engine.runtime import Outcome, Step, TokenState
from tests.engine.runtime.harness import Instance, InstanceOf, StoredInstance


def listening(instance: Instance | StoredInstance) -> list[str]:
    return sorted(
        token.element_id for token in instance.snapshot.tokens.values() if token.state is TokenState.LISTENING
    )


def states_of(step: Step) -> dict[str, str]:
    return {record.element_id: record.state for record in step.activities.values()}


def test_the_start_events_of_a_process_s_event_subprocesses_listen_while_it_runs(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_timers")

    step = instance.start(reminded=0)

    assert instance.visited == ["start", "review"]
    assert listening(instance) == ["remind", "too_late"]
    (started,) = [record.started_at for record in step.activities.values() if record.element_id == "start"]
    timers = {wait.element_id: wait.details["due_at"] for wait in step.waits if wait.kind == "boundary-timer"}
    assert {element: datetime.fromisoformat(due) - started for element, due in timers.items()} == {
        "remind": timedelta(hours=1),
        "too_late": timedelta(days=1),
    }

    last = instance.complete("review")

    assert last.outcome is Outcome.COMPLETED  # the listeners do not keep the process open
    assert sorted(wait.element_id for wait in last.cancelled_waits) == ["remind", "too_late"]
    assert instance.snapshot.tokens == {}


def test_a_non_interrupting_cycle_runs_its_event_subprocess_beside_the_process_until_spent(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("event_subprocess_timers")
    instance.start(reminded=0)

    first = instance.fire_boundary("remind")

    assert first.visited == ["reminders", "remind", "count_reminder", "reminded_end"]
    assert states_of(first)["reminders"] == "completed"
    assert [(wait.kind, wait.element_id) for wait in first.waits] == [("boundary-timer", "remind")]  # the next hour
    assert instance.snapshot.variables["reminded"] == 1
    assert listening(instance) == ["remind", "too_late"]
    assert "review" in instance.waiting_at

    second = instance.fire_boundary("remind")

    assert second.waits == []  # R2: two reminders, then it stops listening
    assert instance.snapshot.variables["reminded"] == 2
    assert listening(instance) == ["too_late"]
    assert instance.complete("review").outcome is Outcome.COMPLETED


def test_an_interrupting_timer_cancels_everything_in_the_process_and_ends_it(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_timers")
    instance.start(reminded=0)

    step = instance.fire_boundary("too_late")

    assert step.visited == ["deadline", "too_late", "expire", "expired_end"]
    assert step.outcome is Outcome.COMPLETED
    assert states_of(step)["review"] == "cancelled"
    assert sorted((wait.kind, wait.element_id) for wait in step.cancelled_waits) == [
        ("boundary-timer", "remind"),
        ("boundary-timer", "too_late"),  # its job ran this step; the listener goes with the rest
        ("user-task", "review"),
    ]
    assert instance.snapshot.variables == {"reminded": 0, "expired": True}


def test_cancelling_the_last_task_cancels_the_instance_and_its_listeners(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_timers")
    instance.start(reminded=0)

    step = instance.modify(cancel=["review"])

    assert step.outcome is Outcome.CANCELLED
    assert instance.snapshot.tokens == {}
    assert sorted(wait.element_id for wait in step.cancelled_waits) == ["remind", "review", "too_late"]


def test_an_event_subprocess_of_a_subprocess_listens_only_while_the_subprocess_runs(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_scoped")

    step = instance.start(limit="PT2H")

    assert listening(instance) == ["stage_timer"]
    (timer,) = [wait for wait in step.waits if wait.kind == "boundary-timer"]
    (started,) = [record.started_at for record in step.activities.values() if record.element_id == "stage"]
    assert datetime.fromisoformat(timer.details["due_at"]) - started == timedelta(hours=2)  # from a variable

    done = instance.complete("step")

    assert done.visited == ["stage_end", "after"]
    assert [wait.element_id for wait in done.cancelled_waits] == ["stage_timer"]
    assert instance.waiting_at == ["after"]


def test_an_interrupting_event_subprocess_ends_its_subprocess_which_then_moves_on(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_scoped")
    instance.start(limit="PT2H")

    step = instance.fire_boundary("stage_timer")

    assert step.visited == ["stage_timeout", "stage_timer", "note_timeout", "timeout_end", "after"]
    assert states_of(step)["step"] == "cancelled"
    assert states_of(step)["stage"] == "completed"
    assert instance.waiting_at == ["after"]
    assert instance.snapshot.variables == {"limit": "PT2H", "timed_out": True}


def test_an_error_is_caught_by_the_event_subprocess_of_the_scope_it_is_thrown_in(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_errors")
    instance.start()

    step = instance.throw_error("task", "INVALID", "the order has no lines")

    assert step.visited == ["on_invalid", "invalid_caught", "repair", "repaired_end", "end"]
    assert step.outcome is Outcome.COMPLETED
    assert states_of(step)["task"] == "cancelled"
    assert states_of(step)["work"] == "completed"
    assert instance.snapshot.variables == {"caught": "INVALID", "why": "the order has no lines", "repaired": True}


def test_an_error_the_subprocess_does_not_catch_goes_to_the_process_s_catch_all(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_errors")
    instance.start()

    step = instance.throw_error("task", "TIMEOUT")

    assert step.visited == ["on_any_error", "any_error", "investigate"]
    assert states_of(step)["work"] == "cancelled"
    assert instance.waiting_at == ["investigate", "on_any_error"]
    assert instance.snapshot.variables == {"failure": "TIMEOUT"}
    assert instance.complete("investigate").outcome is Outcome.COMPLETED


def test_an_error_thrown_in_an_event_subprocess_goes_past_its_siblings(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_errors")
    instance.start()

    step = instance.throw_error("task", "FATAL")

    # on_fatal catches it and throws it again: not to itself, but out of ``work`` to the process.
    assert step.visited == ["on_fatal", "fatal_caught", "rethrow", "on_any_error", "any_error", "investigate"]
    assert step.incidents == []
    assert instance.waiting_at == ["investigate", "on_any_error"]
    assert instance.snapshot.variables == {"failure": "FATAL"}


def test_a_non_interrupting_escalation_event_subprocess_runs_beside_its_scope(instance_of: InstanceOf) -> None:
    instance = instance_of("event_subprocess_escalations")

    instance.start()

    assert sorted(instance.waiting_at) == ["finish", "handle", "late", "tell_manager"]
    assert instance.snapshot.variables == {"level": "LATE"}
    finished = instance.complete("finish", stop=False)
    assert finished.outcome is None  # the escalation's event subprocess still runs inside ``handle``
    assert instance.complete("tell_manager").visited == ["told", "end"]


def test_an_interrupting_escalation_event_subprocess_of_the_process_catches_an_end_event(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("event_subprocess_escalations")
    instance.start()

    step = instance.complete("finish", stop=True)

    assert step.visited == ["stop_or_not", "h_stop", "stopped", "stop_caught", "stopped_end"]
    assert step.outcome is Outcome.COMPLETED
    assert states_of(step)["tell_manager"] == "cancelled"
    assert states_of(step)["handle"] == "cancelled"
