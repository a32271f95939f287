//! What a handler answers, as plain data: status, body and headers. The
//! Worker glue turns a [`Reply`] into a runtime response and adds the
//! headers every response carries (CORS, `nosniff`, `Referrer-Policy`).

use serde::Serialize;

use crate::error::ApiError;
use crate::pages::PAGE_CSP;
use crate::user_id::UserId;
use crate::user_store::WrittenList;

pub const JSON: &str = "application/json";
pub const HTML: &str = "text/html; charset=utf-8";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// `None` for an empty body.
    pub body: Option<Body>,
    pub headers: Vec<(&'static str, String)>,
    /// Work to do after the answer has gone out.
    pub follow_up: Option<FollowUp>,
    /// Answer with the static asset at the request's path instead (the
    /// glue fetches it from the assets binding; `status` and `body` unused).
    pub static_asset: bool,
    /// Hand the request (a WebSocket upgrade) to the user's object, which
    /// answers it with the socket.
    pub live: Option<LiveSocket>,
    /// A JSON body the store wrote, streamed through unread (`body` is
    /// `None` then).
    #[cfg(target_arch = "wasm32")]
    pub stream: Option<worker::web_sys::ReadableStream>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub content_type: &'static str,
    pub text: String,
}

/// A live-updates socket the user's object is to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSocket {
    pub user: UserId,
    pub grant: crate::live::SocketGrant,
}

/// Work a handler leaves for after its answer (`waitUntil` in the Worker).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// Ask the aggregator for this user's statuses and record what differs.
    Reconcile(UserId),
}

impl Reply {
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
            follow_up: None,
            static_asset: false,
            live: None,
            #[cfg(target_arch = "wasm32")]
            stream: None,
        }
    }

    /// The static file at the request's path.
    pub fn static_asset() -> Self {
        Self {
            static_asset: true,
            ..Self::empty(200)
        }
    }

    /// A JSON answer, never cached (it is about one user).
    pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Self, ApiError> {
        let text = serde_json::to_string(body).map_err(|_| ApiError::Internal)?;
        Ok(Self::text(status, JSON, text).no_store())
    }

    /// A status list the store wrote, as JSON, never cached.
    pub fn written(list: WrittenList) -> Self {
        match list {
            WrittenList::Text(text) => Self::text(200, JSON, text).no_store(),
            #[cfg(target_arch = "wasm32")]
            WrittenList::Stream(stream) => Self {
                stream: Some(stream),
                ..Self::empty(200)
            }
            .header("content-type", JSON.to_owned())
            .no_store(),
        }
    }

    /// An edge page: our CSP (no framing, no inline script), never cached.
    pub fn html(page: String) -> Self {
        Self::text(200, HTML, page)
            .header("content-security-policy", PAGE_CSP.to_owned())
            .no_store()
    }

    /// `303 See Other` to `location`, never cached (it carries a result).
    pub fn see_other(location: String) -> Self {
        Self::empty(303).header("location", location).no_store()
    }

    pub fn text(status: u16, content_type: &'static str, text: String) -> Self {
        Self {
            body: Some(Body { content_type, text }),
            ..Self::empty(status)
        }
    }

    pub fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn no_store(self) -> Self {
        self.header("cache-control", "no-store".to_owned())
    }

    pub fn then(mut self, follow_up: FollowUp) -> Self {
        self.follow_up = Some(follow_up);
        self
    }

    /// A header's value, for tests and the glue.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }
}
