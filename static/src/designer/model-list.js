// The model list's forms: a new model (blank or from a template) and a .bpmn file imported as
// a new model, both through the REST API; the server's refusal is shown as it words it.
import { call, problemsOf, problemText } from "./api.js";

function showRefusal(box, text, problems) {
  box.replaceChildren();
  const line = document.createElement("p");
  line.className = "mb-1";
  line.dataset.testid = "form-problem";
  line.textContent = text;
  box.append(line);
  if (problems.length) {
    const list = document.createElement("ul");
    list.className = "mb-0 small";
    for (const problem of problems.slice(0, 10)) {
      const item = document.createElement("li");
      item.dataset.testid = "form-problem-detail";
      item.textContent = problem.line ? `${problem.message} (line ${problem.line})` : problem.message;
      list.append(item);
    }
    box.append(list);
  }
  box.hidden = false;
}

async function loadTemplates(select) {
  const answer = await call(select.dataset.templatesUrl);
  if (!answer.ok) {
    return;
  }
  const templates = Array.isArray(answer.data) ? answer.data : answer.data.results || [];
  for (const template of templates) {
    const option = new Option(template.name, template.key);
    option.title = template.description || "";
    select.append(option);
  }
  select.dataset.state = "loaded";
}

function open(root, model) {
  window.location.assign(root.dataset.modelPage.replace("00000000-0000-0000-0000-000000000000", model.id));
}

export function mountModelList(root) {
  const createForm = root.querySelector("[data-create-form]");
  const importForm = root.querySelector("[data-import-form]");
  const templates = createForm.querySelector("[data-template-select]");
  loadTemplates(templates);

  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = createForm.querySelector("[data-form-problem]");
    box.hidden = true;
    const data = new FormData(createForm);
    const body = { name: String(data.get("name") || "").trim() };
    if (!body.name) {
      showRefusal(box, "Give the model a name.", []);
      return;
    }
    if (data.get("key")) {
      body.key = String(data.get("key")).trim();
    }
    if (data.get("template")) {
      body.template = String(data.get("template"));
    }
    const answer = await call(root.dataset.modelsUrl, { method: "POST", json: body });
    if (answer.ok) {
      open(root, answer.data);
    } else {
      showRefusal(box, problemText(answer, "The model was not created"), problemsOf(answer));
    }
  });

  importForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = importForm.querySelector("[data-form-problem]");
    box.hidden = true;
    const input = importForm.querySelector("input[type=file]");
    const file = input.files[0];
    if (!file) {
      showRefusal(box, "Choose a .bpmn file to import.", []);
      return;
    }
    const maxBytes = Number(root.dataset.maxBytes || 0);
    if (maxBytes && file.size > maxBytes) {
      showRefusal(box, `${file.name} is ${file.size.toLocaleString()} bytes; at most ${maxBytes.toLocaleString()} are accepted.`, []);
      return;
    }
    const form = new FormData();
    form.append("file", file);
    const answer = await call(root.dataset.importUrl, { method: "POST", form });
    if (answer.ok) {
      open(root, answer.data);
    } else {
      const problems = problemsOf(answer);
      const reason = problems.length ? "it is not a BPMN 2.0 document the platform accepts." : problemText(answer, "the file was refused");
      showRefusal(box, `${file.name} was not imported: ${reason}`, problems);
    }
  });
}
