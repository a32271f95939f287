// Healthlink widget loader. A host page includes this one module script; it
// defines <healthlink-connect> and mounts the WebAssembly widget into each
// such element. Attributes: `session` (the session token from the host's
// backend), `edge` (the edge's origin; defaults to where this file came
// from) and `flow` (`popup`, the default, or `redirect`).
import init, { mount } from "./healthlink-widget.js";

const scriptOrigin = new URL(import.meta.url).origin;
const ready = init({ module_or_path: new URL("./healthlink-widget_bg.wasm", import.meta.url) });

class HealthlinkConnect extends HTMLElement {
  static observedAttributes = ["session", "edge", "flow"];

  #handle = null;
  // Bumped on every (re)render request so a slow wasm load cannot mount a
  // widget for attributes that have changed since, or for a removed element.
  #generation = 0;

  connectedCallback() {
    this.#render();
  }

  disconnectedCallback() {
    this.#generation += 1;
    this.#unmount();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.#render();
  }

  async #render() {
    const generation = ++this.#generation;
    try {
      await ready;
    } catch (error) {
      if (generation === this.#generation) this.#showLoadFailure();
      return;
    }
    if (generation !== this.#generation || !this.isConnected) return;
    this.#unmount();
    const edge = this.getAttribute("edge") || scriptOrigin;
    const session = this.getAttribute("session") || "";
    const flow = this.getAttribute("flow") || "popup";
    this.#handle = mount(this, edge, session, flow);
  }

  #unmount() {
    if (this.#handle) {
      this.#handle.unmount();
      this.#handle.free();
      this.#handle = null;
    }
  }

  // The wasm could not be fetched or compiled: say so in the element rather
  // than leaving an empty box.
  #showLoadFailure() {
    const root = this.shadowRoot || this.attachShadow({ mode: "open" });
    const message = document.createElement("p");
    message.setAttribute("role", "alert");
    message.textContent = "The data source settings could not be loaded. Please reload the page.";
    root.replaceChildren(message);
  }
}

if (!customElements.get("healthlink-connect")) {
  customElements.define("healthlink-connect", HealthlinkConnect);
}
