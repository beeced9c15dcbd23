"""Start events of the newest version of a process that something other than a request
triggers: timers (a job row per event, firing a new instance at each occurrence) and
messages (a subscription row per event, which correlating the message finds).

Deploying a new version replaces the start events of the versions before it, as in Camunda 7;
deploying identical XML again changes nothing. An occurrence missed while no worker ran (the
platform down over a cycle's hour) fires once when the job is next claimed; the occurrences
between are skipped, and count against a cycle's repetitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import isodate

from apps.engine import clock
from apps.engine.bpmn import spec, timer_text
from apps.engine.bpmn.problems import Problem, error
from apps.engine.expressions import EvaluationError, compile_expression
from apps.engine.models import Job, JobKind, MessageSubscription, ProcessDefinition, SignalSubscription


class StartTimerInvalid(Exception):
    """A start timer's expression gave no valid date, duration or cycle; ``problem`` says which."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def subscribe_start_messages(
    definition: ProcessDefinition, process: spec.ProcessSpec, messages: Mapping[str, spec.Message]
) -> None:
    """Caller holds the deployment's transaction. Replace the key's message start events with this version's."""
    MessageSubscription.objects.filter(kind="start", definition__key=definition.key).delete()
    for node_id, reference in _start_events(process, spec.MessageEventDefinition):
        name = _name(messages.get(reference), reference)
        MessageSubscription.objects.create(definition=definition, element_id=node_id, message_name=name, kind="start")


def subscribe_start_signals(
    definition: ProcessDefinition, process: spec.ProcessSpec, signals: Mapping[str, spec.Signal]
) -> None:
    """Caller holds the deployment's transaction. Replace the key's signal start events with this version's."""
    SignalSubscription.objects.filter(kind="start", definition__key=definition.key).delete()
    for node_id, reference in _start_events(process, spec.SignalEventDefinition):
        name = _name(signals.get(reference), reference)
        SignalSubscription.objects.create(definition=definition, element_id=node_id, signal_name=name, kind="start")


def _start_events(process: spec.ProcessSpec, kind: type[spec.EventDefinition]) -> list[tuple[str, str]]:
    """The process's start events of one kind, with the id of the message or signal each names."""
    found = []
    for node_id in process.start_node_ids:
        definitions = getattr(process.nodes[node_id], "event_definitions", ())
        if len(definitions) == 1 and isinstance(definitions[0], kind):
            reference = getattr(definitions[0], "message_ref", None) or getattr(definitions[0], "signal_ref", None)
            found.append((node_id, reference or ""))
    return found


def _name(element: spec.BaseElement | None, reference: str) -> str:
    return (element.name if element is not None else None) or reference


def schedule_start_timers(definition: ProcessDefinition, process: spec.ProcessSpec) -> None:
    """Caller holds the deployment's transaction. Replace the key's start timers with this version's."""
    Job.objects.filter(kind=JobKind.TIMER_START, definition__key=definition.key).delete()
    now = clock.now()
    for node_id in process.start_node_ids:
        node = process.nodes[node_id]
        timer = _timer_of(node)
        if timer is not None:
            first = _schedule(node, timer, now).first
            Job.objects.create(definition=definition, element_id=node_id, kind=JobKind.TIMER_START, due_at=first)


def next_occurrence(node: spec.FlowNode, due: datetime, fired: int, now: datetime) -> tuple[datetime | None, int]:
    """After the ``fired``-th occurrence (at ``due``) fired: the next one after ``now``, and how
    many occurrences count as fired by then."""
    timer = _timer_of(node)
    assert timer is not None  # noqa: S101 - the job was made for this start event
    schedule = _schedule(node, timer, now)
    following = schedule.after(due, fired)
    while following is not None and following <= now:  # missed while nothing ran: skipped
        fired += 1
        following = schedule.after(following, fired)
    return following, fired


def _timer_of(node: spec.FlowNode) -> spec.TimerEventDefinition | None:
    if isinstance(node, spec.StartEvent) and len(node.event_definitions) == 1:
        definition = node.event_definitions[0]
        return definition if isinstance(definition, spec.TimerEventDefinition) else None
    return None


def _schedule(node: spec.FlowNode, timer: spec.TimerEventDefinition, now: datetime) -> timer_text.Schedule:
    """The timer's schedule; an expression is evaluated without variables (there is no instance yet)."""
    try:
        value = timer.value
        text = compile_expression(value.text).evaluate({}, now=now) if isinstance(value, spec.Expression) else value
        if not isinstance(text, str):
            raise ValueError(f"it gave {text!r}, not text")
        return timer_text.schedule(timer.timer_type, text, now)
    except (EvaluationError, isodate.ISO8601Error, ValueError, KeyError) as problem:
        message = f"The timer start event '{node.id}' has no valid {timer.timer_type}: {problem}"
        raise StartTimerInvalid(error("timer-invalid", message, node.id, timer.line or node.line)) from problem
