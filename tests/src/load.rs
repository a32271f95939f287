//! A small closed-loop load generator: `concurrency` workers each send one
//! request, wait for the answer, and send the next, until the time is up.
//! Bounded by construction (fixed duration, loopback only), and it reports
//! what it saw rather than asserting on timings.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What one load run measured. Latencies are per request, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    pub concurrency: usize,
    pub seconds: f64,
    pub requests: u64,
    pub failures: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Runs `request(worker, iteration)` in `concurrency` workers for
/// `duration`; a request that returns `false` counts as failed.
pub async fn closed_loop<F, Fut>(concurrency: usize, duration: Duration, request: F) -> LoadFigures
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0u64;
                let mut iteration = 0u64;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if !request(worker, iteration).await {
                        failures += 1;
                    }
                    latencies.push(sent.elapsed());
                    iteration += 1;
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (mut seen, failed) = worker.await.expect("a load worker panicked");
        latencies.append(&mut seen);
        failures += failed;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    LoadFigures {
        concurrency,
        seconds,
        requests: latencies.len() as u64,
        failures,
        requests_per_second: latencies.len() as f64 / seconds,
        p50_ms: percentile_ms(&latencies, 50.0),
        p99_ms: percentile_ms(&latencies, 99.0),
        max_ms: latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    }
}

/// The nearest-rank percentile of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], percent: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&ms, 50.0), 50.0);
        assert_eq!(percentile_ms(&ms, 99.0), 99.0);
        assert_eq!(percentile_ms(&ms, 100.0), 100.0);
        assert_eq!(percentile_ms(&ms[..1], 99.0), 1.0);
        assert_eq!(percentile_ms(&[], 50.0), 0.0);
    }

    #[tokio::test]
    async fn counts_every_request_and_every_failure() {
        let figures = closed_loop(3, Duration::from_millis(50), |_, iteration| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            iteration % 2 == 0
        })
        .await;
        assert!(figures.requests >= 3);
        // Each worker fails its odd iterations: about half, never more.
        assert!(figures.failures * 2 <= figures.requests);
        assert!(figures.requests - figures.failures * 2 <= 3);
    }
}
