// Read-only diagrams beside the modeler: two versions compared (added, removed and changed
// elements coloured), or a deployed version with its instance counts on its elements.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const COUNT_KINDS = [
  ["running", "text-bg-primary", "running"],
  ["completed", "text-bg-success", "completed"],
  ["incidents", "text-bg-danger", "incidents"],
];

export class Inspector {
  constructor(section) {
    this.section = section;
    this.title = section.querySelector("[data-inspector-title]");
    this.summary = section.querySelector("[data-inspector-summary]");
    this.panes = [...section.querySelectorAll("[data-inspector-pane]")];
    this.viewers = [];
    section.querySelector("[data-inspector-close]").addEventListener("click", () => this.close());
  }

  close() {
    for (const viewer of this.viewers) {
      viewer.destroy();
    }
    this.viewers = [];
    this.section.hidden = true;
    this.section.dataset.state = "closed";
    this.showing = null; // the definition id of the deployed version shown, if one is
  }

  async open(title, diagrams) {
    this.close();
    this.section.hidden = false;
    this.title.textContent = title;
    this.summary.replaceChildren();
    this.panes.forEach((pane, index) => {
      pane.hidden = index >= diagrams.length;
      pane.querySelector("[data-inspector-caption]").textContent = diagrams[index]?.caption || "";
    });
    for (const [index, diagram] of diagrams.entries()) {
      const container = this.panes[index].querySelector("[data-inspector-canvas]");
      const viewer = new NavigatedViewer({ container });
      this.viewers.push(viewer);
      await viewer.importXML(diagram.xml);
      viewer.get("canvas").zoom("fit-viewport", "auto");
    }
    return this.viewers;
  }

  line(text, className = "") {
    const line = document.createElement("li");
    line.className = className;
    line.textContent = text;
    this.summary.append(line);
    return line;
  }

  // `diff` is the API's answer for `newer` against `older`: {added, removed, changed}.
  async showDiff(older, newer, diff) {
    const [olderViewer, newerViewer] = await this.open(`Version ${older.number} compared with version ${newer.number}`, [
      { xml: older.xml, caption: `Version ${older.number}` },
      { xml: newer.xml, caption: `Version ${newer.number}` },
    ]);
    const mark = (viewer, items, marker) => {
      const registry = viewer.get("elementRegistry");
      for (const item of items) {
        if (registry.get(item.id)) {
          viewer.get("canvas").addMarker(item.id, marker);
        }
      }
    };
    mark(olderViewer, diff.removed, "apg-diff-removed");
    mark(newerViewer, diff.added, "apg-diff-added");
    mark(newerViewer, diff.changed, "apg-diff-changed");
    const describe = (item) => (item.name ? `${item.name} (${item.type} ${item.id})` : `${item.type} ${item.id}`);
    for (const item of diff.added) {
      this.line(`Added: ${describe(item)}`, "apg-diff-line-added").dataset.testid = "diff-added";
    }
    for (const item of diff.removed) {
      this.line(`Removed: ${describe(item)}`, "apg-diff-line-removed").dataset.testid = "diff-removed";
    }
    for (const item of diff.changed) {
      const changes = (item.changes || []).join("; ");
      const line = this.line(`Changed: ${describe(item)}${changes ? ` — ${changes}` : ""}`, "apg-diff-line-changed");
      line.dataset.testid = "diff-changed";
    }
    if (!diff.added.length && !diff.removed.length && !diff.changed.length) {
      this.line("The two versions have the same elements.");
    }
    this.section.dataset.state = "diff";
  }

  // `deployed` is the API's answer: {xml, elements: {element id: {running, completed, incidents}}}.
  async showDeployed(row, deployed) {
    const [viewer] = await this.open(`Deployed ${row.key} version ${row.version}`, [
      { xml: deployed.xml, caption: `Instances: ${row.running} running, ${row.completed} completed, ${row.incidents} incidents` },
    ]);
    this.showing = row.definition_id;
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    for (const [elementId, counts] of Object.entries(deployed.elements || {})) {
      if (!registry.get(elementId)) {
        continue;
      }
      const box = document.createElement("div");
      box.className = "apg-count-overlay d-flex gap-1";
      box.dataset.testid = "count-overlay";
      box.dataset.elementId = elementId;
      for (const [kind, style, label] of COUNT_KINDS) {
        if (counts[kind]) {
          const badge = document.createElement("span");
          badge.className = `badge ${style}`;
          badge.dataset.kind = kind;
          badge.title = `${counts[kind]} ${label}`;
          badge.textContent = String(counts[kind]);
          box.append(badge);
        }
      }
      if (box.childElementCount) {
        overlays.add(elementId, "apg-counts", { position: { bottom: 10, left: -6 }, html: box });
      }
    }
    this.line("Blue: instances waiting there now; green: completed there; red: open incidents.", "text-body-secondary");
    this.section.dataset.state = "deployed";
  }
}
