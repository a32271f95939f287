//! Healthlink's edge: the Cloudflare Worker that holds the secrets and answers
//! the widget.
//!
//! The modules at the top are plain Rust with no `worker::` types, so they are
//! tested natively with `cargo test`. Only `frontend_worker` (the fetch entry)
//! and `user_state_do` (the per-user Durable Object) touch the Workers runtime,
//! and they are thin: parse, call a decision, do the IO, answer.

pub mod aggregator;
pub mod audit_chain;
pub mod audit_signing;
pub mod config;
pub mod connections;
pub mod consent;
pub mod cors;
pub mod error;
pub mod events;
pub mod flows;
pub mod freshness;
pub mod handlers;
pub mod link_pages;
pub mod links;
pub mod live;
pub mod log;
pub mod openapi;
pub mod pages;
pub mod qr;
pub mod request_body;
pub mod residency;
pub mod return_state;
pub mod return_url;
pub mod routes;
pub mod sealing;
pub mod session;
pub mod signing;
pub mod time;
pub mod user_id;
pub mod user_state;
pub mod user_store;

#[cfg(target_arch = "wasm32")]
mod fetch_client;
#[cfg(target_arch = "wasm32")]
mod frontend_worker;
#[cfg(target_arch = "wasm32")]
mod isolate;
#[cfg(target_arch = "wasm32")]
mod live_do;
#[cfg(target_arch = "wasm32")]
mod outbox_do;
#[cfg(target_arch = "wasm32")]
mod user_state_do;
