"""Conditional events: an event that happens when a condition on the variables becomes true.

Three kinds watch a condition, as in Camunda 7: an intermediate conditional catch event (its
token waits), a conditional boundary event (while its activity runs) and the conditional start
event of an event subprocess (while its scope runs). A catch event checks its condition as the
token arrives and goes straight on when it holds; the others check theirs once subscribed.
Then each is checked again at the end of every step that changed variables, whatever changed
them (a task's completion, a script, an operator through the API): of the name
``camunda:variableName`` gives, when it gives one, and only of a new variable or only of an
updated one, when ``camunda:variableEvents`` says ``create`` or ``update``. One whose
condition holds fires in that step.

Nothing is stored for a watch: the step that changes the variables checks it. A condition that
cannot be evaluated yet (it names a variable not set) or gives anything but ``true`` is not
met. A non-interrupting event fires at most once per step, so that the event's own path,
setting variables, cannot fire it for ever.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from apps.engine.bpmn import spec
from apps.engine.expressions import EvaluationError
from apps.engine.runtime import boundaries, event_subprocesses

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

CONDITION = "condition"  # the wait of a token at a conditional catch event


def enter_condition_catch(run: Run, token: Token, node: spec.IntermediateCatchEvent) -> None:
    run.begin_activity(token, node)
    if _met(run, token, node):
        run.activity_done(token, node)
    else:
        run.wait(token, node, CONDITION)


def fire_ready(run: Run) -> bool:
    """Fire the watched events whose conditions hold now; whether any fired (the run goes on)."""
    if not run.process.has_conditions:
        return False
    changes = run.step.variable_changes[run.conditions_seen :]
    run.conditions_seen = len(run.step.variable_changes)
    fresh, run.conditions_fresh = run.conditions_fresh, set()
    if not changes and not fresh:
        return False
    changed = {change.name for change in changes}
    fired = False
    for token_id in list(run.tokens):
        for event_id in _watched(run, token_id):
            token = run.tokens.get(token_id)
            if token is None:
                break  # an interrupting event took it away
            event = cast("spec.Event", run.process.nodes[event_id])
            if (token_id, event_id) not in fresh and not _woken(run, event, changed):
                continue
            if (token_id, event_id) in run.conditions_fired or not _met(run, token, event):
                continue
            run.conditions_fired.add((token_id, event_id))
            _fire(run, token, event)
            fired = True
    return fired


def _watched(run: Run, token_id: str) -> list[str]:
    token = run.tokens[token_id]
    nodes = run.process.nodes
    watched = [event_id for event_id in token.data.get("boundaries", ()) if boundaries.is_conditional(nodes[event_id])]
    if token.data.get("wait") == CONDITION:
        watched.append(token.element_id)
    return watched


def _woken(run: Run, event: spec.Event, changed: set[str]) -> bool:
    """Whether the variables changed in this step are ones the event listens to."""
    (definition,) = event.event_definitions
    definition = cast("spec.ConditionalEventDefinition", definition)
    names = changed if definition.variable_name is None else changed & {definition.variable_name}
    if not names:
        return False
    events = definition.variable_events
    if not events or {"create", "update"} <= set(events):
        return True
    created = names & run.created_variables
    return bool(created) if "create" in events else bool(names - created)


def _met(run: Run, token: Token, event: spec.Event) -> bool:
    (definition,) = event.event_definitions
    condition = cast("spec.ConditionalEventDefinition", definition).condition
    if condition is None:
        return False
    try:
        return run.process.expressions[condition].evaluate(run.visible(token), now=run.now) is True
    except EvaluationError:
        return False  # a variable it names is not set yet: not met


def _fire(run: Run, token: Token, event: spec.Event) -> None:
    if token.data.get("wait") == CONDITION and token.element_id == event.id:
        token.data.pop("wait")
        run.activity_done(token, event)
    elif isinstance(event, spec.StartEvent):
        event_subprocesses.fire(run, token, event, None)
    else:
        boundaries.fire(run, token.id, event.id)
