// Types for https://EDGE/healthlink.js: the <healthlink-connect> element,
// the Healthlink.mount() API and the events both emit.

export type SourceStatus = "connected" | "disconnected" | "expired" | "pending" | "error";

/** `detail` of every healthlink:* event. */
export interface HealthlinkEventDetail {
  /** The data source id (`fitbit`, `oura`, …), when the event is about one. */
  source: string | null;
  /**
   * `ready`; `connected` | `cancelled` | `failed` (connect); `disconnected` |
   * `pending` (disconnect); `closed` (exit); `error`; `session_expired`.
   */
  result: string;
  /**
   * The source's status afterwards, when known. `healthlink:connect` fires
   * only once the list re-read from the edge agrees with the flow's result,
   * with the status listed then: `pending` while the aggregator has still
   * to confirm a connect, followed by another `healthlink:connect` when it
   * settles (`connected`, or `failed`).
   */
  status: SourceStatus | null;
  /**
   * Errors: the edge's problem code, or `unreachable` / `unexpected` /
   * `connect_url_refused` (the edge's connect URL is neither https: nor
   * http: on a loopback host, so the widget did not open it).
   */
  code?: string;
  /** Errors: the sentence the widget shows the user. */
  message?: string;
  /**
   * `healthlink:disconnect` only: `true` when the user chose "Stop sharing
   * and delete my data", so your app should delete the data it received
   * from this source; `false` for "Stop sharing", where that data stays.
   * Either way the source sends no new data.
   */
  delete_data?: boolean;
}

export type HealthlinkEventName =
  | "healthlink:ready"
  | "healthlink:connect"
  | "healthlink:disconnect"
  | "healthlink:error"
  | "healthlink:exit"
  | "healthlink:session-expired";

export type HealthlinkEvent = CustomEvent<HealthlinkEventDetail>;

export interface HealthlinkConnectElement extends HTMLElement {
  /** The session token; assign a fresh one on healthlink:session-expired. */
  session: string;
  /** Re-reads the status list from the edge. */
  refresh(): void;
  addEventListener(
    type: HealthlinkEventName,
    listener: (event: HealthlinkEvent) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

export interface MountOptions {
  session: string;
  /** The edge's origin; defaults to where healthlink.js was loaded from. */
  edge?: string;
  /**
   * Language tag (`de`, `pt-BR`, …) used when the session has no locale;
   * otherwise the browser's languages. Built in: en, de, es, fr, pt.
   */
  locale?: string;
  flow?: "popup" | "redirect";
  theme?: "light" | "dark" | "auto";
  onEvent?: (event: HealthlinkEvent) => void;
}

export interface MountHandle {
  element: HealthlinkConnectElement;
  refresh(): void;
  setSession(token: string): void;
  /** Removes the widget element and its listeners. */
  unmount(): void;
}

export declare const EVENTS: readonly HealthlinkEventName[];

export declare const Healthlink: {
  /** Mounts into `target` (itself if it is a <healthlink-connect>). */
  mount(target: HTMLElement, options: MountOptions): MountHandle;
  events: readonly HealthlinkEventName[];
};

declare global {
  interface HTMLElementTagNameMap {
    "healthlink-connect": HealthlinkConnectElement;
  }
  interface HTMLElementEventMap {
    "healthlink:ready": HealthlinkEvent;
    "healthlink:connect": HealthlinkEvent;
    "healthlink:disconnect": HealthlinkEvent;
    "healthlink:error": HealthlinkEvent;
    "healthlink:exit": HealthlinkEvent;
    "healthlink:session-expired": HealthlinkEvent;
  }
  // eslint-disable-next-line no-var
  var Healthlink: typeof import("./healthlink").Healthlink;
}
