// The Simulate panel: run N simulated instances of the diagram as drawn (POST /api/v1/simulations/,
// nothing stored or started), then show the figures as a table and as a heat overlay on the
// activities. The parameters start from the diagram: every task, lane and choice is listed.
import { call, problemsOf, problemText } from "./api.js";
import { ParameterTables } from "./simulation-tables.js";

const SIMULATIONS_URL = "/api/v1/simulations/";
const HUMAN_TASKS = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task"];
const CHOOSING_GATEWAYS = ["bpmn:ExclusiveGateway", "bpmn:EventBasedGateway"];
const HEAT_OVERLAY = "apg-simulation-heat";

function minutes(value) {
  if (value === null || value === undefined) {
    return "–";
  }
  if (value >= 120) {
    return `${(value / 60).toFixed(1)} h`;
  }
  return `${value.toFixed(1)} min`;
}

function percent(value) {
  return `${Math.round(value * 100)} %`;
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) {
    td.className = className;
  }
  return td;
}

// Equal shares of 1 in two decimals, the last taking what rounding left, so they add up to 1.
function shares(count) {
  const each = Math.floor(100 / count) / 100;
  const list = Array.from({ length: count }, () => each);
  list[count - 1] = Math.round((1 - each * (count - 1)) * 100) / 100;
  return list;
}

// What the diagram asks for: a duration for each task a person does, the people of each lane
// (or candidate group), and a share for each flow leaving a choosing gateway.
export function parametersFromDiagram(modeler) {
  const registry = modeler.get("elementRegistry");
  const activities = {};
  const resources = {};
  const probabilities = {};
  const laneOf = new Map();
  for (const lane of registry.filter((element) => element.type === "bpmn:Lane")) {
    for (const node of lane.businessObject.flowNodeRef || []) {
      laneOf.set(node.id, lane.id); // child lanes come later and win, as in the simulator
    }
  }
  for (const element of registry.getAll()) {
    const business = element.businessObject;
    if (!business || element.labelTarget) {
      continue;
    }
    if (HUMAN_TASKS.includes(element.type)) {
      activities[element.id] = { duration: { type: "exponential", mean: 10 } };
      const groups = String(business.get?.("camunda:candidateGroups") || "")
        .split(",")
        .map((group) => group.trim())
        .filter((group) => group && !group.includes("$") && !group.includes("#"));
      const resource = laneOf.get(element.id) || groups[0];
      if (resource) {
        resources[resource] = 1;
      }
    }
    if (CHOOSING_GATEWAYS.includes(element.type) && (business.outgoing || []).length > 1) {
      const flows = business.outgoing;
      shares(flows.length).forEach((share, position) => {
        probabilities[flows[position].id] = share;
      });
    }
  }
  return { activities, resources, probabilities };
}

export class SimulationPanel {
  constructor(page, root) {
    this.page = page;
    this.root = root;
    this.form = root.querySelector("[data-simulation-form]");
    this.parameters = root.querySelector("[data-simulation-parameters]");
    this.message = root.querySelector("[data-simulation-message]");
    this.results = root.querySelector("[data-simulation-results]");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    root.querySelector('[data-action="simulation-fill"]').addEventListener("click", () => this.fill());
    root.querySelector('[data-action="simulation-clear"]').addEventListener("click", () => this.clearHeat());
    // The tables and the JSON edit the same parameters: each shows what the other changed.
    this.tables = new ParameterTables(root.querySelector("[data-simulation-tables]"), page.modeler, (parameters) =>
      this.writeJson(parameters),
    );
    this.parameters.addEventListener("change", () => this.readJson());
  }

  fill() {
    const parameters = parametersFromDiagram(this.page.modeler);
    this.writeJson(parameters);
    this.tables.show(parameters);
  }

  writeJson(parameters) {
    this.parameters.value = JSON.stringify(parameters, null, 2);
  }

  readJson() {
    try {
      const parameters = JSON.parse(this.parameters.value || "{}");
      if (parameters && typeof parameters === "object" && !Array.isArray(parameters)) {
        this.tables.show(parameters);
      }
    } catch {
      // run() says what is wrong with it
    }
  }

  say(text, tone) {
    this.message.textContent = text;
    this.message.className = `small mb-2 ${tone === "danger" ? "text-danger" : "text-body-secondary"}`;
  }

  readParameters() {
    const text = this.parameters.value.trim();
    let parameters = {};
    if (text) {
      try {
        parameters = JSON.parse(text);
      } catch (error) {
        throw new Error(`The parameters are not JSON: ${error.message}`);
      }
      if (!parameters || typeof parameters !== "object" || Array.isArray(parameters)) {
        throw new Error("The parameters must be a JSON object.");
      }
    }
    const field = (name) => this.form.elements[name].value.trim();
    return {
      ...parameters,
      instances: Number(field("instances")),
      arrival: { rate_per_hour: Number(field("rate")) },
    };
  }

  async run() {
    if (!this.parameters.value.trim()) {
      this.fill();
    }
    let parameters;
    try {
      parameters = this.readParameters();
    } catch (error) {
      this.say(error.message, "danger");
      return;
    }
    const seed = Number(this.form.elements.seed.value || 0);
    this.root.dataset.state = "running";
    this.say("Simulating…");
    const { xml } = await this.page.modeler.saveXML({ format: false });
    const answer = await call(SIMULATIONS_URL, { method: "POST", json: { xml, parameters, seed } });
    this.root.dataset.state = "done";
    if (!answer.ok) {
      const problems = problemsOf(answer);
      this.page.board.set("simulation", problems.map((problem) => ({ ...problem, severity: "error" })));
      this.results.hidden = true;
      this.clearHeat();
      const found = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
      this.say(
        problems.length
          ? `The simulation did not run: ${found}, listed under Problems. ${problems[0].message}`
          : problemText(answer, "The simulation did not run"),
        "danger",
      );
      return;
    }
    this.page.board.clear("simulation");
    this.show(answer.data);
  }

  show(result) {
    const cycle = result.cycle_time;
    this.say(
      `${result.instances.completed.toLocaleString()} of ${result.instances.started.toLocaleString()} instances ` +
        `completed (seed ${result.seed}).`,
    );
    const summary = this.results.querySelector("[data-simulation-summary]");
    summary.replaceChildren();
    const facts = [
      ["Cycle time, mean", minutes(cycle.mean)],
      ["Cycle time, p50 / p95", `${minutes(cycle.p50)} / ${minutes(cycle.p95)}`],
      ["Throughput", result.throughput_per_hour === null ? "–" : `${result.throughput_per_hour.toFixed(2)} an hour`],
      ["Bottleneck", result.bottleneck.activity ? this.nameOf(result.bottleneck.activity) : "none: no work waited"],
    ];
    for (const [label, value] of facts) {
      const term = document.createElement("dt");
      term.className = "col-sm-5 fw-normal text-body-secondary";
      term.textContent = label;
      const detail = document.createElement("dd");
      detail.className = "col-sm-7 mb-1";
      detail.textContent = value;
      detail.dataset.fact = label;
      summary.append(term, detail);
    }
    const activities = this.results.querySelector("[data-simulation-activities]");
    activities.replaceChildren();
    for (const activity of result.activities) {
      const row = document.createElement("tr");
      row.dataset.testid = "simulation-activity";
      row.dataset.elementId = activity.id;
      const heat = result.heat.elements[activity.id] ?? 0;
      row.append(
        cell(activity.name || activity.id),
        cell(activity.count.toLocaleString(), "text-end"),
        cell(minutes(activity.mean_waiting), "text-end"),
        cell(minutes(activity.mean_processing), "text-end"),
        cell(percent(heat), "text-end"),
      );
      if (activity.id === result.bottleneck.activity) {
        row.classList.add("table-danger");
      }
      activities.append(row);
    }
    const resources = this.results.querySelector("[data-simulation-resources]");
    resources.replaceChildren();
    for (const resource of result.resources) {
      const row = document.createElement("tr");
      row.dataset.testid = "simulation-resource";
      row.append(
        cell(resource.name || resource.id),
        cell(String(resource.capacity), "text-end"),
        cell(percent(resource.utilization), "text-end"),
      );
      resources.append(row);
    }
    this.results.hidden = false;
    this.showHeat(result);
  }

  nameOf(elementId) {
    const element = this.page.modeler.get("elementRegistry").get(elementId);
    return (element && element.businessObject.name) || elementId;
  }

  // Each activity covered in red as deep as its share of the time spent waiting and working.
  showHeat(result) {
    this.clearHeat();
    const overlays = this.page.modeler.get("overlays");
    const registry = this.page.modeler.get("elementRegistry");
    for (const activity of result.activities) {
      const element = registry.get(activity.id);
      const heat = result.heat.elements[activity.id] ?? 0;
      if (!element) {
        continue;
      }
      const box = document.createElement("div");
      box.className = "apg-simulation-heat";
      box.dataset.testid = "heat-overlay";
      box.dataset.elementId = activity.id;
      box.dataset.heat = String(heat);
      box.style.width = `${element.width}px`;
      box.style.height = `${element.height}px`;
      box.style.backgroundColor = `rgba(220, 53, 69, ${(0.08 + 0.5 * heat).toFixed(3)})`;
      box.title = `waits ${minutes(activity.mean_waiting)}, works ${minutes(activity.mean_processing)}`;
      const label = document.createElement("span");
      label.textContent = percent(heat);
      box.append(label);
      overlays.add(activity.id, HEAT_OVERLAY, { position: { top: 0, left: 0 }, html: box });
    }
    this.root.querySelector('[data-action="simulation-clear"]').hidden = false;
  }

  clearHeat() {
    this.page.modeler.get("overlays").remove({ type: HEAT_OVERLAY });
    this.root.querySelector('[data-action="simulation-clear"]').hidden = true;
  }
}
