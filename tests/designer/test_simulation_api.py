"""Simulation over REST: the figures of a model whose cycle time queueing theory knows, a saved
model's versions, problems naming elements and parameters, bad XML, and tenants kept apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from apps.designer.models import ProcessModel
from apps.engine.models import ProcessDefinition
from tests.api.helpers import assert_problem
from tests.conftest import TenantInfo
from tests.designer.simulation_models import single_task
from tests.engine.api.test_engine_api import client_as

SIMULATIONS = "/api/v1/simulations/"
M_M_1 = {
    "instances": 20_000,
    "arrival": {"rate_per_hour": 6},
    "activities": {"Work": {"duration": {"type": "exponential", "mean": 6}}},
    "resources": {"Clerks": 1},
}


def clerk_model() -> str:
    return single_task(lanes={"Clerks": ["Work"]}).decode()


def simulated(designer: APIClient, body: dict[str, Any]) -> dict[str, Any]:
    response = designer.post(SIMULATIONS, body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()  # type: ignore[no-any-return]


def test_an_m_m_1_model_gives_the_cycle_time_queueing_theory_predicts(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")

    result = simulated(designer, {"xml": clerk_model(), "parameters": M_M_1, "seed": 11})

    # 6 arrivals an hour, one clerk serving 10 an hour: W = 1 / (mu - lambda) = 15 minutes, rho = 0.6
    assert result["cycle_time"]["mean"] == pytest.approx(15.0, rel=0.06)
    assert result["resources"] == [
        {
            "id": "Clerks",
            "name": "Clerks lane",
            "capacity": 1,
            "busy_minutes": pytest.approx(result["resources"][0]["busy_minutes"]),
            "utilization": pytest.approx(0.6, abs=0.02),
        }
    ]
    assert result["instances"] == {"started": 20_000, "completed": 20_000}
    assert result["bottleneck"]["activity"] == "Work"
    assert result["heat"]["elements"] == {"Work": 1.0}
    assert result["element_counts"] == {"Start": 20_000, "Work": 20_000, "End": 20_000}
    again = simulated(designer, {"xml": clerk_model(), "parameters": M_M_1, "seed": 11})
    assert again == result


def test_a_saved_model_is_simulated_by_version_and_nothing_is_stored_or_deployed(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    made = designer.post("/api/v1/models/", {"name": "Clerk", "xml": clerk_model()}, format="json").json()
    fixed = {"instances": 5, "arrival": {"interval_minutes": 60}, "activities": {"Work": {"duration": 7}}}
    latest = simulated(designer, {"model": made["id"], "parameters": fixed})
    first = simulated(designer, {"model": made["id"], "version": 1, "parameters": fixed})

    assert latest["cycle_time"]["mean"] == 7.0 == first["cycle_time"]["mean"]
    assert_problem(designer.post(SIMULATIONS, {"model": made["id"], "version": 2}, format="json"), 404, "not_found")
    assert ProcessModel.objects.get(id=made["id"]).latest_version == 1
    assert not ProcessDefinition.objects.exists()


def test_problems_name_the_element_and_the_parameter(alpha: TenantInfo) -> None:
    designer = client_as(alpha, "designer")
    parameters = {
        "instances": 0,
        "activities": {"Work": {"duration": {"type": "exponential", "mean": -1}}, "Nowhere": {"duration": 1}},
    }

    response = designer.post(SIMULATIONS, {"xml": clerk_model(), "parameters": parameters}, format="json")

    body = assert_problem(response, 422, "simulation_invalid")
    found = {(problem["code"], problem["element_id"], problem["parameter"]) for problem in body["problems"]}
    assert found == {
        ("parameter-invalid", None, "instances"),
        ("element-unknown", "Nowhere", "activities.Nowhere"),
        ("duration-negative", "Work", "activities.Work.duration.mean"),
    }
    assert all(problem["message"] for problem in body["problems"])


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"parameters": {}}, 400, "validation_error"),
        ({"xml": "<x/>", "model": "00000000-0000-0000-0000-000000000000"}, 400, "validation_error"),
        ({"xml": "<x/>", "version": 2}, 400, "validation_error"),
        ({"xml": "meeting notes"}, 422, "model_invalid"),
        ({"xml": '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'}, 422, "model_invalid"),
        ({"model": "00000000-0000-0000-0000-000000000000"}, 404, "not_found"),
        ({"xml": "<x/>", "seed": -1}, 400, "validation_error"),
    ],
)
def test_bad_requests_are_problems(alpha: TenantInfo, body: dict[str, Any], status: int, code: str) -> None:
    assert_problem(client_as(alpha, "designer").post(SIMULATIONS, body, format="json"), status, code)


@override_settings(APG_MODEL_MAX_BYTES=500)
def test_a_model_over_the_size_cap_is_refused(alpha: TenantInfo) -> None:
    response = client_as(alpha, "designer").post(SIMULATIONS, {"xml": clerk_model()}, format="json")

    assert_problem(response, 413, "payload_too_large")


def test_only_designers_simulate_and_only_their_tenants_models(alpha: TenantInfo, beta: TenantInfo) -> None:
    made = client_as(alpha, "designer").post("/api/v1/models/", {"name": "Clerk", "xml": clerk_model()}, format="json")

    assert_problem(
        client_as(alpha, "worker").post(SIMULATIONS, {"xml": clerk_model()}, format="json"), 403, "permission_denied"
    )
    refused = client_as(beta, "designer").post(SIMULATIONS, {"model": made.json()["id"]}, format="json")
    assert_problem(refused, 404, "not_found")
