//! The only code that knows the edge's URLs. Turns every non-2xx answer into
//! a `LoadError`.

use healthlink_shared::{ConnectionStatus, ConnectionsResponse, Flow};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response};

use crate::i18n::{Catalog, Locale};
use crate::model::ending::Ending;
use crate::model::{LoadError, WidgetConfig};
use crate::wire;

/// One authorized request to the edge. The browser's own `fetch`, not a
/// wrapper crate: the wrapper's streams and builders cost more download
/// than the four calls the widget makes.
async fn send(
    config: &WidgetConfig,
    method: &str,
    path: &str,
    json_body: Option<String>,
) -> Result<Response, LoadError> {
    let headers = Headers::new().map_err(|_| LoadError::Unexpected(0))?;
    let _ = headers.set("authorization", &format!("Bearer {}", config.session));
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = json_body {
        let _ = headers.set("content-type", "application/json");
        init.set_body(&JsValue::from_str(&body));
    }
    init.set_headers(&headers);
    let window = web_sys::window().ok_or(LoadError::Unreachable)?;
    // A network failure and a CORS refusal look the same from here: the
    // browser hides the difference on purpose.
    let sent = JsFuture::from(window.fetch_with_str_and_init(&config.url(path), &init))
        .await
        .map_err(|_| LoadError::Unreachable)?;
    sent.dyn_into().map_err(|_| LoadError::Unreachable)
}

pub async fn fetch_connections(config: &WidgetConfig) -> Result<ConnectionsResponse, LoadError> {
    read(
        send(config, "GET", "/v1/connections", None).await,
        wire::connections,
    )
    .await
}

/// Asks the edge for the URL that starts connecting `source`. `nonce` is
/// the popup flow's own (see `model::popup`); redirect flows send none.
pub async fn connect(
    config: &WidgetConfig,
    source: &str,
    flow: Flow,
    return_url: Option<String>,
    nonce: Option<&str>,
) -> Result<String, LoadError> {
    let body = wire::connect_body(flow, return_url.as_deref(), nonce);
    let path = format!("/v1/connections/{source}/connect");
    read(
        send(config, "POST", &path, Some(body)).await,
        wire::connect_url,
    )
    .await
}

/// Ends `source`'s connection the way the user chose. Both routes revoke
/// and answer alike (`DisconnectResponse`); `delete` is also recorded as a
/// delete in the audit trail.
pub async fn disconnect(
    config: &WidgetConfig,
    source: &str,
    ending: Ending,
) -> Result<ConnectionStatus, LoadError> {
    let route = match ending {
        Ending::Disconnect => "disconnect",
        Ending::Delete => "delete",
    };
    let path = format!("/v1/connections/{source}/{route}");
    read(
        send(config, "POST", &path, None).await,
        wire::disconnect_status,
    )
    .await
}

/// A single-use ticket that opens the live-updates socket (the session
/// token never goes into the socket's URL).
pub async fn live_ticket(config: &WidgetConfig) -> Result<String, LoadError> {
    read(
        send(config, "POST", "/v1/live/ticket", None).await,
        wire::live_ticket,
    )
    .await
}

async fn read<T>(
    sent: Result<Response, LoadError>,
    shape: impl FnOnce(&JsValue) -> Option<T>,
) -> Result<T, LoadError> {
    let response = sent?;
    let status = response.status();
    // The browser's JSON parser; a body that is not JSON reads as none.
    let body = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    if response.ok() {
        return body
            .as_ref()
            .and_then(shape)
            .ok_or(LoadError::Unexpected(status));
    }
    match body.as_ref().and_then(wire::problem) {
        Some(problem) => Err(LoadError::Problem(problem)),
        None => Err(LoadError::Unexpected(status)),
    }
}

/// A language's strings, from the file the edge serves beside the widget
/// (`/i18n/{code}.json`: public, no session). `None` when it cannot be read
/// or misses a string: the widget then stays in English.
pub async fn fetch_catalog(config: &WidgetConfig, locale: Locale) -> Option<Catalog> {
    let window = web_sys::window()?;
    let path = format!("/i18n/{}.json", locale.code());
    let response: Response = JsFuture::from(window.fetch_with_str(&config.url(&path)))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let body = JsFuture::from(response.json().ok()?).await.ok()?;
    // Kept for the page's life (see `i18n::register`), so leaked once here.
    Catalog::from_fields(&mut |name| {
        let text = js_sys::Reflect::get(&body, &JsValue::from_str(name))
            .ok()?
            .as_string()?;
        Some(&*text.leak())
    })
}
