// The modeler page's history: the model's saved versions (compare two, restore one) and its
// deployed versions with their instance counts (open one to see the counts on its elements).
import { call, problemText } from "./api.js";

function cell(text, className = "") {
  const td = document.createElement("td");
  td.className = className;
  td.textContent = text;
  return td;
}

function button(label, handler, style = "btn-outline-secondary") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = `btn btn-sm ${style}`;
  element.textContent = label;
  element.addEventListener("click", handler);
  return element;
}

function when(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString();
}

export class HistoryPanels {
  constructor(page, root) {
    this.page = page;
    this.versionRows = root.querySelector("[data-version-rows]");
    this.deployedRows = root.querySelector("[data-deployed-rows]");
    this.older = root.querySelector("[data-compare-older]");
    this.newer = root.querySelector("[data-compare-newer]");
    root.querySelector("[data-action=compare]").addEventListener("click", () => this.compare());
    root.querySelector("[data-action=refresh-deployed]").addEventListener("click", () => this.loadDeployed());
  }

  refresh() {
    this.loadVersions();
    this.loadDeployed();
  }

  async loadVersions() {
    const answer = await call(`${this.page.api}versions/`);
    if (!answer.ok) {
      return;
    }
    const versions = Array.isArray(answer.data) ? answer.data : answer.data.results || [];
    this.versionRows.replaceChildren();
    for (const version of versions) {
      const row = document.createElement("tr");
      row.dataset.testid = "version-row";
      row.dataset.number = String(version.number);
      const actions = document.createElement("td");
      if (version.number !== this.page.version) {
        actions.append(button("Restore", () => this.restore(version.number)));
      }
      row.append(
        cell(`v${version.number}`, "fw-semibold"),
        cell(version.message || ""),
        cell(version.author || ""),
        cell(when(version.created_at), "text-nowrap small"),
        actions,
      );
      this.versionRows.append(row);
    }
    for (const select of [this.older, this.newer]) {
      const chosen = select.value;
      select.replaceChildren(
        ...versions.map((version) => new Option(`Version ${version.number}`, String(version.number))),
      );
      if (chosen && versions.some((version) => String(version.number) === chosen)) {
        select.value = chosen;
      }
    }
    if (versions.length > 1 && this.older.value === this.newer.value) {
      this.newer.value = String(versions[0].number);
      this.older.value = String(versions[1].number);
    }
  }

  async compare() {
    const [older, newer] = [Number(this.older.value), Number(this.newer.value)];
    if (!older || !newer) {
      return;
    }
    const base = `${this.page.api}versions/`;
    const [first, second, diff] = await Promise.all([
      call(`${base}${older}/`),
      call(`${base}${newer}/`),
      call(`${base}${newer}/diff/?against=${older}`),
    ]);
    const refused = [first, second, diff].find((answer) => !answer.ok);
    if (refused) {
      this.page.say("danger", problemText(refused, "The versions could not be compared"));
      return;
    }
    await this.page.inspector.showDiff(first.data, second.data, diff.data);
  }

  async restore(number) {
    if (this.page.dirty) {
      this.page.say("warning", "You have unsaved changes: save or export them before restoring a version.");
      return;
    }
    const answer = await call(`${this.page.api}versions/${number}/restore/`, {
      method: "POST",
      headers: { "If-Match": `"${this.page.version}"` },
    });
    if (answer.status === 412) {
      this.page.say("warning", "Someone saved a newer version meanwhile: load it, then restore again.", { reload: true });
      return;
    }
    if (!answer.ok) {
      this.page.say("danger", problemText(answer, "The version could not be restored"));
      return;
    }
    await this.page.loadLatest();
    this.page.say("success", `Version ${number} restored as version ${this.page.version}.`);
    this.refresh();
  }

  async loadDeployed() {
    const answer = await call(`${this.page.api}deployed/`);
    if (!answer.ok) {
      return;
    }
    const rows = Array.isArray(answer.data) ? answer.data : answer.data.results || [];
    this.deployedRows.replaceChildren();
    for (const item of rows) {
      const row = document.createElement("tr");
      row.dataset.testid = "deployed-row";
      row.dataset.definitionId = String(item.definition_id);
      const actions = document.createElement("td");
      actions.className = "text-end text-nowrap";
      if (this.page.root.dataset.mayStart === "true") {
        actions.append(button("Start", () => this.start(item), "btn-outline-success me-1"));
      }
      actions.append(button("View", () => this.view(item)));
      row.append(
        cell(`${item.key} v${item.version}`, "fw-semibold"),
        cell(when(item.deployed_at), "text-nowrap small"),
        cell(String(item.running), "text-end"),
        cell(String(item.completed), "text-end"),
        cell(String(item.incidents), item.incidents ? "text-end text-danger fw-semibold" : "text-end"),
        actions,
      );
      this.deployedRows.append(row);
    }
    this.deployedRows.dataset.count = String(rows.length);
  }

  // Start an instance of a deployed version with no variables, as Camunda Modeler's "Start
  // instance" does; the counts (and the viewer, when it shows that version) follow.
  async start(item) {
    // A process with a start form starts by filling it in, on its start page (a new tab, so that
    // the diagram stays as it is); the others start at once.
    const form = await call(`/api/v1/process-definitions/${item.definition_id}/start-form/`);
    if (form.ok && form.data.fields.length) {
      this.page.say("info", `${item.key} v${item.version} starts with a form.`);
      const link = document.createElement("a");
      link.href = `/tasks/start/${item.definition_id}/`;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "btn btn-sm btn-outline-primary";
      link.textContent = "Fill in its start form";
      this.page.alert.append(link);
      return;
    }
    const answer = await call(`/api/v1/process-definitions/${item.definition_id}/start/`, { method: "POST", json: {} });
    if (!answer.ok) {
      this.page.say("danger", `No instance was started: ${problemText(answer, "The start was refused")}`);
      return;
    }
    this.page.say("success", `Started an instance of ${item.key} v${item.version} (${answer.data.id}).`);
    await this.loadDeployed();
    if (this.page.inspector.showing === item.definition_id) {
      await this.view(item);
    }
  }

  async view(item) {
    const answer = await call(`${this.page.api}deployed/${item.definition_id}/`);
    if (!answer.ok) {
      this.page.say("danger", problemText(answer, "The deployed version could not be loaded"));
      return;
    }
    await this.page.inspector.showDeployed(item, answer.data);
  }
}
