"""Which behaviour runs when a token enters an element: one row per spec class."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime import activities, events, gateways, subprocesses
from apps.engine.runtime.interpreter import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

# Each behaviour takes the spec class of its row; the table pairs them.
Behaviour = Callable[["Run", "Token", Any], None]

BEHAVIOURS: dict[type[spec.FlowNode], Behaviour] = {
    spec.StartEvent: events.enter_start_event,
    spec.EndEvent: events.enter_end_event,
    spec.Task: activities.enter_pass_through,
    spec.ManualTask: activities.enter_pass_through,
    spec.ScriptTask: activities.enter_script_task,
    spec.ServiceTask: activities.enter_service_task,
    spec.SendTask: activities.enter_service_task,
    spec.BusinessRuleTask: activities.enter_service_task,
    spec.UserTask: activities.enter_user_task,
    spec.ReceiveTask: activities.enter_receive_task,
    spec.ExclusiveGateway: gateways.enter_exclusive_gateway,
    spec.ParallelGateway: gateways.enter_parallel_gateway,
    spec.InclusiveGateway: gateways.enter_inclusive_gateway,
    spec.SubProcess: subprocesses.enter_subprocess,
}


def _not_yet(feature: str) -> Behaviour:
    def refuse(run: Run, token: Token, node: spec.FlowNode) -> None:
        raise TokenStopped("not-executable", f"{node.id!r}: {feature} does not run in this version of the engine.")

    return refuse


def behaviour_for(node: spec.FlowNode) -> Behaviour:
    """The behaviour of ``node``; features still missing stop the token with an incident, never silently."""
    if isinstance(node, spec.Activity) and node.loop is not None:
        return _not_yet("a loop or multi-instance activity")
    if node.extensions.inputs or node.extensions.outputs:
        return _not_yet("an input/output mapping")
    if isinstance(node, spec.CallActivity):
        return _not_yet("a call activity")
    if isinstance(node, spec.Event) and node.event_definitions and not isinstance(node, spec.EndEvent):
        return _not_yet(f"a {node.event_definitions[0].kind} event")
    behaviour = BEHAVIOURS.get(type(node))
    return behaviour if behaviour is not None else _not_yet(f"a {node.tag}")
