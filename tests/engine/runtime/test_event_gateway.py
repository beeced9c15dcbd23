"""The event-based gateway: the first of its events wins, the others are withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apps.engine import clock
from apps.engine.models import ActivityInstance, Job, MessageSubscription, ProcessInstance, SignalSubscription
from apps.engine.runtime import Outcome
from apps.engine.services import jobs, messages, signals
from apps.engine.services.deployments import DeploymentRefused, deploy
from apps.engine.services.instances import start_instance
from tests.engine.runtime.harness import MODELS, InstanceOf


def test_the_first_event_wins_and_the_others_are_withdrawn(instance_of: InstanceOf) -> None:
    instance = instance_of("event_gateway")
    started = instance.start(orderId="o-1")

    assert instance.waiting_at == ["first_of"]
    assert sorted((wait.kind, wait.element_id) for wait in started.waits) == [
        ("gateway-message", "payment"),
        ("gateway-message", "shipped"),
        ("gateway-timer", "timeout"),
    ]
    assert [wait.details["correlation_key"] for wait in started.waits if wait.element_id == "payment"] == ["o-1"]

    paid = instance.fire_gateway("payment", amount=20)

    assert paid.visited == ["end_paid"]
    assert paid.outcome is Outcome.COMPLETED
    assert sorted((wait.kind, wait.element_id) for wait in paid.cancelled_waits) == [
        ("gateway-message", "shipped"),
        ("gateway-timer", "timeout"),
    ]
    states = {record.element_id: record.state for record in paid.activities.values()}
    assert states == {"first_of": "completed", "payment": "completed", "end_paid": "completed"}
    assert instance.snapshot.variables == {"orderId": "o-1", "amount": 20}


def test_a_receive_task_after_the_gateway_completes_when_its_message_comes_first(instance_of: InstanceOf) -> None:
    instance = instance_of("event_gateway")
    instance.start(orderId="o-2")

    shipped = instance.fire_gateway("shipped")

    assert shipped.visited == ["end_shipped"]
    assert shipped.outcome is Outcome.COMPLETED


def test_when_the_timer_wins_the_messages_find_nothing_to_wait_for(in_alpha: None) -> None:
    (definition,) = deploy((MODELS / "event_gateway.bpmn").read_bytes()).definitions
    instance = start_instance(definition, {"orderId": "o-3"})
    assert MessageSubscription.objects.filter(instance=instance).count() == 2

    clock.advance(timedelta(hours=1))
    assert jobs.run_due_jobs("worker-1", 10) == 1

    assert ProcessInstance.objects.get(id=instance.id).state == "completed"
    assert not MessageSubscription.objects.filter(instance=instance).exists()
    assert not Job.objects.filter(instance=instance).exists()
    with pytest.raises(messages.MessageNotCorrelated):
        messages.correlate("payment-received", correlation_key="o-3")


def test_a_gateway_that_leads_to_anything_but_an_event_is_refused(in_alpha: None) -> None:
    model = (MODELS / "event_gateway.bpmn").read_bytes()
    broken = model.replace(
        b'<bpmn:receiveTask id="shipped" messageRef="Message_Shipment"/>', b'<bpmn:task id="shipped"/>'
    )
    with pytest.raises(DeploymentRefused) as refused:
        deploy(broken)
    assert [(problem.code, problem.element_id) for problem in refused.value.problems] == [
        ("event-gateway-target-invalid", "first_of")
    ]


def test_a_signal_after_the_gateway_wins_when_it_is_broadcast_first(in_alpha: None) -> None:
    model = (MODELS / "event_gateway.bpmn").read_bytes()
    with_signal = model.replace(
        b'<bpmn:receiveTask id="shipped" messageRef="Message_Shipment"/>',
        b'<bpmn:intermediateCatchEvent id="shipped"><bpmn:signalEventDefinition signalRef="Signal_Stop"/>'
        b"</bpmn:intermediateCatchEvent>",
    ).replace(
        b'<bpmn:process id="event_gateway"',
        b'<bpmn:signal id="Signal_Stop" name="stop-all"/>\n  <bpmn:process id="event_gateway"',
    )
    (definition,) = deploy(with_signal).definitions
    instance = start_instance(definition, {"orderId": "o-4"})
    assert list(SignalSubscription.objects.filter(instance=instance).values_list("kind", "element_id")) == [
        ("gateway", "shipped")
    ]

    assert signals.broadcast("stop-all").deliveries == 1
    while jobs.run_due_jobs("worker-1", 10):
        pass

    assert ProcessInstance.objects.get(id=instance.id).state == "completed"
    ended = ActivityInstance.objects.filter(instance=instance, element_id="end_shipped")
    assert ended.exists()
    assert not SignalSubscription.objects.filter(instance=instance).exists()
    assert not MessageSubscription.objects.filter(instance=instance).exists()
    assert not Job.objects.filter(instance=instance).exists()  # the timer went with the others
