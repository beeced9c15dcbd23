"""Tasks: pass-through, script, service (registered handler or external topic), user, receive.

An activity with output mappings keeps what it produces (script assignments, a handler's
result, the variables of its completion) as its own local variables; only the outputs reach
the enclosing scope, as in Zeebe. Without output mappings they go to the enclosing scopes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apps.engine.bpmn import spec
from apps.engine.expressions import EvaluationError
from apps.engine.runtime.errors import TokenStopped

if TYPE_CHECKING:
    from apps.engine.runtime.interpreter import Run
    from apps.engine.runtime.state import Token

HANDLER_FAILED = "handler-failed"  # the incident of a handler that raised


def enter_pass_through(run: Run, token: Token, node: spec.FlowNode) -> None:
    """Task and manual task: done as soon as reached."""
    run.begin_activity(token, node)
    run.activity_done(token, node)


def enter_script_task(run: Run, token: Token, node: spec.ScriptTask) -> None:
    run.begin_activity(token, node)
    script = node.script
    if script is not None:
        try:
            if script in run.process.script_expressions:
                value = run.process.script_expressions[script].evaluate(run.visible(token), now=run.now)
                result = node.extensions.result_variable
                assignments = {result: value} if result else {}
            else:
                assignments = run.process.scripts[script].run(run.visible(token), now=run.now)
        except EvaluationError as error:
            raise TokenStopped("script-failed", f"The script of {node.id!r} failed: {error}") from error
        run.set_variables(assignments, token, local=bool(node.extensions.outputs))
    run.activity_done(token, node)


def enter_service_task(run: Run, token: Token, node: spec.FlowNode) -> None:
    """A registered handler runs now; an external topic makes the token wait for a worker.
    Send and business rule tasks run the same way when they name an implementation."""
    run.begin_activity(token, node)
    implementation = node.extensions.implementation
    if implementation is None:
        run.activity_done(token, node)
        return
    if implementation.kind == "external":
        details: dict[str, Any] = {
            "topic": implementation.name,
            "priority": run.value(node.extensions.priority, token),
        }
        run.wait(token, node, "external-task", details)
        return
    handler = run.handlers.get(implementation.name)
    if handler is None:
        raise TokenStopped("handler-unknown", f"No handler is registered under {implementation.name!r}.")
    try:
        produced = handler(dict(run.visible(token)))
    except Exception as error:  # any failure of a handler becomes the token's incident
        message = f"{implementation.name!r} raised {type(error).__name__}: {error}"
        raise TokenStopped(HANDLER_FAILED, message) from error
    if produced:
        run.set_variables(produced, token, local=bool(node.extensions.outputs))
    run.activity_done(token, node)


def enter_user_task(run: Run, token: Token, node: spec.FlowNode) -> None:
    """Wait for a person; the task's assignment is evaluated now, as Camunda does on creation."""
    run.begin_activity(token, node)
    settings = node.extensions
    details = {
        "name": node.name or node.id,
        "assignee": run.value(settings.assignee, token),
        "candidate_users": [run.value(value, token) for value in settings.candidate_users],
        "candidate_groups": [run.value(value, token) for value in settings.candidate_groups],
        "due_date": run.value(settings.due_date, token),
        "follow_up_date": run.value(settings.follow_up_date, token),
        "priority": run.value(settings.priority, token),
        "form_key": settings.form_key,
    }
    reference = settings.form_ref
    if reference is not None:  # the version an expression gives is the one of the task's creation
        version = run.value(reference.version, token)
        details["form_ref"] = {
            "key": reference.key,
            "binding": reference.binding,
            "version": None if version is None else str(version)[:20],
            "version_tag": reference.version_tag,
        }
    run.wait(token, node, "user-task", details)
