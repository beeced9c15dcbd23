// The modeler page: bpmn-js with the Camunda 7 properties panel, saved as numbered versions
// over the REST API (If-Match on the version it was based on), linted as it is drawn (bpmnlint
// here, the engine's validator on the server), deployed in one click, exported as .bpmn/.svg.
import Modeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";

import { download, readXmlFile } from "./files.js";
import { declareAliasedPrefixes } from "./aliased-prefixes.js";
import { correlationKeyModule } from "./correlation.js";
import { completeFlowReferences } from "./flow-references.js";
import { call, problemsOf, problemText, versionFromEtag } from "./api.js";
import { Inspector } from "./inspector.js";
import { HistoryPanels } from "./panels.js";
import { ProblemBoard, lintProblems } from "./problems.js";
import lintConfig from "./recommended.bpmnlintrc";
import { keepUndrawnDiModule } from "./undrawn-di.js";

const ENGINE_LINT_DELAY_MS = 700;

export class ModelerPage {
  constructor(root) {
    this.root = root;
    this.api = root.dataset.modelUrl; // /api/v1/models/<id>/
    this.key = root.dataset.modelKey || "model";
    this.maxBytes = Number(root.dataset.maxBytes || 0);
    this.version = null;
    this.dirty = false;
    this.lintRound = 0;
    this.lintTimer = null;
    this.status = root.querySelector("[data-status]");
    this.alert = root.querySelector("[data-alert]");
    this.canvas = root.querySelector("[data-modeler-canvas]");
    this.modeler = new Modeler({
      container: this.canvas,
      keyboard: { bindTo: document },
      propertiesPanel: {
        parent: root.querySelector("[data-properties-panel]"),
        // The name and id are edited most; the other groups open on a click.
        layout: { groups: { general: { open: true } } },
      },
      additionalModules: [
        BpmnPropertiesPanelModule,
        BpmnPropertiesProviderModule,
        CamundaPlatformPropertiesProviderModule,
        CamundaBehaviorsModule,
        lintModule,
        keepUndrawnDiModule,
        correlationKeyModule,
      ],
      moddleExtensions: { camunda: camundaModdle },
      linting: { bpmnlint: lintConfig, active: true },
    });
    this.board = new ProblemBoard(
      this.modeler,
      root.querySelector("[data-problem-list]"),
      root.querySelector("[data-problem-count]"),
    );
    this.inspector = new Inspector(root.querySelector("[data-inspector]"));
    this.panels = new HistoryPanels(this, root);
    // Repairs of what moddle read, so that lint sees the diagram as drawn and the export keeps
    // what the file holds (see each module).
    this.modeler.on("import.parse.complete", ({ definitions, elementsById }) => {
      if (definitions) {
        completeFlowReferences(definitions);
        declareAliasedPrefixes(definitions, elementsById, this.importing);
      }
    });
    this.modeler.on("linting.completed", ({ issues }) => this.board.set("bpmnlint", lintProblems(issues)));
    this.modeler.on("commandStack.changed", () => {
      this.setDirty(true);
      this.scheduleEngineLint();
    });
    this.bindToolbar();
  }

  bindToolbar() {
    const on = (action, handler) => {
      for (const button of this.root.querySelectorAll(`[data-action="${action}"]`)) {
        button.addEventListener("click", handler);
      }
    };
    on("save", () => this.save());
    on("deploy", () => this.deploy());
    on("export-bpmn", () => this.exportBpmn());
    on("export-svg", () => this.exportSvg());
    on("reload", () => this.loadLatest());
    // Leaving with unsaved changes asks first (the browser words the question).
    window.addEventListener("beforeunload", (event) => {
      if (this.dirty) {
        event.preventDefault();
      }
    });
    const file = this.root.querySelector("[data-open-file]");
    file.addEventListener("change", () => {
      if (file.files.length) {
        this.openFile(file.files[0]).finally(() => {
          file.value = "";
        });
      }
    });
  }

  say(kind, text, { reload = false } = {}) {
    this.alert.className = `alert alert-${kind} d-flex flex-wrap align-items-center gap-2 mb-2`;
    this.alert.replaceChildren();
    const message = document.createElement("span");
    message.dataset.testid = "designer-message";
    message.textContent = text;
    this.alert.append(message);
    if (reload) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-dark ms-auto";
      button.dataset.action = "reload";
      button.textContent = "Load the newest version";
      button.addEventListener("click", () => this.loadLatest());
      this.alert.append(button);
    }
    this.alert.hidden = false;
  }

  quiet() {
    this.alert.hidden = true;
  }

  setDirty(dirty) {
    this.dirty = dirty;
    const where = this.version ? `Version ${this.version}` : "Not saved";
    this.status.textContent = dirty ? `${where} · unsaved changes` : `${where} · saved`;
    this.root.dataset.dirty = String(dirty);
  }

  async start() {
    await this.loadLatest();
    this.panels.refresh();
  }

  async loadLatest() {
    // The API renders JSON only, so content negotiation must accept it; this action answers
    // with the XML itself (and its ETag) whatever is accepted.
    const answer = await call(`${this.api}xml/`, { headers: { Accept: "application/xml, application/json;q=0.5" } });
    if (!answer.ok) {
      this.say("danger", problemText(answer, "The model could not be loaded"));
      this.root.dataset.state = "error";
      return;
    }
    if (await this.show(answer.data)) {
      this.version = versionFromEtag(answer.etag);
      this.setDirty(false);
      this.quiet();
      this.board.clear("save");
      this.board.clear("deployment");
      this.root.dataset.state = "ready";
      this.root.dataset.version = String(this.version);
      performance.mark("apg-modeler-ready");
    }
  }

  // Draw `xml`: its import warnings (such as references to nothing), or null (and the reason
  // shown) when bpmn-js cannot read it.
  async show(xml) {
    try {
      this.importing = xml;
      const { warnings } = await this.modeler.importXML(xml);
      this.modeler.get("canvas").zoom("fit-viewport", "auto");
      this.root.dataset.importWarnings = String(warnings.length);
      this.scheduleEngineLint(0);
      return warnings;
    } catch (error) {
      this.say("danger", `This is not a BPMN 2.0 diagram the modeler can read: ${error.message || error}`);
      return null;
    }
  }

  // A .bpmn file from the user's disk replaces the diagram; saving makes it the next version.
  // A file that is not BPMN leaves the diagram as it was.
  async openFile(file) {
    if (this.maxBytes && file.size > this.maxBytes) {
      this.say("danger", `${file.name} is ${file.size.toLocaleString()} bytes; at most ${this.maxBytes.toLocaleString()} are accepted.`);
      return;
    }
    const text = await readXmlFile(file);
    if (!/<([\w-]+:)?definitions[\s>]/.test(text)) {
      this.say("danger", `${file.name} is not a BPMN 2.0 file: it has no <definitions> element.`);
      this.root.dataset.fileState = "refused";
      return;
    }
    const warnings = await this.show(text);
    if (warnings) {
      this.setDirty(true);
      this.root.dataset.fileState = "opened";
      this.root.dataset.openedFile = file.name;
      const next = "Save to keep it as the next version of this model.";
      if (!warnings.length) {
        this.say("info", `${file.name} is open. ${next}`);
        return;
      }
      const listed = warnings.slice(0, 3).map((warning) => warning.message).join("; ");
      const count = warnings.length === 1 ? "1 warning" : `${warnings.length} warnings`;
      this.say("warning", `${file.name} is open with ${count}: ${listed}. ${next}`);
    } else {
      this.root.dataset.fileState = "refused";
      await this.loadLatest();
      this.say("danger", `${file.name} could not be opened: it is not a BPMN 2.0 diagram the modeler can read.`);
    }
  }

  scheduleEngineLint(delay = ENGINE_LINT_DELAY_MS) {
    clearTimeout(this.lintTimer);
    this.lintTimer = setTimeout(() => this.engineLint(), delay);
  }

  async engineLint() {
    const round = ++this.lintRound;
    const { xml } = await this.modeler.saveXML();
    const answer = await call(this.root.dataset.lintUrl, { method: "POST", xml });
    if (round !== this.lintRound) {
      return; // a newer change is being checked
    }
    this.board.set("engine", problemsOf(answer));
    this.root.dataset.engineLint = String(round);
  }

  async save() {
    const message = this.root.querySelector("[data-save-message]");
    const { xml } = await this.modeler.saveXML({ format: true });
    const answer = await call(`${this.api}versions/`, {
      method: "POST",
      json: { xml, message: message.value.trim() },
      headers: { "If-Match": `"${this.version}"` },
    });
    if (answer.ok) {
      this.version = answer.data.number || versionFromEtag(answer.etag);
      this.root.dataset.version = String(this.version);
      message.value = "";
      this.setDirty(false);
      this.board.clear("save");
      this.say("success", `Saved as version ${this.version}.`);
      this.panels.refresh();
      return true;
    }
    if (answer.status === 412) {
      const current = answer.data.current_version;
      this.say(
        "warning",
        `Someone saved a newer version${current ? ` (version ${current})` : ""} while you were editing. ` +
          "Export your diagram (.bpmn) to keep your changes, then load the newest version.",
        { reload: true },
      );
      return false;
    }
    const problems = problemsOf(answer);
    this.board.set("save", problems);
    this.say(
      "danger",
      problems.length
        ? `Not saved: ${problems.length} problem${problems.length > 1 ? "s are" : " is"} listed under Problems.`
        : `Not saved: ${problemText(answer, "The version was refused")}`,
    );
    return false;
  }

  async deploy() {
    if (this.dirty && !(await this.save())) {
      return;
    }
    const answer = await call(`${this.api}deploy/`, { method: "POST", json: { version: this.version } });
    if (answer.ok) {
      this.board.clear("deployment");
      const names = (answer.data.definitions || []).map((item) => `${item.key} version ${item.version}`).join(", ");
      this.say("success", `Deployed version ${this.version}${names ? ` as ${names}` : ""}.`);
      this.panels.refresh();
      return;
    }
    const problems = problemsOf(answer);
    this.board.set("deployment", problems);
    this.say(
      "danger",
      problems.length
        ? `The engine refused the deployment: ${problems.length} problem${problems.length > 1 ? "s are" : " is"} marked on the diagram.`
        : `Not deployed: ${problemText(answer, "The deployment was refused")}`,
    );
  }

  async exportBpmn() {
    const { xml } = await this.modeler.saveXML({ format: true });
    download(`${this.key}.bpmn`, xml, "application/xml");
  }

  async exportSvg() {
    const { svg } = await this.modeler.saveSVG();
    download(`${this.key}.svg`, svg, "image/svg+xml");
  }
}
