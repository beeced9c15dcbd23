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
    expect(panel.get_by_label("Distribution of Review the request")).to_have_value("exponential")
    expect(panel.get_by_label("Numbers of Review the request")).to_have_value("10")
    expect(panel.get_by_label("People of managers")).to_have_value("1")
    panel.locator("[data-simulation-json] summary").click()
    as_json = panel.get_by_label("Durations, people and shares (JSON)")
    assert json.loads(as_json.input_value()) == {
        "activities": {"review": {"duration": {"type": "exponential", "mean": 10}}},
        "resources": {"managers": 1},
        "probabilities": {},
    }

    # One manager taking 30 minutes a request, six requests an hour: the review is the bottleneck.
    panel.get_by_label("Distribution of Review the request").select_option("fixed")
    panel.get_by_label("Numbers of Review the request").fill("30")
    assert json.loads(as_json.input_value())["activities"] == {"review": {"duration": 30}}
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

    panel.get_by_label("Numbers of Review the request").fill("-5")
    panel.get_by_role("button", name="Simulate", exact=True).click()

    expect(panel.get_by_test_id("simulation-message")).to_contain_text("The simulation did not run: 1 problem")
    expect(page.locator('[data-testid="problem"][data-source="simulation"][data-element-id="review"]')).to_have_count(1)
    expect(heat).to_have_count(0)

    # The JSON edits the same parameters: a change there shows in the tables.
    as_json.fill(json.dumps({"activities": {"review": {"duration": {"type": "uniform", "min": 5, "max": 9}}}}))
    as_json.blur()
    expect(panel.get_by_label("Distribution of Review the request")).to_have_value("uniform")
    expect(panel.get_by_label("Numbers of Review the request")).to_have_value("5, 9")

    as_json.fill("{not json")
    panel.get_by_role("button", name="Simulate", exact=True).click()
    expect(panel.get_by_test_id("simulation-message")).to_contain_text("The parameters are not JSON")
