"""Correlating messages over REST: what waits for a message moves on, and the answer says what matched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_tenants.utils import schema_context

from apps.engine import clock
from apps.engine.models import (
    ActivityInstance,
    BufferedMessage,
    MessageSubscription,
    ProcessInstance,
    SignalSubscription,
    Token,
)
from apps.engine.services import jobs
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import XML, client_as, model

MESSAGES = "/api/v1/messages/"


def order(info: TenantInfo, order_id: str, business_key: str = "") -> str:
    client_as(info, "designer").post("/api/v1/deployments/", model("order_messages"), content_type=XML)
    response = client_as(info, "worker").post(
        "/api/v1/process-definitions/key/order_messages/start/",
        {"variables": {"orderId": order_id}, "business_key": business_key},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return str(response.json()["id"])


def waiting_at(info: TenantInfo, instance_id: str) -> list[str]:
    with schema_context(info.schema):
        return list(Token.objects.filter(instance_id=instance_id).values_list("element_id", flat=True))


def send(info: TenantInfo, body: dict[str, Any]) -> Any:
    return client_as(info, "worker").post(MESSAGES, body, format="json")


def test_a_message_moves_on_the_instance_its_correlation_key_names(alpha: TenantInfo) -> None:
    first, second = order(alpha, "o-1"), order(alpha, "o-2")
    with schema_context(alpha.schema):
        waits = MessageSubscription.objects.exclude(instance=None)
        keys = sorted(waits.values_list("message_name", "correlation_key"))
        starts = list(MessageSubscription.objects.filter(instance=None).values_list("message_name", "element_id"))
    assert keys == [("payment-received", "o-1"), ("payment-received", "o-2")]
    assert starts == [("letter-arrived", "letter")]  # the other process's message start event

    response = send(alpha, {"name": "payment-received", "correlation_key": "o-2", "variables": {"paid": 120}})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "matched": [{"instance": second, "element_id": "wait_payment"}],
        "started": None,
        "buffered_until": None,
    }
    assert (waiting_at(alpha, first), waiting_at(alpha, second)) == (["wait_payment"], ["ship"])
    with schema_context(alpha.schema):
        assert ProcessInstance.objects.get(id=second).variables == {"orderId": "o-2", "paid": 120}

    again = send(alpha, {"name": "payment-received", "correlation_key": "o-2"})
    body = assert_problem(again, 404, "message_not_correlated")
    assert body["detail"] == "Nothing waits for the message 'payment-received' and no process starts with it."


def test_a_repeated_message_id_does_nothing_and_answers_as_the_first_time(alpha: TenantInfo) -> None:
    instance = order(alpha, "o-3")
    message = {"name": "payment-received", "correlation_key": "o-3", "message_id": "pay-o-3"}

    first, repeated = send(alpha, message), send(alpha, message)

    assert (
        first.json()
        == repeated.json()
        == {"matched": [{"instance": instance, "element_id": "wait_payment"}], "started": None, "buffered_until": None}
    )
    assert "Idempotent-Replayed" not in first and repeated["Idempotent-Replayed"] == "true"
    assert waiting_at(alpha, instance) == ["ship"]


def test_a_message_meant_for_one_that_matches_several_is_refused_unless_all_are_asked_for(alpha: TenantInfo) -> None:
    instances = [order(alpha, f"o-{n}", business_key=f"b-{n}") for n in (4, 5, 6)]
    for number in (4, 5, 6):
        send(alpha, {"name": "payment-received", "correlation_key": f"o-{number}"})

    ambiguous = send(alpha, {"name": "shipment-confirmed"})
    assert_problem(ambiguous, 409, "message_ambiguous")
    assert [waiting_at(alpha, instance) for instance in instances] == [["ship"], ["ship"], ["ship"]]

    one = send(alpha, {"name": "shipment-confirmed", "business_key": "b-4"}).json()
    assert one["matched"] == [{"instance": instances[0], "element_id": "ship"}]
    by_variable = send(alpha, {"name": "shipment-confirmed", "variables_equal": {"orderId": "o-5"}}).json()
    assert by_variable["matched"] == [{"instance": instances[1], "element_id": "ship"}]
    everything = send(alpha, {"name": "shipment-confirmed", "all": True}).json()
    assert everything["matched"] == [{"instance": instances[2], "element_id": "ship"}]
    with schema_context(alpha.schema):
        assert set(ProcessInstance.objects.filter(id__in=instances).values_list("state", flat=True)) == {"completed"}


def test_a_message_start_event_starts_the_newest_version_of_its_process(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("order_messages"), content_type=XML)

    response = send(alpha, {"name": "letter-arrived", "business_key": "letter-9", "variables": {"sender": "ann"}})

    started = response.json()["started"]
    assert response.status_code == 200 and response.json()["matched"] == []
    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=started)
        first = ActivityInstance.objects.filter(instance=instance).order_by("id").first()
    assert (instance.state, instance.business_key, instance.started_by) == ("completed", "letter-9", "worker")
    assert instance.variables == {"sender": "ann", "filed": True}
    assert first is not None and first.element_id == "letter"


def test_a_message_never_reaches_another_tenant(alpha: TenantInfo, beta: TenantInfo) -> None:
    instance = order(alpha, "o-7")
    client_as(beta, "designer").post("/api/v1/deployments/", model("order_messages"), content_type=XML)

    in_beta = send(beta, {"name": "payment-received", "correlation_key": "o-7"})

    assert_problem(in_beta, 404, "message_not_correlated")
    assert waiting_at(alpha, instance) == ["wait_payment"]


def test_a_message_without_a_name_is_a_400_and_moves_nothing(alpha: TenantInfo) -> None:
    instance = order(alpha, "o-8")
    assert_problem(send(alpha, {"correlation_key": "o-8"}), 400, "validation_error")
    assert waiting_at(alpha, instance) == ["wait_payment"]


def test_message_boundary_events_interrupt_their_task_or_run_beside_it_once_per_message(alpha: TenantInfo) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("boundary_messages"), content_type=XML)
    started = (
        client_as(alpha, "worker")
        .post(
            "/api/v1/process-definitions/key/boundary_messages/start/",
            {"variables": {"orderId": "o-9", "calls": 0}},
            format="json",
        )
        .json()
    )
    instance = str(started["id"])

    for expected_calls in (1, 2):  # a non-interrupting message event stays subscribed
        called = send(alpha, {"name": "customer-called", "correlation_key": "o-9", "variables": {"by": "ann"}})
        assert called.json()["matched"] == [{"instance": instance, "element_id": "called"}]
        assert waiting_at(alpha, instance) == ["approve"]
        with schema_context(alpha.schema):
            assert ProcessInstance.objects.get(id=instance).variables["calls"] == expected_calls

    cancelled = send(alpha, {"name": "order-cancelled", "correlation_key": "o-9"})

    assert cancelled.json()["matched"] == [{"instance": instance, "element_id": "cancelled"}]
    with schema_context(alpha.schema):
        stored = ProcessInstance.objects.get(id=instance)
        approve = ActivityInstance.objects.get(instance_id=instance, element_id="approve")
        assert not MessageSubscription.objects.filter(instance_id=instance).exists()
    assert (stored.state, approve.state) == ("completed", "cancelled")
    assert_problem(send(alpha, {"name": "customer-called", "correlation_key": "o-9"}), 404, "message_not_correlated")


def test_a_message_with_a_time_to_live_waits_for_the_instance_that_subscribes_later(alpha: TenantInfo) -> None:
    early = send(
        alpha,
        {"name": "payment-received", "correlation_key": "o-20", "variables": {"paid": 5}, "time_to_live": "PT10M"},
    )
    assert early.status_code == 202
    assert early.json()["matched"] == [] and early.json()["buffered_until"] is not None
    other_key = send(alpha, {"name": "payment-received", "correlation_key": "o-21", "time_to_live": "PT10M"})
    assert other_key.status_code == 202

    instance = order(alpha, "o-20")  # subscribes as it starts, and takes the message at once

    assert waiting_at(alpha, instance) == ["ship"]
    with schema_context(alpha.schema):
        assert ProcessInstance.objects.get(id=instance).variables == {"orderId": "o-20", "paid": 5}
        assert list(BufferedMessage.objects.values_list("correlation_key", flat=True)) == ["o-21"]


def test_a_buffered_message_is_gone_once_its_time_to_live_ran_out(alpha: TenantInfo) -> None:
    send(alpha, {"name": "payment-received", "correlation_key": "o-22", "time_to_live": "PT10M"})
    with schema_context(alpha.schema):
        clock.advance(timedelta(minutes=11))

    instance = order(alpha, "o-22")

    assert waiting_at(alpha, instance) == ["wait_payment"]
    bad = send(alpha, {"name": "payment-received", "time_to_live": "ten minutes"})
    assert "time_to_live" in assert_problem(bad, 400, "validation_error")["errors"]


def test_event_subprocesses_start_by_message_and_signal_beside_the_process_or_instead_of_it(
    alpha: TenantInfo,
) -> None:
    client_as(alpha, "designer").post("/api/v1/deployments/", model("event_subprocess_messages"), content_type=XML)
    started = client_as(alpha, "worker").post(
        "/api/v1/process-definitions/key/event_subprocess_messages/start/",
        {"variables": {"orderId": "o-7", "calls": 0}},
        format="json",
    )
    instance = str(started.json()["id"])
    assert sorted(waiting_at(alpha, instance)) == ["approve", "called", "cancelled", "shutdown"]

    for expected_calls in (1, 2):  # non-interrupting: the start event listens on
        called = send(alpha, {"name": "customer-called", "correlation_key": "o-7"})
        assert called.json()["matched"] == [{"instance": instance, "element_id": "called"}]
        with schema_context(alpha.schema):
            assert ProcessInstance.objects.get(id=instance).variables["calls"] == expected_calls
    assert sorted(waiting_at(alpha, instance)) == ["approve", "called", "cancelled", "shutdown"]

    shutdown = client_as(alpha, "worker").post("/api/v1/signals/", {"name": "shutdown"}, format="json")
    assert shutdown.json()["deliveries"] == 1
    with schema_context(alpha.schema):
        while jobs.run_due_jobs("worker-1", 50):
            pass
    assert sorted(waiting_at(alpha, instance)) == ["approve", "called", "cancelled", "on_shutdown", "park", "shutdown"]

    cancelled = send(alpha, {"name": "order-cancelled", "correlation_key": "o-7"})

    assert cancelled.json()["matched"] == [{"instance": instance, "element_id": "cancelled"}]
    with schema_context(alpha.schema):
        stored = ProcessInstance.objects.get(id=instance)
        ended = dict(ActivityInstance.objects.filter(instance_id=instance).values_list("element_id", "state"))
        assert not MessageSubscription.objects.filter(instance_id=instance).exists()
        assert not SignalSubscription.objects.filter(instance_id=instance).exists()
    assert stored.state == "completed"
    assert (ended["approve"], ended["park"], ended["on_cancel"]) == ("cancelled", "cancelled", "completed")
    assert waiting_at(alpha, instance) == []


def test_a_conditional_start_event_starts_its_process_when_the_given_variables_make_it_true(
    alpha: TenantInfo, beta: TenantInfo
) -> None:
    worker = client_as(alpha, "worker")
    assert_problem(worker.post("/api/v1/conditions/", {"variables": {}}, format="json"), 404, "no_conditional_start")
    client_as(alpha, "designer").post("/api/v1/deployments/", model("conditional_start"), content_type=XML)

    small = worker.post("/api/v1/conditions/", {"variables": {"amount": 10}}, format="json")
    missing = worker.post("/api/v1/conditions/", {"variables": {"other": 1}}, format="json")
    big = worker.post("/api/v1/conditions/", {"variables": {"amount": 5000}, "business_key": "order-9"}, format="json")

    assert (small.status_code, small.json()) == (200, {"started": []})
    assert missing.json() == {"started": []}  # a condition naming a missing variable does not hold
    (started,) = big.json()["started"]
    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=started)
        assert (instance.business_key, instance.variables) == ("order-9", {"amount": 5000})
    assert waiting_at(alpha, started) == ["check_big_order"]
    assert_problem(
        client_as(beta, "worker").post("/api/v1/conditions/", {"variables": {"amount": 5000}}, format="json"),
        404,
        "no_conditional_start",
    )
    bad = worker.post("/api/v1/conditions/", {"variables": "amount"}, format="json")
    assert_problem(bad, 400, "validation_error")
