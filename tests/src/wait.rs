//! Waiting for asynchronous UI and servers without fixed sleeps.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `probe` until it returns `Some`, or panics after `timeout` saying
/// what was awaited and what the last probe saw.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
