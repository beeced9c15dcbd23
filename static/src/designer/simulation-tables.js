// The simulation's parameters as tables a designer fills in: each activity's duration (a
// distribution and its numbers, in minutes), the people of each lane or group, and the share
// of each flow leaving a choice. The tables edit a parameters object (the JSON the API takes);
// whatever they do not show (an activity's resource, other keys) is kept as it is.

// The numbers of each distribution, in the order they are typed (as the API names them).
export const SHAPES = {
  fixed: ["value"],
  exponential: ["mean"],
  uniform: ["min", "max"],
  normal: ["mean", "sd"],
  triangular: ["min", "mode", "max"],
  lognormal: ["mean", "sd"],
};
const LABELS = {
  fixed: "Fixed",
  exponential: "Exponential",
  uniform: "Uniform",
  normal: "Normal",
  triangular: "Triangular",
  lognormal: "Log-normal",
};

// A duration as the API takes it (a number, or {type, ...numbers}) as [type, "n, n"].
export function durationText(duration) {
  if (typeof duration === "number") {
    return ["fixed", String(duration)];
  }
  const kind = duration && SHAPES[duration.type] ? duration.type : "fixed";
  const numbers = SHAPES[kind].map((name) => (duration && duration[name] !== undefined ? duration[name] : ""));
  return [kind, numbers.join(", ")];
}

// [type, "n, n"] back as the API takes it; what is not a number is sent as typed, for the
// server to say what is wrong with it.
export function durationOf(kind, text) {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const numbers = parts.map((part) => (Number.isFinite(Number(part)) ? Number(part) : part));
  if (kind === "fixed" && numbers.length === 1 && typeof numbers[0] === "number") {
    return numbers[0];
  }
  const duration = { type: kind };
  SHAPES[kind].forEach((name, position) => {
    if (position < numbers.length) {
      duration[name] = numbers[position];
    }
  });
  return duration;
}

function element(tag, className = "", text = "") {
  const made = document.createElement(tag);
  if (className) {
    made.className = className;
  }
  if (text) {
    made.textContent = text;
  }
  return made;
}

function table(headings) {
  const made = element("table", "table table-sm align-middle small mb-0");
  const row = element("tr");
  for (const heading of headings) {
    const cell = element("th", "fw-semibold", heading);
    cell.scope = "col";
    row.append(cell);
  }
  made.append(element("thead"), element("tbody"));
  made.tHead.append(row);
  return made;
}

function numberInput(value, label, { step = "any", min = "0", max = "" } = {}) {
  const input = element("input", "form-control form-control-sm");
  input.type = "number";
  input.step = step;
  input.min = min;
  if (max) {
    input.max = max;
  }
  input.value = value === undefined || value === null ? "" : String(value);
  input.setAttribute("aria-label", label);
  return input;
}

export class ParameterTables {
  constructor(container, modeler, onChange) {
    this.container = container;
    this.modeler = modeler;
    this.onChange = onChange;
  }

  nameOf(id) {
    const found = this.modeler.get("elementRegistry").get(id);
    const business = found && found.businessObject;
    return (business && business.name) || id;
  }

  flowName(id) {
    const found = this.modeler.get("elementRegistry").get(id);
    const business = found && found.businessObject;
    if (!business || !business.sourceRef) {
      return (business && business.name) || id; // a boundary event
    }
    const target = (business.targetRef && (business.targetRef.name || business.targetRef.id)) || "?";
    const source = (business.sourceRef && (business.sourceRef.name || business.sourceRef.id)) || "?";
    return business.name ? `${business.name} (${source} → ${target})` : `${source} → ${target}`;
  }

  show(parameters) {
    this.parameters = parameters;
    this.container.replaceChildren();
    const row = element("div", "row g-3");
    row.append(this.activities(), this.people(), this.shares());
    this.container.append(row);
  }

  changed() {
    this.onChange(this.parameters);
  }

  activities() {
    const column = element("div", "col-xl-6");
    const made = table(["Activity", "Duration (minutes)", "Numbers"]);
    made.dataset.testid = "simulation-activities-table";
    const activities = (this.parameters.activities = this.parameters.activities || {});
    for (const [id, settings] of Object.entries(activities)) {
      const name = this.nameOf(id);
      const [kind, numbers] = durationText(settings.duration ?? 0);
      const select = element("select", "form-select form-select-sm");
      select.setAttribute("aria-label", `Distribution of ${name}`);
      for (const [value, label] of Object.entries(LABELS)) {
        const option = element("option", "", label);
        option.value = value;
        option.selected = value === kind;
        select.append(option);
      }
      const input = element("input", "form-control form-control-sm");
      input.value = numbers;
      input.placeholder = SHAPES[kind].join(", ");
      input.setAttribute("aria-label", `Numbers of ${name}`);
      const update = () => {
        input.placeholder = SHAPES[select.value].join(", ");
        settings.duration = durationOf(select.value, input.value);
        this.changed();
      };
      select.addEventListener("change", update);
      input.addEventListener("input", update);
      const line = element("tr");
      line.dataset.elementId = id;
      const selectCell = element("td");
      selectCell.append(select);
      const inputCell = element("td");
      inputCell.append(input);
      line.append(element("td", "", name), selectCell, inputCell);
      made.tBodies[0].append(line);
    }
    column.append(made);
    return column;
  }

  people() {
    const resources = (this.parameters.resources = this.parameters.resources || {});
    return this.numberColumn(["People", "How many"], "simulation-people-table", resources, {
      label: (id) => `People of ${this.nameOf(id)}`,
      name: (id) => this.nameOf(id),
      options: { step: "1", min: "1" },
      empty: 1,
    });
  }

  shares() {
    const probabilities = (this.parameters.probabilities = this.parameters.probabilities || {});
    return this.numberColumn(["Flow", "Share"], "simulation-shares-table", probabilities, {
      label: (id) => `Share of ${this.flowName(id)}`,
      name: (id) => this.flowName(id),
      options: { step: "0.01", max: "1" },
      empty: 0,
    });
  }

  // A table of one number per id (`values`), each edit written back into `values`.
  numberColumn(headings, testid, values, { label, name, options, empty }) {
    const column = element("div", "col-xl-3 col-md-6");
    const made = table(headings);
    made.dataset.testid = testid;
    for (const [id, value] of Object.entries(values)) {
      const input = numberInput(value, label(id), options);
      input.addEventListener("input", () => {
        values[id] = input.value === "" ? empty : Number(input.value);
        this.changed();
      });
      const line = element("tr");
      const cell = element("td");
      cell.append(input);
      line.append(element("td", "", name(id)), cell);
      made.tBodies[0].append(line);
    }
    column.append(made);
    return column;
  }
}
