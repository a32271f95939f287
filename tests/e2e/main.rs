//! The end-to-end suite: black-box HTTP tests against a running edge and
//! browser tests of the widget embedded in a host page on another origin.
//! `cargo xtask test` starts the edge and sets the environment.

mod browser_flows;
mod browser_list;
mod flow_support;
mod http_backend;
mod http_connections;
mod http_cors;
mod http_flows;
mod http_security;
mod http_sessions;
