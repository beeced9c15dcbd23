// The designer's script (loaded after app.js, only on designer pages): the model list's forms
// and the modeler page (see designer/modeler-page.js).
//
//   <div data-model-list data-models-url="/api/v1/models/" …>   the list of models
//   <div data-designer data-model-url="/api/v1/models/<id>/" …>  the modeler page
import "bootstrap/js/dist/tab.js";
import { mountModelList } from "./designer/model-list.js";
import { ModelerPage } from "./designer/modeler-page.js";
import { TemplateForm } from "./designer/save-template.js";
import { SimulationPanel } from "./designer/simulation.js";

for (const root of document.querySelectorAll("[data-model-list]")) {
  mountModelList(root);
}
for (const root of document.querySelectorAll("[data-designer]")) {
  const page = new ModelerPage(root);
  window.apgDesigner = page; // for tests and the browser console: page.modeler is bpmn-js
  page.start();
  for (const form of root.querySelectorAll("[data-template-form]")) {
    page.templateForm = new TemplateForm(page, form);
  }
  for (const panel of root.querySelectorAll("[data-simulation]")) {
    page.simulation = new SimulationPanel(page, panel);
  }
}
