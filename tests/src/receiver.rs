//! The events receiver `cargo xtask test` runs (`tests/receiver/receiver.mjs`):
//! the host backend the edges push their events to. It verifies every
//! delivery with the npm `standardwebhooks` package, records it and answers
//! as a test scripted; this is the suite's view of it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One delivery as the receiver recorded it, in arrival order.
#[derive(Debug, Clone, Deserialize)]
pub struct Delivery {
    /// The hook it arrived on (`/hook/{edge}`).
    pub edge: String,
    /// `webhook-id`; a retried delivery keeps it.
    pub id: Option<String>,
    /// `webhook-timestamp`, as sent (Unix seconds).
    pub timestamp: Option<String>,
    /// The body's `timestamp`.
    pub event_timestamp: Option<String>,
    /// The body's `type`, e.g. `connection.connected`.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// The body's `data`.
    pub data: Option<Value>,
    /// Whether every secret the receiver holds for the edge verified the
    /// delivery on its own (both, for an edge mid-rotation), and the body
    /// is a JSON object.
    pub valid: bool,
    /// Why it is not valid.
    pub verify_error: Option<String>,
    pub received_at_ms: u64,
    /// 1 for the first time this `webhook-id` arrived, 2 for the next…
    pub attempt: u32,
    pub answered: Answered,
}

impl Delivery {
    /// A string field of `data`, e.g. `user_id` or `status`.
    pub fn data_str(&self, field: &str) -> Option<&str> {
        self.data.as_ref()?.get(field)?.as_str()
    }
}

/// What the receiver answered a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Answered {
    Status(u16),
    Nothing(NoAnswer),
}

/// A delivery the receiver did not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoAnswer {
    /// Held open until the client gave up.
    Timeout,
    /// The connection was closed without a response.
    Drop,
}

/// How the receiver answers an edge's next valid deliveries. (An invalid
/// one is always refused with `400` and does not count.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `204`.
    Ok,
    /// `500`: a failure worth retrying.
    Fail500,
    /// Accepts the request and never answers.
    Timeout,
    /// Closes the connection without a response.
    Drop,
    /// `410 Gone`: Standard Webhooks' "stop sending to this endpoint".
    Gone410,
}

/// The receiver of this run.
pub struct Receiver {
    base: String,
}

impl Receiver {
    pub fn from_env() -> Self {
        let base = std::env::var("HEALTHLINK_RECEIVER_URL").unwrap_or_else(|_| {
            panic!("HEALTHLINK_RECEIVER_URL is not set: run the suite through `cargo xtask test`")
        });
        Self { base }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Where `edge` delivers (`edge` is an [`crate::edge::Edge::name`] or a
    /// self-test hook).
    pub fn hook_url(&self, edge: &str) -> String {
        format!("{}/hook/{edge}", self.base)
    }

    /// Every delivery to `edge` so far, in arrival order; with `user_id`,
    /// only those whose `data.user_id` is that.
    pub async fn deliveries(&self, edge: &str, user_id: Option<&str>) -> Vec<Delivery> {
        let mut request = client().get(format!("{}/deliveries/{edge}", self.base));
        if let Some(user_id) = user_id {
            request = request.query(&[("user_id", user_id)]);
        }
        let body = answer_of(request, &format!("{edge}'s deliveries")).await;
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("receiver deliveries of {edge} ({e}): {body}"))
    }

    /// Answers `edge`'s next `count` valid deliveries (all, until changed,
    /// with `None`) as `mode`; then `ok` again. The mode is per hook, so a
    /// test that sets one must not share its edge with a test expecting
    /// `204`s at the same time.
    pub async fn set_mode(&self, edge: &str, mode: Mode, count: Option<u32>) {
        let request = client()
            .post(format!("{}/control/{edge}", self.base))
            .json(&serde_json::json!({ "mode": mode, "count": count }));
        answer_of(request, &format!("mode {mode:?} for {edge}")).await;
    }

    /// Queues `mode` for the next `count` valid deliveries about `user_id`
    /// only (all of them with `None`), after that user's earlier ones: a
    /// test scripts one user's answers while others share the edge.
    pub async fn set_user_mode(&self, edge: &str, user_id: &str, mode: Mode, count: Option<u32>) {
        let request = client()
            .post(format!("{}/control/{edge}", self.base))
            .json(&serde_json::json!({ "mode": mode, "count": count, "user_id": user_id }));
        answer_of(request, &format!("mode {mode:?} for {user_id} on {edge}")).await;
    }

    /// Polls `edge`'s deliveries (for `user_id`, if given) every 50 ms until
    /// `done` holds for them, and returns them. Panics after `timeout`
    /// showing what had arrived.
    pub async fn wait_for(
        &self,
        edge: &str,
        user_id: Option<&str>,
        done: impl Fn(&[Delivery]) -> bool,
        timeout: Duration,
    ) -> Vec<Delivery> {
        let deadline = Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries(edge, user_id).await;
            if done(&deliveries) {
                return deliveries;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {timeout:?} waiting for deliveries to {edge} (user {user_id:?}); seen:\n{deliveries:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The body of the receiver's `200` to `request`; anything else fails the
/// test, naming `what` was asked.
async fn answer_of(request: reqwest::RequestBuilder, what: &str) -> String {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("asking the receiver for {what}: {e}"));
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "receiver, {what}: {body}");
    body
}

/// One per call, like [`crate::edge::client`]: each `#[tokio::test]` has its
/// own runtime, and a pooled connection must not outlive it.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client")
}
