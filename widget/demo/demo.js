// The demo's "host backend": asks the edge's demo-only route for a session
// (in a real app, your server calls POST /v1/sessions with its API key),
// then embeds the widget with it.
const slot = document.getElementById("widget-slot");

async function start() {
  const response = await fetch("/demo/session", { method: "POST" });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    slot.textContent = `The demo could not start a session: ${problem.detail || response.status}`;
    return;
  }
  const { session_token } = await response.json();
  const widget = document.createElement("healthlink-connect");
  widget.setAttribute("session", session_token);
  const flow = new URLSearchParams(location.search).get("flow");
  if (flow) widget.setAttribute("flow", flow);
  slot.replaceChildren(widget);
}

start().catch(() => {
  slot.textContent = "The demo could not reach the edge. Is `cargo xtask dev` running?";
});
