"""The demo tenant's sample process: provisioned once, its form checked by the server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django_tenants.utils import schema_context

from apps.engine.models import ProcessInstance
from apps.tasks import services
from apps.tasks.demo import MODEL, provision_demo_processes
from apps.tasks.models import Task
from tests.conftest import TenantInfo


def test_provisioning_twice_deploys_once_and_keeps_one_instance_with_a_task_for_the_worker(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        first = provision_demo_processes()
        second = provision_demo_processes()
        worker = User.objects.get(username="worker")

        assert second.id == first.id
        assert ProcessInstance.objects.filter(definition__key="expense_approval").count() == 1
        (task,) = Task.objects.filter(services.offered_to(worker))
        assert (task.name, task.business_key, task.candidate_groups) == (
            "Check the expense",
            "EXP-1001",
            ["accounting"],
        )


def test_the_demo_form_refuses_an_amount_over_its_limit_and_the_process_moves_on(alpha: TenantInfo) -> None:
    with schema_context(alpha.schema):
        instance = provision_demo_processes()
        worker = User.objects.get(username="worker")
        task = Task.objects.get(instance=instance, state="created")
        services.claim(task.id, worker)

        with pytest.raises(services.FormInvalid) as refused:
            services.complete(task.id, worker, {"amount": 12000, "category": "travel"})
        services.complete(task.id, worker, {"amount": 1200, "category": "travel"})

        assert refused.value.problems == {"amount": ["Give at most 5000."]}
        (pay,) = Task.objects.filter(instance=instance, state="created")
        assert pay.name == "Pay the expense"


def test_the_demo_model_lays_out_both_user_tasks_for_the_diagram() -> None:
    xml = MODEL.read_text()

    assert 'bpmnElement="check_expense"' in xml and 'bpmnElement="pay_expense"' in xml
