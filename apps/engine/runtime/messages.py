"""Waiting for a message: receive tasks and intermediate message catch events.

The wait names the message (by the ``name`` of its ``bpmn:message``) and, when the message
declares one (Zeebe's ``zeebe:subscription correlationKey``), the correlation key, evaluated
when the token arrives with the variables it sees. The store keeps a subscription row for it;
correlating a message with the API completes the wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

MESSAGE = "message"


def subscription(run: Run, token: Token, node: spec.FlowNode, message_ref: str | None) -> dict[str, Any]:
    """The details of a message wait: the message's name and correlation key."""
    message = run.process.messages.get(message_ref or "")
    name = (message.name if message is not None else None) or message_ref or ""
    key = None
    if message is not None and message.correlation_key is not None:
        value = run.evaluate(message.correlation_key, token)
        if value is None or isinstance(value, (dict, list)):
            raise TokenStopped("correlation-key-invalid", f"The correlation key of {name!r} gave {value!r}.")
        key = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return {"message_name": name, "correlation_key": key}


def enter_receive_task(run: Run, token: Token, node: spec.ReceiveTask) -> None:
    run.begin_activity(token, node)
    run.wait(token, node, MESSAGE, subscription(run, token, node, node.message_ref))


def enter_message_catch(run: Run, token: Token, node: spec.IntermediateCatchEvent) -> None:
    run.begin_activity(token, node)
    (definition,) = node.event_definitions
    run.wait(token, node, MESSAGE, subscription(run, token, node, getattr(definition, "message_ref", None)))
