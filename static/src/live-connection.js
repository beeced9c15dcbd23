// A live-connection indicator: open the WebSocket named by data-socket-path on this host,
// send a ping and show who the server says we are. The session cookie authenticates it.
//
//   <span data-live-status data-socket-path="/ws/ping/" data-echo="home">...</span>

const CLOSE_UNAUTHENTICATED = 4401; // apps/collab/consumers.py
const MAX_RETRY_SECONDS = 30;

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

function show(element, state, text) {
  element.dataset.state = state;
  element.textContent = text;
}

export function watchLiveConnection(element) {
  if (element.dataset.watched) {
    return;
  }
  element.dataset.watched = "true";
  const url = socketUrl(element.dataset.socketPath);
  const echo = element.dataset.echo || "";
  let failures = 0;

  function connect() {
    if (!element.isConnected) {
      return; // the element was swapped out: stop retrying
    }
    show(element, "connecting", "Live connection: connecting…");
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "ping", echo }));
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        show(element, "error", "Live connection: the server sent something unreadable");
        return;
      }
      if (message.type === "pong" && message.echo === echo) {
        failures = 0;
        show(element, "connected", `Live connection: connected as ${message.user}@${message.tenant}`);
      } else if (message.type === "error") {
        show(element, "error", `Live connection: ${message.detail}`);
      }
    });
    // A failed connection fires "error" and then "close"; handling "close" covers both.
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) {
        show(element, "error", "Live connection: refused, you are signed out");
        return;
      }
      failures += 1;
      const seconds = Math.min(MAX_RETRY_SECONDS, 2 ** failures);
      show(element, "error", `Live connection: lost, retrying in ${seconds} s`);
      window.setTimeout(connect, seconds * 1000);
    });
  }

  connect();
}
