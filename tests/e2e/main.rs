//! The end-to-end suite: black-box HTTP tests against running edges (one per
//! aggregator, the real ones pointed at loopback emulators) and browser
//! tests of the widget embedded in a host page on another origin.
//! `cargo xtask test` starts the edges and sets the environment.

mod aggregator_support;
mod audit_export;
mod bench_edge;
mod bench_events;
mod bench_render;
mod browser_accessibility;
mod browser_embedding;
mod browser_flows;
mod browser_freshness;
mod browser_i18n;
mod browser_isolation;
mod browser_links;
mod browser_list;
mod browser_live;
mod browser_trust;
mod events;
mod faults;
mod flow_support;
mod http_backend;
mod http_connections;
mod http_cors;
mod http_flows;
mod http_hardening;
mod http_links;
mod http_security;
mod http_sessions;
mod http_sync;
mod live;
mod load;
mod misconfigured;
mod receiver;
mod rook;
mod schemathesis;
mod thryve;
