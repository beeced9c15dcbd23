"""Start and end events (none and terminate) and intermediate timer events. Messages and
signals come with their issue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.engine.bpmn import spec
from apps.engine.runtime import activities, compensation, errors_thrown, signals, timers
from apps.engine.runtime.errors import TokenStopped
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.step import Outcome

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token


def enter_pass_through_event(run: Run, token: Token, node: spec.FlowNode) -> None:
    """A none start event, or a none intermediate throw event (a milestone in the history)."""
    run.begin_activity(token, node)
    run.leave(token, outgoing_after_activity(run, node, token))


def enter_end_event(run: Run, token: Token, node: spec.EndEvent) -> None:
    if any(isinstance(item, spec.MessageEventDefinition) for item in node.event_definitions):
        # A message end event sends its message as a send task does (a handler or an external
        # worker), then the token ends: it has no outgoing flow.
        activities.enter_service_task(run, token, node)
        return
    if any(isinstance(item, spec.CompensateEventDefinition) for item in node.event_definitions):
        compensation.enter_compensation_throw(run, token, node)
        return
    if any(isinstance(item, spec.CancelEventDefinition) for item in node.event_definitions):
        compensation.enter_cancel_end(run, token, node)
        return
    run.begin_activity(token, node)
    if any(isinstance(item, spec.SignalEventDefinition) for item in node.event_definitions):
        signals.throw_at_end(run, token, node)
    if any(isinstance(item, spec.EscalationEventDefinition) for item in node.event_definitions):
        errors_thrown.escalate(run, token, node, ends=True)
        return
    error = next((item for item in node.event_definitions if isinstance(item, spec.ErrorEventDefinition)), None)
    if error is not None:
        code = run.process.code_of(error) or ""
        errors_thrown.throw(run, token, code, f"thrown by the end event {node.id!r}", from_activity=False)
        return
    run.end_activity(token)
    if any(isinstance(definition, spec.TerminateEventDefinition) for definition in node.event_definitions):
        run.tokens.pop(token.id, None)
        scope_id = token.scope_id
        run.remove_scope_contents(scope_id)
        if scope_id is None:
            run.step.outcome = Outcome.TERMINATED
            return
    run.consume(token)


def enter_timer_catch(run: Run, token: Token, node: spec.IntermediateCatchEvent) -> None:
    """Wait until the timer is due; the store keeps a job row for it, and firing it completes the wait."""
    run.begin_activity(token, node)
    (timer,) = node.event_definitions
    due = timers.due_at(run, token, node, timer)  # type: ignore[arg-type]
    run.wait(token, node, "timer", {"due_at": due.isoformat()})


def enter_link_throw(run: Run, token: Token, node: spec.IntermediateThrowEvent) -> None:
    """Go on from the link catch event of the same name in the same scope (a "go to" on the page)."""
    run.begin_activity(token, node)
    (link,) = node.event_definitions
    name = getattr(link, "name", None)
    scope = run.process.spec.scope_of.get(node.id, run.process.spec.id)
    targets = [
        candidate.id
        for candidate in run.process.nodes.values()
        if isinstance(candidate, spec.IntermediateCatchEvent)
        and run.process.spec.scope_of.get(candidate.id, run.process.spec.id) == scope
        and any(
            isinstance(item, spec.LinkEventDefinition) and item.name == name for item in candidate.event_definitions
        )
    ]
    if len(targets) != 1:
        raise TokenStopped("link-target-missing", f"The link {name!r} of {node.id!r} has {len(targets)} catch events.")
    run.end_activity(token)
    run.arrive(token, targets[0])


def _links(definition: spec.EventDefinition, name: str | None) -> bool:
    return isinstance(definition, spec.LinkEventDefinition) and definition.name == name


def enter_escalation_throw(run: Run, token: Token, node: spec.IntermediateThrowEvent) -> None:
    run.begin_activity(token, node)
    errors_thrown.escalate(run, token, node, ends=False)
