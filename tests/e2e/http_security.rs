//! Security acceptance: every forged, stale, misdirected or malformed
//! request is refused with the right 4xx problem and changes nothing.

use healthlink_edge::session::SessionClaims;
use healthlink_edge::signing::{Signer, TokenKind};
use healthlink_shared::{AuditPage, ConnectResponse, Scope};
use healthlink_tests::edge::{Answer, backend, client, mint_session, session_for, url, widget};
use healthlink_tests::{env, unique};
use reqwest::Method;

use crate::flow_support::{consent_link, redirect_body, start_connect};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(user: &str, exp: i64) -> SessionClaims {
    SessionClaims {
        sub: user.into(),
        org: vec![env().host_origin()],
        scp: Scope::ALL.to_vec(),
        act: None,
        loc: None,
        src: None,
        ret: None,
        iat: now() - 10,
        exp,
    }
}

async fn list_with(token: &str) -> Answer {
    Answer::send(widget(Method::GET, "/v1/connections", token)).await
}

async fn audit_len(user: &str) -> usize {
    let page: AuditPage = Answer::send(backend(Method::GET, &format!("/v1/users/{user}/audit")))
        .await
        .json();
    page.entries.len()
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let real = Signer::new(env().signing_key.as_bytes());
    let foreign = Signer::new(b"a different deployment's signing key!!");
    let expired = real.sign(TokenKind::Session, &claims("alice", now() - 1));
    list_with(&expired)
        .await
        .expect_problem(401, "session_expired");
    let other_key = foreign.sign(TokenKind::Session, &claims("alice", now() + 600));
    list_with(&other_key)
        .await
        .expect_problem(401, "unauthorized");
    for forged in ["", "hls1.e30.AAAA", "not-a-token", &"x".repeat(5000)] {
        list_with(forged).await.expect_problem(401, "unauthorized");
    }
    // A return state is signed with the same key but is not a session.
    let state = real.sign(TokenKind::ReturnState, &claims("alice", now() + 600));
    list_with(&state).await.expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn a_session_only_ever_acts_for_its_own_user() {
    let alice = unique("alice");
    let bob = unique("bob");
    let alice_session = session_for(&alice).await;
    let bob_session = session_for(&bob).await;
    crate::flow_support::walk_connect(&bob_session, "oura", redirect_body("/app"), true).await;
    // Alice's session cannot reach Bob's backend routes…
    for (method, path) in [
        (Method::GET, format!("/v1/users/{bob}/connections")),
        (Method::GET, format!("/v1/users/{bob}/audit")),
        (
            Method::POST,
            format!("/v1/users/{bob}/connections/oura/disconnect"),
        ),
        (Method::DELETE, format!("/v1/users/{bob}")),
    ] {
        Answer::send(widget(method, &path, &alice_session))
            .await
            .expect_problem(401, "unauthorized");
    }
    // …and her widget routes act on her alone.
    Answer::send(widget(
        Method::POST,
        "/v1/connections/oura/disconnect",
        &alice_session,
    ))
    .await;
    assert_eq!(audit_len(&bob).await, 1, "Bob's connection is untouched");
}

#[tokio::test]
async fn missing_scopes_are_refused() {
    let read_only =
        mint_session(serde_json::json!({"user_id": unique("ro"), "scopes": ["read"]})).await;
    assert_eq!(list_with(&read_only).await.status, 200);
    start_connect(&read_only, "oura", serde_json::json!({"flow": "popup"}))
        .await
        .expect_problem(403, "missing_scope");
    Answer::send(widget(
        Method::POST,
        "/v1/connections/oura/disconnect",
        &read_only,
    ))
    .await
    .expect_problem(403, "missing_scope");
    let connect_only =
        mint_session(serde_json::json!({"user_id": unique("co"), "scopes": ["connect"]})).await;
    list_with(&connect_only)
        .await
        .expect_problem(403, "missing_scope");
}

#[tokio::test]
async fn return_urls_off_the_allowlist_are_refused() {
    let session = session_for(&unique("redirects")).await;
    for return_url in [
        "https://evil.example/".to_owned(),
        format!("{}.evil.example/", env().host_origin()),
        "javascript:alert(1)".to_owned(),
        format!("{}/", env().edge_url),
        "//evil.example/".to_owned(),
    ] {
        start_connect(
            &session,
            "oura",
            serde_json::json!({"flow": "redirect", "return_url": return_url}),
        )
        .await
        .expect_problem(400, "return_url_not_allowed");
    }
    // The consent page will not send the browser anywhere but our return.
    let consent = format!(
        "/sandbox/connect?source=oura&redirect_uri={}",
        "https%3A%2F%2Fevil.example%2Fv1%2Freturn%3Fstate%3Dx"
    );
    Answer::send(client().get(url(&consent)))
        .await
        .expect_problem(400, "invalid_request");
}

#[tokio::test]
async fn tampered_and_misdirected_states_are_refused_without_changes() {
    let user = unique("state");
    let session = session_for(&user).await;
    let started = start_connect(&session, "oura", redirect_body("/app")).await;
    let ConnectResponse { url: consent } = started.json();
    let allow = consent_link(&consent, true).await;

    let (before, state_and_rest) = allow.split_once("state=").unwrap();
    let (state, rest) = state_and_rest.split_once('&').unwrap();
    let mut parts: Vec<String> = state.split('.').map(str::to_owned).collect();
    // Flip one character of the payload: the signature no longer matches.
    let flipped = if parts[1].starts_with('A') { "B" } else { "A" };
    parts[1].replace_range(0..1, flipped);
    let tampered = format!("{before}state={}&{rest}", parts.join("."));
    Answer::send(client().get(&tampered))
        .await
        .expect_problem(400, "invalid_state");

    // A state re-signed for another user with another key is just as invalid.
    let other = Signer::new(b"a different deployment's signing key!!");
    let forged_state = other.sign(TokenKind::ReturnState, &serde_json::json!({"u": "bob"}));
    Answer::send(client().get(url(&format!(
        "/v1/return?state={forged_state}&connected=true"
    ))))
    .await
    .expect_problem(400, "invalid_state");
    Answer::send(client().get(url("/v1/return?connected=true")))
        .await
        .expect_problem(400, "invalid_state");
    assert_eq!(audit_len(&user).await, 0, "nothing was recorded");
}

#[tokio::test]
async fn malformed_oversized_and_unknown_input_is_a_client_error() {
    let session = session_for(&unique("input")).await;
    let post = |path: &str, body: String, content_type: &str| {
        Answer::send(
            widget(Method::POST, path, &session)
                .header("content-type", content_type)
                .body(body),
        )
    };
    let connect = "/v1/connections/oura/connect";
    let popup = r#"{"flow":"popup"}"#;
    for (path, body, content_type, status, code) in [
        (
            connect,
            "{".to_owned(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            connect,
            r#"{"flow":"teleport"}"#.to_owned(),
            "application/json",
            400,
            "invalid_request",
        ),
        (
            connect,
            "x".repeat(17 * 1024),
            "application/json",
            413,
            "payload_too_large",
        ),
        (
            connect,
            popup.to_owned(),
            "text/plain",
            415,
            "unsupported_media_type",
        ),
    ] {
        post(path, body, content_type)
            .await
            .expect_problem(status, code);
    }
    // Ids are matched exactly, never normalised. `..` and `%2e%2e` are
    // resolved by the client's URL parser before sending (as a browser
    // would), leaving a path no route matches.
    for (trick, code) in [
        ("myspace", "unknown_source"),
        ("oura%2Fconnect", "unknown_source"),
        ("Oura", "unknown_source"),
        ("%EF%BD%8Fura", "unknown_source"),
        ("oura%00", "unknown_source"),
        ("oura%2e", "unknown_source"),
        ("..", "not_found"),
        ("%2e%2e", "not_found"),
    ] {
        post(
            &format!("/v1/connections/{trick}/connect"),
            popup.to_owned(),
            "application/json",
        )
        .await
        .expect_problem(404, code);
    }
    for trick in ["a%2Fb", "%C3%BC", "a%20b", "a%00"] {
        Answer::send(backend(Method::GET, &format!("/v1/users/{trick}/audit")))
            .await
            .expect_problem(400, "invalid_user_id");
    }
}
