"""Which outgoing sequence flows a token takes when it leaves an element."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token


def _condition_holds(run: Run, flow: spec.SequenceFlow, condition: spec.Expression, token: Token) -> bool:
    result = run.evaluate(condition, token)
    if not isinstance(result, bool):
        raise TokenStopped(
            "condition-not-boolean", f"The condition of flow {flow.id!r} gave {result!r}, not true or false."
        )
    return result


def _default_flow(node: spec.FlowNode) -> str | None:
    return getattr(node, "default_flow", None)


def outgoing_after_activity(run: Run, node: spec.FlowNode, token: Token) -> list[str]:
    """Events and activities: every flow without a condition, every flow whose condition holds,
    and the default flow when conditions exist and none holds (BPMN's implicit inclusive split)."""
    taken: list[str] = []
    conditional = False
    default = _default_flow(node)
    for flow_id in node.outgoing:
        if flow_id == default:
            continue
        flow = run.process.flows[flow_id]
        if flow.condition is None:
            taken.append(flow_id)
        else:
            conditional = True
            if _condition_holds(run, flow, flow.condition, token):
                taken.append(flow_id)
    if not taken and default is not None:
        taken.append(default)
    if not taken and conditional:
        raise TokenStopped("no-flow-taken", f"No condition on the flows leaving {node.id!r} holds.")
    return taken


def outgoing_of_exclusive(run: Run, gateway: spec.Gateway, token: Token) -> list[str]:
    """The first flow (in document order) whose condition holds, else the default."""
    for flow_id in gateway.outgoing:
        if flow_id == gateway.default_flow:
            continue
        flow = run.process.flows[flow_id]
        if flow.condition is None or _condition_holds(run, flow, flow.condition, token):
            return [flow_id]
    if gateway.default_flow is not None:
        return [gateway.default_flow]
    raise TokenStopped("no-flow-taken", f"No condition on the flows leaving gateway {gateway.id!r} holds.")


def outgoing_of_inclusive(run: Run, gateway: spec.Gateway, token: Token) -> list[str]:
    """Every flow whose condition holds (or that has none), else the default."""
    taken = []
    for flow_id in gateway.outgoing:
        flow = run.process.flows[flow_id]
        if flow_id != gateway.default_flow and (
            flow.condition is None or _condition_holds(run, flow, flow.condition, token)
        ):
            taken.append(flow_id)
    if taken:
        return taken
    if gateway.default_flow is not None:
        return [gateway.default_flow]
    raise TokenStopped("no-flow-taken", f"No condition on the flows leaving gateway {gateway.id!r} holds.")
