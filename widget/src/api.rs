//! The only code that knows the edge's URLs. Turns every non-2xx answer into
//! a `LoadError`.

use gloo_net::http::{Request, RequestBuilder, Response};
use healthlink_shared::{ConnectionStatus, ConnectionsResponse, Flow};
use wasm_bindgen::JsValue;

use crate::model::ending::Ending;
use crate::model::{LoadError, WidgetConfig};
use crate::wire;

fn authorized(builder: RequestBuilder, config: &WidgetConfig) -> RequestBuilder {
    builder.header("authorization", &format!("Bearer {}", config.session))
}

pub async fn fetch_connections(config: &WidgetConfig) -> Result<ConnectionsResponse, LoadError> {
    let request = authorized(Request::get(&config.url("/v1/connections")), config);
    read(request.send().await, wire::connections).await
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
    let request = authorized(
        Request::post(&config.url(&format!("/v1/connections/{source}/connect"))),
        config,
    )
    .header("content-type", "application/json")
    .body(wire::connect_body(flow, return_url.as_deref(), nonce))
    .map_err(|_| LoadError::Unexpected(0))?;
    read(request.send().await, wire::connect_url).await
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
    let request = authorized(
        Request::post(&config.url(&format!("/v1/connections/{source}/{route}"))),
        config,
    );
    read(request.send().await, wire::disconnect_status).await
}

/// A single-use ticket that opens the live-updates socket (the session
/// token never goes into the socket's URL).
pub async fn live_ticket(config: &WidgetConfig) -> Result<String, LoadError> {
    let request = authorized(Request::post(&config.url("/v1/live/ticket")), config);
    read(request.send().await, wire::live_ticket).await
}

async fn read<T>(
    sent: Result<Response, gloo_net::Error>,
    shape: impl FnOnce(&JsValue) -> Option<T>,
) -> Result<T, LoadError> {
    // A network failure and a CORS refusal look the same from here: the
    // browser hides the difference on purpose.
    let response = sent.map_err(|_| LoadError::Unreachable)?;
    let status = response.status();
    let body = response
        .text()
        .await
        .ok()
        .and_then(|text| wire::parse(&text));
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
