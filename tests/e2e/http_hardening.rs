//! The attack matrix of a deployed edge: what a production edge must never
//! do, each case tried against the running edges over HTTP. Every answer is
//! a 4xx problem or harmless, never a 5xx.

use healthlink_tests::edge::{Answer, Edge, client};
use reqwest::Method;

/// An edge on a real aggregator has no development features: no stand-in
/// consent page, no demo page, no keyless demo sessions — whatever Origin a
/// caller claims.
#[tokio::test]
async fn a_real_aggregators_edge_has_no_demo_and_no_sandbox() {
    for edge in [Edge::Thryve, Edge::Rook] {
        let health: serde_json::Value = Answer::send(client().get(edge.url("/healthz")))
            .await
            .json();
        assert_eq!(health["demo"], false, "{edge:?}");
        let own_return = edge.url("/v1/return?state=x");
        Answer::send(
            client()
                .get(edge.url("/sandbox/connect"))
                .query(&[("source", "oura"), ("redirect_uri", own_return.as_str())]),
        )
        .await
        .expect_problem(404, "not_found");
        for page in ["/demo/", "/demo/demo.js", "/demo/index.html"] {
            Answer::send(client().get(edge.url(page)))
                .await
                .expect_problem(404, "not_found");
        }
        Answer::send(
            client()
                .request(Method::POST, edge.url("/demo/session"))
                .header("origin", edge.base()),
        )
        .await
        .expect_problem(404, "not_found");
    }
}

/// The development edge serves its demo page (through the Worker, with the
/// security headers of every answer).
#[tokio::test]
async fn the_development_edge_serves_the_demo_page() {
    // Not through `Answer::send`: the demo page is no API route.
    let page = client()
        .get(Edge::Sandbox.url("/demo/"))
        .send()
        .await
        .expect("the edge answers");
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("x-content-type-options"), "nosniff");
}

/// Thryve's `connected=true` is unsigned. Someone holding a valid return
/// state who adds it without consenting gets a `pending` source ("Finishing
/// connection…"), never a connected one; Thryve's webhook confirms.
#[tokio::test]
async fn a_forged_thryve_return_is_pending_until_thryve_confirms() {
    use healthlink_shared::{ConnectResponse, ConnectionStatus, FlowAction};
    use healthlink_tests::emulators::thryve::{Behaviour, post_webhook, thryve};

    use crate::aggregator_support::{audit, list, row, start_connect};
    use crate::thryve::user_with;

    const EDGE: Edge = Edge::Thryve;
    let (user, session) = user_with(
        "forged-thryve",
        Behaviour {
            withhold_webhook: true,
            ..Default::default()
        },
    )
    .await;
    let started = start_connect(EDGE, &session, "oura").await;
    let ConnectResponse { url } = started.json();
    // Never visit Thryve: take our own return URL out of the connect URL and
    // claim success.
    let consent = url::Url::parse(&url).unwrap();
    let return_to = consent
        .query_pairs()
        .find(|(name, _)| name == "redirect_uri")
        .map(|(_, value)| value.into_owned())
        .expect("a redirect_uri");
    let forged = format!("{return_to}&dataSource=18&connected=true");
    let back = Answer::send(client().get(&forged)).await;
    assert_eq!(back.status, 303, "{}", back.body);
    let oura = |list: healthlink_shared::ConnectionsResponse| {
        list.sources.into_iter().find(|s| s.id == "oura").unwrap()
    };
    let listed = oura(list(EDGE, &session).await);
    assert_eq!(listed.status, ConnectionStatus::Pending);
    assert_eq!(listed.pending, Some(FlowAction::Connect));
    assert_eq!(
        audit(EDGE, &user).await,
        [row("connect", "pending", "user")]
    );

    // Thryve's connection webhook is what makes it connected.
    let end_user = thryve().end_user_id(&user).expect("an end user");
    tokio::task::spawn_blocking(move || post_webhook("notification.source.connect", &end_user, 18))
        .await
        .unwrap();
    assert_eq!(
        oura(list(EDGE, &session).await).status,
        ConnectionStatus::Connected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "pending", "user"),
            row("connect", "connected", "aggregator")
        ]
    );
}

/// Static files (served before the Worker runs) carry `nosniff` too, so a
/// browser never runs one as another type.
#[tokio::test]
async fn static_assets_are_never_sniffed() {
    for file in [
        "/healthlink.js",
        "/healthlink-widget.js",
        "/healthlink-widget_bg.wasm",
        "/healthlink.d.ts",
        "/",
    ] {
        let answer = client()
            .get(Edge::Sandbox.url(file))
            .send()
            .await
            .expect("the edge answers");
        assert_eq!(answer.status(), 200, "{file}");
        assert_eq!(
            answer
                .headers()
                .get("x-content-type-options")
                .and_then(|value| value.to_str().ok()),
            Some("nosniff"),
            "{file}"
        );
    }
}

/// Sends a chunked POST (no `Content-Length`) of `size` bytes over a raw
/// socket and returns the status line's code. The edge may answer and close
/// before the body is through; that is the point.
fn chunked_post(path: &str, authorization: Option<&str>, size: usize) -> u16 {
    use std::io::{Read, Write};
    let edge = url::Url::parse(Edge::Sandbox.base()).unwrap();
    let authority = format!("{}:{}", edge.host_str().unwrap(), edge.port().unwrap());
    let mut stream = std::net::TcpStream::connect(&authority).expect("the edge listens");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let auth = authorization
        .map(|value| format!("Authorization: {value}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\n{auth}Content-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b' '; 8192];
    let mut sent = 0;
    while sent < size {
        let frame = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.clone(),
            b"\r\n".to_vec(),
        ]
        .concat();
        if stream.write_all(&frame).is_err() {
            break;
        }
        sent += chunk.len();
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

/// A chunked body without `Content-Length` is not buffered: without
/// credentials it is refused before it is read, with them it is cut off at
/// 16 KiB — 4xx in both cases, never a 5xx.
#[tokio::test]
async fn large_chunked_bodies_are_refused_before_or_while_they_arrive() {
    let api_key = format!("Bearer {}", healthlink_tests::env().api_key);
    let (anonymous, authenticated) = tokio::task::spawn_blocking(move || {
        (
            chunked_post("/v1/sessions", None, 4 * 1024 * 1024),
            chunked_post("/v1/sessions", Some(&api_key), 256 * 1024),
        )
    })
    .await
    .unwrap();
    assert_eq!(anonymous, 401);
    assert_eq!(authenticated, 413);
}

/// One session cannot burn the operator's aggregator quota: twenty connect
/// or disconnect attempts a minute per user, then `429` with `Retry-After`.
#[tokio::test]
async fn a_user_gets_twenty_attempts_a_minute() {
    use healthlink_tests::unique;
    const EDGE: Edge = Edge::Thryve;
    let user = unique("attempts");
    let session = EDGE.session_for(&user).await;
    let attempt =
        || Answer::send(EDGE.widget(Method::POST, "/v1/connections/oura/disconnect", &session));
    for _ in 0..20 {
        assert_eq!(attempt().await.status, 200);
    }
    let refused = attempt().await;
    refused.expect_problem(429, "rate_limited");
    let wait: u32 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Someone else is not affected.
    let other = EDGE.session_for(&unique("attempts-other")).await;
    let answer =
        Answer::send(EDGE.widget(Method::POST, "/v1/connections/oura/disconnect", &other)).await;
    assert_eq!(answer.status, 200);
}

/// The audit trail is bounded: the ROOK test edge keeps 100 rows a user,
/// pruned oldest first, so failed attempts cannot grow it without end.
#[tokio::test]
async fn the_audit_trail_is_pruned_oldest_first() {
    use healthlink_shared::AuditPage;
    use healthlink_tests::emulators::Fault;
    use healthlink_tests::emulators::rook::{Behaviour, Call, rook};
    use healthlink_tests::unique;

    use crate::aggregator_support::connect;
    const EDGE: Edge = Edge::Rook;
    let user = unique("pruned");
    let session = EDGE.session_for(&user).await;
    assert_eq!(connect(EDGE, &session, "oura").await, "connected");
    rook().behave(
        &user,
        Behaviour::failing(
            Call::Revoke,
            Fault::Status {
                status: 503,
                body: "",
                retry_after: None,
            },
        ),
    );
    for _ in 0..105 {
        Answer::send(EDGE.widget(Method::POST, "/v1/connections/oura/disconnect", &session))
            .await
            .expect_problem(503, "upstream_unavailable");
    }
    let mut entries = Vec::new();
    let mut before = None::<i64>;
    loop {
        let query = before.map(|id| format!("&before={id}")).unwrap_or_default();
        let page: AuditPage = Answer::send(EDGE.backend(
            Method::GET,
            &format!("/v1/users/{user}/audit?limit=100{query}"),
        ))
        .await
        .json();
        entries.extend(page.entries);
        match page.next_before {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(entries.len(), 100);
    // The connect, the oldest row, went first; the newest failures stay.
    assert!(entries.iter().all(|entry| entry.action == "disconnect"));

    // The export after pruning still verifies: its first row chains from
    // the pruning record, which says how many rows went and up to when.
    use healthlink_shared::audit_export::{AuditExport, AuditKeys, keys_of, verify_export};
    let export =
        Answer::send(EDGE.backend(Method::GET, &format!("/v1/users/{user}/audit/export"))).await;
    assert_eq!(export.status, 200, "{}", export.body);
    let keys: AuditKeys = Answer::send(client().get(EDGE.url("/v1/audit/keys")))
        .await
        .json();
    let verdict = verify_export(export.body.as_bytes(), &keys_of(&keys)).unwrap();
    assert!(verdict.holds(), "{verdict:?}");
    assert_eq!(verdict.rows, 100);
    let document: AuditExport = export.json();
    let pruned = document.chain.pruned.expect("a pruning record");
    // Ids count from 1: what was pruned and what is kept is all ever written.
    assert!(pruned.rows >= 6, "{pruned:?}");
    assert_eq!(pruned.rows + 100, document.chain.head_id as u64);
    assert_eq!(document.entries[0].prev_hash, pruned.last_hash);
    assert_eq!(pruned.through_id, document.entries[0].id - 1);
    assert_eq!(document.chain.head_id, document.entries[99].id);
}

/// Erasure holds: a return state issued before it ends nothing, a session
/// minted before it is over, and neither brings the user's record back; a
/// session minted afterwards starts afresh.
#[tokio::test]
async fn nothing_from_before_an_erasure_brings_the_user_back() {
    use healthlink_shared::AuditPage;
    use healthlink_tests::edge::{backend, session_for, widget};
    use healthlink_tests::unique;

    use crate::flow_support::{consent_link, redirect_body, start_connect};

    let user = unique("erased");
    let old_session = session_for(&user).await;
    let started = start_connect(&old_session, "oura", redirect_body("/settings")).await;
    let healthlink_shared::ConnectResponse { url } = started.json();
    // The user consents, but the return is only opened after the erasure.
    let allow = consent_link(&url, true).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let erased = Answer::send(backend(Method::DELETE, &format!("/v1/users/{user}"))).await;
    assert_eq!(erased.status, 204, "{}", erased.body);

    Answer::send(client().get(&allow))
        .await
        .expect_problem(400, "invalid_state");
    Answer::send(widget(Method::GET, "/v1/connections", &old_session))
        .await
        .expect_problem(401, "session_expired");
    Answer::send(widget(
        Method::POST,
        "/v1/connections/oura/disconnect",
        &old_session,
    ))
    .await
    .expect_problem(401, "session_expired");
    let audit: AuditPage = Answer::send(backend(Method::GET, &format!("/v1/users/{user}/audit")))
        .await
        .json();
    assert!(audit.entries.is_empty(), "{:?}", audit.entries);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = session_for(&user).await;
    let listed = Answer::send(widget(Method::GET, "/v1/connections", &fresh)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
}

/// A stale Thryve event (older than the source's last recorded change)
/// does not flip a newer state; a redelivery changes nothing.
#[tokio::test]
async fn a_stale_thryve_event_does_not_flip_a_newer_state() {
    use healthlink_shared::ConnectionStatus;
    use healthlink_tests::emulators::thryve::{Behaviour, thryve};

    use crate::aggregator_support::{audit, connect, disconnect, row, status, webhook};
    use crate::thryve::user_with;

    const EDGE: Edge = Edge::Thryve;
    let (user, session) = user_with("stale-thryve", Behaviour::default()).await;
    assert_eq!(connect(EDGE, &session, "oura").await, "connected");
    assert_eq!(disconnect(EDGE, &session, "oura").await.status, 200);
    // Thryve redelivers the connect event of a week ago.
    let end_user = thryve().end_user_id(&user).expect("an end user");
    let week_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 7 * 86_400;
    let stale = serde_json::json!({
        "type": "notification.source.connect",
        "endUserId": end_user,
        "timestampType": "unix",
        "data": {"dataSourceId": 18, "timestamp": week_ago},
    })
    .to_string();
    let secret = healthlink_tests::env().secret("THRYVE_WEBHOOK_SECRET");
    for _ in 0..2 {
        assert_eq!(webhook(EDGE, Some(secret), &stale).await.status, 204);
    }
    assert_eq!(
        status(EDGE, &session, "oura").await,
        ConnectionStatus::Disconnected
    );
    assert_eq!(
        audit(EDGE, &user).await,
        [
            row("connect", "connected", "aggregator"),
            row("connect", "connected", "user"),
            row("disconnect", "disconnected", "user"),
        ]
    );
}
