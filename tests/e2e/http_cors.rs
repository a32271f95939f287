//! CORS: only the configured host origin (and the edge's own) may call the
//! widget API from a browser.

use healthlink_tests::env;

async fn request(method: reqwest::Method, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}/v1/connections", env().edge_url))
        .header("origin", origin)
        .header("authorization", "Bearer dev-user:cors-user")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("edge answers")
}

#[tokio::test]
async fn the_configured_origin_is_allowed() {
    let origin = env().host_origin();
    let preflight = request(reqwest::Method::OPTIONS, &origin).await;
    assert_eq!(preflight.status().as_u16(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    let methods = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("GET"), "{methods}");
    let headers = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(headers.contains("authorization"), "{headers}");

    let get = request(reqwest::Method::GET, &origin).await;
    assert_eq!(get.status().as_u16(), 200);
    assert_eq!(
        get.headers()["access-control-allow-origin"],
        origin.as_str()
    );
}

#[tokio::test]
async fn foreign_origins_are_refused_without_cors_headers() {
    for origin in [
        "https://evil.example",
        "http://127.0.0.1:1",
        &format!("{}.evil.example", env().host_origin()),
        "null",
    ] {
        for method in [reqwest::Method::OPTIONS, reqwest::Method::GET] {
            let response = request(method.clone(), origin).await;
            assert_eq!(response.status().as_u16(), 403, "{method} from {origin}");
            assert!(
                response
                    .headers()
                    .get("access-control-allow-origin")
                    .is_none(),
                "{method} from {origin} got an allow-origin header"
            );
            let problem: healthlink_shared::Problem = response.json().await.unwrap();
            assert_eq!(problem.code, "origin_not_allowed");
        }
    }
}
