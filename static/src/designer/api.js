// The designer's calls to the REST API (/api/v1/), with the page's session and CSRF token.
// Every answer becomes `{ ok, status, data, etag }`; a problem (RFC 9457) is its `data`.

export function csrfToken() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
  } catch {
    return "";
  }
}

async function readBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      return {};
    }
  }
  return await response.text();
}

// "3" from the header `"3"` (or W/"3"): the version number a save names as its base.
export function versionFromEtag(etag) {
  const match = /"(\d+)"/.exec(etag || "");
  return match ? Number(match[1]) : null;
}

export async function call(url, { method = "GET", json, xml, form, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  let body;
  if (json !== undefined) {
    sent["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (xml !== undefined) {
    sent["Content-Type"] = "application/xml";
    body = xml;
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== "GET") {
    sent["X-CSRFToken"] = csrfToken();
  }
  let response;
  try {
    response = await fetch(url, { method, body, headers: sent, credentials: "same-origin" });
  } catch {
    return {
      ok: false,
      status: 0,
      data: { detail: "The server could not be reached; nothing was sent. Try again." },
      etag: null,
    };
  }
  const data = await readBody(response);
  return { ok: response.ok, status: response.status, data, etag: response.headers.get("ETag") };
}

// "Key: Enter a valid slug." for each field the API refused (a 400's `errors`).
function fieldSentences(errors) {
  const sentences = [];
  for (const [field, messages] of Object.entries(errors)) {
    const label = field === "non_field_errors" ? "" : `${field[0].toUpperCase()}${field.slice(1).replaceAll("_", " ")}: `;
    for (const message of [].concat(messages)) {
      sentences.push(`${label}${typeof message === "string" ? message : JSON.stringify(message)}`);
    }
  }
  return sentences.join(" ");
}

// The sentence to show for a refused call: what was wrong with each field, the problem's
// detail, or what the status means.
export function problemText(answer, fallback) {
  const data = answer.data && typeof answer.data === "object" ? answer.data : {};
  if (data.errors && typeof data.errors === "object" && Object.keys(data.errors).length) {
    return fieldSentences(data.errors);
  }
  if (data.detail) {
    return String(data.detail);
  }
  if (answer.status === 413) {
    return "The file is larger than the platform accepts.";
  }
  return data.title ? String(data.title) : `${fallback} (the server answered ${answer.status}).`;
}

export function problemsOf(answer) {
  const problems = answer.data && typeof answer.data === "object" ? answer.data.problems : null;
  return Array.isArray(problems) ? problems : [];
}
