//! The end-to-end suite: black-box HTTP tests against a running edge and
//! browser tests of the widget embedded in a host page on another origin.
//! `cargo xtask test` starts the edge and sets the environment.

mod browser_list;
mod http_connections;
mod http_cors;
