"""Every change of an instance writes its events in the transaction that makes it; the relay
publishes them in order to the tenant's channel-layer groups; old ones are purged."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import (
    DeliveryStatus,
    Incident,
    OutboxEvent,
    ProcessDefinition,
    ProcessInstance,
    Token,
    Webhook,
    WebhookDelivery,
)
from apps.engine.services import incidents, operations, outbox
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import complete_wait, start_instance
from tests.conftest import TenantInfo
from tests.engine.runtime.harness import MODELS


def definition(name: str) -> ProcessDefinition:
    (deployed,) = deploy((MODELS / f"{name}.bpmn").read_bytes()).definitions
    return deployed


def events_of(instance: ProcessInstance) -> list[tuple[str, str]]:
    return [(event.type, event.element_id) for event in OutboxEvent.objects.filter(instance_id=instance.id)]


def test_a_straight_through_start_writes_every_event_of_its_step_in_order(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("straight_scripts"), {"count": 0}, business_key="order-7")

        stored = list(OutboxEvent.objects.filter(instance_id=instance.id))

    visits = [
        (kind, element)
        for element in ("start", "s1", "s2", "s3", "s4", "s5", "end")
        for kind in ("activity.started", "activity.completed")
    ]
    assert [(event.type, event.element_id) for event in stored] == [
        ("instance.started", ""),
        *visits,
        ("variables.changed", ""),
        ("instance.completed", ""),
    ]
    assert {event.revision for event in stored} == {instance.revision}
    assert [event.id for event in stored] == sorted(event.id for event in stored)
    assert stored[0].payload["business_key"] == "order-7"
    assert stored[0].payload["process_key"] == "straight_scripts"
    # Names only: values stay in the instance, behind the API's permissions.
    assert stored[-2].payload == {"names": ["count", "step1", "step2", "step3", "step4", "step5"]}
    assert stored[-1].payload == {"state": "completed", "process_key": "straight_scripts"}
    assert all(event.relayed_at is None for event in stored)


def test_a_step_that_rolls_back_leaves_no_event(alpha: TenantInfo) -> None:
    class Abandoned(Exception):
        pass

    with schema_context(alpha.schema):
        process = definition("straight_scripts")
        before = OutboxEvent.objects.count()
        with pytest.raises(Abandoned), transaction.atomic():
            start_instance(process, {"count": 0})
            assert OutboxEvent.objects.count() == before + 17  # written with the step, in its transaction
            raise Abandoned

        assert OutboxEvent.objects.count() == before


def test_the_events_of_one_instance_follow_its_steps_and_revisions(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("user_task_decision"), {"requester": "ann"})
        token = Token.objects.get(instance=instance)
        complete_wait(instance.id, str(token.id), {"decision": "yes"})

        stored = list(OutboxEvent.objects.filter(instance_id=instance.id))
        instance.refresh_from_db()

    assert [(event.type, event.element_id) for event in stored] == [
        ("instance.started", ""),
        ("activity.started", "start"),
        ("activity.completed", "start"),
        ("activity.started", "approve"),
        ("user-task.created", "approve"),
        ("variables.changed", ""),
        ("activity.completed", "approve"),
        ("user-task.completed", "approve"),
        ("activity.started", "approved"),
        ("activity.completed", "approved"),
        ("activity.started", "accepted"),
        ("activity.completed", "accepted"),
        ("variables.changed", ""),
        ("instance.completed", ""),
    ]
    revisions = [event.revision for event in stored]
    assert revisions == sorted(revisions) and revisions[0] == 1 and revisions[-1] == instance.revision == 2
    created = stored[4].payload
    assert (created["token_id"], created["assignee"], created["candidate_groups"]) == (
        str(token.id),
        "bob",
        ["managers", "finance"],
    )


def test_operators_suspending_resuming_and_cancelling_write_events(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("user_task_decision"), {"requester": "ann"})
        first_new = OutboxEvent.objects.order_by("-id").values_list("id", flat=True)[0] + 1

        operations.suspend_instance(instance.id, actor="operator")
        operations.resume_instance(instance.id, actor="operator")
        operations.cancel_instance(instance.id, actor="operator", reason="duplicate")

        stored = list(OutboxEvent.objects.filter(instance_id=instance.id, id__gte=first_new))

    assert [(event.type, event.element_id) for event in stored] == [
        ("instance.suspended", ""),
        ("instance.resumed", ""),
        ("activity.cancelled", "approve"),
        ("user-task.cancelled", "approve"),
        ("instance.cancelled", ""),
    ]
    assert [event.revision for event in stored] == [1, 1, 2, 2, 2]


def test_an_incident_is_announced_when_raised_and_when_an_operator_resolves_it(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("failing_script"), {"total": 10, "count": 0})
        incident = Incident.objects.get(instance=instance)
        incidents.resolve_incident(incident.id, actor="operator", reason="handled by phone")

        stored = {event.type: event for event in OutboxEvent.objects.filter(instance_id=instance.id)}

    assert stored["incident.created"].element_id == "divide"
    assert stored["incident.created"].payload["kind"] == "script-failed"
    assert stored["incident.resolved"].payload == {
        "incident_id": str(incident.id),
        "token_id": str(incident.token_id),
        "kind": "script-failed",
        "resolved_by": "operator",
    }
    assert stored["incident.created"].id < stored["incident.resolved"].id


def test_an_incident_its_token_takes_away_is_resolved_by_the_engine(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("failing_script"), {"total": 10, "count": 0})
        incident = Incident.objects.get(instance=instance)
        operations.modify_instance(instance.id, cancel=["divide"], start_before=[], variables={}, actor="operator")

        resolved = OutboxEvent.objects.get(instance_id=instance.id, type="incident.resolved")

    assert resolved.element_id == "divide"
    assert resolved.payload == {
        "incident_id": str(incident.id),
        "token_id": str(incident.token_id),
        "kind": "script-failed",
        "resolved_by": "",
    }


def receive_all(layer: Any, channel: str) -> list[dict[str, Any]]:
    """Every event the channel got, in order (the relay has sent them all before this runs)."""
    received: list[dict[str, Any]] = []

    async def drain() -> None:
        import asyncio

        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), timeout=1)
            except TimeoutError:
                return
            received.extend(message["events"])

    async_to_sync(drain)()
    return received


def test_the_relay_publishes_in_order_to_the_tenant_group_and_the_instance_group_then_marks_them(
    alpha: TenantInfo,
) -> None:
    layer = get_channel_layer()
    tenant_channel = async_to_sync(layer.new_channel)()
    instance_channel = async_to_sync(layer.new_channel)()
    with schema_context(alpha.schema):
        first = start_instance(definition("straight_scripts"), {"count": 0})
        second = start_instance(definition("straight_scripts"), {"count": 5})
        async_to_sync(layer.group_add)(outbox.group_name(alpha.schema), tenant_channel)
        async_to_sync(layer.group_add)(outbox.group_name(alpha.schema, second.id), instance_channel)
        try:
            relayed = outbox.relay_all()
            for_tenant = receive_all(layer, tenant_channel)
            for_second = receive_all(layer, instance_channel)
        finally:
            async_to_sync(layer.group_discard)(outbox.group_name(alpha.schema), tenant_channel)
            async_to_sync(layer.group_discard)(outbox.group_name(alpha.schema, second.id), instance_channel)
        ours = OutboxEvent.objects.filter(instance_id__in=[first.id, second.id])
        assert not ours.filter(relayed_at=None).exists()
        expected = [event.id for event in ours.order_by("id")]

    assert relayed.events >= 34
    mine = [event for event in for_tenant if event["instance_id"] in (str(first.id), str(second.id))]
    assert [event["id"] for event in mine] == expected
    assert {event["tenant"] for event in for_tenant} == {"alpha"}
    assert [event["id"] for event in for_second] == [event["id"] for event in mine[17:]]
    assert for_second[0] | {"occurred_at": None, "payload": None} == {
        "id": for_second[0]["id"],
        "tenant": "alpha",
        "type": "instance.started",
        "instance_id": str(second.id),
        "revision": 1,
        "element_id": "",
        "occurred_at": None,
        "payload": None,
    }
    with schema_context(alpha.schema):
        assert outbox.relay_all().events == 0  # nothing is relayed twice


def test_group_names_are_valid_for_channels_however_long_the_schema() -> None:
    instance = uuid.UUID("0190a7a0-0000-7000-8000-000000000001")
    assert outbox.group_name("alpha") == "engine.alpha"
    assert outbox.group_name("alpha", instance) == "engine.alpha.0190a7a0000070008000000000000001"
    long_schema = "t" * 63
    tenant_group, instance_group = outbox.group_name(long_schema), outbox.group_name(long_schema, instance)
    assert tenant_group == f"engine.{long_schema}"
    assert instance_group.startswith("engine.h") and instance_group.endswith(instance.hex)
    assert len(instance_group) < 100
    assert outbox.group_name("u" * 63, instance) != instance_group


def test_the_retention_removes_old_relayed_events_but_keeps_those_a_delivery_still_needs(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = start_instance(definition("straight_scripts"), {"count": 0})
        ours = OutboxEvent.objects.filter(instance_id=instance.id)
        waiting = ours.order_by("id").first()
        assert waiting is not None
        webhook = Webhook.objects.create(url="https://hooks.example.com/in", secret="s" * 20)
        outbox.relay_all()
        WebhookDelivery.objects.filter(webhook=webhook).exclude(event_id=waiting.id).update(
            status=DeliveryStatus.DELIVERED
        )
        unrelayed = start_instance(definition("straight_scripts"), {"count": 1})

        clock.advance(timedelta(hours=7 * 24 + 1))
        outbox.purge_old_events()

        assert list(ours.values_list("id", flat=True)) == [waiting.id]  # its delivery is still pending
        assert OutboxEvent.objects.filter(instance_id=unrelayed.id).count() == 17  # never relayed yet
        assert list(WebhookDelivery.objects.filter(webhook=webhook).values_list("event_id", flat=True)) == [waiting.id]


def test_a_catch_up_says_when_it_may_have_missed_events_the_retention_removed(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        made = [
            OutboxEvent.objects.create(
                instance_id=uuid.uuid4(), revision=1, type="instance.started", occurred_at=clock.now()
            )
            for _ in range(3)
        ]
        first, second, third = (event.id for event in made)
        OutboxEvent.objects.filter(id=first).delete()  # as the retention does

        from_start, surely_all = outbox.events_after(alpha.schema, first - 1, limit=10)
        from_second, all_after_second = outbox.events_after(alpha.schema, first, limit=10)
        one, more_left = outbox.events_after(alpha.schema, first, limit=1)

    assert [event["id"] for event in from_start] == [second, third] and surely_all is False
    assert [event["id"] for event in from_second] == [second, third] and all_after_second is True
    assert [event["id"] for event in one] == [second] and more_left is False
    assert from_start[0]["tenant"] == "alpha"
