//! CORS: only configured origins (and the edge's own) may call the widget
//! API from a browser, and a session only from the origins it is bound to.

use healthlink_tests::edge::{Answer, client, mint_session, session_for, url};
use healthlink_tests::{env, unique};

async fn request(method: reqwest::Method, origin: &str, session: &str) -> Answer {
    Answer::send(
        client()
            .request(method, url("/v1/connections"))
            .header("origin", origin)
            .bearer_auth(session)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization"),
    )
    .await
}

#[tokio::test]
async fn the_configured_origin_is_allowed() {
    let session = session_for(&unique("cors")).await;
    let origin = env().host_origin();
    let preflight = request(reqwest::Method::OPTIONS, &origin, &session).await;
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some(origin.as_str())
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    assert!(
        preflight
            .header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );

    let get = request(reqwest::Method::GET, &origin, &session).await;
    assert_eq!(get.status, 200);
    assert_eq!(
        get.header("access-control-allow-origin"),
        Some(origin.as_str())
    );
}

#[tokio::test]
async fn foreign_origins_are_refused_without_cors_headers() {
    let session = session_for(&unique("cors")).await;
    for origin in [
        "https://evil.example",
        "http://127.0.0.1:2",
        &format!("{}.evil.example", env().host_origin()),
        "null",
    ] {
        for method in [reqwest::Method::OPTIONS, reqwest::Method::GET] {
            let answer = request(method.clone(), origin, &session).await;
            answer.expect_problem(403, "origin_not_allowed");
            assert!(
                answer.header("access-control-allow-origin").is_none(),
                "{method} from {origin} got an allow-origin header"
            );
        }
    }
}

#[tokio::test]
async fn a_session_is_bound_to_its_origins() {
    // Both origins are configured; the session names only the second.
    let session = mint_session(serde_json::json!({
        "user_id": unique("bound"),
        "origins": ["http://127.0.0.1:1"],
    }))
    .await;
    let answer = request(reqwest::Method::GET, &env().host_origin(), &session).await;
    answer.expect_problem(403, "origin_not_allowed");
    let allowed = request(reqwest::Method::GET, "http://127.0.0.1:1", &session).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
}
