//! The events receiver itself, without an edge: deliveries signed here (HMAC
//! in Rust, sharing no code with the receiver's npm library or the edge)
//! are recorded valid; forgeries, stale and oversized ones are refused; and
//! each scripted mode answers as documented. The edges' event tests rely on
//! exactly this.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use healthlink_tests::receiver::{Answered, Delivery, Mode, NoAnswer, Receiver};
use healthlink_tests::unique;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Hooks `cargo xtask test` gives the receiver for this test only: one for
/// signatures, one for modes, so the two tests can run in parallel.
const SIGNING_HOOK: &str = "selftest";
const MODES_HOOK: &str = "selftest-modes";

/// Both hooks verify with these two secrets, as for an edge mid-rotation.
fn secrets() -> Vec<String> {
    std::env::var("HEALTHLINK_RECEIVER_SELFTEST_SECRETS")
        .expect("HEALTHLINK_RECEIVER_SELFTEST_SECRETS is set by `cargo xtask test`")
        .split(',')
        .map(str::to_owned)
        .collect()
}

/// `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under the
/// decoded `whsec_` secret: the Standard Webhooks signature.
fn sign(secret: &str, id: &str, timestamp: u64, body: &str) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("a base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Every secret's signature, space-separated, as a rotating sender sends.
fn sign_all(secrets: &[String], id: &str, timestamp: u64, body: &str) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn event(user: &str, status: &str) -> String {
    serde_json::json!({
        "type": "connection.connected",
        "timestamp": "2026-12-01T00:00:00Z",
        "data": { "user_id": user, "source": "oura", "status": status },
    })
    .to_string()
}

/// One POST to `hook`; `signature: None` leaves the signature header out.
async fn deliver(
    hook: &str,
    id: &str,
    timestamp: u64,
    signature: Option<&str>,
    body: String,
    timeout: Duration,
) -> Result<u16, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("http client");
    let mut request = client
        .post(Receiver::from_env().hook_url(hook))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .body(body);
    if let Some(signature) = signature {
        request = request.header("webhook-signature", signature);
    }
    Ok(request.send().await?.status().as_u16())
}

/// The status `hook` answers a delivery, with a generous client timeout.
async fn status_of(
    hook: &str,
    id: &str,
    timestamp: u64,
    signature: Option<&str>,
    body: String,
) -> u16 {
    deliver(
        hook,
        id,
        timestamp,
        signature,
        body,
        Duration::from_secs(10),
    )
    .await
    .expect("the receiver answers")
}

/// A correctly signed delivery with a generous client timeout.
async fn deliver_signed(hook: &str, id: &str, body: String) -> Result<u16, reqwest::Error> {
    let timestamp = now();
    let signature = sign_all(&secrets(), id, timestamp, &body);
    deliver(
        hook,
        id,
        timestamp,
        Some(&signature),
        body,
        Duration::from_secs(10),
    )
    .await
}

fn summary(deliveries: &[Delivery]) -> Vec<(bool, u32, Answered)> {
    deliveries
        .iter()
        .map(|delivery| (delivery.valid, delivery.attempt, delivery.answered))
        .collect()
}

#[tokio::test]
async fn receiver_records_signed_deliveries_and_refuses_forgeries() {
    let receiver = Receiver::from_env();
    let secrets = secrets();
    let user = unique("receiver");
    let id = format!("msg_{user}");
    let body = event(&user, "connected");
    let timestamp = now();
    let both = sign_all(&secrets, &id, timestamp, &body);
    let status =
        |signature, timestamp, body| status_of(SIGNING_HOOK, &id, timestamp, signature, body);
    // Valid, and the same id again: a retry, counted as attempt 2.
    assert_eq!(status(Some(&both), timestamp, body.clone()).await, 204);
    assert_eq!(status(Some(&both), timestamp, body.clone()).await, 204);
    // Only the first secret's signature: an edge mid-rotation must send both.
    let first_only = sign(&secrets[0], &id, timestamp, &body);
    assert_eq!(
        status(Some(&first_only), timestamp, body.clone()).await,
        400
    );
    // Signed, then changed.
    assert_eq!(
        status(Some(&both), timestamp, event(&user, "disconnected")).await,
        400
    );
    // Signed with secrets the receiver does not hold.
    let stranger = sign_all(
        &[
            format!("whsec_{}", STANDARD.encode([7u8; 32])),
            format!("whsec_{}", STANDARD.encode([8u8; 32])),
        ],
        &id,
        timestamp,
        &body,
    );
    assert_eq!(status(Some(&stranger), timestamp, body.clone()).await, 400);
    // Correctly signed, but ten minutes old: outside the library's five.
    let stale = timestamp - 600;
    let stale_signature = sign_all(&secrets, &id, stale, &body);
    assert_eq!(
        status(Some(&stale_signature), stale, body.clone()).await,
        400
    );
    assert_eq!(status(None, timestamp, body.clone()).await, 400);

    let seen = receiver.deliveries(SIGNING_HOOK, Some(&user)).await;
    assert_eq!(
        summary(&seen),
        [
            (true, 1, Answered::Status(204)),
            (true, 2, Answered::Status(204)),
            (false, 3, Answered::Status(400)),
            (false, 4, Answered::Status(400)),
            (false, 5, Answered::Status(400)),
            (false, 6, Answered::Status(400)),
            (false, 7, Answered::Status(400)),
        ],
        "{seen:#?}"
    );
    let first = &seen[0];
    assert_eq!(first.edge, SIGNING_HOOK);
    assert_eq!(first.id.as_deref(), Some(id.as_str()));
    assert_eq!(first.timestamp, Some(timestamp.to_string()));
    assert_eq!(first.event_type.as_deref(), Some("connection.connected"));
    assert_eq!(
        first.event_timestamp.as_deref(),
        Some("2026-12-01T00:00:00Z")
    );
    assert_eq!(first.data_str("user_id"), Some(user.as_str()));
    assert_eq!(first.data_str("status"), Some("connected"));
    assert_eq!(first.verify_error, None);
    let errors: Vec<&str> = seen[2..]
        .iter()
        .map(|delivery| delivery.verify_error.as_deref().unwrap_or_default())
        .collect();
    assert!(errors[0].starts_with("secret 2 of 2:"), "{errors:?}");
    assert!(errors[3].contains("too old"), "{errors:?}");
    assert!(errors[4].contains("Missing required headers"), "{errors:?}");

    // Another user's delivery stays out of this user's list, and a body
    // over 64 KB is refused before it is read.
    let other = unique("receiver");
    let other_id = format!("msg_{other}");
    assert_eq!(
        deliver_signed(SIGNING_HOOK, &other_id, event(&other, "connected"))
            .await
            .expect("the receiver answers"),
        204
    );
    let oversized_id = format!("msg_{user}_oversized");
    let oversized = format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024));
    assert_eq!(
        deliver_signed(SIGNING_HOOK, &oversized_id, oversized)
            .await
            .expect("the receiver answers"),
        413
    );
    assert_eq!(
        receiver.deliveries(SIGNING_HOOK, Some(&user)).await.len(),
        7
    );
    let everyone = receiver.deliveries(SIGNING_HOOK, None).await;
    let find = |id: &str| {
        everyone
            .iter()
            .find(|delivery| delivery.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id} not recorded: {everyone:#?}"))
    };
    assert!(find(&other_id).valid);
    let refused = find(&oversized_id);
    assert!(!refused.valid);
    assert_eq!(refused.answered, Answered::Status(413));
}

#[tokio::test]
async fn receiver_answers_each_mode_as_scripted() {
    let receiver = Receiver::from_env();
    let user = unique("receiver-modes");
    let id = format!("msg_{user}");
    let send = || deliver_signed(MODES_HOOK, &id, event(&user, "connected"));
    let answer = || async { send().await.expect("the receiver answers") };

    receiver.set_mode(MODES_HOOK, Mode::Fail500, Some(2)).await;
    assert_eq!(answer().await, 500);
    assert_eq!(answer().await, 500);
    assert_eq!(answer().await, 204, "back to ok after the count");

    receiver.set_mode(MODES_HOOK, Mode::Gone410, None).await;
    assert_eq!(answer().await, 410);
    assert_eq!(answer().await, 410, "no count: until changed");
    receiver.set_mode(MODES_HOOK, Mode::Ok, None).await;
    assert_eq!(answer().await, 204);

    receiver.set_mode(MODES_HOOK, Mode::Drop, Some(1)).await;
    let dropped = send().await.expect_err("closed without an answer");
    assert!(!dropped.is_timeout(), "{dropped:?}");

    receiver.set_mode(MODES_HOOK, Mode::Timeout, Some(1)).await;
    let started = Instant::now();
    let timestamp = now();
    let body = event(&user, "connected");
    let signature = sign_all(&secrets(), &id, timestamp, &body);
    let held = deliver(
        MODES_HOOK,
        &id,
        timestamp,
        Some(&signature),
        body,
        Duration::from_secs(1),
    )
    .await
    .expect_err("never answered");
    let waited = started.elapsed();
    assert!(held.is_timeout(), "{held:?}");
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    // A forgery is refused without using up a scripted failure.
    receiver.set_mode(MODES_HOOK, Mode::Fail500, Some(1)).await;
    let forged = status_of(
        MODES_HOOK,
        &id,
        now(),
        Some("v1,AAAA"),
        event(&user, "connected"),
    )
    .await;
    assert_eq!(forged, 400);
    assert_eq!(answer().await, 500);
    assert_eq!(answer().await, 204);

    let seen = receiver
        .wait_for(
            MODES_HOOK,
            Some(&user),
            |deliveries| deliveries.len() >= 11,
            Duration::from_secs(5),
        )
        .await;
    let answered: Vec<Answered> = seen.iter().map(|delivery| delivery.answered).collect();
    assert_eq!(
        answered,
        [
            Answered::Status(500),
            Answered::Status(500),
            Answered::Status(204),
            Answered::Status(410),
            Answered::Status(410),
            Answered::Status(204),
            Answered::Nothing(NoAnswer::Drop),
            Answered::Nothing(NoAnswer::Timeout),
            Answered::Status(400),
            Answered::Status(500),
            Answered::Status(204),
        ],
        "{seen:#?}"
    );
    let attempts: Vec<u32> = seen.iter().map(|delivery| delivery.attempt).collect();
    assert_eq!(attempts, (1..=11).collect::<Vec<_>>());

    let refused = reqwest::Client::new()
        .post(format!("{}/control/{MODES_HOOK}", receiver.url()))
        .json(&serde_json::json!({ "mode": "sometimes" }))
        .send()
        .await
        .expect("the receiver answers");
    assert_eq!(refused.status(), 400);
}
