"""Signals: thrown by an intermediate throw or end event (or the API), they reach every signal
catch, boundary and start event of the tenant waiting for that name.

Waiting is a subscription row (named by the signal's ``name``, its id when it has none).
Throwing inside an instance records the signal in the step; the store turns it into a job,
so that the broadcast runs after the thrower's transaction, one receiving instance at a time,
and never holds two instances' locks at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from apps.engine.bpmn import spec
from apps.engine.runtime.flows import outgoing_after_activity

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

SIGNAL = "signal"
BOUNDARY_SIGNAL = "boundary-signal"


def signal_name(run: Run, node: spec.Event) -> str:
    (definition,) = node.event_definitions
    reference = cast("spec.SignalEventDefinition", definition).signal_ref or ""
    signal = run.process.signals.get(reference)
    return (signal.name if signal is not None else None) or reference


def enter_signal_catch(run: Run, token: Token, node: spec.IntermediateCatchEvent) -> None:
    run.begin_activity(token, node)
    run.wait(token, node, SIGNAL, {"signal_name": signal_name(run, node)})


def enter_signal_throw(run: Run, token: Token, node: spec.IntermediateThrowEvent) -> None:
    """Throw the signal (sent once this step commits) and go on."""
    run.begin_activity(token, node)
    run.step.signals.append(signal_name(run, node))
    run.leave(token, outgoing_after_activity(run, node, token))


def throw_at_end(run: Run, token: Token, node: spec.EndEvent) -> None:
    """A signal end event: throw the signal; the token ends as at any end event."""
    run.step.signals.append(signal_name(run, node))
