// Problems found in the diagram, from several sources at once: bpmnlint in the browser, the
// engine's validator (through the API), and the server's answer to a save or a deployment.
// Each source replaces its own problems; all are listed and marked on the elements they name.

const SOURCE_LABELS = {
  bpmnlint: "Lint",
  engine: "Engine",
  save: "Save",
  deployment: "Deployment",
  simulation: "Simulation",
};
const MARKERS = ["apg-problem-error", "apg-problem-warning"];

function severityOf(value) {
  return /^(error|fatal)$/i.test(String(value || "")) ? "error" : "warning";
}

// bpmnlint's `linting.completed` issues ({element id: [{message, category, rule}]}) as problems.
export function lintProblems(issues) {
  const problems = [];
  for (const [elementId, list] of Object.entries(issues || {})) {
    for (const issue of list) {
      problems.push({
        severity: severityOf(issue.category),
        code: issue.rule || "",
        message: issue.message || "",
        element_id: issue.id || elementId,
      });
    }
  }
  return problems;
}

export class ProblemBoard {
  constructor(modeler, list, counter) {
    this.modeler = modeler;
    this.list = list;
    this.counter = counter;
    this.bySource = new Map();
    this.marked = [];
  }

  set(source, problems) {
    this.bySource.set(source, problems.map((problem) => ({ ...problem, severity: severityOf(problem.severity) })));
    this.render();
  }

  clear(source) {
    this.bySource.delete(source);
    this.render();
  }

  all() {
    const problems = [];
    for (const [source, list] of this.bySource) {
      for (const problem of list) {
        problems.push({ ...problem, source });
      }
    }
    return problems;
  }

  render() {
    const problems = this.all();
    this.mark(problems);
    this.list.replaceChildren();
    for (const problem of problems) {
      this.list.append(this.item(problem));
    }
    const errors = problems.filter((problem) => problem.severity === "error").length;
    this.counter.textContent = String(problems.length);
    this.counter.className = `badge ${errors ? "text-bg-danger" : problems.length ? "text-bg-warning" : "text-bg-success"}`;
    this.list.dataset.count = String(problems.length);
    const empty = document.createElement("li");
    empty.className = "list-group-item small text-body-secondary";
    empty.dataset.testid = "no-problems";
    empty.textContent = "No problems found.";
    if (!problems.length) {
      this.list.append(empty);
    }
  }

  item(problem) {
    const registry = this.modeler.get("elementRegistry");
    const element = problem.element_id ? registry.get(problem.element_id) : null;
    const item = document.createElement("li");
    item.className = "list-group-item small d-flex gap-2 align-items-start";
    item.dataset.testid = "problem";
    item.dataset.elementId = problem.element_id || "";
    item.dataset.source = problem.source;
    const badge = document.createElement("span");
    badge.className = `badge ${problem.severity === "error" ? "text-bg-danger" : "text-bg-warning"}`;
    badge.textContent = SOURCE_LABELS[problem.source] || problem.source;
    const text = document.createElement("span");
    text.className = "flex-grow-1";
    const name = element?.businessObject?.name || problem.element_id || "";
    text.textContent = name ? `${name}: ${problem.message}` : problem.message;
    if (problem.line) {
      text.textContent += ` (line ${problem.line})`;
    }
    item.append(badge, text);
    if (element && element.parent) {
      const show = document.createElement("button");
      show.type = "button";
      show.className = "btn btn-link btn-sm p-0";
      show.textContent = "Show";
      show.addEventListener("click", () => {
        this.modeler.get("selection").select(element);
        this.modeler.get("canvas").scrollToElement(element);
      });
      item.append(show);
    }
    return item;
  }

  // A marker class on every element with a problem (the worst severity), and for the sources the
  // linter does not draw itself, an overlay whose tooltip says what is wrong.
  mark(problems) {
    const canvas = this.modeler.get("canvas");
    const overlays = this.modeler.get("overlays");
    const registry = this.modeler.get("elementRegistry");
    for (const id of this.marked) {
      if (registry.get(id)) {
        for (const marker of MARKERS) {
          canvas.removeMarker(id, marker);
        }
      }
    }
    overlays.remove({ type: "apg-problem" });
    this.marked = [];
    const byElement = new Map();
    for (const problem of problems) {
      if (problem.element_id && registry.get(problem.element_id)) {
        const list = byElement.get(problem.element_id) || [];
        list.push(problem);
        byElement.set(problem.element_id, list);
      }
    }
    for (const [id, list] of byElement) {
      const severity = list.some((problem) => problem.severity === "error") ? "error" : "warning";
      canvas.addMarker(id, `apg-problem-${severity}`);
      this.marked.push(id);
      const element = registry.get(id);
      const fromServer = list.filter((problem) => problem.source !== "bpmnlint");
      if (fromServer.length && element.parent) {
        const badge = document.createElement("div");
        badge.className = `apg-problem-overlay apg-problem-overlay-${severity}`;
        badge.dataset.testid = "problem-overlay";
        badge.textContent = String(fromServer.length);
        badge.title = fromServer.map((problem) => problem.message).join("\n");
        overlays.add(id, "apg-problem", { position: { top: -10, left: -10 }, html: badge });
      }
    }
  }
}
