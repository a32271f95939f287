//! The edge's JSON, read from and written to JavaScript values with the
//! browser's own `JSON`. The types are `healthlink-shared`'s; parsing them
//! here instead of through serde_json keeps about a fifth of the widget's
//! download out of the bundle (see `cargo xtask bench`). Anything that does
//! not match the contract reads as `None`.

use healthlink_shared::{
    ConnectionStatus, ConnectionsResponse, Flow, FlowAction, FlowOutcome, FlowResult, PhoneQr,
    PopupMessage, Problem, SourceConnection, SourceKind, SyncError,
};
use js_sys::{Array, JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::model::HostEvent;

fn field(object: &JsValue, name: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn text(object: &JsValue, name: &str) -> Option<String> {
    field(object, name).as_string()
}

/// A field that may be absent or `null`, but must be a string if present.
fn optional_text(object: &JsValue, name: &str) -> Result<Option<String>, ()> {
    let value = field(object, name);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_string().map(Some).ok_or(())
}

/// A source's `phone_qr`: absent or `null`, or a whole code. `None` (the
/// list does not match the contract) for anything else.
fn phone_qr(value: &JsValue) -> Option<Option<PhoneQr>> {
    if value.is_undefined() || value.is_null() {
        return Some(None);
    }
    let size = field(value, "size").as_f64()?;
    let size_ok = size.fract() == 0.0 && (29.0..=185.0).contains(&size);
    Some(Some(PhoneQr {
        size: size_ok.then_some(size as u32)?,
        path: text(value, "path")?,
    }))
}

/// `GET /v1/connections`.
pub fn connections(value: &JsValue) -> Option<ConnectionsResponse> {
    let sources = field(value, "sources").dyn_into::<Array>().ok()?;
    let sources = sources
        .iter()
        .map(|entry| source_connection(&entry))
        .collect::<Option<Vec<_>>>()?;
    Some(ConnectionsResponse {
        sources,
        locale: optional_text(value, "locale").ok()?,
    })
}

fn source_connection(entry: &JsValue) -> Option<SourceConnection> {
    Some(SourceConnection {
        id: text(entry, "id")?,
        name: text(entry, "name")?,
        kind: SourceKind::parse(&text(entry, "kind")?)?,
        status: ConnectionStatus::parse(&text(entry, "status")?)?,
        updated_at: optional_text(entry, "updated_at").ok()?,
        error: optional_text(entry, "error").ok()?,
        phone_link: optional_text(entry, "phone_link").ok()?,
        phone_qr: phone_qr(&field(entry, "phone_qr"))?,
        pending: match optional_text(entry, "pending").ok()? {
            Some(action) => Some(FlowAction::parse(&action)?),
            None => None,
        },
        last_data_at: optional_text(entry, "last_data_at").ok()?,
        stale: field(entry, "stale").as_bool().unwrap_or(false),
        sync_error: match optional_text(entry, "sync_error").ok()? {
            Some(error) => Some(SyncError::parse(&error)?),
            None => None,
        },
        purpose: optional_text(entry, "purpose").ok()?,
    })
}

/// `application/problem+json`.
pub fn problem(value: &JsValue) -> Option<Problem> {
    let status = field(value, "status").as_f64()?;
    Some(Problem {
        kind: text(value, "type")?,
        title: text(value, "title")?,
        status: (100.0..600.0).contains(&status).then_some(status as u16)?,
        detail: optional_text(value, "detail").ok()?,
        code: text(value, "code")?,
    })
}

/// `ConnectResponse`: the URL that starts the flow.
pub fn connect_url(value: &JsValue) -> Option<String> {
    text(value, "url")
}

/// The live-updates ticket.
pub fn live_ticket(value: &JsValue) -> Option<String> {
    text(value, "ticket")
}

/// `DisconnectResponse`: the status afterwards.
pub fn disconnect_status(value: &JsValue) -> Option<ConnectionStatus> {
    ConnectionStatus::parse(&text(value, "status")?)
}

/// `ConnectRequest` as a JSON body.
pub fn connect_body(flow: Flow, return_url: Option<&str>, nonce: Option<&str>) -> String {
    let body = Object::new();
    let flow = match flow {
        Flow::Popup => "popup",
        Flow::Redirect => "redirect",
    };
    set(&body, "flow", &JsValue::from_str(flow));
    if let Some(url) = return_url {
        set(&body, "return_url", &JsValue::from_str(url));
    }
    if let Some(nonce) = nonce {
        set(&body, "nonce", &JsValue::from_str(nonce));
    }
    JSON::stringify(&body)
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

/// The `{"healthlink": {source, action, result}, "nonce": …}` message a
/// popup's result page posts.
pub fn popup_message(data: &JsValue) -> Option<PopupMessage> {
    let outcome = field(data, "healthlink");
    Some(PopupMessage {
        healthlink: FlowOutcome {
            source: text(&outcome, "source")?,
            action: FlowAction::parse(&text(&outcome, "action")?)?,
            result: FlowResult::parse(&text(&outcome, "result")?)?,
        },
        nonce: optional_text(data, "nonce").ok()?,
    })
}

/// The `detail` of a host event: `{source, result, status}`, plus `code`
/// and `message` for errors and `delete_data` for disconnects.
pub fn event_detail(event: &HostEvent) -> JsValue {
    let detail = Object::new();
    let optional = |value: Option<&str>| value.map_or(JsValue::NULL, JsValue::from_str);
    set(&detail, "source", &optional(event.source.as_deref()));
    set(&detail, "result", &JsValue::from_str(&event.result));
    set(
        &detail,
        "status",
        &optional(event.status.map(|s| s.as_str())),
    );
    if let Some(code) = &event.code {
        set(&detail, "code", &JsValue::from_str(code));
    }
    if let Some(message) = &event.message {
        set(&detail, "message", &JsValue::from_str(message));
    }
    if let Some(delete_data) = event.delete_data {
        set(&detail, "delete_data", &JsValue::from_bool(delete_data));
    }
    detail.into()
}

fn set(object: &Object, name: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(name), value);
}
