// Healthlink widget loader. A host page includes this one module script; it
// defines <healthlink-connect> and mounts the WebAssembly widget into each
// such element, and offers the same as a JS API: Healthlink.mount().
//
// Attributes (and properties): `session` (the session token from the host's
// backend; assigning a new one takes effect without a remount), `edge` (the
// edge's origin; defaults to where this file came from), `flow` (`popup`, the
// default, or `redirect`), `theme` (`light`, the default, `dark` or `auto`,
// which follows the system), `locale` (a language tag such as `de` or
// `pt-BR`; the session's locale wins, the browser's languages come last;
// English, German, Spanish, French and Portuguese are built in). Changing
// `session`, `locale` or `theme` later applies at once and keeps the widget's
// state; changing `edge` or `flow` mounts it afresh. Methods: `refresh()`.
// Events (bubbling, composed CustomEvents with `{source, result, status}` in
// `detail`): healthlink:ready, healthlink:connect, healthlink:disconnect,
// healthlink:error, healthlink:exit, healthlink:session-expired. Types:
// healthlink.d.ts.
import init, { mount } from "./healthlink-widget.js";

const scriptOrigin = new URL(import.meta.url).origin;
const ready = init({ module_or_path: new URL("./healthlink-widget_bg.wasm", import.meta.url) });

export const EVENTS = [
  "healthlink:ready",
  "healthlink:connect",
  "healthlink:disconnect",
  "healthlink:error",
  "healthlink:exit",
  "healthlink:session-expired",
];

class HealthlinkConnect extends HTMLElement {
  // Not `theme`: it is only a `:host([theme=…])` selector in the stylesheet,
  // so the browser restyles the widget the moment it changes.
  static observedAttributes = ["session", "edge", "flow", "locale"];

  #handle = null;
  // Bumped on every (re)render request so a slow wasm load cannot mount a
  // widget for attributes that have changed since, or for a removed element.
  #generation = 0;

  get session() {
    return this.getAttribute("session") || "";
  }

  set session(token) {
    this.setAttribute("session", token);
  }

  /** Re-reads the status list from the edge. */
  refresh() {
    if (this.#handle) this.#handle.refresh();
  }

  connectedCallback() {
    this.#render();
  }

  disconnectedCallback() {
    this.#generation += 1;
    this.#unmount();
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.isConnected || oldValue === newValue) return;
    // A renewed session keeps the widget as it is and just reloads; a new
    // locale keeps it as it is and says everything in the new language.
    if (name === "session" && this.#handle) {
      this.#handle.set_session(newValue || "");
      return;
    }
    if (name === "locale" && this.#handle) {
      this.#handle.set_locale(newValue || "");
      return;
    }
    this.#render();
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
    const flow = this.getAttribute("flow") || "popup";
    const locale = this.getAttribute("locale") || "";
    this.#handle = mount(this, edge, this.session, flow, locale);
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
    message.textContent = loadFailureText(this.getAttribute("locale"));
    root.replaceChildren(message);
  }
}

// Said in the user's language like everything else the widget shows (the
// wasm, which holds the catalogs, is what failed to load).
const LOAD_FAILURE = {
  en: "The data source settings could not be loaded. Please reload the page.",
  de: "Die Einstellungen für Datenquellen konnten nicht geladen werden. Bitte laden Sie die Seite neu.",
  es: "No se pudo cargar la configuración de las fuentes de datos. Vuelve a cargar la página.",
  fr: "Impossible de charger les réglages des sources de données. Veuillez recharger la page.",
  pt: "Não foi possível carregar as configurações das fontes de dados. Recarregue a página.",
};

function loadFailureText(attribute) {
  for (const tag of [attribute, ...(navigator.languages || [])]) {
    const language = String(tag || "").toLowerCase().split(/[-_]/)[0];
    if (LOAD_FAILURE[language]) return LOAD_FAILURE[language];
  }
  return LOAD_FAILURE.en;
}

if (!customElements.get("healthlink-connect")) {
  customElements.define("healthlink-connect", HealthlinkConnect);
}

/**
 * Mounts a widget into `target`: the target itself if it is a
 * <healthlink-connect>, else a new one appended to it.
 * Options: {session, edge, locale, theme, flow, onEvent}. `onEvent` gets
 * every healthlink:* event. Returns {element, refresh(), setSession(token),
 * unmount()}.
 */
function mountWidget(target, options = {}) {
  if (!(target instanceof HTMLElement)) {
    throw new TypeError("Healthlink.mount needs an element to mount into");
  }
  const element =
    target.localName === "healthlink-connect" ? target : document.createElement("healthlink-connect");
  for (const name of ["edge", "flow", "theme", "locale"]) {
    if (options[name] != null) element.setAttribute(name, String(options[name]));
  }
  element.setAttribute("session", options.session || "");
  const listener = typeof options.onEvent === "function" ? (event) => options.onEvent(event) : null;
  if (listener) for (const name of EVENTS) element.addEventListener(name, listener);
  if (element !== target) target.append(element);
  return {
    element,
    refresh: () => element.refresh(),
    setSession: (token) => {
      element.session = token;
    },
    // Removes the widget element (which stops the widget) and the listeners.
    unmount: () => {
      if (listener) for (const name of EVENTS) element.removeEventListener(name, listener);
      element.remove();
    },
  };
}

export const Healthlink = Object.freeze({ mount: mountWidget, events: EVENTS });
// Also for classic scripts and consoles.
globalThis.Healthlink = Healthlink;
