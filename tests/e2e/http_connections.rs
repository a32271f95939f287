//! `GET /healthz` and `GET /v1/connections` over HTTP.

use healthlink_shared::{
    CATALOG, ConnectionStatus, ConnectionsResponse, PROBLEM_CONTENT_TYPE, Problem,
};
use healthlink_tests::{env, unique};

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn get(path: &str, authorization: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{}{path}", env().edge_url));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.expect("edge answers")
}

async fn expect_problem(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with(PROBLEM_CONTENT_TYPE),
        "{content_type}"
    );
    let problem: Problem = response.json().await.expect("problem+json body");
    assert_eq!((problem.status, problem.code.as_str()), (status, code));
}

#[tokio::test]
async fn healthz_reports_the_aggregator() {
    let response = get("/healthz", None).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "aggregator": "sandbox"})
    );
}

#[tokio::test]
async fn a_new_user_sees_the_whole_catalog_disconnected() {
    let user = unique("user");
    let response = get("/v1/connections", Some(&format!("Bearer dev-user:{user}"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let list: ConnectionsResponse = response.json().await.unwrap();
    let ids: Vec<&str> = list.sources.iter().map(|s| s.id.as_str()).collect();
    let catalog: Vec<&str> = CATALOG.iter().map(|s| s.id).collect();
    assert_eq!(ids, catalog);
    assert!(
        list.sources
            .iter()
            .all(|s| s.status == ConnectionStatus::Disconnected)
    );
}

#[tokio::test]
async fn requests_without_a_valid_user_are_refused() {
    for authorization in [
        None,
        Some("Bearer"),
        Some("Basic dev-user:alice"),
        Some("Bearer someone"),
        Some("Bearer dev-user:"),
        Some("Bearer dev-user:../admin"),
        Some("Bearer dev-user:ünïcode"),
    ] {
        expect_problem(
            get("/v1/connections", authorization).await,
            401,
            "unauthorized",
        )
        .await;
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    expect_problem(get("/v1/nothing", None).await, 404, "not_found").await;
    expect_problem(
        get("/v1/connections/..%2Fhealthz", None).await,
        404,
        "not_found",
    )
    .await;
    let response = client()
        .delete(format!("{}/v1/connections", env().edge_url))
        .send()
        .await
        .unwrap();
    expect_problem(response, 405, "method_not_allowed").await;
}
