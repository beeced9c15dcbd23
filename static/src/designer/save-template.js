// "Save as template": the model's latest saved version becomes a template of the tenant, which
// the model list offers under "Start from" (POST /api/v1/models/<id>/save-as-template/).
import { call, problemText } from "./api.js";

export class TemplateForm {
  constructor(page, form) {
    this.page = page;
    this.form = form;
    page.root.querySelector('[data-action="template-open"]').addEventListener("click", () => this.open());
    form.querySelector('[data-action="template-cancel"]').addEventListener("click", () => this.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  open() {
    this.form.hidden = false;
    this.form.elements.name.focus();
  }

  close() {
    this.form.hidden = true;
  }

  async submit() {
    if (this.page.dirty) {
      this.page.say("warning", "Save your changes first: a template is made from the latest saved version.");
      return;
    }
    const field = (name) => this.form.elements[name].value.trim();
    const body = { name: field("name"), description: field("description") };
    if (field("key")) {
      body.key = field("key");
    }
    const answer = await call(`${this.page.api}save-as-template/`, { method: "POST", json: body });
    if (!answer.ok) {
      this.page.say("danger", `The template was not saved: ${problemText(answer, "The template was not saved")}`);
      return;
    }
    this.close();
    this.page.say(
      "success",
      `Saved version ${this.page.version} as the template “${answer.data.name}”: new models can start from it.`,
    );
  }
}
