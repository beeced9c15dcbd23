"""The interpreter: moves tokens through a compiled process until every token waits or ends.

Pure: no database, no clock, no randomness of its own. The caller passes the instance's
snapshot, the trigger, the time and an id factory, and gets back a ``Step`` (the diff) that the
store writes in one transaction. Behaviour per element family lives in ``events``,
``activities``, ``gateways`` and ``subprocesses``; this module holds the run loop and the
operations they share.
"""

from __future__ import annotations

from collections import ChainMap, deque
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from datetime import datetime
from typing import Any, cast

from apps.engine.bpmn import spec
from apps.engine.expressions import EvaluationError
from apps.engine.runtime import (
    boundaries,
    compensation,
    conditions,
    errors_thrown,
    event_gateway,
    event_subprocesses,
    loops,
)
from apps.engine.runtime.compiled import CompiledProcess
from apps.engine.runtime.errors import TokenStopped, TriggerRejected
from apps.engine.runtime.flows import outgoing_after_activity
from apps.engine.runtime.gateways import fire_ready_inclusive_joins
from apps.engine.runtime.registry import behaviour_for
from apps.engine.runtime.state import PASSIVE, Snapshot, Token, TokenState, halted
from apps.engine.runtime.step import ActivityRecord, IncidentRecord, Outcome, Step, VariableChangeRecord, Wait
from apps.engine.runtime.subprocesses import complete_scope_if_empty

ServiceHandler = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]

# The waits of async continuations: the token waits for a job before entering, or before leaving.
ASYNC_BEFORE = "async-before"
ASYNC_AFTER = "async-after"
# A token's own waits that only a job ends (a timer, an async continuation): never a task's completion.
ENDED_BY_JOBS = frozenset({"timer", ASYNC_BEFORE, ASYNC_AFTER})

# Elements entered by one trigger before the run stops with an incident: a loop whose condition
# never turns false must not hold the instance's lock for ever.
MAX_ELEMENTS_PER_TRIGGER = 100_000


class Run:
    """One application of one trigger. Behaviours call its methods; nothing else mutates it."""

    def __init__(
        self,
        process: CompiledProcess,
        snapshot: Snapshot,
        *,
        now: datetime,
        new_id: Callable[[], str],
        handlers: Mapping[str, ServiceHandler] | None = None,
    ) -> None:
        self.process = process
        self.now = now
        self.new_id = new_id
        self.handlers = handlers or {}
        self.original = {token_id: token.copy() for token_id, token in snapshot.tokens.items()}
        self.tokens: dict[str, Token] = {token_id: token.copy() for token_id, token in snapshot.tokens.items()}
        self.variables: dict[str, Any] = dict(snapshot.variables)
        self.step = Step()
        self.queue: deque[tuple[Token, str]] = deque()
        # The waits this step made, by (kind, token, element), at their index in ``step.waits``;
        # and the indexes of those withdrawn again before the step ended.
        self._fresh_waits: dict[tuple[str, str, str], int] = {}
        self._dropped_waits: set[int] = set()
        # Conditional events (``conditions``): the variable changes checked so far, the watches
        # made since, those that fired, and the variables this step created (not updated).
        self.conditions_seen = 0
        self.conditions_fresh: set[tuple[str, str]] = set()
        self.conditions_fired: set[tuple[str, str]] = set()
        self.created_variables: set[str] = set()

    # --- the loop ---------------------------------------------------------------------------

    def arrive(self, token: Token, node_id: str, via: str | None = None) -> None:
        """Queue ``token`` to enter ``node_id`` (by flow ``via``)."""
        token.element_id = node_id
        token.data.pop("via", None)
        if via is not None:
            token.data["via"] = via
        self.tokens[token.id] = token
        self.queue.append((token, node_id))

    def settle(self) -> Step:
        """Enter queued tokens until none is left and no waiting join can fire; return the diff."""

        while True:
            while self.queue:
                token, node_id = self.queue.popleft()
                if self.tokens.get(token.id) is not token:
                    continue  # removed meanwhile (a terminate end event)
                node = self.process.nodes[node_id]
                if self._waits_before(token, node):
                    continue
                self.step.visited.append(node_id)
                if len(self.step.visited) > MAX_ELEMENTS_PER_TRIGGER:
                    message = f"More than {MAX_ELEMENTS_PER_TRIGGER} elements entered in one step: an endless loop?"
                    self.stop_with_incident(token, node, "step-limit", message)
                    continue
                try:
                    boundaries.subscribe(self, token, node)
                    behaviour_for(node)(self, token, node)
                except TokenStopped as stop:
                    self.stop_with_incident(token, node, stop.kind, stop.message)
            if not fire_ready_inclusive_joins(self) and not conditions.fire_ready(self):
                break
        self._finish()
        return self.step

    def _waits_before(self, token: Token, node: spec.FlowNode) -> bool:
        """``asyncBefore``: the token waits for a job before it enters, so the element runs in a
        transaction of its own. On a multi-instance activity each instance waits, not the body
        (as in Camunda 7)."""
        if not node.extensions.async_before or token.data.pop("async_before_passed", False):
            return False
        if (
            isinstance(node, spec.Activity)
            and isinstance(node.loop, spec.MultiInstance)
            and "instance" not in token.data
        ):
            return False
        self.wait(token, node, ASYNC_BEFORE, {"due_at": self.now.isoformat()})
        return True

    def _finish(self) -> None:
        if self._dropped_waits:
            kept = enumerate(self.step.waits)
            self.step.waits = [wait for index, wait in kept if index not in self._dropped_waits]
        if self.step.outcome is None and not self.tokens:
            self.step.outcome = Outcome.COMPLETED
        self.step.halted = self.step.outcome is None and halted(self.tokens.values())
        for token_id, token in self.tokens.items():
            before = self.original.get(token_id)
            if before is None:
                self.step.tokens_added[token_id] = token
            elif before != token:
                self.step.tokens_changed[token_id] = token
        self.step.tokens_removed = set(self.original) - set(self.tokens)

    # --- operations for behaviours ------------------------------------------------------------

    def begin_activity(self, token: Token, node: spec.FlowNode, *, element_type: str | None = None) -> None:
        """Record the start of ``node``'s activity instance and evaluate its input mappings into
        local variables of the token. ``element_type`` names a record that is not the element
        itself (a multi-instance body), which takes no inputs."""
        record = ActivityRecord(
            id=self.new_id(),
            element_id=node.id,
            element_type=element_type or node.tag,
            element_name=node.name or "",
            token_id=token.id,
            started_at=self.now,
        )
        self.step.activities[record.id] = record
        token.data["activity"] = record.id
        if element_type is None:
            for mapping in node.extensions.inputs:
                # Each input sees the ones before it, as in Zeebe.
                self.set_variables({mapping.target: self.value(mapping.source, token)}, token, local=True)

    def activity_done(self, token: Token, node: spec.FlowNode) -> None:
        """The activity at ``token`` did its work: map its outputs, then return to its
        multi-instance body, loop again, or leave by its outgoing flows."""

        if "instance" in token.data:
            loops.instance_done(self, token, node)
            return
        self.apply_outputs(token, node)
        token.data.pop("locals", None)
        if isinstance(node, spec.Activity) and isinstance(node.loop, spec.StandardLoop):
            loops.iteration_done(self, token, node)
            return
        self.leave(token, outgoing_after_activity(self, node, token))

    def apply_outputs(self, token: Token, node: spec.FlowNode) -> None:
        """Evaluate the output mappings in the activity's scope and set them in the enclosing one."""
        outputs = node.extensions.outputs
        if outputs:
            values = {mapping.target: self.value(mapping.source, token) for mapping in outputs}
            self.set_variables(values, token, skip_own=True)

    def end_activity(self, token: Token, state: str = "completed") -> None:
        activity_id = token.data.pop("activity", None)
        if activity_id is None:
            return
        record = self.step.activities.get(activity_id)
        if record is None:  # started by an earlier trigger: the store fills in the rest
            record = ActivityRecord(activity_id, token.element_id, "", "", token.id, self.now, started_here=False)
            self.step.activities[activity_id] = record
        record.ended_at = self.now
        record.state = state
        if state == "completed" and self.process.has_compensation:
            compensation.remember(self, token, self.process.nodes[token.element_id])

    def leave(self, token: Token, flow_ids: list[str]) -> None:
        """End the token's activity and send it (and copies of it) along ``flow_ids``; with
        ``asyncAfter``, only once a job has continued it (along the flows chosen now)."""
        self.end_activity(token)
        boundaries.unsubscribe(self, token)
        token.data.pop("locals", None)
        node = self.process.nodes.get(token.element_id)
        if node is not None and node.extensions.async_after and not token.data.pop("async_after_passed", False):
            token.data["async_flows"] = list(flow_ids)
            self.wait(token, node, ASYNC_AFTER, {"due_at": self.now.isoformat()})
            return
        token.state = TokenState.WAITING  # the state only matters once it waits again
        if not flow_ids:
            self.consume(token)
            return
        for index, flow_id in enumerate(flow_ids):
            moving = token if index == 0 else Token(self.new_id(), token.element_id, token.scope_id, token.state)
            self.arrive(moving, self.process.flows[flow_id].target, via=flow_id)

    def wait(self, token: Token, node: spec.FlowNode, kind: str, details: dict[str, Any] | None = None) -> None:
        token.state = TokenState.WAITING
        token.data["wait"] = kind
        if details:
            token.data["details"] = details  # kept with the token until the wait ends
        self.add_wait(Wait(kind, token.id, node.id, details or {}))

    def add_wait(self, wait: Wait) -> None:
        """Ask the store for what a token now waits for (a task, a job, a subscription)."""
        self._fresh_waits[(wait.kind, wait.token_id, wait.element_id)] = len(self.step.waits)
        self.step.waits.append(wait)

    def withdraw(self, kind: str, token_id: str, element_id: str) -> None:
        """The token no longer waits for it. A wait this step made is dropped, so that no row is
        written only to be deleted (a boundary timer of a task that ran straight through); an
        older one is cancelled."""
        index = self._fresh_waits.pop((kind, token_id, element_id), None)
        if index is None:
            self.step.cancelled_waits.append(Wait(kind, token_id, element_id))
        else:
            self._dropped_waits.add(index)

    def consume(self, token: Token) -> None:
        """The token ends here; a scope left without tokens completes."""
        self.tokens.pop(token.id, None)
        if "compensates" in token.data:
            compensation.handler_done(self, token)
        complete_scope_if_empty(self, token.scope_id)

    def remove_scope_contents(self, scope_id: str | None) -> None:
        """Remove every token inside ``scope_id`` (at any depth), cancelling their activities and waits."""
        doomed = [token for token in self.tokens.values() if self.is_inside(token, scope_id)]
        for token in doomed:
            self.cancel_token(token)

    def cancel_token(self, token: Token) -> None:
        """Remove ``token``: its open activity ends as cancelled and what it waited for is withdrawn."""
        self.end_activity(token, state="cancelled")
        boundaries.unsubscribe(self, token)
        if token.data.get("wait"):
            self.withdraw(token.data["wait"], token.id, token.element_id)
        loops.instance_cancelled(self, token)
        self.tokens.pop(token.id, None)

    def is_inside(self, token: Token, scope_id: str | None) -> bool:
        if scope_id is None:
            return True
        parent = token.scope_id
        while parent is not None:
            if parent == scope_id:
                return True
            holder = self.tokens.get(parent)
            parent = holder.scope_id if holder is not None else None
        return False

    def visible(self, token: Token | None) -> Mapping[str, Any]:
        """The variables an expression at ``token`` sees: its own local variables, those of
        the scopes around it (inner first), then the instance's."""
        layers: list[MutableMapping[str, Any]] = []
        holder = token
        while holder is not None:
            own = holder.data.get("locals")
            if own:
                layers.append(own)
            holder = self.tokens.get(holder.scope_id) if holder.scope_id is not None else None
        return ChainMap(*layers, self.variables) if layers else self.variables

    def set_variables(
        self,
        values: Mapping[str, Any],
        token: Token | None = None,
        *,
        from_trigger: bool = False,
        local: bool = False,
        skip_own: bool = False,
    ) -> None:
        """Set variables as Camunda does: ``local`` ones on ``token`` itself; otherwise each
        where the innermost scope around ``token`` already holds it, else on the instance.
        ``skip_own`` starts the search above ``token`` (an activity's outputs). ``token`` also
        names the activity that set them, for the history."""
        activity_id = token.data.get("activity") if token is not None else None
        for name, value in values.items():
            holder = token if local else self._holder_of(name, token, skip_own)
            if name not in (holder.data.get("locals", ()) if holder is not None else self.variables):
                self.created_variables.add(name)
            if holder is None:
                self.variables[name] = value
                self.step.variables[name] = value
            else:
                holder.data.setdefault("locals", {})[name] = value
            scope = holder.id if holder is not None else None
            self.step.variable_changes.append(VariableChangeRecord(name, value, activity_id, from_trigger, scope))

    def _holder_of(self, name: str, token: Token | None, skip_own: bool) -> Token | None:
        holder = token
        if holder is not None and skip_own:
            holder = self.tokens.get(holder.scope_id) if holder.scope_id is not None else None
        while holder is not None:
            if name in holder.data.get("locals", ()):
                return holder
            holder = self.tokens.get(holder.scope_id) if holder.scope_id is not None else None
        return None

    def evaluate(self, expression: spec.Expression, token: Token | None = None) -> Any:
        """Evaluate ``expression`` with the variables visible at ``token``."""
        try:
            return self.process.expressions[expression].evaluate(self.visible(token), now=self.now)
        except EvaluationError as error:
            raise TokenStopped("expression-failed", f"{expression.text!r} failed: {error}") from error

    def value(self, value: spec.Value | None, token: Token | None = None) -> Any:
        """A literal from the model, or the value of its expression."""
        return self.evaluate(value, token) if isinstance(value, spec.Expression) else value

    def stop_with_incident(self, token: Token, node: spec.FlowNode, kind: str, message: str) -> None:
        token.element_id = node.id
        token.state = TokenState.WAITING
        token.data["wait"] = "incident"
        self.step.incidents.append(IncidentRecord(token.id, node.id, kind, message))


# --- triggers -------------------------------------------------------------------------------


def start(
    process: CompiledProcess,
    variables: Mapping[str, Any],
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
    start_event_id: str | None = None,
) -> Step:
    """Start an instance with ``variables`` at the process's none start event, or at the start
    event ``start_event_id`` (a timer's)."""
    run = Run(process, Snapshot(), now=now, new_id=new_id, handlers=handlers)
    run.set_variables(variables, from_trigger=True)
    start_ids = process.start_node_ids(None) if start_event_id is None else (start_event_id,)
    if len(start_ids) != 1:
        raise TriggerRejected("no-start-event", f"The process {process.spec.id!r} has no single none start event.")
    start_node = process.nodes[start_ids[0]]
    run.arrive(Token(new_id(), start_node.id, None, TokenState.WAITING), start_node.id)
    try:
        event_subprocesses.listen(run, None, None)
    except TokenStopped as stop:  # a timer or correlation key that cannot be computed
        raise TriggerRejected(stop.kind, stop.message) from stop
    return run.settle()


def complete(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    variables: Mapping[str, Any],
    *,
    now: datetime,
    new_id: Callable[[], str],
    expected_wait: str | None = None,
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """The thing a token waits for happened (a task completed, a message arrived): move it on.

    A token that waits for a job (a timer, an async continuation) moves on only by ``continue_job``.
    """
    waiting = snapshot.tokens.get(token_id)
    if waiting is not None and waiting.data.get("wait") in ENDED_BY_JOBS:
        raise TriggerRejected("token-not-waiting", f"The token {token_id} waits for a {waiting.data['wait']} job.")
    run, token, node = resume(process, snapshot, token_id, expected_wait, now=now, new_id=new_id, handlers=handlers)
    try:
        run.set_variables(variables, token, from_trigger=True, local=bool(node.extensions.outputs))
        run.activity_done(token, node)
    except TokenStopped as stop:
        run.stop_with_incident(token, node, stop.kind, stop.message)
    return run.settle()


def set_variables(
    process: CompiledProcess,
    snapshot: Snapshot,
    variables: Mapping[str, Any],
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """Variables set from outside the model (an operator, the API), each where a scope holds it,
    else on the instance; the conditional events watching them may fire."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    run.set_variables(variables, from_trigger=True)
    return run.settle()


def continue_job(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    kind: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """A job of ``kind`` for the token is due: a timer fires, or an async continuation goes on
    past its boundary (into the element for ``asyncBefore``, along its flows for ``asyncAfter``)."""
    run, token, node = resume(process, snapshot, token_id, kind, now=now, new_id=new_id, handlers=handlers)
    if kind == ASYNC_BEFORE:
        token.data["async_before_passed"] = True
        run.arrive(token, node.id, via=token.data.get("via"))
    elif kind == ASYNC_AFTER:
        token.data["async_after_passed"] = True
        run.leave(token, token.data.pop("async_flows", []))
    else:
        try:
            run.activity_done(token, node)
        except TokenStopped as stop:
            run.stop_with_incident(token, node, stop.kind, stop.message)
    return run.settle()


def retry(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """An operator retries a token stopped by an incident: the attempt that failed ends as
    ``failed`` and the token enters its element again (inputs, expressions and all)."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    token = run.tokens.get(token_id)
    if token is None or token.data.get("wait") != "incident":
        raise TriggerRejected("token-not-stopped", f"No token {token_id} is stopped by an incident.")
    token.data.pop("wait")
    token.data.pop("details", None)
    run.end_activity(token, state="failed")
    token.data.pop("locals", None)
    token.state = TokenState.WAITING
    run.arrive(token, token.element_id, via=token.data.get("via"))
    return run.settle()


def throw_error(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    code: str,
    message: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """The activity the token waits at failed with a BPMN error (a worker reported it): the error
    boundary events of that activity, then of its enclosing subprocesses, may catch it."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    token = run.tokens.get(token_id)
    if token is None or token.state is not TokenState.WAITING or token.data.get("wait") in (None, "incident"):
        raise TriggerRejected("token-not-waiting", f"No token {token_id} waits in this instance.")
    node = process.nodes[token.element_id]
    try:
        errors_thrown.throw(run, token, code, message, from_activity=True)
    except TokenStopped as stop:
        token.data.pop("details", None)
        run.stop_with_incident(token, node, stop.kind, stop.message)
    return run.settle()


def deliver(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    element_id: str,
    subscription: str,
    variables: Mapping[str, Any],
    *,
    expected_wait: str,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """The message or signal a subscription of ``token_id`` waited for came, with ``variables``:
    complete the token's wait (``subscription`` "wait", of kind ``expected_wait``), fire the
    boundary event or event subprocess ``element_id`` ("boundary"), or the event after the
    token's event-based gateway ("gateway")."""
    common: dict[str, Any] = {"now": now, "new_id": new_id, "handlers": handlers}
    if subscription == "wait":
        return complete(process, snapshot, token_id, variables, expected_wait=expected_wait, **common)
    fire = fire_boundary if subscription == "boundary" else fire_gateway_event
    return fire(process, snapshot, token_id, element_id, variables=variables, **common)


def escalate_from_call(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    code: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """The instance the call activity at ``token_id`` called escalated ``code`` and caught nothing."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    token = run.tokens.get(token_id)
    if token is None or token.data.get("wait") != "call-activity":
        raise TriggerRejected("token-not-waiting", f"No call activity waits at token {token_id}.")
    errors_thrown.escalate_from_activity(run, token, code)
    return run.settle()


def fire_gateway_event(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    event_id: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Step:
    """The event ``event_id`` after the event-based gateway ``token_id`` waits at happened first."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    event_gateway.fire(run, token_id, event_id, variables)
    return run.settle()


def fire_boundary(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    boundary_id: str,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Step:
    """The boundary event ``boundary_id`` of the activity that ``token_id`` holds is triggered
    (by a message with ``variables``, a signal, or a timer); or the start event ``boundary_id``
    of an event subprocess that the listening token ``token_id`` subscribed."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    listener = run.tokens.get(token_id)
    if listener is not None and listener.state is TokenState.LISTENING:
        if boundary_id not in listener.data.get("boundaries", ()):
            raise TriggerRejected("token-not-waiting", f"No event subprocess listens at {boundary_id!r}.")
        event_subprocesses.fire(run, listener, cast("spec.StartEvent", process.nodes[boundary_id]), variables)
    else:
        boundaries.fire(run, token_id, boundary_id, variables)
    return run.settle()


def resume(
    process: CompiledProcess,
    snapshot: Snapshot,
    token_id: str,
    expected_wait: str | None,
    *,
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> tuple[Run, Token, spec.FlowNode]:
    """A run in which the waiting token ``token_id`` no longer waits; rejected when it does not wait
    (or waits for something other than ``expected_wait``)."""
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    token = run.tokens.get(token_id)
    if token is None or token.state is not TokenState.WAITING or not token.data.get("wait"):
        raise TriggerRejected("token-not-waiting", f"No token {token_id} waits in this instance.")
    wait = token.data["wait"]
    if wait == "incident" or (expected_wait is not None and wait != expected_wait):
        raise TriggerRejected("token-not-waiting", f"The token {token_id} waits for {wait}, not {expected_wait}.")
    token.data.pop("details", None)
    token.data.pop("wait")
    run.step.completed_waits.append(Wait(wait, token.id, token.element_id))
    return run, token, process.nodes[token.element_id]


def modify(
    process: CompiledProcess,
    snapshot: Snapshot,
    *,
    cancel: Sequence[str],
    start_before: Sequence[str],
    variables: Mapping[str, Any],
    now: datetime,
    new_id: Callable[[], str],
    handlers: Mapping[str, ServiceHandler] | None = None,
) -> Step:
    """An operator's modification, as in Camunda 7: cancel the tokens at ``cancel`` elements, then
    start a token before each ``start_before`` element and run as usual.

    An element inside an embedded subprocess starts in the subprocess's running instance, or in
    a new one (its inputs mapped, its start event not run) when none runs. A subprocess left with
    nothing inside is cancelled too, and a modification that leaves no token cancels the instance.
    """
    run = Run(process, snapshot, now=now, new_id=new_id, handlers=handlers)
    for element_id in cancel:
        doomed = [token for token in run.tokens.values() if token.element_id == element_id]
        if not doomed:
            raise TriggerRejected("no-token-at-element", f"No token is at {element_id!r}.")
        for token in doomed:
            if token.id not in run.tokens:
                continue  # inside a scope cancelled just before (a multi-instance body)
            if token.state in (TokenState.SCOPE, TokenState.MULTI):
                run.remove_scope_contents(token.id)
            run.cancel_token(token)
    for element_id in start_before:
        if element_id not in process.nodes:
            raise TriggerRejected("element-not-startable", f"{element_id!r} is not an element of the process.")
    run.set_variables(variables, from_trigger=True)
    for element_id in start_before:
        scope_id = _scope_to_start_in(run, process.spec.scope_of.get(element_id, process.spec.id))
        run.arrive(Token(new_id(), element_id, scope_id, TokenState.WAITING), element_id)
    _cancel_empty_scopes(run)
    if not start_before and all(token.state in PASSIVE for token in run.tokens.values()):
        for passive in list(run.tokens.values()):
            run.cancel_token(passive)
        run.step.outcome = Outcome.CANCELLED
    return run.settle()


def _scope_to_start_in(run: Run, scope_element_id: str) -> str | None:
    """The id of the scope token a token started inside ``scope_element_id`` belongs to."""
    if scope_element_id == run.process.spec.id:
        return None
    running = [
        token
        for token in run.tokens.values()
        if token.element_id == scope_element_id and token.state in (TokenState.SCOPE, TokenState.MULTI)
    ]
    node = run.process.nodes[scope_element_id]
    if len(running) > 1 or (isinstance(node, spec.Activity) and node.loop is not None):
        message = f"{scope_element_id!r} runs more than once or loops: there is no single instance to start in."
        raise TriggerRejected("element-not-startable", message)
    if running:
        return running[0].id
    outer = _scope_to_start_in(run, run.process.spec.scope_of.get(scope_element_id, run.process.spec.id))
    scope = Token(run.new_id(), scope_element_id, outer, TokenState.SCOPE)
    run.tokens[scope.id] = scope
    try:
        run.begin_activity(scope, node)
        event_subprocesses.listen(run, scope, scope_element_id)
    except TokenStopped as stop:
        raise TriggerRejected("element-not-startable", stop.message) from stop
    return scope.id


def _cancel_empty_scopes(run: Run) -> None:
    """Cancel the subprocesses (and multi-instance bodies) that nothing runs inside any more
    (their listening event subprocesses with them)."""
    while True:
        holding = {token.scope_id for token in run.tokens.values() if token.state not in PASSIVE}
        empty = [
            token
            for token in run.tokens.values()
            if token.state in (TokenState.SCOPE, TokenState.MULTI) and token.id not in holding
        ]
        if not empty:
            return
        for token in empty:
            run.remove_scope_contents(token.id)
            run.cancel_token(token)
