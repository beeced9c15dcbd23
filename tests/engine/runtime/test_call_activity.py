"""Call activities through the database: the child instance, variables both ways, and the
child's life tied to its caller's (cancel, suspend, modify)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_tenants.utils import schema_context

from apps.engine.models import ActivityInstance, Incident, InstanceState, OperatorAction, ProcessInstance, Token
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, latest_definition, start_instance
from apps.engine.services.operations import (
    TransitionRefused,
    cancel_instance,
    modify_instance,
    resume_instance,
    suspend_instance,
)
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import MODELS


@pytest.fixture
def orders(alpha: TenantInfo) -> Iterator[None]:
    with schema_context(alpha.schema):
        deploy((MODELS / "call_activity.bpmn").read_bytes(), name="call_activity.bpmn")
        yield


def _start_order() -> ProcessInstance:
    variables = {"total": 12, "customer": {"name": "pia"}, "orderNo": 7}
    return start_instance(latest_definition("order"), variables, started_by="ann")


def _history(instance: ProcessInstance) -> list[tuple[str, str]]:
    return list(ActivityInstance.objects.filter(instance=instance).order_by("id").values_list("element_id", "state"))


def _child(parent: ProcessInstance) -> ProcessInstance:
    (child,) = ProcessInstance.objects.filter(parent=parent, state__in=["active", "suspended"])
    return child


def test_the_caller_waits_for_its_child_and_gets_back_only_the_mapped_variables(orders: None) -> None:
    order = _start_order()
    payment = _child(order)

    assert _history(order) == [("start", "completed"), ("pay", "active")]
    assert (payment.definition.key, payment.root_id, payment.business_key) == ("payment", order.id, "order-7")
    assert payment.variables == {"amount": 12, "payer": "pia"}  # camunda:in passes only what it names
    (confirm,) = Token.objects.filter(instance=payment)
    assert confirm.data["details"]["assignee"] == "pia"

    complete_wait(payment.id, str(confirm.id), {"confirmedBy": "pia"}, actor="pia")

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == InstanceState.COMPLETED
    assert order.state == InstanceState.COMPLETED
    assert _history(order) == [
        ("start", "completed"),
        ("pay", "completed"),
        ("print", "completed"),
        ("end", "completed"),
    ]
    assert order.variables == {
        "total": 12,
        "customer": {"name": "pia"},
        "orderNo": 7,
        "paymentDone": True,
        "cents": 1200,
        "receiptText": "Paid 12",  # the receipt ran straight through inside the same transaction
    }
    receipt = ProcessInstance.objects.get(parent=order, definition__key="receipt")
    assert receipt.state == InstanceState.COMPLETED
    assert receipt.variables["total"] == 12  # Zeebe passes every variable in unless told otherwise


def test_a_called_instance_is_cancelled_with_its_caller_and_not_on_its_own(orders: None) -> None:
    order = _start_order()
    payment = _child(order)

    with pytest.raises(TransitionRefused, match="cancel that one"):
        cancel_instance(payment.id, actor="operator")
    assert ProcessInstance.objects.get(id=payment.id).state == InstanceState.ACTIVE

    cancel_instance(order.id, actor="operator", reason="customer withdrew")

    payment.refresh_from_db()
    assert payment.state == InstanceState.CANCELLED
    assert not Token.objects.filter(instance=payment).exists()
    assert _history(payment)[-1] == ("confirm", "cancelled")
    audit = OperatorAction.objects.get(instance=payment)
    assert (audit.kind, audit.actor, audit.reason) == (
        "cancel",
        "operator",
        "The instance that called it was cancelled.",
    )


def test_suspending_the_caller_suspends_its_child_and_resuming_resumes_it(orders: None) -> None:
    order = _start_order()
    payment = _child(order)

    suspend_instance(order.id, actor="operator")
    assert ProcessInstance.objects.get(id=payment.id).state == InstanceState.SUSPENDED
    resume_instance(order.id, actor="operator")
    assert ProcessInstance.objects.get(id=payment.id).state == InstanceState.ACTIVE


def test_modifying_the_caller_away_from_the_call_activity_cancels_the_child(orders: None) -> None:
    order = _start_order()
    payment = _child(order)

    modify_instance(order.id, cancel=["pay"], start_before=["print"], variables={}, actor="operator")

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.state == InstanceState.CANCELLED
    assert order.state == InstanceState.COMPLETED
    assert order.variables["receiptText"] == "Paid 12"


def test_a_called_key_that_is_not_deployed_stops_the_call_activity_with_an_incident(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        deploy((MODELS / "calls_itself.bpmn").read_bytes())
        caller = start_instance(latest_definition("calls_itself"), {"next": "nowhere"})

        (incident,) = Incident.objects.filter(instance=caller)
        assert (incident.kind, incident.element_id) == ("called-process-unknown", "again")
        assert "'nowhere'" in incident.message
        assert Token.objects.get(instance=caller).data["wait"] == "incident"
        assert ProcessInstance.objects.get(id=caller.id).state == InstanceState.FAILED  # its only token is stopped


def test_a_process_that_calls_itself_for_ever_stops_at_the_depth_limit(alpha: TenantInfo) -> None:
    from apps.engine.services.calls import MAX_CALL_DEPTH

    with schema_context(alpha.schema):
        deploy((MODELS / "calls_itself.bpmn").read_bytes())
        root = start_instance(latest_definition("calls_itself"), {"next": "calls_itself"})

        assert ProcessInstance.objects.filter(root=root).count() == MAX_CALL_DEPTH
        (incident,) = Incident.objects.all()
        assert incident.kind == "call-depth"
        deepest = ProcessInstance.objects.get(id=incident.instance_id)
        assert deepest.root_id == root.id and deepest.state == InstanceState.FAILED


def test_an_error_a_called_instance_does_not_catch_reaches_the_boundary_event_of_its_call_activity(
    alpha: TenantInfo,
) -> None:
    with schema_context(alpha.schema):
        definitions = {item.key: item for item in deploy((MODELS / "call_error.bpmn").read_bytes()).definitions}
        caller = start_instance(definitions["error_caller"], {})
        (child,) = ProcessInstance.objects.filter(parent=caller)
        task = Token.objects.get(instance=child, element_id="try_it")

        complete_wait(child.id, str(task.id), {})  # the child ends at its error end event

        caller = ProcessInstance.objects.get(id=caller.id)
        child = ProcessInstance.objects.get(id=child.id)
        assert (caller.state, caller.variables) == ("completed", {"recovered": True})
        assert child.state == "cancelled"  # interrupted with the call activity that caught its error
        assert not Incident.objects.filter(instance__in=[caller, child], resolved_at=None).exists()


def test_an_escalation_a_called_instance_does_not_catch_reaches_the_boundary_events_of_its_call_activity(
    alpha: TenantInfo,
) -> None:
    with schema_context(alpha.schema):
        definitions = {item.key: item for item in deploy((MODELS / "call_escalation.bpmn").read_bytes()).definitions}
        caller = start_instance(definitions["escalation_caller"], {})
        (child,) = ProcessInstance.objects.filter(parent=caller)

        # The child escalated LATE as it started: the non-interrupting boundary event runs beside the call.
        waiting = sorted(Token.objects.filter(instance=caller).values_list("element_id", flat=True))
        assert waiting == ["call_child", "tell_manager"]
        assert ProcessInstance.objects.get(id=child.id).state == "active"

        task = Token.objects.get(instance=child, element_id="work")
        complete_wait(child.id, str(task.id), {"stop": True})  # the child ends at its STOP escalation end event

        caller = ProcessInstance.objects.get(id=caller.id)
        child = ProcessInstance.objects.get(id=child.id)
        assert caller.state == "active"  # the manager is still to be told
        assert child.state == "completed"  # it reached its end; the call activity that caught it is gone
        assert sorted(Token.objects.filter(instance=caller).values_list("element_id", flat=True)) == ["tell_manager"]
        assert ("call_child", "cancelled") in _history(caller)
        assert ("child_stopped", "completed") in _history(caller)
