"""Simulation in the modeler, in headless Chromium: parameters filled from the diagram, the
figures as a table and a heat overlay, and refused parameters marked on the element."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_designer import MODELS, api, model_made, open_modeler  # noqa: F401 - api is a fixture
from tests.browser.test_ui import sign_in
from tests.live import LivePlatform

pytestmark = pytest.mark.browser

DESIGNER = ("designer", "designer-demo-pass")


def test_a_designer_simulates_the_diagram_sees_the_bottleneck_as_heat_and_a_refused_parameter_on_its_element(
    page: Page,
    live_platform: LivePlatform,
    api: httpx.Client,  # noqa: F811
) -> None:
    model = model_made(api, "Leave simulated", "leave-simulated", (MODELS / "leave_request.bpmn").read_text())
    sign_in(page, live_platform, *DESIGNER)
    open_modeler(page, live_platform, model)
    panel = page.get_by_test_id("simulation")

    panel.get_by_role("button", name="Fill from the diagram").click()
    filled = json.loads(panel.get_by_label("Durations, people and shares (JSON)").input_value())
    assert filled == {
        "activities": {"review": {"duration": {"type": "exponential", "mean": 10}}},
        "resources": {"managers": 1},
        "probabilities": {},
    }

    # One manager taking 30 minutes a request, six requests an hour: the review is the bottleneck.
    parameters = {"activities": {"review": {"duration": 30}}, "resources": {"managers": 1}}
    panel.get_by_label("Durations, people and shares (JSON)").fill(json.dumps(parameters))
    panel.get_by_label("Instances").fill("40")
    panel.get_by_label("Arrivals per hour").fill("6")
    panel.get_by_role("button", name="Simulate", exact=True).click()

    expect(panel.get_by_test_id("simulation-message")).to_have_text("40 of 40 instances completed (seed 1).")
    expect(panel.locator('[data-fact="Bottleneck"]')).to_have_text("Review the request")
    row = panel.get_by_test_id("simulation-activity")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Review the request")
    expect(row.locator("td").nth(3)).to_have_text("30.0 min")
    expect(row.locator("td").nth(4)).to_have_text("100 %")
    expect(panel.get_by_test_id("simulation-resource")).to_contain_text("managers")
    heat = page.locator('[data-modeler-canvas] [data-testid="heat-overlay"][data-element-id="review"]')
    expect(heat).to_have_attribute("data-heat", "1")
    expect(page.locator("#designer")).to_have_attribute("data-dirty", "false")

    parameters["activities"] = {"review": {"duration": -5}}
    panel.get_by_label("Durations, people and shares (JSON)").fill(json.dumps(parameters))
    panel.get_by_role("button", name="Simulate", exact=True).click()

    expect(panel.get_by_test_id("simulation-message")).to_contain_text("The simulation did not run: 1 problem")
    expect(page.locator('[data-testid="problem"][data-source="simulation"][data-element-id="review"]')).to_have_count(1)
    expect(heat).to_have_count(0)

    panel.get_by_label("Durations, people and shares (JSON)").fill("{not json")
    panel.get_by_role("button", name="Simulate", exact=True).click()
    expect(panel.get_by_test_id("simulation-message")).to_contain_text("The parameters are not JSON")
