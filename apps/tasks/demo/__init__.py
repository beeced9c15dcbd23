"""The demo tenant's sample process (``make run``): an expense approval whose form the server checks.

``Check the expense`` is offered to the group ``accounting`` (the demo worker is in it) and asks
for an amount from 1 to 5,000; ``Pay the expense`` follows. One instance is kept running: a run
while one is active starts none, so provisioning again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import Group, User

from apps.engine.models import InstanceState, ProcessInstance
from apps.engine.services.deployments import deploy
from apps.engine.services.instances import latest_definition, start_instance

MODEL = Path(__file__).with_name("expense_approval.bpmn")
PROCESS_KEY = "expense_approval"
GROUP = "accounting"
GROUP_MEMBERS = ("worker",)
STARTED_BY = "admin"
FIRST_EXPENSE = {"employee": "Dana Lee", "receipt": "Train to the Lyon trade fair, 14 October"}


def provision_demo_processes() -> ProcessInstance:
    """In the current tenant: deploy the demo process (identical XML deploys once), put the demo
    users in its group, and start an instance unless one is running; return the running one."""
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.user_set.add(*User.objects.filter(username__in=GROUP_MEMBERS))
    deploy(MODEL.read_bytes(), name="Expense approval (demo)", deployed_by=STARTED_BY)
    running = ProcessInstance.objects.filter(definition__key=PROCESS_KEY, state=InstanceState.ACTIVE).first()
    if running is not None:
        return running
    return start_instance(latest_definition(PROCESS_KEY), FIRST_EXPENSE, business_key="EXP-1001", started_by=STARTED_BY)
