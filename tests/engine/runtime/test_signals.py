"""Signals reach every signal event of the tenant waiting for them: catch, boundary and start events."""

from __future__ import annotations

from django_tenants.utils import schema_context

from apps.engine.models import ActivityInstance, ProcessDefinition, ProcessInstance, SignalSubscription
from apps.engine.services import jobs
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import start_instance
from apps.engine.services.operations import cancel_instance
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import client_as
from tests.engine.runtime.harness import MODELS, waiting_at


def definitions() -> dict[str, ProcessDefinition]:
    return {definition.key: definition for definition in deploy((MODELS / "signals.bpmn").read_bytes()).definitions}


def run_all_jobs() -> int:
    ran = 0
    while claimed := jobs.run_due_jobs("worker-1", 50):
        ran += claimed
    return ran


def test_a_broadcast_reaches_catch_boundary_and_start_events(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        processes = definitions()
        listener = start_instance(processes["signal_listener"], {})
        task = start_instance(processes["signal_task"], {})
        gone = start_instance(processes["signal_listener"], {})
        cancel_instance(gone.id, actor="operator")

    response = client_as(alpha, "worker").post(
        "/api/v1/signals/", {"name": "alarm", "variables": {"level": 2}}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["deliveries"] == 2  # the listener and the task's boundary event; not the cancelled instance
    with schema_context(alpha.schema):
        (started,) = [ProcessInstance.objects.get(id=instance) for instance in body["started"]]
        assert (started.definition.key, started.state, started.variables) == (
            "signal_started",
            "completed",
            {"level": 2},
        )
        assert run_all_jobs() == 2
        listener.refresh_from_db()
        assert (listener.state, listener.variables) == ("completed", {"level": 2, "reacted": True})
        assert waiting_at(task) == ["work"]  # a non-interrupting boundary event: the task goes on
        assert ProcessInstance.objects.get(id=task.id).variables == {"level": 2, "noted": True}
        assert SignalSubscription.objects.filter(instance=task).count() == 2  # still listening


def test_signals_thrown_in_an_instance_are_broadcast_after_its_step(in_alpha: None) -> None:
    processes = definitions()
    task = start_instance(processes["signal_task"], {})
    thrower = start_instance(processes["signal_thrower"], {})
    assert thrower.state == "completed"
    assert waiting_at(task) == ["work"]  # nothing reached it within the thrower's transaction

    run_all_jobs()  # two broadcasts fan out into deliveries, then the deliveries run

    task.refresh_from_db()
    states = dict(ActivityInstance.objects.filter(instance=task).values_list("element_id", "state"))
    assert (task.state, states["work"], states["end_shutdown"]) == ("completed", "cancelled", "completed")
    assert not SignalSubscription.objects.filter(instance=task).exists()


def test_a_signal_never_reaches_another_tenant(alpha: TenantInfo, beta: TenantInfo) -> None:
    with schema_context(alpha.schema):
        listener = start_instance(definitions()["signal_listener"], {})
    with schema_context(beta.schema):
        definitions()
    response = client_as(beta, "worker").post("/api/v1/signals/", {"name": "alarm"}, format="json")

    assert response.json()["deliveries"] == 0
    with schema_context(alpha.schema):
        assert run_all_jobs() == 0
        assert waiting_at(listener) == ["wait_alarm"]
