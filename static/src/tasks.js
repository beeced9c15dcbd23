// The task page's script (loaded after app.js, only on task pages): the task's form rendered by
// form-js and completed over the REST API, and the process diagram with the task highlighted.
// The start page of a process uses the same form with its start form and submit-form.
//
//   <div data-task-form data-form-url="…/form/" data-complete-url="…/complete/"
//        data-done-url="/tasks/<id>/" data-editable="true"></div>
//   <div data-task-diagram data-diagram-url="/tasks/<id>/diagram.bpmn" data-element-id="…"></div>
//
// The server judges every completion: its field errors (a 400 problem with errors.variables)
// are shown on the fields they name, and in a summary above the form.
import { Form } from "@bpmn-io/form-js-viewer";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const CURRENT_TASK_MARKER = "apg-current-task";

function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

function showSummary(summary, title, lines) {
  summary.replaceChildren();
  const heading = document.createElement("p");
  heading.className = "mb-1 fw-semibold";
  heading.textContent = title;
  summary.append(heading);
  if (lines.length) {
    const list = document.createElement("ul");
    list.className = "mb-0";
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    summary.append(list);
  }
  summary.hidden = false;
}

// Initial data: the instance's values; a field whose value is only its default keeps the
// schema's typed defaultValue instead of the default's text.
function initialData(fields) {
  const data = {};
  for (const field of fields) {
    const onlyDefault = field.default !== null && field.value === field.default;
    if (field.value !== null && field.value !== undefined && !onlyDefault) {
      data[field.id] = field.value;
    }
  }
  return data;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

async function mountTaskForm(element) {
  const summary = document.querySelector("[data-task-form-summary]");
  const button = document.querySelector("[data-task-complete]");
  const response = await fetch(element.dataset.formUrl, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    // A form that cannot be read (a deployed form that is missing: 409) leaves nothing to complete.
    const problem = await readJson(response);
    showSummary(summary, problem.detail || `The form could not be loaded (${response.status}).`, []);
    if (button) {
      button.disabled = true;
    }
    return;
  }
  const { schema, fields } = await response.json();
  const readonlyKeys = new Set(fields.filter((field) => field.readonly).map((field) => field.id));
  const labels = new Map(fields.map((field) => [field.id, field.label]));
  const form = new Form({ container: element });
  await form.importSchema(schema, initialData(fields));
  const editable = element.dataset.editable === "true";
  if (!editable) {
    form.setProperty("readOnly", true);
  }
  element.dataset.state = "ready";
  if (!editable || !button) {
    return;
  }

  // Server errors keyed by variable name go to the form-js field that holds that key.
  function showServerErrors(byKey) {
    const idsByKey = new Map();
    for (const field of form.get("formFieldRegistry").getAll()) {
      if (field.key) {
        idsByKey.set(field.key, field.id);
      }
    }
    const errors = {};
    const lines = [];
    for (const [key, messages] of Object.entries(byKey)) {
      const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
      if (idsByKey.has(key)) {
        errors[idsByKey.get(key)] = list;
      }
      lines.push(`${labels.get(key) || key}: ${list.join(" ")}`);
    }
    form._setState({ errors });
    const title = element.dataset.refusedTitle || "The task was not completed: some values do not fit its form.";
    showSummary(summary, title, lines);
  }

  // A start form also sends the business key typed beside it, and its done page names the
  // instance it started (`?started=<id>`).
  const keyInput = element.dataset.businessKeyInput ? document.querySelector(element.dataset.businessKeyInput) : null;
  function businessKey() {
    return keyInput ? { business_key: keyInput.value.trim() } : {};
  }
  function doneUrl(answer) {
    return keyInput && answer.id ? `${element.dataset.doneUrl}?started=${encodeURIComponent(answer.id)}` : element.dataset.doneUrl;
  }

  let sending = false;
  async function complete(data) {
    if (sending) {
      return;
    }
    sending = true;
    button.disabled = true;
    summary.hidden = true;
    const variables = {};
    for (const [key, value] of Object.entries(data)) {
      if (!readonlyKeys.has(key)) {
        variables[key] = value;
      }
    }
    try {
      const answer = await fetch(element.dataset.completeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ variables, ...businessKey() }),
      });
      if (answer.ok) {
        window.location.assign(doneUrl(await readJson(answer)));
        return;
      }
      const problem = await readJson(answer);
      const byKey = problem.errors?.variables;
      if (answer.status === 400 && byKey && typeof byKey === "object" && !Array.isArray(byKey)) {
        showServerErrors(byKey);
      } else {
        showSummary(summary, problem.detail || problem.title || `The server answered ${answer.status}.`, []);
      }
    } catch {
      showSummary(summary, "The server could not be reached; nothing was sent. Try again.", []);
    } finally {
      sending = false;
      button.disabled = false;
    }
  }

  // The server checks every submission, so a value form-js finds wrong is sent as well: the
  // answer shows the server's own messages on the fields.
  form.on("submit", (event) => complete(event.data));
  button.addEventListener("click", () => form.submit());
}

async function mountDiagram(element) {
  const notice = element.parentElement.querySelector("[data-task-diagram-notice]");
  const viewer = new NavigatedViewer({ container: element });
  try {
    const response = await fetch(element.dataset.diagramUrl, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`The diagram could not be loaded (${response.status}).`);
    }
    await viewer.importXML(await response.text());
    const canvas = viewer.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    const elementId = element.dataset.elementId;
    if (elementId && viewer.get("elementRegistry").get(elementId)) {
      canvas.addMarker(elementId, CURRENT_TASK_MARKER);
      element.dataset.state = "highlighted";
    } else {
      element.dataset.state = "shown";
      notice.textContent = "The model has no layout for this task, so it is not marked.";
      notice.hidden = false;
    }
  } catch (error) {
    // bpmn-js refuses a model without diagram interchange (BPMN DI): there is nothing to draw.
    const unlaid = /no diagram to display/i.test(error.message || "");
    element.dataset.state = unlaid ? "no-layout" : "error";
    element.hidden = unlaid;
    notice.textContent = unlaid
      ? "The model has no layout (BPMN diagram interchange), so there is no diagram to show."
      : `The diagram could not be shown: ${error.message || "unknown error"}`;
    notice.hidden = false;
  }
}

// htmx swaps 400 and 409 answers of the comment and attachment forms in: they carry the message.
if (window.htmx) {
  window.htmx.config.responseHandling = [
    { code: "40[09]", swap: true, error: false },
    ...window.htmx.config.responseHandling,
  ];
}

for (const element of document.querySelectorAll("[data-task-form]")) {
  mountTaskForm(element);
}
for (const element of document.querySelectorAll("[data-task-diagram]")) {
  mountDiagram(element);
}
