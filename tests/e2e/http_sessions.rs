//! `POST /v1/sessions`: only the host backend mints sessions, and only valid
//! ones.

use healthlink_shared::SessionResponse;
use healthlink_tests::edge::{Answer, client, url};
use healthlink_tests::{env, unique};

async fn create(authorization: Option<&str>, body: &str, content_type: &str) -> Answer {
    let mut request = client()
        .post(url("/v1/sessions"))
        .header("content-type", content_type)
        .body(body.to_owned());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    Answer::send(request).await
}

fn api_key() -> String {
    format!("Bearer {}", env().api_key)
}

#[tokio::test]
async fn the_backend_mints_an_expiring_session() {
    let body = serde_json::json!({"user_id": unique("mint"), "ttl_seconds": 600}).to_string();
    let answer = create(Some(&api_key()), &body, "application/json").await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let session: SessionResponse = answer.json();
    assert!(session.session_token.starts_with("hls1."));
    assert!(session.expires_at.ends_with('Z'), "{}", session.expires_at);
}

#[tokio::test]
async fn only_the_api_key_mints_sessions() {
    let body = serde_json::json!({"user_id": "alice"}).to_string();
    for authorization in [
        None,
        Some("Bearer wrong-key-wrong-key-wrong-key"),
        Some(&format!("Basic {}", env().api_key)),
        Some(&format!("Bearer {}x", env().api_key)),
    ] {
        create(authorization, &body, "application/json")
            .await
            .expect_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn bad_bodies_are_clear_client_errors() {
    let check = |body: String, status: u16, code: &'static str| async move {
        create(Some(&api_key()), &body, "application/json")
            .await
            .expect_problem(status, code);
    };
    check("{".into(), 400, "invalid_request").await;
    check("[]".into(), 400, "invalid_request").await;
    check(r#"{"user_id": "a/b"}"#.into(), 400, "invalid_user_id").await;
    check(
        format!(r#"{{"user_id": "{}"}}"#, "a".repeat(51)),
        400,
        "invalid_user_id",
    )
    .await;
    check(
        r#"{"user_id": "alice", "ttl_seconds": 7200}"#.into(),
        400,
        "invalid_request",
    )
    .await;
    check(
        r#"{"user_id": "alice", "scopes": ["admin"]}"#.into(),
        400,
        "invalid_request",
    )
    .await;
    check(
        r#"{"user_id": "alice", "is_admin": true}"#.into(),
        400,
        "invalid_request",
    )
    .await;
    check(
        r#"{"user_id": "alice", "sources": ["myspace"]}"#.into(),
        400,
        "invalid_request",
    )
    .await;
    // An actor_id may not pass for an actor kind of the audit trail.
    for reserved in ["user", "backend", "aggregator"] {
        check(
            format!(r#"{{"user_id": "alice", "actor_id": "{reserved}"}}"#),
            400,
            "invalid_request",
        )
        .await;
    }
    check(
        r#"{"user_id": "alice", "return_url": "https://evil.example/"}"#.into(),
        400,
        "return_url_not_allowed",
    )
    .await;
    check(
        r#"{"user_id": "alice", "origins": ["https://evil.example"]}"#.into(),
        403,
        "origin_not_allowed",
    )
    .await;
    let huge = format!(
        r#"{{"user_id": "alice", "locale": "{}"}}"#,
        "x".repeat(20_000)
    );
    check(huge, 413, "payload_too_large").await;
    create(Some(&api_key()), r#"{"user_id": "alice"}"#, "text/plain")
        .await
        .expect_problem(415, "unsupported_media_type");
}
