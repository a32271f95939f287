//! The browser APIs the connect flows need: popups, navigation, the page
//! URL and random nonces. Thin wrappers so components stay readable.

use web_sys::{MessageEvent, Window};

use crate::model::popup::{NONCE_BYTES, flow_nonce};

fn window() -> Option<Window> {
    web_sys::window()
}

/// Opens an empty popup. Must be called synchronously inside the click
/// handler: browsers (Safari most strictly) block popups opened later.
/// `None` when blocked or when the page runs in an embedded webview, where
/// popups break (and Google sign-in refuses to run at all).
pub fn open_blank_popup() -> Option<Window> {
    if is_embedded_webview() {
        return None;
    }
    window()?
        .open_with_url_and_target_and_features(
            "",
            "healthlink_connect",
            "popup=yes,width=520,height=720",
        )
        .ok()
        .flatten()
}

/// Android WebView marks itself with `; wv)`; iOS in-app browsers are
/// AppleWebKit without `Safari` in the user agent.
fn is_embedded_webview() -> bool {
    let agent = window()
        .and_then(|window| window.navigator().user_agent().ok())
        .unwrap_or_default();
    agent.contains("; wv)")
        || (agent.contains("iPhone") || agent.contains("iPad"))
            && agent.contains("AppleWebKit")
            && !agent.contains("Safari")
}

/// A popup flow's nonce from the browser's CSPRNG (`crypto.getRandomValues`);
/// `None` only where the page has no `crypto`.
pub fn random_nonce() -> Option<String> {
    let mut random = [0; NONCE_BYTES];
    window()?
        .crypto()
        .ok()?
        .get_random_values_with_u8_array(&mut random)
        .ok()?;
    Some(flow_nonce(random))
}

/// Whether `event` was posted by `window` (`MessageEvent.source`). Window
/// proxies keep their identity across navigations, so the popup we opened
/// blank is still the same object once it shows the edge's result page.
pub fn sent_by(event: &MessageEvent, window: &Window) -> bool {
    event
        .source()
        .is_some_and(|source| js_sys::Object::is(&source, window))
}

pub fn navigate(popup: &Window, url: &str) {
    let _ = popup.location().set_href(url);
}

/// Sends this page to `url` (redirect flow).
pub fn go_to(url: &str) {
    if let Some(window) = window() {
        let _ = window.location().assign(url);
    }
}

/// The page's query string, e.g. `?tab=2`.
pub fn current_search() -> String {
    window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default()
}

/// This page's URL without the `healthlink_*` parameters: where a redirect
/// flow returns to.
pub fn current_url_without(search_without_params: &str) -> Option<String> {
    let location = window()?.location();
    let origin = location.origin().ok()?;
    let path = location.pathname().ok()?;
    Some(format!("{origin}{path}{search_without_params}"))
}

/// Replaces the page's query string without reloading or adding history.
pub fn replace_search(search: &str) {
    let Some(window) = window() else { return };
    let location = window.location();
    let path = location.pathname().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{search}{hash}")),
        );
    }
}

/// Dispatches `event` on the host element as a `CustomEvent` that bubbles
/// and crosses shadow boundaries, so hosts can listen on the element or any
/// ancestor.
pub fn emit(host: &web_sys::HtmlElement, event: &crate::model::HostEvent) {
    let detail = crate::wire::event_detail(event);
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(custom) = web_sys::CustomEvent::new_with_event_init_dict(&event.name(), &init) {
        let _ = host.dispatch_event(&custom);
    }
}

/// The browser's languages, most preferred first (`navigator.languages`).
pub fn preferred_languages() -> Vec<String> {
    window()
        .map(|window| {
            window
                .navigator()
                .languages()
                .iter()
                .filter_map(|language| language.as_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the page is visible (not a background tab).
pub fn page_visible() -> bool {
    window()
        .and_then(|window| window.document())
        .is_some_and(|document| !document.hidden())
}

/// Moves focus to a row's action button inside the widget's shadow root.
pub fn focus_action(host: &web_sys::HtmlElement, source: &str) {
    use wasm_bindgen::JsCast;
    let selector = format!("[data-source=\"{source}\"] [data-testid=\"source-action\"]");
    if let Some(button) = host
        .shadow_root()
        .and_then(|root| root.query_selector(&selector).ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = button.focus();
    }
}
