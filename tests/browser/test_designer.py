"""The designer in headless Chromium, against the demo tenant the launcher provisions: a designer
draws, saves, sees lint problems on the diagram, deploys and follows the deployed version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_ui import ACME, sign_in
from tests.engine.bpmn.test_miwg import MIWG as MIWG_DIRECTORY
from tests.live import LivePlatform

pytestmark = pytest.mark.browser

DESIGNER = ("designer", "designer-demo-pass")
MODELS = Path(__file__).parent / "designer_models"
# The OMG interchange models, as the repository keeps them beside the parser's tests.
MIWG = sorted(MIWG_DIRECTORY.glob("*.bpmn"))
# What bpmn-js rightly warns about, as the files hold it: C.7.0 draws an edge (BPMNEdge) of no
# element, C.8.1 names a message `triso:unspecified` three times that it does not hold. Every
# other interchange model imports without a warning.
MIWG_IMPORT_WARNINGS = {
    "C.7.0.bpmn": ['no bpmnElement referenced in <bpmndi:BPMNEdge id="_985753e3-a4ce-486b-908a-509d382259ed" />'],
    "C.8.1.bpmn": ["unresolved reference <triso:unspecified>"] * 3,
}

# Run in the page on bpmn-js's export: every id of the file is kept, every diagram shape and edge
# keeps its element and its bounds or waypoints, and every extension attribute (an attribute in
# a namespace other than BPMN's, DI's and XML Schema's) keeps its value on its element.
COMPARE_ROUND_TRIP = """async (original) => {
  const { xml } = await window.apgDesigner.modeler.saveXML({ format: true });
  const read = (text) => new DOMParser().parseFromString(text, "application/xml");
  const [before, after] = [read(original), read(xml)];
  const standard = new Set([
    "http://www.omg.org/spec/BPMN/20100524/MODEL", "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance", "http://www.w3.org/2000/xmlns/",
  ]);
  const ids = (doc) => new Set([...doc.querySelectorAll("[id]")].map((node) => node.getAttribute("id")));
  const layout = (doc) => {
    const found = {};
    for (const node of doc.getElementsByTagNameNS("*", "*")) {
      if (node.localName === "BPMNShape" || node.localName === "BPMNEdge") {
        const points = [...node.children]
          .filter((child) => child.localName === "Bounds" || child.localName === "waypoint")
          .map((child) => ["x", "y", "width", "height"].map((name) => Number(child.getAttribute(name) || 0)).join(","));
        found[node.getAttribute("id")] = `${node.getAttribute("bpmnElement")} ${points.join(" ")}`;
      }
    }
    return found;
  };
  const extensions = (doc) => {
    const found = [];
    for (const node of doc.querySelectorAll("[id]")) {
      for (const attribute of node.attributes) {
        if (attribute.namespaceURI && !standard.has(attribute.namespaceURI)) {
          found.push(`${node.getAttribute("id")} {${attribute.namespaceURI}}${attribute.localName}=${attribute.value}`);
        }
      }
    }
    return found.sort();
  };
  const afterIds = ids(after);
  const beforeLayout = layout(before), afterLayout = layout(after);
  return {
    parsed: !after.querySelector("parsererror"),
    missing_ids: [...ids(before)].filter((id) => !afterIds.has(id)),
    changed_layout: Object.keys(beforeLayout).filter((id) => beforeLayout[id] !== afterLayout[id]),
    extensions_before: extensions(before),
    extensions_after: extensions(after),
  };
}"""


@pytest.fixture
def api(live_platform: LivePlatform) -> Iterator[httpx.Client]:
    """The REST API as the demo designer (a bearer token)."""
    with live_platform.client(ACME) as client:
        token = client.post("/api/v1/auth/token/", json={"username": DESIGNER[0], "password": DESIGNER[1]})
        client.headers["Authorization"] = f"Bearer {token.json()['access']}"
        yield client


def model_made(api: httpx.Client, name: str, key: str, xml: str) -> dict[str, Any]:
    made = api.post("/api/v1/models/", json={"name": name, "key": key, "xml": xml})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def shape(page: Page, element_id: str) -> Locator:
    return page.locator(f'[data-modeler-canvas] .djs-element.djs-shape[data-element-id="{element_id}"]')


def open_modeler(page: Page, live_platform: LivePlatform, model: dict[str, Any]) -> None:
    page.goto(live_platform.url(ACME, f"/designer/{model['id']}/"))
    expect(page.locator("#designer")).to_have_attribute("data-state", "ready")


def model_opened(
    page: Page, live_platform: LivePlatform, api: httpx.Client, name: str, key: str, xml: str
) -> dict[str, Any]:
    """A new model of ``xml``, open in the modeler of the signed-in designer."""
    model = model_made(api, name, key, xml)
    sign_in(page, live_platform, *DESIGNER)
    open_modeler(page, live_platform, model)
    return model


def test_a_designer_draws_from_a_template_sees_lint_problems_deploys_and_follows_the_instances(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    sign_in(page, live_platform, *DESIGNER)
    page.locator("#main-nav").get_by_role("link", name="Designer").click()
    page.get_by_label("Name", exact=True).fill("Holiday <planning>")
    page.get_by_label("Key").fill("holiday-planning")
    page.get_by_label("Start from").select_option(label="Employee onboarding")
    page.get_by_role("button", name="Create the model").click()

    designer = page.locator("#designer")
    expect(designer).to_have_attribute("data-state", "ready")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Holiday <planning>")
    expect(designer).to_have_attribute("data-version", "1")

    shape(page, "welcome_employee").click()
    name = page.locator("#bio-properties-panel-name")
    expect(name).to_have_value("Welcome the new employee")
    name.fill("Welcome the new colleague")
    expect(shape(page, "welcome_employee")).to_contain_text("Welcome the new colleague")
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    page.get_by_label("What changed").fill("Renamed the welcome")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("designer-message")).to_have_text("Saved as version 2.")
    expect(designer).to_have_attribute("data-version", "2")
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    expect(page.get_by_test_id("version-row").first).to_contain_text("Renamed the welcome")

    shape(page, "employee_onboarded").click()
    page.keyboard.press("Delete")
    expect(shape(page, "employee_onboarded")).to_have_count(0)
    problem = page.get_by_test_id("problem").filter(has_text="Welcome the new colleague")
    expect(problem.first).to_contain_text("implicit end")
    expect(shape(page, "welcome_employee")).to_have_class(re.compile(r"\bapg-problem-error\b"))
    expect(page.locator('.djs-overlays[data-container-id="welcome_employee"] .bjsl-overlay')).to_have_count(1)

    page.keyboard.press("Control+z")
    expect(shape(page, "employee_onboarded")).to_have_count(1)
    expect(page.get_by_test_id("no-problems")).to_be_visible()
    expect(shape(page, "welcome_employee")).not_to_have_class(re.compile(r"\bapg-problem-error\b"))

    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_test_id("designer-message")).to_have_text(
        re.compile(r"^Deployed version \d+ as employee_onboarding version \d+\.$")
    )
    page.get_by_role("tab", name="Deployed").click()
    page.get_by_role("button", name="Refresh").click()
    row = page.get_by_test_id("deployed-row").first
    expect(row).to_contain_text("employee_onboarding")
    row.get_by_role("button", name="Start").click()
    expect(page.get_by_test_id("designer-message")).to_have_text(
        re.compile(r"^Started an instance of employee_onboarding v\d+ \([0-9a-f-]+\)\.$")
    )
    expect(row.locator("td").nth(2)).to_have_text("1")
    row.get_by_role("button", name="View").click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_be_visible()
    overlay = '[data-testid="count-overlay"][data-element-id="{}"] [data-kind="{}"]'
    expect(inspector.locator(overlay.format("prepare_contract", "running"))).to_have_text("1")
    expect(inspector.locator(overlay.format("hire_confirmed", "completed"))).to_have_text("1")


def test_a_designer_saves_a_model_as_a_template_and_starts_a_new_model_from_it(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    model = model_made(api, "Leave source", "leave-source", (MODELS / "leave_request.bpmn").read_text())
    sign_in(page, live_platform, *DESIGNER)
    open_modeler(page, live_platform, model)

    page.get_by_role("button", name="Save as template…").click()
    form = page.get_by_test_id("template-form")
    form.get_by_label("Template name").fill("Leave request (ours)")
    form.get_by_label("Template key").fill("approval")
    form.get_by_label("Description").fill("Ask, review, decide")
    form.get_by_role("button", name="Save the template").click()
    expect(page.get_by_test_id("designer-message")).to_have_text(
        "The template was not saved: 'approval' is the key of a starter template."
    )
    form.get_by_label("Template key").fill("leave-ours")
    form.get_by_role("button", name="Save the template").click()
    expect(page.get_by_test_id("designer-message")).to_have_text(
        "Saved version 1 as the template “Leave request (ours)”: new models can start from it."
    )
    expect(form).to_be_hidden()

    page.goto(live_platform.url(ACME, "/designer/"))
    page.get_by_label("Name", exact=True).fill("Leave for the summer")
    page.get_by_label("Start from").select_option(label="Leave request (ours)")
    page.get_by_role("button", name="Create the model").click()
    expect(page.locator("#designer")).to_have_attribute("data-state", "ready")
    expect(shape(page, "review")).to_contain_text("Review the request")


def test_a_refused_deployment_marks_the_engines_problems_and_a_stale_save_offers_the_newest_version(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    xml = (MODELS / "leave_request.bpmn").read_text().replace("leave_request", "leave_refused")
    model = model_opened(page, live_platform, api, "Refused leave", "refused-leave", xml)

    shape(page, "review").click()
    page.locator(".bio-properties-panel-group-header").filter(has_text="User assignment").click()
    page.locator("#bio-properties-panel-assignee").fill("${who +}")
    expect(page.get_by_test_id("problem").filter(has=page.locator("[data-source=engine]"))).to_have_count(0)
    expect(page.locator('[data-testid="problem"][data-source="engine"][data-element-id="review"]')).to_have_count(1)
    page.get_by_role("button", name="Deploy").click()

    expect(page.get_by_test_id("designer-message")).to_have_text(
        "The engine refused the deployment: 1 problem is marked on the diagram."
    )
    expect(page.locator('[data-testid="problem"][data-source="deployment"][data-element-id="review"]')).to_have_count(1)
    expect(shape(page, "review")).to_have_class(re.compile(r"\bapg-problem-error\b"))
    expect(page.locator('.djs-overlays[data-container-id="review"] [data-testid="problem-overlay"]')).to_have_count(1)
    assert api.get("/api/v1/process-definitions/", params={"key": "leave_refused"}).json() == []

    current = api.get(f"/api/v1/models/{model['id']}/xml/")
    newer = api.post(
        f"/api/v1/models/{model['id']}/versions/",
        json={"xml": current.text.replace("Decided", "Done"), "message": "Meanwhile"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert newer.status_code == 201, newer.text
    page.locator("#bio-properties-panel-assignee").fill("manager")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("designer-message")).to_contain_text("Someone saved a newer version (version 3)")
    page.get_by_role("button", name="Load the newest version").click()
    expect(page.locator("#designer")).to_have_attribute("data-version", "3")
    # An event's name is drawn as a label of its own, beside the event.
    expect(page.locator('[data-modeler-canvas] .djs-element[data-element-id="decided_label"]')).to_contain_text("Done")


def test_a_message_correlation_key_set_in_the_panel_is_saved_deployed_and_correlates_the_right_instance(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    model = model_opened(page, live_platform, api, "Payment", "payment", (MODELS / "payment.bpmn").read_text())

    shape(page, "wait_for_payment").click()
    page.locator(".bio-properties-panel-group-header").filter(has_text="Message").click()
    page.locator("#bio-properties-panel-correlationKey").fill("=orderId")
    expect(page.locator("#designer")).to_have_attribute("data-dirty", "true")
    page.get_by_label("What changed").fill("Correlate payments by order")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("designer-message")).to_have_text("Saved as version 2.")
    saved = api.get(f"/api/v1/models/{model['id']}/xml/").text
    assert re.search(r'<zeebe:subscription correlationKey="=orderId"\s*/>', saved), saved
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_test_id("designer-message")).to_have_text("Deployed version 2 as payment version 1.")

    started = [
        api.post("/api/v1/process-definitions/key/payment/start/", json={"variables": {"orderId": order}})
        for order in ("A-1", "B-2")
    ]
    assert [answer.status_code for answer in started] == [201, 201]
    correlated = api.post("/api/v1/messages/", json={"name": "payment-received", "correlation_key": "B-2"})
    assert correlated.status_code == 200, correlated.text
    assert [match["instance"] for match in correlated.json()["matched"]] == [started[1].json()["id"]]


def test_a_designer_exports_the_diagram_compares_two_versions_on_the_diagram_and_restores_the_first(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    first = (MODELS / "leave_request.bpmn").read_text().replace("leave_request", "expense_claim")
    model = model_made(api, "Expense claim", "expense-claim", first)
    # Version 2: the review renamed, the end event replaced by another one (and its flow with it).
    second = first.replace("Review the request", "Check the claim").replace("decided", "closed")
    saved = api.post(
        f"/api/v1/models/{model['id']}/versions/",
        json={"xml": second, "message": "Checked, then closed"},
        headers={"If-Match": '"1"'},
    )
    assert saved.status_code == 201, saved.text
    sign_in(page, live_platform, *DESIGNER)
    open_modeler(page, live_platform, model)
    expect(page.locator("#designer")).to_have_attribute("data-version", "2")

    with page.expect_download() as bpmn_download:
        page.get_by_role("button", name="Export .bpmn").click()
    assert bpmn_download.value.suggested_filename == "expense-claim.bpmn"
    exported = Path(bpmn_download.value.path()).read_text()
    result = page.evaluate(COMPARE_ROUND_TRIP, second)
    assert result["missing_ids"] == [] and result["changed_layout"] == []
    assert 'id="closed"' in exported and 'name="Check the claim"' in exported
    assert 'camunda:candidateGroups="managers"' in exported
    with page.expect_download() as svg_download:
        page.get_by_role("button", name="Export .svg").click()
    assert svg_download.value.suggested_filename == "expense-claim.svg"
    svg = Path(svg_download.value.path()).read_text()
    assert "<svg" in svg and "Check the claim" in svg

    expect(page.get_by_test_id("version-row")).to_have_count(2)
    expect(page.get_by_label("Compare")).to_have_value("1")
    expect(page.get_by_label("with")).to_have_value("2")
    page.get_by_role("button", name="Compare", exact=True).click()
    inspector = page.get_by_test_id("inspector")
    expect(inspector.get_by_role("heading")).to_have_text("Version 1 compared with version 2")
    expect(inspector.get_by_test_id("diff-changed").filter(has_text="Check the claim")).to_contain_text(
        "name: 'Review the request' -> 'Check the claim'"
    )
    expect(inspector.get_by_test_id("diff-added").filter(has_text="closed")).to_have_count(2)  # event and flow
    expect(inspector.get_by_test_id("diff-removed").filter(has_text="decided")).to_have_count(2)
    older, newer = inspector.locator("[data-inspector-pane]").nth(0), inspector.locator("[data-inspector-pane]").nth(1)
    expect(newer.locator('.djs-element[data-element-id="review"]')).to_have_class(re.compile(r"\bapg-diff-changed\b"))
    expect(newer.locator('.djs-element[data-element-id="closed"]')).to_have_class(re.compile(r"\bapg-diff-added\b"))
    expect(older.locator('.djs-element[data-element-id="decided"]')).to_have_class(re.compile(r"\bapg-diff-removed\b"))

    page.get_by_test_id("version-row").filter(has_text="v1").get_by_role("button", name="Restore").click()
    expect(page.get_by_test_id("designer-message")).to_have_text("Version 1 restored as version 3.")
    expect(page.locator("#designer")).to_have_attribute("data-version", "3")
    expect(shape(page, "decided")).to_be_visible()
    expect(shape(page, "closed")).to_have_count(0)
    expect(shape(page, "review")).to_contain_text("Review the request")
    expect(page.get_by_test_id("version-row")).to_have_count(3)
    expect(page.get_by_test_id("version-row").first).to_contain_text("Restored version 1")
    restored = api.get(f"/api/v1/models/{model['id']}/xml/")
    assert restored.headers["ETag"] == '"3"' and restored.text == first


def test_every_omg_interchange_model_opens_in_the_modeler_and_exports_with_ids_layout_and_extensions_kept(
    page: Page, live_platform: LivePlatform, api: httpx.Client
) -> None:
    model_opened(page, live_platform, api, "Interchange", "interchange", (MODELS / "leave_request.bpmn").read_text())
    designer = page.locator("#designer")
    assert len(MIWG) == 21
    for path in MIWG:
        page.locator("[data-open-file]").set_input_files(path)
        expect(designer).to_have_attribute("data-opened-file", path.name)
        warnings = MIWG_IMPORT_WARNINGS.get(path.name, [])
        expect(designer).to_have_attribute("data-import-warnings", str(len(warnings)))
        if warnings:
            count = "1 warning" if len(warnings) == 1 else f"{len(warnings)} warnings"
            expect(page.get_by_test_id("designer-message")).to_have_text(
                f"{path.name} is open with {count}: {'; '.join(warnings)}. "
                "Save to keep it as the next version of this model."
            )
        assert page.locator(".djs-element.djs-shape").count() > 0, path.name
        result = page.evaluate(COMPARE_ROUND_TRIP, path.read_text())
        assert result["parsed"], path.name
        assert result["missing_ids"] == [], path.name
        assert result["changed_layout"] == [], path.name
        assert result["extensions_after"] == result["extensions_before"], path.name


def test_a_file_that_is_not_bpmn_or_a_bad_name_or_key_is_refused_with_a_clear_message_and_nothing_is_saved(
    page: Page, live_platform: LivePlatform, api: httpx.Client, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.bpmn"
    notes.write_text("These are my meeting notes, not a process.")
    hostile = tmp_path / "hostile.bpmn"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
    before = api.get("/api/v1/models/").json()["count"]
    sign_in(page, live_platform, *DESIGNER)
    page.goto(live_platform.url(ACME, "/designer/"))

    importing = page.locator("[data-import-form]")
    for path, reason in ((notes, "not well-formed XML"), (hostile, "DOCTYPE and ENTITY declarations are not accepted")):
        importing.get_by_label(re.compile("BPMN 2.0 file")).set_input_files(path)
        importing.get_by_role("button", name="Import").click()
        expect(importing.get_by_test_id("form-problem")).to_have_text(
            f"{path.name} was not imported: it is not a BPMN 2.0 document the platform accepts."
        )
        expect(importing.get_by_test_id("form-problem-detail")).to_contain_text(reason)
    huge = tmp_path / "huge.bpmn"
    huge.write_text(f"<definitions><documentation>{'x' * 2_100_000}</documentation></definitions>")
    importing.get_by_label(re.compile("BPMN 2.0 file")).set_input_files(huge)
    importing.get_by_role("button", name="Import").click()
    expect(importing.get_by_test_id("form-problem")).to_have_text(
        re.compile(r"^huge\.bpmn is 2,100,\d{3} bytes; at most 2,000,000 are accepted\.$")
    )
    assert api.get("/api/v1/models/").json()["count"] == before

    model = model_made(api, "Kept as it was", "kept-as-it-was", (MODELS / "leave_request.bpmn").read_text())
    creating = page.locator("[data-create-form]")
    creating.get_by_role("button", name="Create the model").click()
    expect(creating.get_by_test_id("form-problem")).to_have_text("Give the model a name.")
    creating.get_by_label("Name", exact=True).fill("Kept again")
    creating.get_by_label("Key").fill("kept as it was!")
    creating.get_by_role("button", name="Create the model").click()
    expect(creating.get_by_test_id("form-problem")).to_contain_text("Key: Enter a valid")
    creating.get_by_label("Key").fill("kept-as-it-was")
    creating.get_by_role("button", name="Create the model").click()
    expect(creating.get_by_test_id("form-problem")).to_have_text(
        "A model with the key 'kept-as-it-was' exists already."
    )
    assert api.get("/api/v1/models/").json()["count"] == before + 1

    open_modeler(page, live_platform, model)
    page.locator("[data-open-file]").set_input_files(notes)
    expect(page.get_by_test_id("designer-message")).to_have_text(
        "notes.bpmn is not a BPMN 2.0 file: it has no <definitions> element."
    )
    expect(shape(page, "review")).to_be_visible()
    expect(page.locator("#designer")).to_have_attribute("data-dirty", "false")
