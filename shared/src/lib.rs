//! The wire contract between the widget, the edge and the tests.
//!
//! Everything here is plain data with serde derives: no IO, no framework, and it
//! builds for `wasm32-unknown-unknown` as well as the host. Vendor (aggregator)
//! types never appear here; the edge maps them onto these.

pub mod audit;
pub mod audit_export;
pub mod catalog;
pub mod connections;
pub mod events;
pub mod flows;
pub mod links;
pub mod problem;
pub mod session;

pub use audit::{AuditAction, AuditActor, AuditEntry, AuditPage, AuditResult};
pub use catalog::{CATALOG, SourceInfo, SourceKind, find_source};
pub use connections::{
    ConnectionStatus, ConnectionsResponse, PhoneQr, SourceConnection, SyncError, SyncReport,
};
pub use events::{
    Delivery, DeliveryAttempt, DeliveryList, DeliveryState, Event, EventData, EventError, EventType,
};
pub use flows::{
    ConnectRequest, ConnectResponse, DisconnectResponse, Flow, FlowAction, FlowOutcome, FlowResult,
    PopupMessage, is_flow_nonce,
};
pub use links::{CreateLinkRequest, LinkCreated, LinkList, LinkState, LinkSummary};
pub use problem::Problem;
pub use session::{CreateSessionRequest, Scope, SessionResponse};

/// The media type of every error body the edge returns.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
