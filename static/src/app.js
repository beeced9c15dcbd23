// The UI shell's script: htmx for server-rendered partial updates, Bootstrap's collapse for
// the navbar on small screens, and the live-connection indicator of the home page.
import htmx from "htmx.org";
import "bootstrap/js/dist/collapse.js";

import { watchLiveConnection } from "./live-connection.js";

// Pages use hx-* attributes without importing anything; the CSRF header comes from hx-headers
// on <body>. Nothing is evaluated from attributes, and requests stay on this host.
window.htmx = htmx;
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.selfRequestsOnly = true;
htmx.config.includeIndicatorStyles = false; // app.css styles .htmx-indicator

// Runs for the page and again for every fragment htmx swaps in.
htmx.onLoad((root) => {
  const elements = root.matches?.("[data-live-status]") ? [root] : root.querySelectorAll("[data-live-status]");
  for (const element of elements) {
    watchLiveConnection(element);
  }
});
