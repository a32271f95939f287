//! What every handler works with: the [`Edge`] context over the
//! aggregator, the store and the runtime, and the request as handlers see
//! it. Its own file so the handler modules import it, not `mod.rs`, which
//! imports them.

use crate::config::Config;
use crate::error::ApiError;
use crate::signing::Signer;

/// What the handlers need from the runtime besides storage and upstream IO.
pub trait Runtime {
    /// Now, in Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// A fresh, unguessable, unique value (a return state's nonce).
    fn nonce(&self) -> Result<String, ApiError>;
}

/// A request as the handlers see it: what the glue read off the runtime's
/// request. `body` is already checked by [`crate::request_body`].
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The method as sent (workers-rs maps methods it does not know to GET,
    /// which would answer them as reads).
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub authorization: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub body: &'a str,
    /// The request asks to become a WebSocket (`Upgrade: websocket`).
    pub upgrade_websocket: bool,
    /// `Accept-Language`, for the pages the edge serves in the user's
    /// language.
    pub accept_language: Option<&'a str>,
}

/// Everything a handler works with.
pub struct Edge<'a, A, S, R> {
    pub config: &'a Config,
    pub signer: &'a Signer,
    pub aggregator: &'a A,
    pub store: &'a S,
    pub runtime: &'a R,
    /// `scheme://host[:port]` of this edge, as the request reached it.
    pub edge_origin: &'a str,
}
