//! The edge's log lines. In the Worker they go to the console (Workers
//! Logs); natively they are kept per thread, so tests can read what would
//! have been logged and check that no user id or token is in it.
//!
//! Callers pass only what may be logged: calls, statuses, variable names —
//! never secrets, tokens, token-bearing URLs or raw user ids.

use crate::aggregator::AggregatorError;

pub fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    native::LINES.with_borrow_mut(|lines| lines.push(message.to_owned()));
}

/// What the operator needs to know about an aggregator failure. Details
/// name calls, statuses and variables, never a secret.
pub fn upstream_failure(error: &AggregatorError) {
    match error {
        AggregatorError::Misconfigured { detail } => {
            self::error(&format!("operator action needed: {detail}"));
        }
        AggregatorError::Unavailable => self::error("aggregator unavailable"),
        _ => {}
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub mod native {
    use std::cell::RefCell;

    thread_local! {
        pub(super) static LINES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// The lines logged on this thread since the last call.
    pub fn take() -> Vec<String> {
        LINES.take()
    }
}
