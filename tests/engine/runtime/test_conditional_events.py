"""Conditional events: a catch event, a boundary event and an event subprocess's start event fire
when a variable change makes their condition true."""

from __future__ import annotations

from apps.engine.runtime import Outcome
from tests.engine.runtime.harness import InstanceOf


def test_a_condition_that_does_not_hold_yet_fires_nothing(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")

    step = instance.start(quantity=3, stock=1, priority=1, reminders=0)

    assert step.visited == ["start", "approve"]
    assert instance.waiting_at == ["approve", "vip_arrived"]
    assert [(wait.kind, wait.element_id) for wait in step.waits] == [("user-task", "approve")]  # no rows for watches


def test_a_catch_event_waits_until_a_variable_change_makes_its_condition_true(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    waiting = instance.complete("approve")
    assert waiting.visited == ["wait_stock"]
    assert instance.waiting_at == ["vip_arrived", "wait_stock"]

    assert instance.set_variables(stock=2).visited == []  # still short
    done = instance.set_variables(stock=3)

    assert done.visited == ["end_done"]
    assert done.outcome is Outcome.COMPLETED


def test_a_catch_event_whose_condition_holds_on_arrival_goes_straight_on(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    step = instance.complete("approve", stock=10)

    assert step.visited == ["wait_stock", "end_done"]
    assert step.outcome is Outcome.COMPLETED


def test_a_non_interrupting_boundary_fires_on_each_change_of_its_variable_that_keeps_it_true(
    instance_of: InstanceOf,
) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    first = instance.set_variables(priority=7)
    assert first.visited == ["count_reminder", "reminded"]  # from the boundary event, as for any boundary
    assert instance.waiting_at == ["approve", "vip_arrived"]

    assert instance.set_variables(note="call back").visited == []  # not its variable
    assert instance.set_variables(priority=9).visited == ["count_reminder", "reminded"]
    assert instance.set_variables(priority=2).visited == []  # no longer true
    assert instance.snapshot.variables["reminders"] == 2


def test_an_interrupting_boundary_cancels_its_activity_when_its_condition_becomes_true(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    step = instance.set_variables(cancelled=True)

    assert step.visited == ["end_cancelled"]
    assert step.outcome is Outcome.COMPLETED
    states = {record.element_id: record.state for record in step.activities.values()}
    assert states["approve"] == "cancelled"


def test_an_event_subprocess_starts_when_its_variable_is_created_and_not_when_updated(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    step = instance.set_variables(vip=True)

    assert step.visited == ["on_vip", "vip_arrived", "greet"]
    assert instance.waiting_at == ["approve", "greet", "on_vip", "vip_arrived"]  # still listening
    assert instance.set_variables(vip=True).visited == []  # an update, not a new variable
    instance.complete("greet")
    assert instance.complete("approve", stock=5).outcome is Outcome.COMPLETED


def test_a_condition_set_by_the_model_itself_fires_within_the_same_step(instance_of: InstanceOf) -> None:
    instance = instance_of("conditional_events")
    instance.start(quantity=3, stock=1, priority=1, reminders=0)

    step = instance.complete("approve", priority=8)  # ends approve: its boundary events go with it

    assert step.visited == ["wait_stock"]
    restocked = instance.set_variables(stock=4, priority=9)
    assert restocked.visited == ["end_done"]
