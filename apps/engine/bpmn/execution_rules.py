"""Execution rules, run on executable processes only: can this engine run every part as written?

Every finding is an error (bar ``feature-ignored``), because deploying a model the engine would
run differently from what it says is worse than refusing it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import isodate

from apps.engine.bpmn import timer_text
from apps.engine.bpmn.checking import Compile, ProcessCheck, describe_scope
from apps.engine.bpmn.extension_spec import FORM_BINDINGS, FORM_KEY_PATTERN, FormRef
from apps.engine.bpmn.problems import Problem, error, warning
from apps.engine.bpmn.spec import (
    Activity,
    BoundaryEvent,
    BusinessRuleTask,
    CallActivity,
    CancelEventDefinition,
    CompensateEventDefinition,
    ConditionalEventDefinition,
    EventBasedGateway,
    Expression,
    ExtensionConfig,
    FlowNode,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    LinkEventDefinition,
    MessageEventDefinition,
    MultiInstance,
    ProcessSpec,
    ReceiveTask,
    Scope,
    ScriptTask,
    SendTask,
    ServiceTask,
    SignalEventDefinition,
    StandardLoop,
    StartEvent,
    SubProcess,
    TimerEventDefinition,
)
from apps.engine.bpmn.support import Support, describe_node, node_support

# Script formats and the compiler each one goes to: a script, or one expression whose value is
# the result.
SCRIPT_FORMATS = {"": "script", "apg": "script", "expression": "expression", "feel": "expression", "juel": "expression"}
EXPRESSION_LANGUAGES = frozenset({"", "apg", "expression", "feel", "juel"})
WORKER_TASKS = (ServiceTask, SendTask, BusinessRuleTask)


def check_support(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    in_event_subprocess = bool(getattr(scope, "triggered_by_event", False))
    for node in scope.nodes.values():
        support = node_support(node, in_event_subprocess=in_event_subprocess)
        if support is Support.NOT_YET:
            message = f"The {describe_node(node)} '{node.id}' is not executable yet; it comes in a later release."
            yield error("unsupported-element", message, node.id, node.line)
        elif support is Support.UNSUPPORTED:
            message = f"The {describe_node(node)} '{node.id}' is not supported by this engine."
            yield error("unsupported-element", message, node.id, node.line)


def check_features(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """Report settings an element asks for that the engine would not honour."""
    owners: list[tuple[str, str, int | None, ExtensionConfig]] = []
    if isinstance(scope, ProcessSpec):
        owners.append((f"process '{scope.id}'", scope.id, scope.line, scope.extensions))
    owners += [(f"{describe_node(n)} '{n.id}'", n.id, n.line, n.extensions) for n in scope.nodes.values()]
    owners += [(f"sequence flow '{f.id}'", f.id, f.line, f.extensions) for f in scope.flows.values()]
    for owner, element_id, line, extensions in owners:
        for feature in extensions.unsupported:
            message = f"The {owner} uses {feature.describe()}, which this engine does not execute."
            yield error("unsupported-feature", message, element_id, feature.line or line)
        for feature in extensions.ignored:
            message = f"The {owner} has {feature.describe()}; it is ignored."
            yield warning("feature-ignored", message, element_id, feature.line or line)


def check_form_refs(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """A form deployed on its own must be named well enough to be found: a key, a binding this
    dialect knows, the version or version tag that binding needs, and no second form beside it."""
    for node in scope.nodes.values():
        reference = node.extensions.form_ref
        if reference is None:
            continue
        for message in _form_ref_mistakes(reference, node.extensions.form_key):
            yield error("form-ref-invalid", f"The {describe_node(node)} '{node.id}' {message}", node.id, reference.line)
        if reference.version is not None and reference.binding != "version":
            message = (
                f"The {describe_node(node)} '{node.id}' gives camunda:formRefVersion, which only the "
                "binding 'version' reads; it is ignored."
            )
            yield warning("feature-ignored", message, node.id, reference.line)


def _form_ref_mistakes(reference: FormRef, form_key: str | None) -> Iterator[str]:
    source = reference.source
    if not reference.key:
        yield f"binds a form ({source}) without naming it."
    elif not re.fullmatch(FORM_KEY_PATTERN, reference.key):
        rule = "a form's id is letters, digits, '_', '-' and '.' (at most 150)"
        yield f"names the form '{excerpt(reference.key)}': {rule}."
    bindings = FORM_BINDINGS[source]
    binding, version, tag = reference.binding, reference.version, (reference.version_tag or "").strip()
    if binding not in bindings:
        yield f"binds its form by '{excerpt(binding)}'; {source} binds by {', '.join(bindings)}."
    elif binding == "version" and version is None:
        yield "binds its form by version without camunda:formRefVersion."
    elif binding == "version" and isinstance(version, str) and not (version.isdigit() and int(version) >= 1):
        yield f"binds its form to version '{excerpt(version)}': a version is a whole number from 1, or an expression."
    elif binding == "versionTag" and not tag:
        yield "binds its form by versionTag without a versionTag."
    if len(tag) > 60:
        yield "gives a versionTag longer than 60 characters."
    if form_key:
        yield f"names a form twice: the form key '{excerpt(form_key)}' and {source}; give one."


def check_expressions(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """Every condition, loop and multi-instance expression and mapping must compile."""
    expressions = [expression for node in scope.nodes.values() for expression in node.expressions()]
    expressions += [flow.condition for flow in scope.flows.values() if flow.condition is not None]
    for expression in expressions:
        language = (expression.language or "").strip().lower()
        if language not in EXPRESSION_LANGUAGES and "feel" not in language:
            message = f"The expression language '{expression.language}' on '{expression.element_id}' is not supported."
            yield error("expression-language-unsupported", message, expression.element_id, expression.line)
        elif check.context.compile_expression is not None:
            subject = f"The expression '{excerpt(expression.text)}'"
            yield from compile_source(check.context.compile_expression, expression, "expression-invalid", subject)


def check_scripts(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        if not isinstance(node, ScriptTask):
            continue
        script = node.script
        if script is None or not script.text:
            message = f"The script task '{node.id}' has no script to run."
            yield error("script-missing", message, node.id, node.line)
            continue
        target = SCRIPT_FORMATS.get(script.script_format)
        if target is None:
            accepted = ", ".join(repr(name) for name in SCRIPT_FORMATS if name)
            message = (
                f"The script format '{script.script_format}' of '{node.id}' is not supported: "
                f"give none, or one of {accepted}."
            )
            yield error("script-format-unsupported", message, node.id, script.line)
            continue
        compile_text = check.context.compile_script if target == "script" else check.context.compile_expression
        if compile_text is not None:
            source = Expression(script.text, node.id, script.line)
            yield from compile_source(compile_text, source, "script-invalid", f"The script of '{node.id}'")


def excerpt(text: str, length: int = 60) -> str:
    """Shorten ``text`` to one line of at most ``length`` characters for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


def compile_source(compile_text: Compile, source: Expression, code: str, subject: str) -> Iterator[Problem]:
    """Compile ``source``; an exception carrying ``message`` (and maybe ``position``) is a problem.

    Any other exception is a fault of the compiler, not of the model, and is raised.
    """
    try:
        compile_text(source.text)
    except Exception as exc:
        reason = getattr(exc, "message", None)
        if not isinstance(reason, str):
            raise
        position = getattr(exc, "position", None)
        where = f" at {position}" if position is not None else ""
        yield error(code, f"{subject} does not compile{where}: {reason}", source.element_id, source.line)


def check_implementations(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        if not isinstance(node, WORKER_TASKS):
            continue
        implementation = node.extensions.implementation
        if implementation is None:
            hint = " (sending a message by messageRef comes with message events)" if isinstance(node, SendTask) else ""
            message = (
                f"The {describe_node(node)} '{node.id}' names no implementation: give it a handler "
                f"(camunda:class or camunda:delegateExpression) or an external topic{hint}."
            )
            yield error("implementation-missing", message, node.id, node.line)
        elif implementation.kind == "decision":
            message = (
                f"The {describe_node(node)} '{node.id}' calls decision '{implementation.name}'; "
                "decisions are not executable yet."
            )
            yield error("unsupported-feature", message, node.id, node.line)


def check_call_activities(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    processes = check.context.definitions.processes
    for node in scope.nodes.values():
        if not isinstance(node, CallActivity) or isinstance(node.called_element, Expression):
            continue
        key = node.called_element
        if not key:
            message = f"The call activity '{node.id}' names no process to call (calledElement)."
            yield error("call-activity-key-missing", message, node.id, node.line)
        elif key in processes and not processes[key].is_executable:
            message = f"The call activity '{node.id}' calls process '{key}', which is not executable."
            yield error("call-activity-unknown-key", message, node.id, node.line)
        elif key not in processes and key not in check.context.known_process_keys:
            message = (
                f"The call activity '{node.id}' calls process '{key}', which is neither in this file nor deployed."
            )
            yield error("call-activity-unknown-key", message, node.id, node.line)


def check_receive_tasks(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """Receive tasks and message catch and start events must name the message they wait for."""
    for node in scope.nodes.values():
        definitions: tuple[object, ...] = getattr(node, "event_definitions", ())
        catches = isinstance(node, (IntermediateCatchEvent, StartEvent)) and len(definitions) == 1
        if isinstance(node, ReceiveTask):
            reference = node.message_ref
        elif catches and isinstance(definitions[0], MessageEventDefinition):
            reference = definitions[0].message_ref
        else:
            continue
        if not reference:
            message = f"The {describe_node(node)} '{node.id}' names no message to wait for (messageRef)."
            yield error("message-ref-missing", message, node.id, node.line)


def check_loops(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    for node in scope.nodes.values():
        loop = node.loop if isinstance(node, Activity) else None
        if isinstance(loop, MultiInstance) and loop.cardinality is None and loop.collection is None:
            message = (
                f"The multi-instance {describe_node(node)} '{node.id}' has neither a loopCardinality nor a "
                "collection (camunda:collection or zeebe:loopCharacteristics inputCollection)."
            )
            yield error("multi-instance-input-missing", message, node.id, loop.line or node.line)
        elif isinstance(loop, StandardLoop) and loop.condition is None and loop.maximum is None:
            message = f"The loop of {describe_node(node)} '{node.id}' has neither a loopCondition nor a loopMaximum."
            yield error("loop-condition-missing", message, node.id, loop.line or node.line)


def check_conditions(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """A conditional event needs a condition, and listens only to the variable events that happen."""
    for node in scope.nodes.values():
        for definition in getattr(node, "event_definitions", ()):
            if not isinstance(definition, ConditionalEventDefinition):
                continue
            if definition.condition is None or not definition.condition.text.strip():
                message = f"The {describe_node(node)} '{node.id}' has no condition to wait for."
                yield error("condition-missing", message, node.id, definition.line or node.line)
            unknown = [event for event in definition.variable_events if event not in ("create", "update", "delete")]
            if unknown:
                message = (
                    f"The {describe_node(node)} '{node.id}' listens to the variable events {', '.join(unknown)}; "
                    "give create, update or both."
                )
                yield error("variable-events-invalid", message, node.id, definition.line or node.line)
            elif "delete" in definition.variable_events:
                message = (
                    f"The {describe_node(node)} '{node.id}' listens to deleted variables; the engine never "
                    "deletes a variable, so that part is ignored."
                )
                yield warning("feature-ignored", message, node.id, definition.line or node.line)


def check_compensation(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """A compensation boundary event names its handler by an association; a handler has no flows;
    a compensation throw names an activity of its scope; cancel events belong to a transaction."""
    associations = {artifact.source: artifact.target for artifact in check.process.artifacts if artifact.source}
    for node in scope.nodes.values():
        definitions = getattr(node, "event_definitions", ())
        compensate = next((item for item in definitions if isinstance(item, CompensateEventDefinition)), None)
        if isinstance(node, StartEvent) and compensate is not None:
            if check.process.scope_of.get(scope.id) == check.process.id:
                message = (
                    f"The compensation start event '{node.id}' is in an event subprocess of the process; only a "
                    "subprocess is compensated as a whole."
                )
                yield error("compensation-event-subprocess-invalid", message, node.id, node.line)
        elif isinstance(node, BoundaryEvent) and compensate is not None:
            handler = scope.nodes.get(associations.get(node.id) or "")
            if not (isinstance(handler, Activity) and handler.is_for_compensation):
                message = (
                    f"The compensation boundary event '{node.id}' has no association to an activity with "
                    'isForCompensation="true" in the same scope: nothing would undo its activity.'
                )
                yield error("compensation-handler-missing", message, node.id, node.line)
        elif compensate is not None:
            target = scope.nodes.get(compensate.activity_ref or "")
            if compensate.activity_ref and not isinstance(target, Activity):
                message = (
                    f"The {describe_node(node)} '{node.id}' compensates '{compensate.activity_ref}', which is "
                    f"not an activity of the {describe_scope(scope)}."
                )
                yield error("compensation-activity-unknown", message, node.id, node.line)
            if not compensate.wait_for_completion:
                message = (
                    f"The {describe_node(node)} '{node.id}' does not wait for the compensation; the engine always "
                    "waits (waitForCompletion is ignored)."
                )
                yield warning("feature-ignored", message, node.id, node.line)
        if isinstance(node, Activity) and node.is_for_compensation and (node.incoming or node.outgoing):
            message = f"The compensation handler '{node.id}' has sequence flows; a compensation starts it, not a flow."
            yield error("compensation-handler-connected", message, node.id, node.line)
        if any(isinstance(item, CancelEventDefinition) for item in definitions):
            yield from _cancel_problems(scope, node, check)


def _cancel_problems(scope: Scope, node: FlowNode, check: ProcessCheck) -> Iterator[Problem]:
    if isinstance(node, BoundaryEvent):
        attached = scope.nodes.get(node.attached_to)
        if not (isinstance(attached, SubProcess) and attached.tag == "transaction"):
            message = f"The cancel boundary event '{node.id}' is not attached to a transaction subprocess."
            yield error("cancel-boundary-invalid", message, node.id, node.line)
        return
    if not (isinstance(scope, SubProcess) and scope.tag == "transaction"):
        message = f"The cancel end event '{node.id}' is not directly inside a transaction subprocess."
        yield error("cancel-outside-transaction", message, node.id, node.line)
        return
    enclosing = check.process.scope(check.process.scope_of.get(scope.id, check.process.id))
    cancels = [
        boundary_id
        for boundary_id in scope.boundary_event_ids
        if any(
            isinstance(item, CancelEventDefinition)
            for item in getattr(enclosing.nodes.get(boundary_id), "event_definitions", ())
        )
    ]
    if not cancels:
        message = (
            f"The transaction '{scope.id}' has the cancel end event '{node.id}' but no cancel boundary event "
            "to leave by."
        )
        yield error("cancel-boundary-missing", message, scope.id, scope.line)


def check_event_subprocesses(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """An event subprocess starts by the trigger of its one start event, never by a flow."""
    for node in scope.nodes.values():
        if not (isinstance(node, SubProcess) and node.triggered_by_event):
            continue
        starts = [inner for inner in node.nodes.values() if isinstance(inner, StartEvent)]
        if len(starts) != 1 or not starts[0].event_definitions:
            message = (
                f"The event subprocess '{node.id}' needs exactly one start event, with a trigger (a timer, "
                f"message, signal, error or escalation); it has {len(starts)}"
                + (" without one." if len(starts) == 1 else ".")
            )
            yield error("event-subprocess-start-invalid", message, node.id, node.line)
        if node.incoming or node.outgoing:
            message = f"The event subprocess '{node.id}' has sequence flows; its start event starts it, not a flow."
            yield error("event-subprocess-connected", message, node.id, node.line)
        if node.loop is not None or node.boundary_event_ids:
            message = f"The event subprocess '{node.id}' cannot loop or have boundary events."
            yield error("event-subprocess-invalid", message, node.id, node.line)


def check_none_start_events(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    none_starts = [
        node_id
        for node_id in scope.start_node_ids
        if isinstance(node := scope.nodes[node_id], StartEvent) and not node.event_definitions
    ]
    if len(none_starts) > 1:
        message = (
            f"The {describe_scope(scope)} has {len(none_starts)} none start events "
            f"({', '.join(none_starts)}); the engine cannot tell which one to start."
        )
        yield error("start-event-ambiguous", message, scope.id, scope.line)


def check_timers(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """A timer written as ISO 8601 text must parse (one computed by an expression is checked when it runs)."""
    for node in scope.nodes.values():
        for definition in getattr(node, "event_definitions", ()):
            if not isinstance(definition, TimerEventDefinition):
                continue
            if definition.timer_type is None:
                message = f"The {describe_node(node)} '{node.id}' has no timeDate, timeDuration or timeCycle."
                yield error("timer-invalid", message, node.id, definition.line or node.line)
            elif isinstance(definition.value, str):
                try:
                    timer_text.schedule(definition.timer_type, definition.value, datetime.now(UTC))
                except (isodate.ISO8601Error, ValueError, KeyError) as problem:
                    kind = "cycle (ISO 8601 repetitions or cron)" if definition.timer_type == "cycle" else "ISO 8601"
                    message = (
                        f"The {describe_node(node)} '{node.id}' has the {definition.timer_type} "
                        f"'{excerpt(definition.value)}', which is not a valid {kind}: {problem}"
                    )
                    yield error("timer-invalid", message, node.id, definition.line or node.line)


def check_links(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """A link throw event jumps to the one link catch event of its name in the same scope."""
    catches: dict[str | None, list[str]] = {}
    for node in scope.nodes.values():
        if isinstance(node, IntermediateCatchEvent):
            for definition in node.event_definitions:
                if isinstance(definition, LinkEventDefinition):
                    catches.setdefault(definition.name, []).append(node.id)
    for node in scope.nodes.values():
        if not isinstance(node, IntermediateThrowEvent):
            continue
        for definition in node.event_definitions:
            if isinstance(definition, LinkEventDefinition) and len(catches.get(definition.name, [])) != 1:
                found = len(catches.get(definition.name, []))
                message = (
                    f"The link throw event '{node.id}' goes to the link '{definition.name}', which has {found} "
                    f"catch events in the {describe_scope(scope)}; it needs exactly one."
                )
                yield error("link-target-missing", message, node.id, node.line)


def check_event_gateways(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """An event-based gateway waits for events: each of its flows must lead to a timer or message
    catch event or a receive task."""
    for node in scope.nodes.values():
        if not isinstance(node, EventBasedGateway):
            continue
        for flow_id in node.outgoing:
            flow = scope.flows.get(flow_id)
            target = scope.nodes.get(flow.target) if flow is not None else None
            if target is None or _waits_for_an_event(target):
                continue
            message = (
                f"The event-based gateway '{node.id}' leads to the {describe_node(target)} '{target.id}'; it can "
                "only lead to timer, message or signal catch events and receive tasks."
            )
            yield error("event-gateway-target-invalid", message, node.id, node.line)


def _waits_for_an_event(node: object) -> bool:
    if isinstance(node, ReceiveTask):
        return True
    if isinstance(node, IntermediateCatchEvent) and len(node.event_definitions) == 1:
        return isinstance(
            node.event_definitions[0], (TimerEventDefinition, MessageEventDefinition, SignalEventDefinition)
        )
    return False


def check_retry_cycles(scope: Scope, check: ProcessCheck) -> Iterator[Problem]:
    """``camunda:failedJobRetryTimeCycle`` must read as R<attempts>/<duration> or a list of durations."""
    for node in scope.nodes.values():
        text = node.extensions.retry_time_cycle
        if not text:
            continue
        try:
            timer_text.retry_plan(text)
        except (isodate.ISO8601Error, ValueError) as problem:
            message = (
                f"The retry cycle '{excerpt(text)}' of the {describe_node(node)} '{node.id}' is neither "
                f"R<attempts>/<duration> nor a list of durations: {problem}"
            )
            yield error("retry-cycle-invalid", message, node.id, node.line)
