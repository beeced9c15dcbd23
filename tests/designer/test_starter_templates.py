"""The starter library: five runnable processes with forms. Each becomes a model through the API,
deploys without a problem, and runs to its end through the task list's services on a path its
forms choose; each is drawn completely for the modeler."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django_tenants.utils import schema_context

from apps.designer import templates
from apps.engine import clock
from apps.engine.bpmn import parse_definitions
from apps.engine.bpmn.names import BPMNDI
from apps.engine.bpmn.xml import read_xml
from apps.engine.models import ActivityInstance, ProcessInstance
from apps.engine.services import jobs
from apps.tasks import services
from apps.tasks.models import OPEN_STATES, Task
from tests.conftest import TenantInfo
from tests.engine.api.test_engine_api import client_as

MODELS = "/api/v1/models/"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
GROUPS = ("managers", "hr", "it", "purchasing", "reviewers", "authors")


@dataclass(frozen=True)
class Complete:
    """Complete the open task of this user task with these form values."""

    element_id: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Wait:
    """Let this much time pass and run the jobs that fall due: exactly one."""

    time: timedelta


@dataclass(frozen=True)
class Run:
    key: str
    name: str
    start: dict[str, Any]  # the start form's values
    steps: tuple[Complete | Wait, ...]
    tasks: list[tuple[str, list[str]]]  # the user tasks passed, in the order completed, with their groups
    visited: list[str]  # every element the instance went through, as often as it did
    variables: dict[str, Any]  # some of the variables it ends with


RUNS = [
    Run(
        key="approval",
        name="Approval",
        start={"subject": "A second monitor", "details": "27 inches, for the design team"},
        steps=(Complete("decide_request", {"approved": True, "comment": "Take the model IT recommends."}),),
        tasks=[("decide_request", ["managers"])],
        visited=["request_submitted", "decide_request", "approved_gateway", "request_approved"],
        variables={"approved": True, "subject": "A second monitor"},
    ),
    Run(
        key="document_review",
        name="Document review",
        start={"title": "Travel policy 2026", "link": "https://intranet.example/travel-v1"},
        steps=(
            Complete("review_document", {"verdict": "revise", "comments": "Say when trains are paid."}),
            Complete(
                "revise_document",
                {"link": "https://intranet.example/travel-v2", "changeSummary": "A section on trains."},
            ),
            Complete("review_document", {"verdict": "accept"}),
            Complete("publish_document", {"publishedOn": "2026-07-01"}),
        ),
        tasks=[
            ("review_document", ["reviewers"]),
            ("revise_document", ["authors"]),
            ("review_document", ["reviewers"]),
            ("publish_document", ["authors"]),
        ],
        visited=[
            "document_submitted",
            *["review_merge", "review_document", "verdict_gateway"] * 2,
            "revise_document",
            "publish_document",
            "document_published",
        ],
        variables={"verdict": "accept", "link": "https://intranet.example/travel-v2", "publishedOn": "2026-07-01"},
    ),
    Run(
        key="employee_onboarding",
        name="Employee onboarding",
        start={},
        steps=(
            Complete(
                "prepare_contract",
                {
                    "firstName": "Ada",
                    "lastName": "Lovelace ",
                    "role": "Engineer",
                    "startDate": "2026-09-01",
                    "equipment": "laptop",
                },
            ),
            Complete("plan_first_week", {"buddy": "grace", "firstWeekPlan": "Meet the team; first small fix."}),
            Complete("set_up_accounts", {"email": "ada.lovelace@example.com", "assetTag": "LT-0042"}),
            Complete("welcome_employee", {"badgeIssued": True}),
        ),
        tasks=[
            ("prepare_contract", ["hr"]),
            ("plan_first_week", ["managers"]),
            ("set_up_accounts", ["it"]),
            ("welcome_employee", ["hr"]),
        ],
        visited=[
            "hire_confirmed",
            "prepare_contract",
            "choose_account_name",
            "setup_fork",
            "set_up_accounts",
            "plan_first_week",
            "setup_join",  # one visit: the join waits for both branches
            "welcome_employee",
            "employee_onboarded",
        ],
        variables={"accountName": "ada.lovelace", "email": "ada.lovelace@example.com", "buddy": "grace"},
    ),
    Run(
        key="it_incident",
        name="IT incident handling",
        start={"summary": "The VPN drops every few minutes", "reportedBy": "alice"},
        steps=(
            Complete("classify_incident", {"priority": "critical", "category": "network"}),
            Complete("inform_stakeholders", {"announcement": "The VPN is unstable; IT is on it."}),
            Wait(timedelta(hours=4, minutes=1)),  # the resolution's 4-hour timer fires; IT keeps working
            Complete("follow_up_incident", {"followUp": "Called in the network vendor."}),
            Complete("resolve_incident", {"resolution": "Replaced the faulty VPN gateway."}),
        ),
        tasks=[
            ("classify_incident", ["it"]),
            ("inform_stakeholders", ["managers"]),
            ("follow_up_incident", ["managers"]),
            ("resolve_incident", ["it"]),
        ],
        visited=[
            "incident_reported",
            "classify_incident",
            "critical_gateway",
            "inform_stakeholders",
            "impact_merge",
            "resolve_incident",
            "resolution_overdue",
            "follow_up_incident",
            "follow_up_done",
            "incident_resolved",
        ],
        variables={"priority": "critical", "resolution": "Replaced the faulty VPN gateway."},
    ),
    Run(
        key="purchase_order",
        name="Purchase order",
        start={"item": "Standing desk", "quantity": 4},
        steps=(
            Complete("check_request", {"supplier": "Office Supplies Ltd", "quantity": 4, "unitPrice": 1500.0}),
            Complete("approve_order", {"decision": "approve"}),
            Complete("place_order", {"orderNumber": "PO-2026", "deliveryDate": "2026-10-01"}),
        ),
        tasks=[("check_request", ["purchasing"]), ("approve_order", ["managers"]), ("place_order", ["purchasing"])],
        visited=[
            "order_requested",
            "check_request",
            "compute_total",
            "total_gateway",
            "approve_order",
            "approved_gateway",
            "approval_merge",
            "place_order",
            "order_placed",
        ],
        variables={"total": 6000, "decision": "approve", "orderNumber": "PO-2026"},
    ),
]


def worker_in_every_group(info: TenantInfo) -> User:
    with schema_context(info.schema):
        worker = User.objects.get(username="worker")
        for name in GROUPS:
            worker.groups.add(Group.objects.get_or_create(name=name)[0])
    return worker


def deployed_and_started(info: TenantInfo, run: Run) -> str:
    designer = client_as(info, "designer")
    model = designer.post(MODELS, {"name": run.name, "template": run.key}, format="json")
    assert model.status_code == 201, model.json()
    deployed = designer.post(f"{MODELS}{model.json()['id']}/deploy/", {}, format="json")
    assert deployed.status_code == 201, deployed.json()
    assert ([d["key"] for d in deployed.json()["definitions"]], deployed.json()["warnings"]) == ([run.key], [])
    started = designer.post(
        f"/api/v1/process-definitions/key/{run.key}/start/", {"variables": run.start}, format="json"
    )
    assert started.status_code == 201, started.json()
    return str(started.json()["id"])


def drive(info: TenantInfo, instance_id: str, steps: tuple[Complete | Wait, ...], worker: User) -> None:
    """Take the steps as people would: claim each task from the list, complete it with its form."""
    with schema_context(info.schema):
        for step in steps:
            if isinstance(step, Wait):
                clock.advance(step.time)
                assert jobs.run_due_jobs("starter-templates", 10) == 1
                continue
            (task,) = Task.objects.filter(instance_id=instance_id, element_id=step.element_id, state__in=OPEN_STATES)
            services.claim(task.id, worker)
            services.complete(task.id, worker, step.values)


@pytest.mark.parametrize("run", RUNS, ids=[run.key for run in RUNS])
def test_a_model_made_from_a_starter_deploys_and_runs_to_its_end_through_its_forms(alpha: TenantInfo, run: Run) -> None:
    worker = worker_in_every_group(alpha)
    instance_id = deployed_and_started(alpha, run)

    drive(alpha, instance_id, run.steps, worker)

    with schema_context(alpha.schema):
        instance = ProcessInstance.objects.get(id=instance_id)
        tasks = Task.objects.filter(instance=instance).order_by("completed_at")
        visited = ActivityInstance.objects.filter(instance=instance).values_list("element_id", flat=True)
        assert instance.state == "completed"
        assert [(task.element_id, task.candidate_groups, task.state) for task in tasks] == [
            (element_id, groups, "completed") for element_id, groups in run.tasks
        ]
        assert Counter(visited) == Counter(run.visited)
        assert {name: instance.variables.get(name) for name in run.variables} == run.variables


def test_a_starters_form_refuses_what_it_does_not_allow_and_nothing_moves(alpha: TenantInfo) -> None:
    worker = worker_in_every_group(alpha)
    instance_id = deployed_and_started(alpha, RUNS[-1])  # purchase order

    with schema_context(alpha.schema):
        (task,) = Task.objects.filter(instance_id=instance_id)
        with pytest.raises(services.FormInvalid) as refused:
            services.complete(task.id, worker, {"supplier": "", "quantity": 0, "unitPrice": "cheap"})

        assert refused.value.problems == {
            "supplier": ["This field is required."],
            "quantity": ["Give at least 1."],
            "unitPrice": ["Give a number."],
        }
        task.refresh_from_db()
        waiting = ActivityInstance.objects.filter(instance_id=instance_id, state="active")
        assert (task.state, task.assignee) == ("created", "")  # not even claimed
        assert [activity.element_id for activity in waiting] == ["check_request"]


def test_the_library_lists_the_five_starters_with_their_names_and_descriptions(alpha: TenantInfo) -> None:
    listed = client_as(alpha, "designer").get("/api/v1/model-templates/")

    assert listed.status_code == 200
    starters = [(each["key"], each["name"], each["description"]) for each in listed.json() if each["starter"]]
    assert [(key, name) for key, name, _ in starters] == sorted((run.key, run.name) for run in RUNS)
    for key, _, description in starters:
        assert description == (templates.STARTERS / f"{key}.txt").read_text().strip() != ""


@pytest.mark.parametrize("run", RUNS, ids=[run.key for run in RUNS])
def test_every_starter_draws_each_element_and_attaches_each_flow_to_its_ends(run: Run) -> None:
    xml = (templates.STARTERS / f"{run.key}.bpmn").read_bytes()
    definitions = parse_definitions(xml).definitions
    assert definitions is not None
    process = definitions.processes[run.key]
    pools = {pool.id for collaboration in definitions.collaborations for pool in collaboration.participants}
    root = read_xml(xml).root
    assert root is not None
    bounds = {
        shape.get("bpmnElement"): [
            float(shape.find(f"{{{DC}}}Bounds").get(side)) for side in ("x", "y", "width", "height")
        ]
        for shape in root.iter(f"{{{BPMNDI}}}BPMNShape")
    }
    edges = {
        edge.get("bpmnElement"): [
            (float(point.get("x")), float(point.get("y"))) for point in edge.iter(f"{{{DI}}}waypoint")
        ]
        for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge")
    }

    assert set(bounds) == set(process.nodes) | {lane.id for lane in process.lanes} | pools
    assert set(edges) == set(process.flows)
    for flow in process.flows.values():
        first, *_, last = edges[flow.id]
        assert on_or_in(first, bounds[flow.source]) and on_or_in(last, bounds[flow.target]), flow.id


def on_or_in(point: tuple[float, float], box: list[float]) -> bool:
    x, y, width, height = box
    return x <= point[0] <= x + width and y <= point[1] <= y + height
